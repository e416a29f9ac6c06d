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
#include <syslog.h>
#include <unistd.h>

#include "../ipc/ipc.h"
#include "audit.h"
#include "channels.h"
#include "event.h"
#include "ipc_dispatch.h"
#include "log.h"
#include "master.h"
#include "session.h"
#include "spawn.h"
#include "spawner.h"
#include "startfail.h"
#include "util.h"

#define RESPAWN_DELAY_MS        250u
#define RESPAWN_THROTTLE_MS     5000u
#define RESPAWN_WINDOW_MS       10000u
#define CHANNEL_EOF_GRACE_MS    1000u

#define RETIRE_GRACE_MS         2000u   /* after auth-timeout */
#define RETIRE_KILL_MS          5000u   /* SIGTERM, then SIGKILL */

static struct child authproc = { .role = CHILD_AUTHPROC, .channel = -1 };
/* The authproc a SIGHUP replaced, until its handshakes are over. */
static struct child authproc_retired = { .role = CHILD_AUTHPROC, .channel = -1 };
static bool authproc_replace_pending;
static struct child *relays;
static unsigned relay_total;

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

struct child *child_authproc_retired(void)
{
	return &authproc_retired;
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

static int child_spawn(struct child *c)
{
	int pair[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
		log_err("spawn: socketpair: %m");
		return -1;
	}
	/* The spawner of its role starts it (the master cannot exec). */
	pid = spawner_spawn(c->role, c->slot, pair[1]);
	close(pair[1]);
	if (pid < 0) {
		close(pair[0]);
		return -1;
	}
	c->pid = pid;
	c->log_pid = pid;
	c->started_ms = monotonic_ms();
	c->stopped_by_master = false;
	c->handed_work = false;
	c->last_error[0] = '\0';
	memset(&c->log_rate, 0, sizeof(c->log_rate));
	c->kill_at_ms = 0;
	c->channel = pair[0];
	c->generation++;
	c->respawn_at_ms = 0;
	watchdog_reset(&c->watchdog, monotonic_ms());
	if (fd_set_nonblock(c->channel) < 0 ||
	    event_add(c->channel, EPOLLIN, dispatch_channel_event, c) < 0) {
		log_err("spawn: cannot watch the channel of %s: %m", child_name(c));
		close_fd(&c->channel);
		spawner_signal(c->role, pid, SIGKILL);
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
	childlog_flush(c);
	event_remove(c->channel);
	close_fd(&c->channel);
}

void child_kill_violation(struct child *c, const char *why)
{
	/* pid 0: its channel is being drained after it exited. */
	if (c->pid > 0) {
		log_warn("event=child name=%s slot=%u pid=%d action=kill reason=\"%s\"",
			 child_name(c), c->slot, (int)c->pid, why);
		/* Through its spawner (pidfd: never a reused pid). */
		c->stopped_by_master = true;
		spawner_signal(c->role, c->pid, SIGKILL);
	}
	child_close_channel(c);
}

void child_kill(struct child *c, const char *why)
{
	if (c->pid > 0) {
		log_warn("event=child name=%s slot=%u pid=%d action=kill reason=\"%s\"",
			 child_name(c), c->slot, (int)c->pid, why);
		/* Through its spawner (pidfd: never a reused pid). */
		c->stopped_by_master = true;
		spawner_signal(c->role, c->pid, SIGKILL);
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
	if (authproc_retired.pid == pid)
		return &authproc_retired;
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

/* Authenticating in that authproc (the current one or a retired one). */
static bool session_in_authproc(const struct session *s, const void *arg)
{
	const struct child *c = arg;

	return s->phase == SESSION_AUTHENTICATING && s->authproc_generation == c->generation;
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
	/* The default action of every sandbox filter: an audit record. */
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		audit_record(LOG_WARNING, "event=sandbox-violation child=%s slot=%u pid=%d "
			     "signal=SIGSYS action=respawn", child_name(c), c->slot, (int)c->pid);
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
		session_drop_matching(session_in_authproc, c, "authproc-died");
	startfail_child_died(c, status, how, monotonic_ms());
	if (c == &authproc_retired) {
		c->retire_at_ms = 0;
		return;                 /* replaced already: no respawn */
	}
	if (!master_stopping())
		child_schedule_respawn(c, monotonic_ms());
}

void children_reap(void)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct child *c = child_by_pid(pid);
		if (c == NULL && spawner_reaped(pid, status))
			continue;
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
		c->stopped_by_master = true;
		spawner_signal(c->role, c->pid, SIGKILL);
		c->kill_at_ms = 0;
	}
	if (c->pid != 0 || c->respawn_at_ms == 0 || c->respawn_at_ms > now)
		return;
	if (child_spawn(c) < 0)
		c->respawn_at_ms = now + 1000u;
}

/*
 * The retired authproc: SIGTERM once it holds no handshake (or at its
 * deadline), SIGKILL if it is still there RETIRE_KILL_MS later; then the
 * replacement a second SIGHUP asked for meanwhile.
 */
static void retired_authproc_due(uint64_t now)
{
	struct child *c = &authproc_retired;

	if (c->pid > 0 && c->retire_at_ms != 0 &&
	    (c->retire_at_ms <= now || session_count_matching(session_in_authproc, c) == 0)) {
		log_info("event=child name=authproc slot=0 pid=%d action=stop reason=retired",
			 (int)c->pid);
		c->stopped_by_master = true;
		spawner_signal(c->role, c->pid, SIGTERM);
		c->retire_at_ms = 0;
		c->kill_at_ms = now + RETIRE_KILL_MS;
	}
	if (c->pid > 0 && c->kill_at_ms != 0 && c->kill_at_ms <= now) {
		spawner_signal(c->role, c->pid, SIGKILL);
		c->kill_at_ms = 0;
	}
	if (c->pid == 0 && authproc_replace_pending) {
		authproc_replace_pending = false;
		children_replace_authproc();
	}
}

void children_replace_authproc(void)
{
	uint64_t now = monotonic_ms();
	uint32_t generation = authproc.generation;
	int channel = authproc.channel;

	if (master_stopping())
		return;                 /* SIGTERM and SIGHUP in one read */
	if (authproc_retired.pid > 0) {
		log_info("event=child name=authproc action=replace-deferred "
			 "reason=\"the authproc replaced before still finishes its handshakes\"");
		authproc_replace_pending = true;
		return;
	}
	if (!child_usable(&authproc))
		return;                 /* it starts afresh anyway */
	/* The old one keeps its channel (and its handshakes), watched under
	 * its new place; every other field moves with it. */
	event_remove(channel);
	authproc_retired = authproc;
	if (event_add(channel, EPOLLIN, dispatch_channel_event, &authproc_retired) < 0) {
		log_err("replace: cannot watch the retired authproc's channel: %m");
		close_fd(&authproc_retired.channel);
		spawner_signal(CHILD_AUTHPROC, authproc_retired.pid, SIGKILL);
	}
	authproc_retired.retire_at_ms = now + 1000u * (uint64_t)master_cfg->auth_timeout +
					RETIRE_GRACE_MS;
	authproc_retired.kill_at_ms = 0;
	log_info("event=child name=authproc slot=0 pid=%d action=retire generation=%u",
		 (int)authproc_retired.pid, authproc_retired.generation);
	memset(&authproc, 0, sizeof(authproc));
	authproc.role = CHILD_AUTHPROC;
	authproc.channel = -1;
	authproc.generation = generation;
	if (child_spawn(&authproc) < 0)
		authproc.respawn_at_ms = now + 1000u;
}

void children_respawn_due(uint64_t now_ms)
{
	if (master_stopping())
		return;
	retired_authproc_due(now_ms);
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

	next = child_next_action(&authproc_retired, next);
	if (authproc_retired.pid > 0 && authproc_retired.retire_at_ms != 0 &&
	    (next == 0 || authproc_retired.retire_at_ms < next))
		next = authproc_retired.retire_at_ms;

	for (unsigned i = 0; i < relay_total; i++)
		next = child_next_action(&relays[i], next);
	return next;
}

static void child_signal(struct child *c, int sig)
{
	if (c->pid > 0) {
		c->stopped_by_master = true;
		spawner_signal(c->role, c->pid, sig);
	}
}

void children_terminate(void)
{
	child_signal(&authproc, SIGTERM);
	child_signal(&authproc_retired, SIGTERM);
	for (unsigned i = 0; i < relay_total; i++)
		child_signal(&relays[i], SIGTERM);
}

void children_kill_all(void)
{
	child_signal(&authproc, SIGKILL);
	child_signal(&authproc_retired, SIGKILL);
	for (unsigned i = 0; i < relay_total; i++)
		child_signal(&relays[i], SIGKILL);
}

unsigned children_running(void)
{
	unsigned n = (authproc.pid > 0 ? 1 : 0) + (authproc_retired.pid > 0 ? 1 : 0);

	for (unsigned i = 0; i < relay_total; i++)
		n += relays[i].pid > 0 ? 1 : 0;
	return n;
}
