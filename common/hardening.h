/*
 * hardening.h - process hardening shared by every role: no new privileges,
 * no core dumps, resource limits.  No seccomp and no capabilities here:
 * those live in each role's sandbox.c (STYLE.md habit 2).
 *
 * Trust zone: any.  Each function either succeeds or ends the process with
 * fatal(): a role that cannot harden itself must not go on.
 */
#ifndef GSSOCKS_COMMON_HARDENING_H
#define GSSOCKS_COMMON_HARDENING_H

/* PR_SET_NO_NEW_PRIVS: nothing this process execs may gain privileges. */
void hardening_no_new_privs(void);

/*
 * RLIMIT_CORE 0 and PR_SET_DUMPABLE 0: the process holds key material
 * (authproc: long-term keys; relay: session keys).  Not dumpable also
 * means no ptrace attach by other processes of the same user.
 */
void hardening_not_dumpable(void);

/* RLIMIT_CORE 0 only (the master: no key material, but no cores either). */
void hardening_no_core(void);

/*
 * Debug builds (meson -Dseccomp_trap=true): install a SIGSYS handler that
 * writes "<ident>: sandbox violation: system call N" to stderr, so that a
 * missing allow-list entry is named instead of killing the process.  The
 * call then fails with ENOSYS and the process goes on.
 */
void hardening_report_sigsys(const char *ident);

#endif
