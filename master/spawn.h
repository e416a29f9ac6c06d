/*
 * spawn.h - the master's children: authproc-workers gssocks-authproc and
 * relay-workers gssocks-relay processes, started, watched and respawned.
 *
 * Trust zone: master.  Children are started by fork + exec of their own
 * binary from libexec-dir (never only fork: a child starts with a clean
 * address space), with fd 3 = its SOCK_SEQPACKET channel to the master,
 * stdin = /dev/null, stdout/stderr inherited and every other fd closed.
 *
 * Design: two fixed tables of children: authproc workers 0..A-1 and relay
 * slots 0..R-1 (struct child.slot is the index in its table).  Each
 * authproc spawn takes the next number of one counter common to every
 * authproc worker, so an authproc generation names one process for good:
 * a session records the generation of the authproc holding its handshake
 * (session.h) and every message about it is checked against that.
 * SIGCHLD arrives through the signalfd (signals.c) and children_reap()
 * waits with WNOHANG, logs how each died and schedules its respawn:
 * within a second normally, after 5 s when it died 5 times within 10 s.
 * The master never gives up on a child while it runs (invariant 7); a
 * child that keeps failing at start stops the daemon (startfail.h).
 * SIGHUP replaces every authproc worker gracefully
 * (children_replace_authproc).
 */
#ifndef GSSOCKS_MASTER_SPAWN_H
#define GSSOCKS_MASTER_SPAWN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "childlog.h"
#include "config_file.h"
#include "watchdog.h"

#define CHILD_DEATHS_TRACKED 5

enum child_role { CHILD_AUTHPROC, CHILD_RELAY };

struct child {
	enum child_role role;
	unsigned slot;                /* relay slot, or authproc worker number */
	pid_t pid;                    /* 0 when not running */
	int channel;                  /* master's end of the channel, -1 if none */
	uint32_t generation;          /* bumps at every spawn */
	uint64_t respawn_at_ms;       /* 0: no respawn pending */
	uint64_t kill_at_ms;          /* channel closed: SIGKILL if still running then */
	uint64_t deaths_ms[CHILD_DEATHS_TRACKED];
	unsigned death_next;
	/* relay, per authproc worker: RELAY_MAKE_CHANNEL not yet answered,
	 * and the generation of the authproc its channel was passed to (0:
	 * none) (channels.c) */
	unsigned channels_asked[CONFIG_AUTHPROCS_MAX];
	uint32_t channel_authproc[CONFIG_AUTHPROCS_MAX];
	pid_t log_pid;                /* pid of the channel's process, kept after
	                                 it died, for its queued log lines */
	struct childlog_rate log_rate;
	bool retired;                 /* an authproc a SIGHUP replaced */
	uint64_t retire_at_ms;        /* retired authproc: SIGTERM then at the latest */
	struct watchdog_state watchdog; /* its pings (watchdog.c) */
	uint64_t started_ms;          /* when it was started (startfail.c) */
	bool stopped_by_master;       /* the master signalled it: not a start failure */
	bool handed_work;             /* a client went to it (or to authproc for it) */
	char last_error[256];         /* its last error line (escaped), for give-up */
};

/* Allocate the tables for the configured counts.  0 or -1. */
int children_init(unsigned relay_count, unsigned authproc_count);
/* Start every authproc worker then every relay (and their channels). */
void children_start(void);

/* authproc worker `worker` (NULL beyond authproc-workers). */
struct child *child_authproc(unsigned worker);
unsigned child_authproc_count(void);
/* The authproc of that worker SIGHUP replaced, while it finishes its
 * handshakes (pid 0: none). */
struct child *child_authproc_retired(unsigned worker);
/*
 * The authproc of that generation (a worker or a retired one) whose
 * channel is still open, or NULL: the one holding a session's handshake.
 */
struct child *child_authproc_holding(uint32_t generation);
/*
 * SIGHUP: replace each authproc worker by a fresh one (a new process reads
 * krb5.conf again, common/krb5_profile.h) without cutting a handshake: new
 * clients go to the new ones; each old one keeps its channels, finishes
 * the handshakes it holds and gets SIGTERM once none is left (at the
 * latest auth-timeout + 2 s later).  While a worker's retired authproc
 * still runs, that worker's replacement waits for it
 * (children_respawn_due carries it out).
 */
void children_replace_authproc(void);
struct child *child_relay(unsigned slot);
unsigned child_relay_count(void);
const char *child_name(const struct child *c);

/* Running and with an open channel. */
bool child_usable(const struct child *c);

/*
 * The child cannot be talked to: log, SIGKILL it, handle the outcomes
 * (AUTH_OK / AUTH_FAIL) authproc had queued, and close its channel.
 * Sessions are dropped when it is reaped.
 */
void child_kill(struct child *c, const char *why);

/* The child broke the protocol: the same, but nothing it queued is read. */
void child_kill_violation(struct child *c, const char *why);

/*
 * Channel EOF: close the master's end; the child is SIGKILLed if it has not
 * exited a second later, and reaped on SIGCHLD.
 */
void child_channel_closed(struct child *c);

/* waitpid(WNOHANG) every dead child, log it, clean up, schedule respawn. */
void children_reap(void);
/* Respawn children whose time has come (and kill channel-less ones). */
void children_respawn_due(uint64_t now_ms);
/* Earliest pending respawn or kill time, or 0 when none. */
uint64_t children_next_respawn(void);

/* Shutdown: SIGTERM every child; children_running() counts the rest. */
void children_terminate(void);
void children_kill_all(void);
unsigned children_running(void);

#endif
