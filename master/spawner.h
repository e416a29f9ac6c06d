/*
 * spawner.h - the two spawners: small processes forked by gssocksd before
 * it sandboxes itself, that start (and signal) authproc and the relays on
 * the master's behalf.
 *
 * Trust zone: master side of the spawners' channels.  The master itself
 * can neither exec (its seccomp filter kills execve and fork) nor signal
 * children of another uid (root mode), so every start, respawn and signal
 * of a child goes through the spawner of that child's role.
 */
#ifndef GSSOCKS_MASTER_SPAWNER_H
#define GSSOCKS_MASTER_SPAWNER_H

#include <stdbool.h>
#include <sys/types.h>

#include "sandbox.h"
#include "spawn.h"

/*
 * Fork the authproc spawner and the relay spawner.  In root mode each one
 * changes to its role's user (ids->uid/gid) at once and keeps no
 * capability.  Call after detaching (the spawners' parent must be the
 * master that reaps the children).  0, or -1 (logged).
 */
int spawners_start(const struct run_ids *ids);

/*
 * Ask the spawner of `role` to start the child of `slot` with `channel`
 * as its fd 3.  The child's parent is the master (clone CLONE_PARENT), so
 * children_reap() reaps it as before.  Returns its pid, or -1 (logged).
 */
pid_t spawner_spawn(enum child_role role, unsigned slot, int channel);

/* SIGTERM or SIGKILL to a child the spawner of `role` started. */
void spawner_signal(enum child_role role, pid_t pid, int sig);

/*
 * children_reap() found `pid`: if it is a spawner, log how it died and
 * stop the master (it can no longer start children) and return true.
 */
bool spawner_reaped(pid_t pid, int status);

#endif
