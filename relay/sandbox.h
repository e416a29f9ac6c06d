/*
 * sandbox.h - the relay worker's confinement.
 *
 * Trust zone: relay worker.  relay_sandbox_enter() is called once, after
 * the GSS-API mechanism glue is loaded and before the loop: from then on
 * the worker can only read, write, wrap and unwrap on descriptors it holds
 * or is handed.  The test program tests/sandbox/test_filters links this
 * file to install the very same filter.
 */
#ifndef GSSOCKS_RELAY_SANDBOX_H
#define GSSOCKS_RELAY_SANDBOX_H

/*
 * Not dumpable, no core, NO_NEW_PRIVS; when root: drop every capability;
 * Landlock with no path; then the seccomp allow-list (every open: ENOENT).
 * The caller must hold a krb5 context made before (see sandbox.c).
 * Returns only on success (fatal() otherwise).
 */
void relay_sandbox_enter(void);

/*
 * The relay's allow-list as data (common/seccomp_base.h), for its spawner's
 * filter (master/sandbox.c): a seccomp filter is inherited and stacks, so
 * the spawner's must allow whatever the relay's own allows.
 */
struct sandbox_filter;
const struct sandbox_filter *relay_sandbox_filter(void);

#endif
