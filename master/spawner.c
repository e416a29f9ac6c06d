/*
 * spawner.c - the authproc spawner and the relay spawner; see spawner.h.
 *
 * Trust zone: spawner (its own process, forked by gssocksd before the
 * master sandboxes itself; in root mode running as the user of the role
 * it starts, with no capability) and, for the client side below, master.
 *
 * SECURITY / design:
 *   - Why: the master's sandbox kills execve and fork, and Landlock would
 *     be inherited by anything it started (authproc could not read the
 *     keytab).  So the children are started by a spawner per role, forked
 *     early.  In root mode each spawner drops at once to its role's user
 *     (libcap-ng: supplementary groups dropped, bounding set cleared, no
 *     capability), so it can start and signal children of its own uid
 *     and nothing else; the master's uid can signal none of them.
 *   - Reaping: the spawner creates each child with clone(CLONE_PARENT |
 *     CLONE_PIDFD), so the child's parent is the master: spawn.c's
 *     reaping, SIGCHLD handling, exit-status audit line and the child's
 *     PR_SET_PDEATHSIG (the master's death) stay as they were.  The
 *     spawner keeps a pidfd per child: a signal asked by the master goes
 *     through pidfd_send_signal, so a pid the master reaped and the
 *     kernel reused can never be hit; a pid it did not start is refused.
 *   - Vocabulary: the SPAWN_* messages of ipc/ipc.h (habit 3: every IPC
 *     message is defined once, in ipc/), sent with ipc_send and read with
 *     ipc_recv on the rows IPC_CHAN_SPAWNER_FROM_MASTER (SPAWN_CHILD with
 *     the child's channel as its one fd, SPAWN_SIGNAL) and
 *     IPC_CHAN_MASTER_FROM_SPAWNER (SPAWN_RESULT, after each SPAWN_CHILD
 *     only, and LOG at any time).  The command line is built by the spawner from the
 *     configuration it was forked with; the master sends a slot number,
 *     never a path or an argument, and the spawner only ever execs its
 *     role's binary.  Anything else (another type, a payload the decoder
 *     refuses, a missing or extra fd, a slot beyond the configuration) is
 *     refused and logged; a refused SPAWN_CHILD is answered with EINVAL.
 *   - authproc is told the relay user's uid (--relay-uid) by its spawner,
 *     from the users resolved before the fork: authproc accepts a relay
 *     channel only from a process of that uid (authproc/channel_check.c),
 *     so that number must not come from the master, which is the
 *     network-facing process the check guards against.
 *   - Waits: the master's end is non-blocking; a send waits at most 5 s
 *     (ipc_send) and the answer to a SPAWN_CHILD at most 5 s (poll), so
 *     a spawner that hangs cannot hang the master for ever.
 *   - Diagnostics: a spawner's stderr is /dev/null once gssocksd
 *     detached, so it installs the children's log sink (ipc/ipc_log.h) on
 *     its channel: each line is IPC_LOG, and the master writes it through
 *     childlog.c as "gssocks-spawner-ROLE[PID]: text", with the pid it
 *     forked (never a name the spawner gives), escaped and rate-limited
 *     as a child's.  The master reads LOG while waiting for a SPAWN_RESULT
 *     and, between exchanges, from its event loop.
 *   - The spawner's own filter is in sandbox.c (sandbox_spawner_enter):
 *     an allow-list holding the spawner's calls and what exec, ld.so and
 *     the children's start-up need until their own filters.  fds 0-2
 *     that are a terminal are replaced by /dev/null first (-D on a
 *     console: no TIOCSTI, no read of the operator's terminal).
 *   - A spawner ends when the master's end of its channel closes, or
 *     with the master (PR_SET_PDEATHSIG); if a spawner dies the master
 *     can no longer start children and stops (systemd restarts it).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../ipc/ipc.h"
#include "../ipc/ipc_log.h"
#include "childlog.h"
#include "event.h"
#include "log.h"
#include "master.h"
#include "sandbox.h"
#include "spawner.h"
#include "util.h"

#define SPAWN_REPLY_WAIT_MS 5000
#define ARGV_MAX          20
#define SPAWNER_CHANNEL_FD 3

/* ---------------------------------------------------------------- master side */

struct spawner {
	pid_t pid;
	int sock;                     /* the master's end, -1 if none */
	enum child_role role;
	struct childlog_rate log_rate;
};

static struct spawner spawners[2] = {
	{ .pid = 0, .sock = -1, .role = CHILD_AUTHPROC },
	{ .pid = 0, .sock = -1, .role = CHILD_RELAY },
};

static struct spawner *spawner_of(enum child_role role)
{
	return &spawners[role == CHILD_AUTHPROC ? 0 : 1];
}

static const char *role_name(enum child_role role)
{
	return role == CHILD_AUTHPROC ? "authproc" : "relay";
}

/* One received message, master or spawner side (~96 KiB: static). */
static struct ipc_msg spawner_msg;

/* The master's name for a spawner: its role and the pid it forked. */
static void spawner_label(const struct spawner *sp, char *out, size_t outlen)
{
	snprintf(out, outlen, "gssocks-spawner-%s[%ld]", role_name(sp->role), (long)sp->pid);
}

/* spawner_msg is IPC_LOG from sp: written as a child's line (childlog.c). */
static void spawner_log_line(struct spawner *sp)
{
	char label[64];

	spawner_label(sp, label, sizeof(label));
	if (childlog_write(label, &sp->log_rate, &spawner_msg) < 0)
		log_err("%s: malformed log message refused", label);
}

/*
 * The spawner's channel is readable outside a SPAWN_CHILD exchange: only
 * LOG lines belong there (after a SPAWN_SIGNAL, say).  Anything else is
 * refused and logged; the channel's end is left to SIGCHLD
 * (spawner_reaped), which stops the master.
 */
static void spawner_readable(int fd, uint32_t events, void *ctx)
{
	struct spawner *sp = ctx;

	(void)events;
	for (;;) {
		int rc = ipc_recv(fd, IPC_CHAN_MASTER_FROM_SPAWNER, &spawner_msg);

		if (rc == 0 || (rc < 0 && errno != EPROTO)) {
			if (rc == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
				event_remove(fd);
			return;
		}
		if (rc < 0) {
			log_err("spawn: %s spawner: bad message refused", role_name(sp->role));
			continue;
		}
		if (spawner_msg.type == IPC_LOG)
			spawner_log_line(sp);
		else
			log_err("spawn: %s spawner: unexpected %s refused", role_name(sp->role),
				ipc_type_name(spawner_msg.type));
	}
}

/*
 * The spawner's answer to the SPAWN_CHILD just sent, waited for at most
 * SPAWN_REPLY_WAIT_MS.  0, or -1 (errno set; EPROTO for a bad answer).
 */
static int spawner_answer(struct spawner *sp, struct ipc_spawn_result *res)
{
	uint64_t deadline = monotonic_ms() + SPAWN_REPLY_WAIT_MS;
	int r;

	for (;;) {
		struct pollfd p = { .fd = sp->sock, .events = POLLIN };
		uint64_t now = monotonic_ms();

		if (now >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		r = poll(&p, 1, (int)(deadline - now));
		if (r < 0 && errno != EINTR)
			return -1;
		if (r <= 0)
			continue;
		r = ipc_recv(sp->sock, IPC_CHAN_MASTER_FROM_SPAWNER, &spawner_msg);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			continue;
		if (r == 0)
			errno = ECONNRESET;
		if (r != 1)
			return -1;
		/* The spawner's diagnostics may come before its answer. */
		if (spawner_msg.type != IPC_LOG)
			break;
		spawner_log_line(sp);
	}
	return ipc_decode_spawn_result(&spawner_msg, res);
}

pid_t spawner_spawn(enum child_role role, unsigned slot, int channel)
{
	struct spawner *sp = spawner_of(role);
	struct ipc_spawn_child req = { .slot = slot };
	struct ipc_spawn_result res;

	if (sp->sock < 0 || ipc_send_spawn_child(sp->sock, &req, channel) < 0) {
		log_err("spawn: %s spawner unreachable: %m", role_name(role));
		return -1;
	}
	if (spawner_answer(sp, &res) < 0) {
		log_err("spawn: %s spawner: no valid answer: %m", role_name(role));
		return -1;
	}
	if (res.pid == 0) {
		errno = (int)res.error;
		log_err("spawn: %s spawner could not start slot %u: %m", role_name(role), slot);
		return -1;
	}
	return (pid_t)res.pid;
}

void spawner_signal(enum child_role role, pid_t pid, int sig)
{
	struct spawner *sp = spawner_of(role);
	struct ipc_spawn_signal m = { .pid = (uint32_t)pid, .signal = (uint32_t)sig };

	if (pid <= 0)
		return;
	/* The encoder refuses any signal but SIGTERM and SIGKILL. */
	if (sp->sock < 0 || ipc_send_spawn_signal(sp->sock, &m) < 0)
		log_err("spawn: %s spawner unreachable: cannot signal pid %d: %m",
			role_name(role), (int)pid);
}

bool spawner_reaped(pid_t pid, int status)
{
	for (size_t i = 0; i < 2; i++) {
		char label[64];

		if (spawners[i].pid != pid || pid <= 0)
			continue;
		spawner_label(&spawners[i], label, sizeof(label));
		childlog_flush_rate(label, &spawners[i].log_rate);
		spawners[i].pid = 0;
		log_err("event=spawner name=%s pid=%d action=exit status=0x%x: "
			"no child can be started any more, stopping",
			i == 0 ? "authproc" : "relay", (int)pid, (unsigned)status);
		/* A failure: systemd's Restart=on-failure starts a new gssocksd
		 * (status 0 would be a wanted stop and leave the service down). */
		master_fail(EXIT_FAILURE);
		return true;
	}
	return false;
}

/* -------------------------------------------------------------- spawner side */

static enum child_role my_role;
static pid_t my_master;
/* Copied at fork, before the master meets the network: what the master
 * sends later cannot change the relay uid authproc is told (--relay-uid). */
static struct run_ids my_ids;
static int devnull_fd = -1;

/* Children started and not known to have exited: pid and pidfd. */
struct started {
	pid_t pid;
	int pidfd;
};
static struct started *started;
static size_t started_cap;

/* Command line of a child, from the configuration (DESIGN.md "CLIs"). */
struct child_argv {
	char *argv[ARGV_MAX];
	size_t argc;
	char path[PATH_MAX];
	char numbers[4][24];
	char levels[16];
};

static void argv_add(struct child_argv *a, const char *arg)
{
	if (a->argc + 1 >= ARGV_MAX)
		bug("spawn: too many arguments");
	a->argv[a->argc++] = (char *)arg;
	a->argv[a->argc] = NULL;
}

static int build_argv(enum child_role role, unsigned slot, struct child_argv *a)
{
	const struct master_config *cfg = master_cfg;
	const char *binary = role == CHILD_AUTHPROC ? "gssocks-authproc" : "gssocks-relay";
	int n;

	memset(a, 0, sizeof(*a));
	n = snprintf(a->path, sizeof(a->path), "%s/%s", cfg->libexec_dir, binary);
	if (n < 0 || (size_t)n >= sizeof(a->path))
		return -1;
	argv_add(a, a->path);
	if (role == CHILD_AUTHPROC) {
		config_levels_arg(cfg, a->levels, sizeof(a->levels));
		snprintf(a->numbers[0], sizeof(a->numbers[0]), "%u", cfg->preferred_level);
		snprintf(a->numbers[1], sizeof(a->numbers[1]), "%u", cfg->auth_timeout);
		snprintf(a->numbers[2], sizeof(a->numbers[2]), "%u",
			 (unsigned)my_ids.uid[RUN_RELAY]);
		argv_add(a, "--keytab");
		argv_add(a, cfg->keytab);
		argv_add(a, "--levels");
		argv_add(a, a->levels);
		argv_add(a, "--preferred");
		argv_add(a, a->numbers[0]);
		if (cfg->allow_clear)
			argv_add(a, "--allow-clear");
		if (cfg->allow_nec)
			argv_add(a, "--allow-nec");
		argv_add(a, "--auth-timeout");
		argv_add(a, a->numbers[1]);
		argv_add(a, "--replay-cache-dir");
		argv_add(a, cfg->replay_cache_dir);
		if (cfg->sandbox_without_landlock)
			argv_add(a, "--sandbox-without-landlock");
		/* Whose socketpairs authproc takes as relay channels. */
		argv_add(a, "--relay-uid");
		argv_add(a, a->numbers[2]);
	} else {
		snprintf(a->numbers[0], sizeof(a->numbers[0]), "%u", slot);
		snprintf(a->numbers[1], sizeof(a->numbers[1]), "%u", cfg->request_timeout);
		/* idle-timeout travels per session in REQUEST_RESULT (the
		 * principal's policy may set its own, or none): 0 here. */
		snprintf(a->numbers[2], sizeof(a->numbers[2]), "%u", 0u);
		argv_add(a, "--slot");
		argv_add(a, a->numbers[0]);
		argv_add(a, "--selective-wrap");
		argv_add(a, cfg->selective_wrap_integrity ? "integrity" : "confidentiality");
		argv_add(a, "--request-timeout");
		argv_add(a, a->numbers[1]);
		argv_add(a, "--idle-timeout");
		argv_add(a, a->numbers[2]);
	}
	if (master_verbose)
		argv_add(a, "--verbose");
	return 0;
}

/*
 * fds 0-2 that are a terminal (gssocksd -D on a console) become
 * /dev/null: neither the spawner nor the children it execs keep a
 * terminal a TIOCSTI (or a read of the operator's typing) could reach.
 */
static void detach_terminal(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (isatty(fd) && dup2(devnull_fd, fd) < 0)
			fatal("spawner: /dev/null on fd %d: %m", fd);
}

static void close_from(int first)
{
	long max;

	if (close_range((unsigned)first, ~0u, 0) == 0)
		return;
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = first; fd < max; fd++)
		close(fd);
}

/* In the new child, before exec: only async-signal-safe calls (but the
 * message when exec fails, see there). */
static _Noreturn void child_exec(struct child_argv *a, int channel)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	/* A child must not outlive the master (its parent, by CLONE_PARENT). */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != my_master)
		_exit(126);
	if (dup2(devnull_fd, STDIN_FILENO) < 0)
		_exit(126);
	if (channel == IPC_CHILD_MASTER_FD) {
		if (fcntl(channel, F_SETFD, 0) < 0)
			_exit(126);
	} else if (dup2(channel, IPC_CHILD_MASTER_FD) < 0) {
		_exit(126);
	}
	close_from(IPC_CHILD_MASTER_FD + 1);
	execv(a->path, a->argv);
	{
		/* The child's own channel carries the reason to the master, which
		 * logs it as this child's line (and names it if it gives up).
		 * The spawner is single-threaded: formatting here is safe. */
		char msg[PATH_MAX + 64];

		snprintf(msg, sizeof(msg), "cannot exec %s: %s", a->path, strerror(errno));
		if (ipc_send_log(IPC_CHILD_MASTER_FD, LOG_LEVEL_ERR, msg) < 0) {
			ssize_t w = write(STDERR_FILENO, msg, strlen(msg));
			(void)w;
		}
	}
	_exit(127);
}

/* Forget children that have exited (their pidfd polls readable). */
static void started_prune(void)
{
	for (size_t i = 0; i < started_cap; i++) {
		struct pollfd p = { .fd = started[i].pidfd, .events = POLLIN };

		if (started[i].pid == 0 || poll(&p, 1, 0) == 0)
			continue;
		close(started[i].pidfd);
		started[i].pid = 0;
		started[i].pidfd = -1;
	}
}

static pid_t spawn_child(unsigned slot, int channel, int *err)
{
	struct child_argv a;
	size_t free_at = started_cap;
	int pidfd = -1;
	long pid;

	*err = 0;
	started_prune();
	for (size_t i = 0; i < started_cap; i++)
		if (started[i].pid == 0) {
			free_at = i;
			break;
		}
	if (free_at == started_cap) {
		*err = EAGAIN;
		return 0;
	}
	if (build_argv(my_role, slot, &a) < 0) {
		*err = ENAMETOOLONG;
		return 0;
	}
	/* clone(2), not clone3: the spawner's filter can check clone's flags
	 * (no namespace flag) but not clone3's, which are behind a pointer.
	 * No exit signal in the flags: with CLONE_PARENT the master gets the
	 * spawner's own, SIGCHLD.  With CLONE_PIDFD the pidfd is stored
	 * where parent_tid points (the third argument on every arch); no
	 * new stack: the child runs on a copy of this one, like fork(). */
	pid = syscall(SYS_clone, (unsigned long)(CLONE_PARENT | CLONE_PIDFD), NULL, &pidfd,
		      NULL, NULL);
	if (pid < 0) {
		*err = errno;
		return 0;
	}
	if (pid == 0)
		child_exec(&a, channel);
	if (fcntl(pidfd, F_SETFD, FD_CLOEXEC) < 0)
		log_warn("spawner: pidfd: %m");
	started[free_at].pid = (pid_t)pid;
	started[free_at].pidfd = pidfd;
	log_debug("started slot %u as pid %ld", slot, pid);
	return (pid_t)pid;
}

static void spawner_kill(uint32_t pid, uint32_t sig)
{
	if (sig != SIGTERM && sig != SIGKILL) {
		log_err("spawner: refused signal %u", sig);
		return;
	}
	for (size_t i = 0; i < started_cap; i++) {
		if (started[i].pid <= 0 || (uint32_t)started[i].pid != pid)
			continue;
		if (syscall(SYS_pidfd_send_signal, started[i].pidfd, (int)sig, NULL, 0) < 0 &&
		    errno != ESRCH)
			log_warn("spawner: signal %u to pid %u: %m", sig, pid);
		return;
	}
	log_warn("spawner: refused to signal pid %u: not a running child of this spawner", pid);
}

/* SPAWN_CHILD: start the slot's child, always answer SPAWN_RESULT. */
static void spawner_on_spawn(int sock, unsigned slots)
{
	struct ipc_spawn_child req;
	struct ipc_spawn_result res = { 0, 0 };

	if (ipc_decode_spawn_child(&spawner_msg, &req) < 0 || req.slot >= slots) {
		log_err("spawner: refused spawn-child message (slot %u)", req.slot);
		res.error = EINVAL;
	} else {
		int err;

		res.pid = (uint32_t)spawn_child(req.slot, spawner_msg.fd, &err);
		res.error = res.pid != 0 ? 0 : (uint32_t)err;
		if (res.pid == 0 && (res.error == 0 || res.error > IPC_SPAWN_ERRNO_MAX))
			res.error = EIO;
	}
	if (spawner_msg.fd >= 0)
		close(spawner_msg.fd);
	spawner_msg.fd = -1;
	if (ipc_send_spawn_result(sock, &res) < 0)
		_exit(1);
}

static _Noreturn void spawner_loop(int sock)
{
	unsigned slots = my_role == CHILD_AUTHPROC ? master_cfg->authproc_workers
						 : master_cfg->relay_workers;

	for (;;) {
		struct ipc_spawn_signal sg;
		int rc = ipc_recv(sock, IPC_CHAN_SPAWNER_FROM_MASTER, &spawner_msg);

		if (rc == 0)
			_exit(0);
		if (rc < 0 && errno != EPROTO)
			_exit(1);
		if (rc < 0) {
			log_err("spawner: bad message refused");
			continue;
		}
		switch (spawner_msg.type) {
		case IPC_SPAWN_CHILD:
			spawner_on_spawn(sock, slots);
			break;
		case IPC_SPAWN_SIGNAL:
			if (ipc_decode_spawn_signal(&spawner_msg, &sg) < 0)
				log_err("spawner: refused spawn-signal message");
			else
				spawner_kill(sg.pid, sg.signal);
			break;
		default:
			/* ipc_recv's table admits no other type on this row. */
			if (spawner_msg.fd >= 0)
				close(spawner_msg.fd);
			log_err("spawner: refused %s message", ipc_type_name(spawner_msg.type));
			break;
		}
	}
}

static _Noreturn void spawner_main(enum child_role role, int sock, const struct run_ids *ids)
{
	sigset_t none;

	my_role = role;
	my_master = getppid();
	my_ids = *ids;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != my_master)
		_exit(1);
	/* Only stdin/out/err and the channel: no listener, no log socket. */
	if (sock != SPAWNER_CHANNEL_FD) {
		if (dup2(sock, SPAWNER_CHANNEL_FD) < 0)
			_exit(1);
		sock = SPAWNER_CHANNEL_FD;
	}
	close_from(SPAWNER_CHANNEL_FD + 1);
	fcntl(sock, F_SETFD, FD_CLOEXEC);
	log_init(role == CHILD_AUTHPROC ? "gssocksd-spawner-authproc" : "gssocksd-spawner-relay",
		 false, false);
	/* Its stderr is /dev/null once gssocksd detached: every line goes to
	 * the master as IPC_LOG (stderr only when a send fails). */
	ipc_log_to_master(sock);
	devnull_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull_fd < 0)
		fatal("spawner: /dev/null: %m");
	detach_terminal();
	started_cap = 2u * (role == CHILD_AUTHPROC ? master_cfg->authproc_workers
						   : master_cfg->relay_workers) + 4u;
	started = calloc(started_cap, sizeof(*started));
	if (started == NULL)
		fatal("spawner: out of memory");
	sandbox_become(ids, role == CHILD_AUTHPROC ? RUN_AUTHPROC : RUN_RELAY);
	sandbox_spawner_enter(role == CHILD_AUTHPROC ? RUN_AUTHPROC : RUN_RELAY);
	spawner_loop(sock);
}

static int spawner_fork(enum child_role role, const struct run_ids *ids)
{
	struct spawner *sp = spawner_of(role);
	int pair[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
		log_err("spawner: socketpair: %m");
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		log_err("spawner: fork: %m");
		close(pair[0]);
		close(pair[1]);
		return -1;
	}
	if (pid == 0) {
		close(pair[0]);
		spawner_main(role, pair[1], ids);
	}
	close(pair[1]);
	sp->pid = pid;
	sp->sock = pair[0];
	/* A spawner that hangs must not hang the master for ever: sends wait
	 * at most 5 s (ipc_send), answers too (spawner_answer).  Its LOG
	 * lines between answers are read from the event loop. */
	if (fd_set_nonblock(sp->sock) < 0) {
		log_err("spawner: O_NONBLOCK: %m");
		return -1;
	}
	if (event_add(sp->sock, EPOLLIN, spawner_readable, sp) < 0) {
		log_err("spawner: epoll: %m");
		return -1;
	}
	log_info("event=spawner name=%s pid=%d user=%s action=start", role_name(role), (int)pid,
		 ids->name[role == CHILD_AUTHPROC ? RUN_AUTHPROC : RUN_RELAY]);
	return 0;
}

int spawners_start(const struct run_ids *ids)
{
	if (spawner_fork(CHILD_AUTHPROC, ids) < 0 || spawner_fork(CHILD_RELAY, ids) < 0)
		return -1;
	return 0;
}
