/*
 * spawn.c - fork + exec, reaping and respawning of children; see spawn.h.
 *
 * Trust zone: master.  What a child inherits is decided here and only
 * here: its channel on fd 3, /dev/null on stdin, the master's stdout and
 * stderr, an empty signal mask, default signal dispositions and nothing
 * else (every other fd is closed before exec).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../ipc/ipc.h"
#include "channels.h"
#include "event.h"
#include "ipc_dispatch.h"
#include "log.h"
#include "master.h"
#include "session.h"
#include "spawn.h"
#include "util.h"

#define RESPAWN_DELAY_MS        250u
#define RESPAWN_THROTTLE_MS     5000u
#define RESPAWN_WINDOW_MS       10000u
#define ARGV_MAX                20
#define CHANNEL_EOF_GRACE_MS    1000u

static struct child authproc = { .role = CHILD_AUTHPROC, .channel = -1 };
static struct child *relays;
static unsigned relay_total;
static pid_t master_pid;

int children_init(unsigned relay_count)
{
	relays = calloc(relay_count, sizeof(*relays));
	if (relays == NULL)
		return -1;
	relay_total = relay_count;
	for (unsigned i = 0; i < relay_count; i++) {
		relays[i].role = CHILD_RELAY;
		relays[i].slot = i;
		relays[i].channel = -1;
	}
	return 0;
}

struct child *child_authproc(void)
{
	return &authproc;
}

struct child *child_relay(unsigned slot)
{
	return slot < relay_total ? &relays[slot] : NULL;
}

unsigned child_relay_count(void)
{
	return relay_total;
}

const char *child_name(const struct child *c)
{
	return c->role == CHILD_AUTHPROC ? "authproc" : "relay";
}

bool child_usable(const struct child *c)
{
	return c != NULL && c->pid > 0 && c->channel >= 0;
}

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

static int child_build_argv(const struct child *c, struct child_argv *a)
{
	const struct master_config *cfg = master_cfg;
	const char *binary = c->role == CHILD_AUTHPROC ? "gssocks-authproc" : "gssocks-relay";
	int n;

	memset(a, 0, sizeof(*a));
	n = snprintf(a->path, sizeof(a->path), "%s/%s", cfg->libexec_dir, binary);
	if (n < 0 || (size_t)n >= sizeof(a->path))
		return -1;
	argv_add(a, a->path);
	if (c->role == CHILD_AUTHPROC) {
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
		snprintf(a->numbers[0], sizeof(a->numbers[0]), "%u", c->slot);
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

static void child_close_other_fds(void)
{
	long max;

	if (close_range(IPC_CHILD_MASTER_FD + 1, ~0u, 0) == 0)
		return;
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = IPC_CHILD_MASTER_FD + 1; fd < max; fd++)
		close(fd);
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static _Noreturn void child_exec(struct child_argv *a, int channel)
{
	sigset_t none;
	int devnull;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	/* A child must not outlive the master. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != master_pid)
		_exit(126);
	if (channel == IPC_CHILD_MASTER_FD) {
		if (fcntl(channel, F_SETFD, 0) < 0)
			_exit(126);
	} else if (dup2(channel, IPC_CHILD_MASTER_FD) < 0) {
		_exit(126);
	}
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0)
		_exit(126);
	child_close_other_fds();
	execv(a->path, a->argv);
	{
		static const char msg[] = "gssocksd: cannot exec child binary\n";
		ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
		(void)w;
	}
	_exit(127);
}

static int child_spawn(struct child *c)
{
	struct child_argv a;
	int pair[2];
	pid_t pid;

	if (child_build_argv(c, &a) < 0) {
		log_err("spawn: libexec-dir path too long");
		return -1;
	}
	if (access(a.path, X_OK) < 0)
		log_warn("spawn: %s: %m", a.path);
	/* Taken here, not at init: the master may have detached (forked) since. */
	master_pid = getpid();
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
		log_err("spawn: socketpair: %m");
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		log_err("spawn: fork: %m");
		close(pair[0]);
		close(pair[1]);
		return -1;
	}
	if (pid == 0)
		child_exec(&a, pair[1]);
	close(pair[1]);
	c->pid = pid;
	c->kill_at_ms = 0;
	c->channel = pair[0];
	c->generation++;
	c->respawn_at_ms = 0;
	if (fd_set_nonblock(c->channel) < 0 ||
	    event_add(c->channel, EPOLLIN, dispatch_channel_event, c) < 0) {
		log_err("spawn: cannot watch the channel of %s: %m", child_name(c));
		close_fd(&c->channel);
		kill(pid, SIGKILL);
		return 0;
	}
	log_info("event=child name=%s slot=%u pid=%d action=start generation=%u",
		 child_name(c), c->slot, (int)pid, c->generation);
	channels_on_spawn(c);
	return 0;
}

void children_start(void)
{
	if (child_spawn(&authproc) < 0)
		authproc.respawn_at_ms = monotonic_ms() + 1000u;
	for (unsigned i = 0; i < relay_total; i++)
		if (child_spawn(&relays[i]) < 0)
			relays[i].respawn_at_ms = monotonic_ms() + 1000u;
}

static void child_close_channel(struct child *c)
{
	if (c->channel < 0)
		return;
	event_remove(c->channel);
	close_fd(&c->channel);
}

void child_kill_violation(struct child *c, const char *why)
{
	/* pid 0: its channel is being drained after it exited. */
	if (c->pid > 0) {
		log_warn("event=child name=%s slot=%u pid=%d action=kill reason=\"%s\"",
			 child_name(c), c->slot, (int)c->pid, why);
		/* Not reaped yet, so the pid cannot have been reused. */
		kill(c->pid, SIGKILL);
	}
	child_close_channel(c);
}

void child_kill(struct child *c, const char *why)
{
	if (c->pid > 0) {
		log_warn("event=child name=%s slot=%u pid=%d action=kill reason=\"%s\"",
			 child_name(c), c->slot, (int)c->pid, why);
		kill(c->pid, SIGKILL);
	}
	/* What it sent before it broke still counts (AUTH_OK of a session
	 * already with a relay); read that before the channel goes. */
	if (c->channel >= 0)
		dispatch_last_words(c);
	child_close_channel(c);
}

void child_channel_closed(struct child *c)
{
	log_debug("%s slot=%u pid=%d closed its channel", child_name(c), c->slot, (int)c->pid);
	child_close_channel(c);
	/*
	 * Useless without its channel: it is SIGKILLed unless it exits by
	 * itself within a grace period (so its own exit status gets logged).
	 */
	if (c->pid > 0)
		c->kill_at_ms = monotonic_ms() + CHANNEL_EOF_GRACE_MS;
}

static struct child *child_by_pid(pid_t pid)
{
	if (authproc.pid == pid)
		return &authproc;
	for (unsigned i = 0; i < relay_total; i++)
		if (relays[i].pid == pid)
			return &relays[i];
	return NULL;
}

static void status_text(int status, char *out, size_t outlen)
{
	if (WIFEXITED(status)) {
		snprintf(out, outlen, "exit=%d", WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		const char *abbrev = sigabbrev_np(WTERMSIG(status));
		if (abbrev != NULL)
			snprintf(out, outlen, "signal=SIG%s", abbrev);
		else
			snprintf(out, outlen, "signal=%d", WTERMSIG(status));
	} else {
		snprintf(out, outlen, "status=0x%x", (unsigned)status);
	}
}

static bool session_on_dead_relay(const struct session *s, const void *arg)
{
	const struct child *c = arg;

	/* AUTHENTICATING sessions go to the slot's next relay. */
	return s->relay_slot == (int)c->slot && s->phase >= SESSION_AUTHENTICATED;
}

static bool session_in_authproc(const struct session *s, const void *arg)
{
	(void)arg;
	return s->phase == SESSION_AUTHENTICATING;
}

static void child_schedule_respawn(struct child *c, uint64_t now)
{
	unsigned recent = 0;

	c->deaths_ms[c->death_next] = now;
	c->death_next = (c->death_next + 1) % CHILD_DEATHS_TRACKED;
	for (unsigned i = 0; i < CHILD_DEATHS_TRACKED; i++)
		if (c->deaths_ms[i] != 0 && now - c->deaths_ms[i] < RESPAWN_WINDOW_MS)
			recent++;
	if (recent >= CHILD_DEATHS_TRACKED) {
		c->respawn_at_ms = now + RESPAWN_THROTTLE_MS;
		log_warn("event=child name=%s slot=%u action=throttle deaths=%u window_ms=%u "
			 "delay_ms=%u", child_name(c), c->slot, recent, RESPAWN_WINDOW_MS,
			 RESPAWN_THROTTLE_MS);
	} else {
		c->respawn_at_ms = now + RESPAWN_DELAY_MS;
	}
}

static void child_died(struct child *c, int status)
{
	char how[64];

	status_text(status, how, sizeof(how));
	log_info("event=child name=%s slot=%u pid=%d action=exit %s", child_name(c), c->slot,
		 (int)c->pid, how);
	/*
	 * Its last words (AUTH_OK / AUTH_FAIL, SESSION_END) still count; with
	 * pid 0 first, nothing is sent back to it and nothing signals it.
	 */
	c->pid = 0;
	c->kill_at_ms = 0;
	if (c->channel >= 0)
		dispatch_drain(c);
	child_close_channel(c);
	if (c->role == CHILD_RELAY)
		session_drop_matching(session_on_dead_relay, c, "relay-died");
	else
		session_drop_matching(session_in_authproc, NULL, "authproc-died");
	if (!master_stopping())
		child_schedule_respawn(c, monotonic_ms());
}

void children_reap(void)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct child *c = child_by_pid(pid);
		if (c == NULL) {
			log_debug("reaped unknown pid %d", (int)pid);
			continue;
		}
		child_died(c, status);
	}
}

static void child_respawn_if_due(struct child *c, uint64_t now)
{
	if (c->pid > 0 && c->kill_at_ms != 0 && c->kill_at_ms <= now) {
		log_warn("event=child name=%s slot=%u pid=%d action=kill reason=\"channel closed\"",
			 child_name(c), c->slot, (int)c->pid);
		kill(c->pid, SIGKILL);
		c->kill_at_ms = 0;
	}
	if (c->pid != 0 || c->respawn_at_ms == 0 || c->respawn_at_ms > now)
		return;
	if (child_spawn(c) < 0)
		c->respawn_at_ms = now + 1000u;
}

void children_respawn_due(uint64_t now_ms)
{
	if (master_stopping())
		return;
	child_respawn_if_due(&authproc, now_ms);
	for (unsigned i = 0; i < relay_total; i++)
		child_respawn_if_due(&relays[i], now_ms);
}

static uint64_t child_next_action(const struct child *c, uint64_t next)
{
	uint64_t at = 0;

	if (c->pid == 0 && c->respawn_at_ms != 0)
		at = c->respawn_at_ms;
	else if (c->pid > 0 && c->kill_at_ms != 0)
		at = c->kill_at_ms;
	if (at != 0 && (next == 0 || at < next))
		next = at;
	return next;
}

uint64_t children_next_respawn(void)
{
	uint64_t next = child_next_action(&authproc, 0);

	for (unsigned i = 0; i < relay_total; i++)
		next = child_next_action(&relays[i], next);
	return next;
}

static void child_signal(struct child *c, int sig)
{
	if (c->pid > 0)
		kill(c->pid, sig);
}

void children_terminate(void)
{
	child_signal(&authproc, SIGTERM);
	for (unsigned i = 0; i < relay_total; i++)
		child_signal(&relays[i], SIGTERM);
}

void children_kill_all(void)
{
	child_signal(&authproc, SIGKILL);
	for (unsigned i = 0; i < relay_total; i++)
		child_signal(&relays[i], SIGKILL);
}

unsigned children_running(void)
{
	unsigned n = authproc.pid > 0 ? 1 : 0;

	for (unsigned i = 0; i < relay_total; i++)
		n += relays[i].pid > 0 ? 1 : 0;
	return n;
}
