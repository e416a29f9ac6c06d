/*
 * startfail.h - children that fail at start: counted per role, and after
 * too many the daemon stops instead of respawning them for ever.
 *
 * Trust zone: master.
 *
 * Design: a child "fails at start" when it ends less than
 * START_GRACE_MS after it was started, by itself (a kill for a protocol
 * violation, by a watchdog, for shutdown or because SIGHUP retired it is
 * the master's doing), with a non-zero exit status (fatal(), exec
 * failure) or, before any client was handed to it, by a signal (a crash,
 * the sandbox); a signal after a client reached it may be that client's
 * doing and must not let a client stop the daemon.  A relay that exits
 * because it lost its last authproc channel (status 3) is authproc's
 * failure, not its own.  START_FAILURES_MAX
 * such failures of one role within START_FAILURES_WINDOW_MS mean a set-up
 * that cannot work (keytab, replay cache, binaries, sandbox): one line
 * names the child, its exit, its last error line and what to check, and
 * gssocksd exits with SETUP_EXIT_STATUS, which systemd shows as a failure.
 * That is for a daemon that never served: once a child of the role has run
 * START_GRACE_MS (the set-up worked), its failures at start are logged
 * (action=start-failing) and it is started again, throttled, so that a
 * file broken under a running gateway (krb5.conf, the keytab) costs the
 * children that must restart, never the sessions of those that run.
 * A child that ran longer and then died is respawned as always
 * (invariant 7).
 */
#ifndef GSSOCKS_MASTER_STARTFAIL_H
#define GSSOCKS_MASTER_STARTFAIL_H

#include <stdint.h>

#define START_GRACE_MS            3000u
#define START_FAILURES_MAX        5u
#define START_FAILURES_WINDOW_MS  30000u

struct child;

/*
 * Child c has died (its last words read) with wait status `status`,
 * described by `how` ("exit=1", "signal=SIGSYS").  Counts it when it
 * failed at start; the last allowed one stops the daemon (master_fail).
 */
void startfail_child_died(const struct child *c, int status, const char *how, uint64_t now);
/* c is running at now: notes its role as up once it has run START_GRACE_MS. */
void startfail_child_running(const struct child *c, uint64_t now);

#endif
