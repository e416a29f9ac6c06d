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
 *     wall.  gss_import_sec_context makes krb5 contexts, and one of them is
 *     rebuilt from the exporter's serialized krb5 context, whose profile
 *     names authproc's configuration files; MIT's profile library serves a
 *     file from its process-wide cache after access() and stat() on the
 *     name and re-reads it (open: fails here, and so would the import)
 *     when the mtime changed.  Measured on MIT krb5 1.20: a touched
 *     krb5.conf failed every later import with EINVAL.  So both authproc
 *     and the worker freeze their configuration before any krb5 context
 *     (common/krb5_profile.h): sealed memfds at fixed descriptors, named
 *     /proc/self/fd/N in KRB5_CONFIG, parsed before the sandbox
 *     (relay/main.c: profile_pin) and never changed; the names in an
 *     export resolve to the worker's own copies.  access() and stat()
 *     stay allowed (they tell whether a path exists, never its contents).
 *     An edited krb5.conf reaches workers when gssocksd replaces them
 *     (SIGHUP).  No chroot, even as root: inside one, /proc/self/fd would
 *     not resolve, while ENOENT for every open already leaves the worker
 *     no file.
 *   - socketpair only as socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
 *     ...): the worker makes its own authproc channels (the master must
 *     not, invariant 1); a pair reaches nothing outside the process, so
 *     it opens no path to the network.  Any other family or type kills.
 *   - socket, connect, bind, listen, accept, execve, fork/clone, ptrace and
 *     every call not in the table kill the process (SIGSYS); the master
 *     logs the signal when it reaps the worker and respawns it.
 *     With meson -Dseccomp_trap=true the default is SIGSYS delivered to a
 *     handler that names the call (debugging).
 *   - getrandom stays: confidentiality wraps need fresh randomness.
 *   - setsockopt only for the (level, option) pairs in relay_sockopts
 *     (TCP_NODELAY, SO_LINGER); signals and rlimits reach only the
 *     worker itself and no mapping becomes executable (the shared base).
 * Rules are added in phases: base (what any C process on glibc needs to
 * run; common/seccomp_base.c, shared with the master and authproc, like
 * the sanitizer table), relay (what relaying needs), lock-down (the
 * ENOENT answers).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cap-ng.h>
#include <seccomp.h>

#include "config.h"        /* generated: GSSOCKS_SECCOMP_TRAP */
#include "../common/hardening.h"
#include "../common/landlock.h"
#include "../common/log.h"
#include "../common/seccomp_base.h"
#include "sandbox.h"

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
	/* setsockopt: relay_arg_rules (the pairs the relay sets, nothing else). */
	{ SCMP_SYS(getsockname), NULL },
	{ SCMP_SYS(getpeername), NULL },
	{ SCMP_SYS(access), "the krb5 profile cache checks read access before reusing a pinned file" },
	{ SCMP_SYS(faccessat), NULL },
	{ SCMP_SYS(faccessat2), NULL },
	{ SCMP_SYS(timerfd_create), NULL },
	{ SCMP_SYS(timerfd_settime), NULL },
	{ SCMP_SYS(timerfd_gettime), NULL },
};

/* Phase 3, lock-down: what cannot be read-only fails as if nothing existed. */
static const struct sandbox_rule enoent_rules[] = {
	{ SCMP_SYS(open), "the worker has no file to open (see the header)" },
	{ SCMP_SYS(openat), NULL },
	{ SCMP_SYS(openat2), NULL },
};

/* setsockopt: only the (level, option) pairs the relay sets; any other
 * (SO_SNDBUF games, SO_BINDTODEVICE, IP_TRANSPARENT, ...) kills. */
static const struct {
	int level, option;
	const char *why;
} relay_sockopts[] = {
	{ IPPROTO_TCP, TCP_NODELAY, "on the client and target sockets (session.c)" },
	{ SOL_SOCKET, SO_LINGER, "{1,0} while a session is live: a cut, or this worker's death, "
				 "resets both peers; {0,0} before an orderly close (session.c)" },
};

static int relay_arg_rules(scmp_filter_ctx ctx)
{
	for (size_t i = 0; i < sizeof(relay_sockopts) / sizeof(relay_sockopts[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 2,
				     SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)relay_sockopts[i].level),
				     SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)relay_sockopts[i].option)) < 0)
			return -1;
	/* socketpair: the authproc channels this worker makes (relay/loop.c),
	 * an AF_UNIX SOCK_SEQPACKET pair and nothing else. */
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 2,
				SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)AF_UNIX),
				SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)(SOCK_SEQPACKET | SOCK_CLOEXEC)));
}

/* Landlock: no path at all (every open already fails in seccomp). */
static void restrict_files(void)
{
	int rc = landlock_restrict(NULL, 0);

	if (rc < 0)
		fatal("relay sandbox: landlock: %s", strerror(errno));
	if (rc == 0)
		log_info("relay sandbox: no Landlock in this kernel (seccomp alone denies opens)");
}

/* When root: no capability at all (Landlock confines the files). */
static void drop_root_powers(void)
{
	if (geteuid() != 0)
		return;
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_apply(CAPNG_SELECT_BOTH) < 0)
		fatal("relay sandbox: cannot drop capabilities");
}

static const struct sandbox_filter relay_filter = {
	.role = "relay",
	.allow = relay_rules,
	.allow_count = sizeof(relay_rules) / sizeof(relay_rules[0]),
	.enoent = enoent_rules,
	.enoent_count = sizeof(enoent_rules) / sizeof(enoent_rules[0]),
	.extra = relay_arg_rules,
};

const struct sandbox_filter *relay_sandbox_filter(void)
{
	return &relay_filter;
}

void relay_sandbox_enter(void)
{
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
	sandbox_load_filter(&relay_filter);
}
