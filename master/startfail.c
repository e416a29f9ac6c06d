/*
 * startfail.c - the start-up failure count of each role; see startfail.h.
 *
 * Trust zone: master.
 */
#include <stdbool.h>
#include <sys/wait.h>

#include "log.h"
#include "master.h"
#include "setup_check.h"
#include "spawn.h"
#include "startfail.h"

#define RELAY_ORPHAN_EXIT 3     /* relay/loop.c: lost its last authproc channel */

/* When each role last failed at start (a ring; 0: unused). */
static uint64_t failures[2][START_FAILURES_MAX];
static unsigned next_failure[2];
/* A child of the role has run START_GRACE_MS: the daemon was serving. */
static bool role_was_up[2];

static unsigned role_index(const struct child *c)
{
	return c->role == CHILD_AUTHPROC ? 0 : 1;
}

void startfail_child_running(const struct child *c, uint64_t now)
{
	/* started_ms may be after now: a child spawned since now was read */
	if (c->pid > 0 && c->started_ms != 0 && now >= c->started_ms &&
	    now - c->started_ms >= START_GRACE_MS)
		role_was_up[role_index(c)] = true;
}

static bool failed_at_start(const struct child *c, int status, uint64_t now)
{
	if (c->stopped_by_master || master_stopping())
		return false;
	if (c->started_ms == 0 || now - c->started_ms >= START_GRACE_MS)
		return false;
	if (c->role == CHILD_RELAY && WIFEXITED(status) &&
	    WEXITSTATUS(status) == RELAY_ORPHAN_EXIT)
		return false;
	/* A child's own refusal to start (fatal(): exit 1, exec: 127) counts
	 * whatever it was handed; a signal (a crash, the sandbox) only before
	 * any client reached it, so that a client cannot stop the daemon by
	 * crashing a child. */
	if (WIFEXITED(status))
		return WEXITSTATUS(status) != 0;
	return !c->handed_work;
}

void startfail_child_died(const struct child *c, int status, const char *how, uint64_t now)
{
	unsigned role = role_index(c);
	unsigned recent = 0;

	if (c->started_ms != 0 && now >= c->started_ms && now - c->started_ms >= START_GRACE_MS)
		role_was_up[role] = true;
	if (!failed_at_start(c, status, now))
		return;
	failures[role][next_failure[role]] = now;
	next_failure[role] = (next_failure[role] + 1) % START_FAILURES_MAX;
	for (unsigned i = 0; i < START_FAILURES_MAX; i++)
		if (failures[role][i] != 0 && now - failures[role][i] < START_FAILURES_WINDOW_MS)
			recent++;
	log_warn("event=child name=%s slot=%u action=start-failed %s count=%u",
		 child_name(c), c->slot, how, recent);
	if (recent < START_FAILURES_MAX)
		return;
	if (role_was_up[role]) {
		/* Serving already: stopping would cut every live session (and
		 * systemd would not restart us); go on with the children that
		 * run, and keep starting this one (throttled by spawn.c). */
		log_err("event=child name=%s slot=%u action=start-failing start-failures=%u "
			"window_s=%u %s last-error=\"%s\": gssocks-%s fails at start every time; "
			"the gateway goes on with the children that run and tries again; fix what "
			"its last error says", child_name(c), c->slot, recent,
			START_FAILURES_WINDOW_MS / 1000, how,
			c->last_error[0] != '\0' ? c->last_error : "none logged", child_name(c));
		return;
	}
	log_err("event=child name=%s action=give-up start-failures=%u window_s=%u %s "
		"last-error=\"%s\": gssocks-%s fails at start every time; fix what its last "
		"error says (gssocksd -t checks keytab, replay-cache-dir and libexec-dir); "
		"stopping with exit status %d",
		child_name(c), recent, START_FAILURES_WINDOW_MS / 1000, how,
		c->last_error[0] != '\0' ? c->last_error : "none logged", child_name(c),
		SETUP_EXIT_STATUS);
	master_fail(SETUP_EXIT_STATUS);
}
