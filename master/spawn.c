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
#include "counters.h"
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

static struct child *authprocs;
/* Per worker, the authproc a SIGHUP replaced, until its handshakes are over. */
static struct child *authprocs_retired;
static bool *authproc_replace_pending;
static unsigned authproc_total;
/* Every authproc spawn takes the next one: a generation is one process. */
static uint32_t authproc_generations;
static struct child *relays;
static unsigned relay_total;

static void child_init(struct child *c, enum child_role role, unsigned slot)
{
	memset(c, 0, sizeof(*c));
	c->role = role;
	c->slot = slot;
	c->channel = -1;
}

int children_init(unsigned relay_count, unsigned authproc_count)
{
	relays = calloc(relay_count, sizeof(*relays));
	authprocs = calloc(authproc_count, sizeof(*authprocs));
	authprocs_retired = calloc(authproc_count, sizeof(*authprocs_retired));
	authproc_replace_pending = calloc(authproc_count, sizeof(*authproc_replace_pending));
	if (relays == NULL || authprocs == NULL || authprocs_retired == NULL ||
	    authproc_replace_pending == NULL || authproc_count > CONFIG_AUTHPROCS_MAX)
		return -1;
	relay_total = relay_count;
	authproc_total = authproc_count;
	for (unsigned i = 0; i < relay_count; i++)
		child_init(&relays[i], CHILD_RELAY, i);
	for (unsigned i = 0; i < authproc_count; i++) {
		child_init(&authprocs[i], CHILD_AUTHPROC, i);
		child_init(&authprocs_retired[i], CHILD_AUTHPROC, i);
		authprocs_retired[i].retired = true;
	}
	return 0;
}

struct child *child_authproc(unsigned worker)
{
	return worker < authproc_total ? &authprocs[worker] : NULL;
}

unsigned child_authproc_count(void)
{
	return authproc_total;
}

struct child *child_authproc_retired(unsigned worker)
{
	return worker < authproc_total ? &authprocs_retired[worker] : NULL;
}

struct child *child_authproc_holding(uint32_t generation)
{
	for (unsigned i = 0; i < authproc_total; i++) {
		if (authprocs[i].channel >= 0 && authprocs[i].generation == generation)
			return &authprocs[i];
		if (authprocs_retired[i].channel >= 0 &&
		    authprocs_retired[i].generation == generation)
			return &authprocs_retired[i];
	}
	return NULL;
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
	if (c->role == CHILD_AUTHPROC)
		c->generation = ++authproc_generations;
	else
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
	for (unsigned i = 0; i < authproc_total; i++)
		if (child_spawn(&authprocs[i]) < 0)
			authprocs[i].respawn_at_ms = monotonic_ms() + 1000u;
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
	for (unsigned i = 0; i < authproc_total; i++) {
		if (authprocs[i].pid == pid)
			return &authprocs[i];
		if (authprocs_retired[i].pid == pid)
			return &authprocs_retired[i];
	}
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

/*
 * c, the authproc a SIGHUP started, died before it was up (START_GRACE_MS)
 * while the one it replaced still runs and was not told to stop: the
 * replacement failed (a krb5.conf that does not parse, a keytab that went
 * away), so the old one takes its place again instead of leaving the
 * worker empty, and the failure counts toward no give-up: a bad edit
 * must cost the reload only, never the running gateway.  Each relay is
 * asked for a fresh channel to it (authproc replaces a slot's channel).
 * True when it did.
 */
static bool authproc_reinstate(struct child *c, const char *how)
{
	struct child *old;
	char last_error[sizeof(c->last_error)];
	uint32_t failed_generation = c->generation;
	uint64_t now = monotonic_ms();

	if (c->role != CHILD_AUTHPROC || c->retired || master_stopping())
		return false;
	old = &authprocs_retired[c->slot];
	if (old->pid <= 0 || old->channel < 0 || old->retire_at_ms == 0 ||
	    c->started_ms == 0 || now - c->started_ms >= START_GRACE_MS)
		return false;
	snprintf(last_error, sizeof(last_error), "%s", c->last_error);
	event_remove(old->channel);
	*c = *old;
	c->retired = false;
	c->retire_at_ms = 0;
	c->kill_at_ms = 0;
	watchdog_reset(&c->watchdog, now);
	child_init(old, CHILD_AUTHPROC, c->slot);
	old->retired = true;
	authproc_replace_pending[c->slot] = false;
	log_err("event=child name=authproc slot=%u pid=%d action=reinstate generation=%u "
		"failed_generation=%u %s last-error=\"%s\": the authproc SIGHUP started "
		"failed at start; the one it was to replace goes on (fix what the error says, "
		"then SIGHUP again)", c->slot, (int)c->pid, c->generation, failed_generation, how,
		last_error[0] != '\0' ? last_error : "none logged");
	if (event_add(c->channel, EPOLLIN, dispatch_channel_event, c) < 0) {
		log_err("reinstate: cannot watch the authproc's channel: %m");
		child_kill(c, "cannot watch its channel");  /* then respawned */
		return true;
	}
	channels_on_spawn(c);
	return true;
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
	if (authproc_reinstate(c, how))
		return;
	startfail_child_died(c, status, how, monotonic_ms());
	if (c->retired) {
		c->retire_at_ms = 0;
		return;                 /* replaced already: no respawn */
	}
	if (!master_stopping()) {
		counters_inc(METRIC_CHILD_RESTARTS, child_name(c));
		child_schedule_respawn(c, monotonic_ms());
	}
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

static void replace_authproc(unsigned worker);

/* The authproc that replaced worker's retired one has run START_GRACE_MS. */
static bool successor_up(unsigned worker, uint64_t now)
{
	const struct child *c = &authprocs[worker];

	return c->pid > 0 && now - c->started_ms >= START_GRACE_MS;
}

/*
 * A worker's retired authproc: SIGTERM once it holds no handshake and its
 * successor is up (so a successor that fails at start finds it, see
 * authproc_reinstate), or at
 * its deadline), SIGKILL if it is still there RETIRE_KILL_MS later; then
 * the replacement a second SIGHUP asked for meanwhile.
 */
static void retired_authproc_due(unsigned worker, uint64_t now)
{
	struct child *c = &authprocs_retired[worker];

	if (c->pid > 0 && c->retire_at_ms != 0 &&
	    (c->retire_at_ms <= now || (successor_up(worker, now) &&
					session_count_matching(session_in_authproc, c) == 0))) {
		log_info("event=child name=authproc slot=%u pid=%d action=stop reason=retired",
			 worker, (int)c->pid);
		c->stopped_by_master = true;
		spawner_signal(c->role, c->pid, SIGTERM);
		c->retire_at_ms = 0;
		c->kill_at_ms = now + RETIRE_KILL_MS;
	}
	if (c->pid > 0 && c->kill_at_ms != 0 && c->kill_at_ms <= now) {
		spawner_signal(c->role, c->pid, SIGKILL);
		c->kill_at_ms = 0;
	}
	if (c->pid == 0 && authproc_replace_pending[worker]) {
		authproc_replace_pending[worker] = false;
		replace_authproc(worker);
	}
}

static void replace_authproc(unsigned worker)
{
	struct child *current = &authprocs[worker], *retired = &authprocs_retired[worker];
	uint64_t now = monotonic_ms();
	int channel = current->channel;

	if (retired->pid > 0) {
		log_info("event=child name=authproc slot=%u action=replace-deferred "
			 "reason=\"the authproc replaced before still runs (its handshakes, or "
			 "its successor's first seconds)\"",
			 worker);
		authproc_replace_pending[worker] = true;
		return;
	}
	if (!child_usable(current))
		return;                 /* it starts afresh anyway */
	/* The old one keeps its channel (and its handshakes), watched under
	 * its new place; every other field moves with it. */
	event_remove(channel);
	*retired = *current;
	retired->retired = true;
	if (event_add(channel, EPOLLIN, dispatch_channel_event, retired) < 0) {
		log_err("replace: cannot watch the retired authproc's channel: %m");
		close_fd(&retired->channel);
		spawner_signal(CHILD_AUTHPROC, retired->pid, SIGKILL);
	}
	retired->retire_at_ms = now + 1000u * (uint64_t)master_cfg->auth_timeout +
				RETIRE_GRACE_MS;
	retired->kill_at_ms = 0;
	log_info("event=child name=authproc slot=%u pid=%d action=retire generation=%u",
		 worker, (int)retired->pid, retired->generation);
	child_init(current, CHILD_AUTHPROC, worker);
	if (child_spawn(current) < 0)
		current->respawn_at_ms = now + 1000u;
}

void children_replace_authproc(void)
{
	if (master_stopping())
		return;                 /* SIGTERM and SIGHUP in one read */
	for (unsigned i = 0; i < authproc_total; i++)
		replace_authproc(i);
}

void children_respawn_due(uint64_t now_ms)
{
	if (master_stopping())
		return;
	for (unsigned i = 0; i < authproc_total; i++) {
		retired_authproc_due(i, now_ms);
		child_respawn_if_due(&authprocs[i], now_ms);
		startfail_child_running(&authprocs[i], now_ms);
	}
	for (unsigned i = 0; i < relay_total; i++) {
		child_respawn_if_due(&relays[i], now_ms);
		startfail_child_running(&relays[i], now_ms);
	}
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
	uint64_t next = 0;

	for (unsigned i = 0; i < authproc_total; i++) {
		const struct child *retired = &authprocs_retired[i];

		next = child_next_action(&authprocs[i], next);
		next = child_next_action(retired, next);
		if (retired->pid > 0 && retired->retire_at_ms != 0 &&
		    (next == 0 || retired->retire_at_ms < next))
			next = retired->retire_at_ms;
		if (retired->pid > 0 && retired->retire_at_ms != 0 && authprocs[i].pid > 0) {
			uint64_t up = authprocs[i].started_ms + START_GRACE_MS;

			if (up > monotonic_ms() && (next == 0 || up < next))
				next = up;
		}
	}

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
	for (unsigned i = 0; i < authproc_total; i++) {
		child_signal(&authprocs[i], SIGTERM);
		child_signal(&authprocs_retired[i], SIGTERM);
	}
	for (unsigned i = 0; i < relay_total; i++)
		child_signal(&relays[i], SIGTERM);
}

void children_kill_all(void)
{
	for (unsigned i = 0; i < authproc_total; i++) {
		child_signal(&authprocs[i], SIGKILL);
		child_signal(&authprocs_retired[i], SIGKILL);
	}
	for (unsigned i = 0; i < relay_total; i++)
		child_signal(&relays[i], SIGKILL);
}

unsigned children_running(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < authproc_total; i++)
		n += (authprocs[i].pid > 0 ? 1 : 0) + (authprocs_retired[i].pid > 0 ? 1 : 0);

	for (unsigned i = 0; i < relay_total; i++)
		n += relays[i].pid > 0 ? 1 : 0;
	return n;
}
