/*
 * seccomp_base.c - the base phase, the sanitizer table and the rule helper
 * shared by the three sandboxed roles (master, authproc, relay); see
 * seccomp_base.h for why they live here and why seccomp.h is included.
 *
 * Trust zone: linked into master, authproc and relay; no state, no input.
 *
 * SECURITY: the base table is the intersection the three roles had in
 * their own sandbox.c, entry by entry; a call only one role needs (the
 * master's getppid) stays in that role's table, so no role is allowed a
 * call it was not allowed before.
 *
 * Every role is assumed compromised (issue 8): the base calls that could
 * reach another process or make code executable are allowed only with
 * their arguments checked (base_arg_rules below, after OpenSSH's
 * sandbox-seccomp-filter.c):
 *   - tgkill only with the caller's own pid as the target
 *     (taken with getpid() when the filter is built, which is in the
 *     process itself, after its exec): a relay cannot signal the spawner,
 *     its siblings, the master or authproc, nor its process group (0) or
 *     everyone (-1).  tgkill(getpid(), tid) reaches only the caller's own
 *     threads: the kernel refuses a tid outside the thread group.
 *   - prlimit64 only on pid 0 or the caller's own pid: no other process's
 *     RLIMIT_NOFILE can be set to 0.
 *   - mmap and mprotect only with PROT_READ, PROT_WRITE or PROT_NONE: no
 *     new executable mapping after start-up.  Nothing needs one: the
 *     sandbox is entered after the dynamic loader and every library is
 *     mapped, and no role can dlopen afterwards anyway (the relay opens
 *     no file, authproc and the master read only the paths their Landlock
 *     rules list, none a library); the e2e suite (GSS accept, import,
 *     wrap, replay, Dante interop) passes with it in the plain and the
 *     ASan/UBSan build, whose runtime maps shadow and allocator memory
 *     read-write only.  The spawners' filter (master/sandbox.c) is the
 *     one that must allow PROT_EXEC: exec and ld.so run under it.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"        /* generated: GSSOCKS_SECCOMP_TRAP */
#include "log.h"
#include "seccomp_base.h"

/* Phase 1, base: memory, time, signals, exit, descriptor I/O; every role. */
static const struct sandbox_rule base_rules[] = {
	{ SCMP_SYS(brk), NULL },
	/* mmap, mprotect: base_arg_rules (never PROT_EXEC). */
	{ SCMP_SYS(munmap), NULL },
	{ SCMP_SYS(mremap), "cannot add PROT_EXEC to a mapping" },
	{ SCMP_SYS(madvise), "malloc trimming" },
	{ SCMP_SYS(futex), "mutexes: glibc, libkrb5 and libgssapi" },
	{ SCMP_SYS(rt_sigaction), NULL },
	{ SCMP_SYS(rt_sigprocmask), NULL },
	{ SCMP_SYS(rt_sigreturn), NULL },
	{ SCMP_SYS(restart_syscall), NULL },
	{ SCMP_SYS(clock_gettime), "timeouts (and vDSO fallback)" },
	{ SCMP_SYS(clock_nanosleep), NULL },
	{ SCMP_SYS(nanosleep), NULL },
	{ SCMP_SYS(gettimeofday), "krb5 timestamps" },
	{ SCMP_SYS(time), "krb5 timestamps" },
	{ SCMP_SYS(getpid), "log lines carry the pid" },
	{ SCMP_SYS(gettid), NULL },
	{ SCMP_SYS(getuid), NULL },
	{ SCMP_SYS(geteuid), "krb5 context init checks for setuid use" },
	{ SCMP_SYS(getgid), NULL },
	{ SCMP_SYS(getegid), NULL },
	{ SCMP_SYS(uname), "krb5 context init" },
	{ SCMP_SYS(getrlimit), NULL },
	/* prlimit64, tgkill: base_arg_rules (the caller only); kill, tkill,
	 * rt_sigqueueinfo, rt_tgsigqueueinfo, pidfd_send_signal: none. */
	{ SCMP_SYS(exit), NULL },
	{ SCMP_SYS(exit_group), NULL },
	{ SCMP_SYS(read), NULL },
	{ SCMP_SYS(write), "stderr log lines, sockets" },
	{ SCMP_SYS(readv), NULL },
	{ SCMP_SYS(writev), NULL },
	{ SCMP_SYS(close), NULL },
	{ SCMP_SYS(fstat), NULL },
	{ SCMP_SYS(newfstatat), "fstat is fstatat(fd, \"\", AT_EMPTY_PATH) in glibc" },
	{ SCMP_SYS(lseek), NULL },
	{ SCMP_SYS(fcntl), "O_NONBLOCK, FD_CLOEXEC" },
	{ SCMP_SYS(getrandom), "wrap-token confounders and sequence numbers; "
			       "the master's c-ares query ids and session ids" },
};

/* Phase 1, base, with arguments checked: the caller's own pid, no PROT_EXEC. */
enum base_arg { ARG_SELF, ARG_ZERO, ARG_NO_EXEC };

static const struct {
	int syscall;
	unsigned arg;         /* which argument is checked */
	enum base_arg check;
	const char *why;
} base_arg_rules[] = {
	{ SCMP_SYS(mmap), 2, ARG_NO_EXEC, "memory; no new executable mapping" },
	{ SCMP_SYS(mprotect), 2, ARG_NO_EXEC, "malloc, guard pages; nothing made executable" },
	{ SCMP_SYS(prlimit64), 0, ARG_ZERO, "getrlimit/setrlimit are prlimit64(0, ...) in glibc" },
	{ SCMP_SYS(prlimit64), 0, ARG_SELF, "the same, by the caller's own pid" },
	{ SCMP_SYS(tgkill), 0, ARG_SELF, "abort()/raise() signal the caller itself" },
};

int sandbox_add_base_arg_rules(scmp_filter_ctx ctx)
{
	const scmp_datum_t self = (scmp_datum_t)getpid();
	/* Only these bits may be set in prot (OpenSSH's mask): compared on
	 * the low 32 bits, prot being an int. */
	const scmp_datum_t not_rw = (scmp_datum_t)(uint32_t)~(unsigned)(PROT_READ | PROT_WRITE);

	for (size_t i = 0; i < sizeof(base_arg_rules) / sizeof(base_arg_rules[0]); i++) {
		struct scmp_arg_cmp cmp = { .arg = base_arg_rules[i].arg };

		switch (base_arg_rules[i].check) {
		case ARG_SELF:
			cmp.op = SCMP_CMP_EQ;
			cmp.datum_a = self;
			break;
		case ARG_ZERO:
			cmp.op = SCMP_CMP_EQ;
			cmp.datum_a = 0;
			break;
		case ARG_NO_EXEC:
			cmp.op = SCMP_CMP_MASKED_EQ;
			cmp.datum_a = not_rw;
			cmp.datum_b = 0;
			break;
		}
		if (seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, base_arg_rules[i].syscall, 1,
					   &cmp) < 0)
			return -1;
	}
	return 0;
}

#ifdef SANDBOX_ASAN
/* Sanitizer builds only: what the ASan/UBSan runtime calls on its own. */
static const struct sandbox_rule sanitizer_rules[] = {
	{ SCMP_SYS(sigaltstack), "ASan's alternate signal stack" },
	{ SCMP_SYS(prctl), "ASan queries PR_GET_DUMPABLE and friends" },
	{ SCMP_SYS(sched_yield), "ASan allocator spin locks" },
	{ SCMP_SYS(sched_getaffinity), "the runtime counts CPUs" },
	{ SCMP_SYS(readlink), "ASan reads /proc/self/exe on reports" },
	{ SCMP_SYS(readlinkat), NULL },
	{ SCMP_SYS(getrusage), NULL },
	{ SCMP_SYS(mincore), NULL },
};
#endif

int sandbox_add_rules(scmp_filter_ctx ctx, uint32_t action,
		      const struct sandbox_rule *rules, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		/* Pseudo-numbers (< 0): the call does not exist on this arch. */
		if (rules[i].syscall < 0)
			continue;
		if (seccomp_rule_add(ctx, action, rules[i].syscall, 0) < 0)
			return -1;
	}
	return 0;
}

uint32_t sandbox_deny_action(void)
{
	return GSSOCKS_SECCOMP_TRAP ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS;
}

int sandbox_add_base_rules(scmp_filter_ctx ctx)
{
	return SANDBOX_ADD_RULES(ctx, SCMP_ACT_ALLOW, base_rules);
}

int sandbox_add_sanitizer_rules(scmp_filter_ctx ctx)
{
#ifdef SANDBOX_ASAN
	return SANDBOX_ADD_RULES(ctx, SCMP_ACT_ALLOW, sanitizer_rules);
#else
	(void)ctx;
	return 0;
#endif
}

void sandbox_load_filter(const struct sandbox_filter *f)
{
	scmp_filter_ctx ctx = seccomp_init(sandbox_deny_action());

	if (ctx == NULL)
		fatal("%s sandbox: seccomp_init failed", f->role);
	if (sandbox_add_base_rules(ctx) < 0 ||
	    sandbox_add_base_arg_rules(ctx) < 0 ||
	    sandbox_add_rules(ctx, SCMP_ACT_ALLOW, f->allow, f->allow_count) < 0 ||
	    sandbox_add_sanitizer_rules(ctx) < 0 ||
	    sandbox_add_rules(ctx, SCMP_ACT_ERRNO(ENOENT), f->enoent, f->enoent_count) < 0 ||
	    (f->extra != NULL && f->extra(ctx) < 0) ||
	    seccomp_load(ctx) < 0) {
		seccomp_release(ctx);
		fatal("%s sandbox: cannot install the seccomp filter", f->role);
	}
	seccomp_release(ctx);
}
