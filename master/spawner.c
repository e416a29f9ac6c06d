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
 *   - Reaping: the spawner creates each child with clone3(CLONE_PARENT |
 *     CLONE_PIDFD), so the child's parent is the master: spawn.c's
 *     reaping, SIGCHLD handling, exit-status audit line and the child's
 *     PR_SET_PDEATHSIG (the master's death) stay as they were.  The
 *     spawner keeps a pidfd per child: a signal asked by the master goes
 *     through pidfd_send_signal, so a pid the master reaped and the
 *     kernel reused can never be hit; a pid it did not start is refused.
 *   - Vocabulary (master -> spawner, one SOCK_SEQPACKET record each,
 *     network byte order, parsed with proto/buf.h):
 *       SPAWN  {u32 op=1, u32 slot, u32 0} + SCM_RIGHTS: the child's channel
 *       SIGNAL {u32 op=2, u32 pid,  u32 signal (SIGTERM or SIGKILL only)}
 *     spawner -> master, after each SPAWN only:
 *       RESULT {u32 op=3, u32 pid (0: failed), u32 errno}
 *     The command line is built by the spawner from the configuration it
 *     was forked with; the master sends a slot number, never a path or an
 *     argument, and the spawner only ever execs its role's binary.  Any
 *     other record (size, op, slot, missing or extra fd) is refused and
 *     logged.  The records live here rather than in ipc/ because both
 *     ends are this file.
 *   - The spawner's own filter is in sandbox.c (sandbox_spawner_enter).
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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../ipc/ipc.h"    /* IPC_CHILD_MASTER_FD */
#include "buf.h"
#include "log.h"
#include "master.h"
#include "sandbox.h"
#include "spawner.h"

#define SPAWN_OP_SPAWN    1u
#define SPAWN_OP_SIGNAL   2u
#define SPAWN_OP_RESULT   3u
#define SPAWN_RECORD_LEN  12u
#define SPAWN_REPLY_WAIT_S 5
#define ARGV_MAX          20
#define SPAWNER_CHANNEL_FD 3

/* ---------------------------------------------------------------- master side */

struct spawner {
	pid_t pid;
	int sock;                     /* the master's end, -1 if none */
};

static struct spawner spawners[2] = { { 0, -1 }, { 0, -1 } };

static struct spawner *spawner_of(enum child_role role)
{
	return &spawners[role == CHILD_AUTHPROC ? 0 : 1];
}

static const char *role_name(enum child_role role)
{
	return role == CHILD_AUTHPROC ? "authproc" : "relay";
}

static int record_send(int sock, uint32_t op, uint32_t a, uint32_t b, int pass_fd)
{
	uint8_t rec[SPAWN_RECORD_LEN];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = { rec, sizeof(rec) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct wbuf wb;
	ssize_t n;

	wbuf_init(&wb, rec, sizeof(rec));
	wbuf_put_u32(&wb, op);
	wbuf_put_u32(&wb, a);
	wbuf_put_u32(&wb, b);
	if (wbuf_ok(&wb) < 0)
		return -1;
	if (pass_fd >= 0) {
		struct cmsghdr *cm;

		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = sizeof(control.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(rec) ? 0 : -1;
}

/*
 * One record of exactly SPAWN_RECORD_LEN octets; *fd gets the one
 * descriptor passed with it (or -1).  0, 1 at EOF, -1 when recvmsg
 * fails, -2 on a bad record (every descriptor that came with it closed).
 */
static int record_recv(int sock, uint32_t *op, uint32_t *a, uint32_t *b, int *fd)
{
	uint8_t rec[SPAWN_RECORD_LEN + 1];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} control;
	struct iovec iov = { rec, sizeof(rec) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
	struct rbuf rb;
	ssize_t n;
	int fds = 0;
	bool bad = false;

	*fd = -1;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 1;
	if (n < 0)
		return -1;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
			bad = true;
			continue;
		}
		size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < count; i++) {
			int got;
			memcpy(&got, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (fds++ == 0)
				*fd = got;
			else
				close(got);
		}
	}
	rbuf_init(&rb, rec, (size_t)n);
	if (bad || fds > 1 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    rbuf_get_u32(&rb, op) < 0 || rbuf_get_u32(&rb, a) < 0 ||
	    rbuf_get_u32(&rb, b) < 0 || rbuf_done(&rb) < 0) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -2;
	}
	return 0;
}

pid_t spawner_spawn(enum child_role role, unsigned slot, int channel)
{
	struct spawner *sp = spawner_of(role);
	uint32_t op, pid, err;
	int fd, rc;

	if (sp->sock < 0 || record_send(sp->sock, SPAWN_OP_SPAWN, slot, 0, channel) < 0) {
		log_err("spawn: %s spawner unreachable: %m", role_name(role));
		return -1;
	}
	rc = record_recv(sp->sock, &op, &pid, &err, &fd);
	if (rc != 0 || fd >= 0 || op != SPAWN_OP_RESULT || pid > INT_MAX) {
		if (fd >= 0)
			close(fd);
		log_err("spawn: %s spawner: no valid answer", role_name(role));
		return -1;
	}
	if (pid == 0) {
		errno = (int)err;
		log_err("spawn: %s spawner could not start slot %u: %m", role_name(role), slot);
		return -1;
	}
	return (pid_t)pid;
}

void spawner_signal(enum child_role role, pid_t pid, int sig)
{
	struct spawner *sp = spawner_of(role);

	if (pid <= 0)
		return;
	if (sp->sock < 0 || record_send(sp->sock, SPAWN_OP_SIGNAL, (uint32_t)pid,
					(uint32_t)sig, -1) < 0)
		log_err("spawn: %s spawner unreachable: cannot signal pid %d",
			role_name(role), (int)pid);
}

bool spawner_reaped(pid_t pid, int status)
{
	for (size_t i = 0; i < 2; i++) {
		if (spawners[i].pid != pid || pid <= 0)
			continue;
		spawners[i].pid = 0;
		log_err("event=spawner name=%s pid=%d action=exit status=0x%x: "
			"no child can be started any more, stopping",
			i == 0 ? "authproc" : "relay", (int)pid, (unsigned)status);
		master_stop();
		return true;
	}
	return false;
}

/* -------------------------------------------------------------- spawner side */

static enum child_role my_role;
static pid_t my_master;
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

/* In the new child, before exec: only async-signal-safe calls. */
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
		static const char msg[] = "gssocksd spawner: cannot exec child binary\n";
		ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
		(void)w;
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

/* The first-level clone_args of clone3(2) (CLONE_ARGS_SIZE_VER0). */
struct spawner_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static pid_t spawn_child(unsigned slot, int channel, int *err)
{
	struct spawner_clone_args ca;
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
	memset(&ca, 0, sizeof(ca));
	/* exit_signal must be 0 with CLONE_PARENT: the master gets the
	 * spawner's own exit signal, SIGCHLD. */
	ca.flags = CLONE_PARENT | CLONE_PIDFD;
	ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
	pid = syscall(SYS_clone3, &ca, sizeof(ca));
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

static _Noreturn void spawner_loop(int sock)
{
	unsigned slots = my_role == CHILD_AUTHPROC ? 1 : master_cfg->relay_workers;

	for (;;) {
		uint32_t op, a, b;
		int fd, rc = record_recv(sock, &op, &a, &b, &fd);

		if (rc == 1)
			_exit(0);
		if (rc == -1)
			_exit(1);
		if (rc < 0) {
			log_err("spawner: bad record refused");
			continue;
		}
		if (op == SPAWN_OP_SPAWN && fd >= 0 && a < slots && b == 0) {
			int err;
			pid_t pid = spawn_child(a, fd, &err);

			close(fd);
			if (record_send(sock, SPAWN_OP_RESULT, (uint32_t)pid, (uint32_t)err, -1) < 0)
				_exit(1);
		} else if (op == SPAWN_OP_SIGNAL && fd < 0) {
			spawner_kill(a, b);
		} else {
			if (fd >= 0)
				close(fd);
			log_err("spawner: refused record op=%u", op);
			if (op == SPAWN_OP_SPAWN &&
			    record_send(sock, SPAWN_OP_RESULT, 0, EINVAL, -1) < 0)
				_exit(1);
		}
	}
}

static _Noreturn void spawner_main(enum child_role role, int sock, const struct run_ids *ids)
{
	sigset_t none;

	my_role = role;
	my_master = getppid();
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
		 true, false);
	devnull_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull_fd < 0)
		fatal("spawner: /dev/null: %m");
	started_cap = 2u * (role == CHILD_AUTHPROC ? 1u : master_cfg->relay_workers) + 4u;
	started = calloc(started_cap, sizeof(*started));
	if (started == NULL)
		fatal("spawner: out of memory");
	sandbox_become(ids, role == CHILD_AUTHPROC ? RUN_AUTHPROC : RUN_RELAY);
	sandbox_spawner_enter();
	spawner_loop(sock);
}

static int spawner_fork(enum child_role role, const struct run_ids *ids)
{
	struct spawner *sp = spawner_of(role);
	struct timeval wait = { SPAWN_REPLY_WAIT_S, 0 };
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
	/* A spawner that hangs must not hang the master for ever. */
	if (setsockopt(sp->sock, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait)) < 0 ||
	    setsockopt(sp->sock, SOL_SOCKET, SO_SNDTIMEO, &wait, sizeof(wait)) < 0)
		log_warn("spawner: timeouts: %m");
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
