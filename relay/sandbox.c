/*
 * sandbox.c - the relay worker's seccomp allow-list (and, when started as
 * root, its chroot and capability drop); see sandbox.h.
 *
 * Trust zone: relay worker.  This is the only file of the relay that
 * includes seccomp.h / cap-ng.h (STYLE.md habit 2).
 *
 * SECURITY: a relay worker holds imported GSS contexts and the sockets it
 * was handed; nothing else.  After relay_sandbox_enter():
 *   - files: none.  open, openat and openat2 fail with ENOENT (seccomp),
 *     and Landlock (common/landlock.h) grants no path at all, as a second
 *     wall.  gss_import_sec_context initialises a krb5 context, which reads
 *     the krb5 profile (krb5.conf): measured on MIT krb5 1.20, a process
 *     that has never read it fails the import with EINVAL when the open
 *     fails, but one that holds a krb5 context made before the sandbox
 *     (relay/main.c: profile_pin) imports fine, because the profile library
 *     serves the parsed files from a process-wide cache after access() and
 *     stat() on their paths (both allowed: they tell whether a path exists,
 *     never its contents).  Consequences: an edited krb5.conf is seen by
 *     relay workers only after a restart (until then imports fail and those
 *     sessions end with a log line); and no chroot, even as root: inside
 *     one, access() and stat() of the pinned paths fail and so would every
 *     import, while ENOENT for every open already leaves the worker no file.
 *   - socket, connect, bind, listen, accept, execve, fork/clone, ptrace and
 *     every call not in the table kill the process (SIGSYS); the master
 *     logs the signal when it reaps the worker and respawns it.
 *     With meson -Dseccomp_trap=true the default is SIGSYS delivered to a
 *     handler that names the call (debugging).
 *   - getrandom stays: confidentiality wraps need fresh randomness.
 * Rules are added in phases: base (what any C process on glibc needs to
 * run), relay (what relaying needs), lock-down (the ENOENT answers).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cap-ng.h>
#include <seccomp.h>

#include "config.h"        /* generated: GSSOCKS_SECCOMP_TRAP */
#include "../common/hardening.h"
#include "../common/landlock.h"
#include "../common/log.h"
#include "sandbox.h"

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

struct sandbox_rule {
	int syscall;
	const char *why;   /* NULL when obvious */
};

/* Phase 1, base: memory, time, signals, exit; common to every role. */
static const struct sandbox_rule base_rules[] = {
	{ SCMP_SYS(brk), NULL },
	{ SCMP_SYS(mmap), NULL },
	{ SCMP_SYS(munmap), NULL },
	{ SCMP_SYS(mremap), NULL },
	{ SCMP_SYS(mprotect), NULL },
	{ SCMP_SYS(madvise), "malloc trimming" },
	{ SCMP_SYS(futex), "libkrb5 and libgssapi take mutexes" },
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
	{ SCMP_SYS(prlimit64), "getrlimit is prlimit64 in glibc" },
	{ SCMP_SYS(tgkill), "abort() raises SIGABRT on itself" },
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
	{ SCMP_SYS(getrandom), "confounders and sequence numbers of wrap tokens" },
};

/* Phase 2, relay: the event loop and the descriptors it is handed. */
static const struct sandbox_rule relay_rules[] = {
	{ SCMP_SYS(epoll_create1), "the loop creates its epoll instance after start-up" },
	{ SCMP_SYS(epoll_ctl), NULL },
	{ SCMP_SYS(epoll_wait), NULL },
	{ SCMP_SYS(epoll_pwait), NULL },
	{ SCMP_SYS(epoll_pwait2), NULL },
	{ SCMP_SYS(poll), NULL },
	{ SCMP_SYS(ppoll), NULL },
	{ SCMP_SYS(recvmsg), "IPC records and SCM_RIGHTS descriptors" },
	{ SCMP_SYS(sendmsg), "IPC records" },
	{ SCMP_SYS(recvfrom), "recv() on client and target sockets" },
	{ SCMP_SYS(sendto), "send() on client and target sockets" },
	{ SCMP_SYS(shutdown), "half-close toward a peer" },
	{ SCMP_SYS(getsockopt), "SO_ERROR" },
	{ SCMP_SYS(setsockopt), "TCP_NODELAY on handed sockets" },
	{ SCMP_SYS(getsockname), NULL },
	{ SCMP_SYS(getpeername), NULL },
	{ SCMP_SYS(access), "the krb5 profile cache checks read access before reusing a pinned file" },
	{ SCMP_SYS(faccessat), NULL },
	{ SCMP_SYS(faccessat2), NULL },
	{ SCMP_SYS(timerfd_create), NULL },
	{ SCMP_SYS(timerfd_settime), NULL },
	{ SCMP_SYS(timerfd_gettime), NULL },
};

#ifdef SANDBOX_ASAN
/* Sanitizer builds only: what the ASan/UBSan runtime calls on its own. */
static const struct sandbox_rule asan_rules[] = {
	{ SCMP_SYS(sigaltstack), "ASan's alternate signal stack" },
	{ SCMP_SYS(prctl), "ASan queries PR_GET_DUMPABLE and friends" },
	{ SCMP_SYS(sched_yield), "ASan allocator spin locks" },
	{ SCMP_SYS(sched_getaffinity), NULL },
	{ SCMP_SYS(readlink), "ASan reads /proc/self/exe on reports" },
	{ SCMP_SYS(readlinkat), NULL },
	{ SCMP_SYS(getrusage), NULL },
	{ SCMP_SYS(mincore), NULL },
};
#endif

/* Phase 3, lock-down: what cannot be read-only fails as if nothing existed. */
static const struct sandbox_rule enoent_rules[] = {
	{ SCMP_SYS(open), "the worker has no file to open (see the header)" },
	{ SCMP_SYS(openat), NULL },
	{ SCMP_SYS(openat2), NULL },
};

/* Landlock: no path at all (every open already fails in seccomp). */
static void restrict_files(void)
{
	int rc = landlock_restrict(NULL, 0);

	if (rc < 0)
		fatal("relay sandbox: landlock: %s", strerror(errno));
	if (rc == 0)
		log_info("relay sandbox: no Landlock in this kernel (seccomp alone denies opens)");
}

static int add_rules(scmp_filter_ctx ctx, uint32_t action,
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

#define ADD_RULES(ctx, action, table) add_rules((ctx), (action), (table), \
						sizeof(table) / sizeof((table)[0]))

/* When root: no capability at all (Landlock confines the files). */
static void drop_root_powers(void)
{
	if (geteuid() != 0)
		return;
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_apply(CAPNG_SELECT_BOTH) < 0)
		fatal("relay sandbox: cannot drop capabilities");
}

void relay_sandbox_enter(void)
{
	uint32_t deny = GSSOCKS_SECCOMP_TRAP ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS;
	scmp_filter_ctx ctx;

#ifdef SANDBOX_ASAN
	/* LeakSanitizer's exit-time check needs clone and ptrace: run it now,
	 * before anything (it reads /proc and ptraces its own threads). */
	__lsan_do_leak_check();
#endif
	hardening_not_dumpable();
	hardening_no_new_privs();
	drop_root_powers();
	restrict_files();
	if (GSSOCKS_SECCOMP_TRAP)
		hardening_report_sigsys("gssocks-relay");
	ctx = seccomp_init(deny);
	if (ctx == NULL)
		fatal("relay sandbox: seccomp_init failed");
	if (ADD_RULES(ctx, SCMP_ACT_ALLOW, base_rules) < 0 ||
	    ADD_RULES(ctx, SCMP_ACT_ALLOW, relay_rules) < 0 ||
#ifdef SANDBOX_ASAN
	    ADD_RULES(ctx, SCMP_ACT_ALLOW, asan_rules) < 0 ||
#endif
	    ADD_RULES(ctx, SCMP_ACT_ERRNO(ENOENT), enoent_rules) < 0 ||
	    seccomp_load(ctx) < 0) {
		seccomp_release(ctx);
		fatal("relay sandbox: cannot install the seccomp filter");
	}
	seccomp_release(ctx);
}
