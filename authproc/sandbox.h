/*
 * sandbox.h - authproc's confinement.
 *
 * Trust zone: authproc.  authproc_sandbox_enter() is called once, after
 * the keytab is in memory (file closed) and the acceptor credentials are
 * acquired, before the loop.  tests/sandbox/test_filters links this file
 * to install the very same filter.
 */
#ifndef GSSOCKS_AUTHPROC_SANDBOX_H
#define GSSOCKS_AUTHPROC_SANDBOX_H

/* The replay cache directory Landlock leaves open: KRB5RCACHEDIR or /var/tmp. */
const char *authproc_rcache_dir(void);

/*
 * Not dumpable, no core, NO_NEW_PRIVS; when root: drop every capability;
 * Landlock (replay cache directory read-write, krb5 configuration
 * read-only); then the seccomp allow-list.  Refuses KRB5RCACHETYPE=none.
 * Returns only on success (fatal() otherwise).
 */
void authproc_sandbox_enter(void);

/*
 * --sandbox-without-landlock (gssocksd passes it when its configuration
 * says sandbox-without-landlock yes): a kernel without Landlock is then
 * only a warning.  Without it, authproc_sandbox_enter() refuses to run
 * with file access unconfined (fatal), whatever the master checked.
 */
void authproc_sandbox_without_landlock(void);

/*
 * The authproc's allow-list as data (common/seccomp_base.h), for its spawner's
 * filter (master/sandbox.c): a seccomp filter is inherited and stacks, so
 * the spawner's must allow whatever the authproc's own allows.
 */
struct sandbox_filter;
const struct sandbox_filter *authproc_sandbox_filter(void);

#endif
