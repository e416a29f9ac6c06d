/*
 * seccomp_base.h - the seccomp pieces shared by the three sandboxed roles:
 * master/sandbox.c (gssocksd and its spawners), authproc/sandbox.c and
 * relay/sandbox.c.
 *
 * Trust zone: linked into master, authproc and relay alike; it holds no
 * state and reads no input.
 *
 * Design: each role builds its filter in phases (STYLE.md: base, then
 * role-specific, then lock-down).  Phase 1, the base table (memory, time,
 * signals, exit, plain descriptor I/O: what any C process on glibc needs),
 * the sanitizer runtime's table of sanitizer builds, the table-adding
 * helper and the default action (kill, or SIGSYS to a handler when meson
 * -Dseccomp_trap=true) were the same in the three sandbox.c files; they
 * live here once.  Each role's sandbox.c keeps its role table, its
 * lock-down table and whatever its base differs by, with the reason.
 *
 * This header includes seccomp.h because its helpers take a
 * scmp_filter_ctx and its tables are SCMP_SYS() numbers.  STYLE.md habit 2
 * still holds: only the roles' sandbox.c files (and tests/sandbox)
 * include this header, so seccomp.h stays out of every other file.
 */
#ifndef GSSOCKS_SECCOMP_BASE_H
#define GSSOCKS_SECCOMP_BASE_H

#include <stddef.h>
#include <stdint.h>

#include <seccomp.h>

/* Sanitizer builds (meson -Db_sanitize=address,...): the runtime makes
 * calls of its own (sandbox_add_sanitizer_rules) and LeakSanitizer's
 * exit-time check must run before the filter (__lsan_do_leak_check). */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN 1
#endif
#endif
#ifdef SANDBOX_ASAN
#include <sanitizer/lsan_interface.h>
#endif

/* One line of an allow-list (or kill-list). */
struct sandbox_rule {
	int syscall;       /* SCMP_SYS(); negative: not on this arch, skipped */
	const char *why;   /* NULL when obvious */
};

/* Adds every call of a table with one action; -1 when libseccomp refuses. */
int sandbox_add_rules(scmp_filter_ctx ctx, uint32_t action,
		      const struct sandbox_rule *rules, size_t count);

#define SANDBOX_ADD_RULES(ctx, action, table) \
	sandbox_add_rules((ctx), (action), (table), sizeof(table) / sizeof((table)[0]))

/* The default action of an allow-list: SCMP_ACT_KILL_PROCESS, or
 * SCMP_ACT_TRAP when built with -Dseccomp_trap=true (GSSOCKS_SECCOMP_TRAP). */
uint32_t sandbox_deny_action(void);

/* Phase 1, base: allows the shared base table; 0, or -1 on failure. */
int sandbox_add_base_rules(scmp_filter_ctx ctx);

/* Phase 1, base, argument-checked: mmap/mprotect without PROT_EXEC,
 * prlimit64 on pid 0 or the caller, kill/tgkill of the caller only (its
 * getpid() now: call it in the process the filter confines).  0, or -1. */
int sandbox_add_base_arg_rules(scmp_filter_ctx ctx);

/* Sanitizer builds: allows what the ASan/UBSan runtime calls on its own;
 * other builds: adds nothing.  0, or -1 on failure. */
int sandbox_add_sanitizer_rules(scmp_filter_ctx ctx);

/* A role's allow-list, in STYLE.md's phases. */
struct sandbox_filter {
	const char *role;                     /* names the role in fatal() */
	const struct sandbox_rule *allow;     /* phase 2: the role's calls */
	size_t allow_count;
	const struct sandbox_rule *enoent;    /* phase 3: answered ENOENT */
	size_t enoent_count;
	int (*extra)(scmp_filter_ctx ctx);    /* argument rules; NULL: none */
};

/*
 * Builds the filter (default sandbox_deny_action(); base, role table,
 * sanitizer extras, ENOENT lock-down, extra rules) and loads it.  Returns
 * only on success: any failure is fatal() for the role.
 */
void sandbox_load_filter(const struct sandbox_filter *filter);

#endif
