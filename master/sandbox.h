/*
 * sandbox.h - the master's confinement (user change, capabilities,
 * Landlock, seccomp) and the spawners' filter.
 *
 * Trust zone: master and spawners.  master/sandbox.c is the only file of
 * gssocksd that includes seccomp.h / cap-ng.h (STYLE.md habit 2).
 */
#ifndef GSSOCKS_MASTER_SANDBOX_H
#define GSSOCKS_MASTER_SANDBOX_H

#include <stdbool.h>
#include <sys/types.h>

struct master_config;

enum run_role { RUN_MASTER, RUN_AUTHPROC, RUN_RELAY, RUN_ROLES };

/* Who each role runs as.  Outside root mode every entry is the caller. */
struct run_ids {
	bool root_mode;               /* gssocksd was started as uid 0 */
	uid_t uid[RUN_ROLES];
	gid_t gid[RUN_ROLES];
	char name[RUN_ROLES][33];
};

/*
 * Root mode: look up `user`, `authproc-user` and `relay-user`.  Refused
 * (-1, logged): a user that does not exist; uid 0 unless the keyword says
 * `root` in so many words (tests only: documented as unsafe); the
 * authproc user sharing its uid with the master's or the relays' (they
 * could then read the keytab).  Not root: every keyword is ignored (one
 * info line) and every role runs as the caller.  0 or -1.
 */
int sandbox_resolve_users(const struct master_config *cfg, struct run_ids *ids);

/*
 * Become `role`'s user: in root mode change uid/gid with libcap-ng,
 * supplementary groups dropped, bounding set cleared, no capability left;
 * otherwise only clear any capability held.  fatal() on failure.
 */
void sandbox_become(const struct run_ids *ids, enum run_role role);

/*
 * The spawner's filter and hardening: NO_NEW_PRIVS, not dumpable, and a
 * seccomp allow-list of the spawner's own calls plus what exec, the
 * dynamic loader and the children of `role` (RUN_AUTHPROC or RUN_RELAY)
 * need until and after their own filter (it is inherited and stacks; see
 * the SECURITY note in sandbox.c).  fatal() on failure.
 */
void sandbox_spawner_enter(enum run_role role);

/*
 * The master's sandbox, after it opened its listeners, configuration,
 * policy, log sockets and resolver and forked the spawners:
 * NO_NEW_PRIVS, Landlock (read-only: the configuration file, the policy
 * directory and the resolver's files; read on pid_file and remove-file on
 * its directory, so that it can be removed at exit; nothing executable;
 * the keytab is EACCES) and a seccomp allow-list that kills exec, fork/clone, ptrace.
 */
/*
 * One more file the master removes at exit (the control socket,
 * master/control.c): REMOVE_FILE on its directory, as for the pid-file.
 * Call before sandbox_master_enter(); "" or NULL: none.  The path is
 * copied.
 */
void sandbox_master_also_remove(const char *path);

void sandbox_master_enter(const char *config_path, const char *policy_dir,
			  const char *pid_file);

/*
 * No silent downgrade (ARCHITECTURE.md invariant 9): when the kernel has
 * no Landlock (too old, or disabled), start-up is refused (-1, the reason
 * and the opt-out logged) unless the configuration says
 * `sandbox-without-landlock yes`; then a warning is logged, 0 is
 * returned and sandbox_master_enter() runs without it.  Called once at
 * start-up, before the spawners are forked.  0 with Landlock.
 */
int sandbox_landlock_check(const struct master_config *cfg);

#endif
