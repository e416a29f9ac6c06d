/*
 * sandbox.c - authproc's confinement: Landlock and a seccomp allow-list;
 * see sandbox.h.
 *
 * Trust zone: authproc.  The only file of authproc that includes
 * seccomp.h / cap-ng.h (STYLE.md habit 2).
 *
 * SECURITY: entered after the keytab has been read into memory (and the
 * file closed) and the acceptor credentials acquired, before any client
 * byte is read.  From then on:
 *   - files: MIT's file2 replay cache is opened at the first
 *     gss_accept_sec_context and again for each store, under
 *     KRB5RCACHEDIR (default /var/tmp); seccomp cannot look at paths, so
 *     Landlock (common/landlock.h) allows creating/reading/writing
 *     regular files in that directory only; every other path, the keytab
 *     and krb5.conf included, is EACCES (the krb5 configuration was
 *     frozen in sealed memory before the first krb5 context, see
 *     common/krb5_profile.h).  The replay cache is never disabled
 *     (KRB5RCACHETYPE=none is refused at start-up).  Without Landlock in
 *     the kernel authproc refuses to run (no silent downgrade) unless
 *     started with --sandbox-without-landlock (gssocksd.conf:
 *     sandbox-without-landlock yes); then a warning is logged and file
 *     access is only what the process's user may do (in root mode: the
 *     auth user).
 *   - socket, connect, bind, listen, accept, execve, fork/clone, ptrace
 *     and everything not in the tables kill the process (SIGSYS; the
 *     master logs it when it reaps authproc and respawns it).  With
 *     meson -Dseccomp_trap=true: SIGSYS to a handler that names the call.
 *   - setsockopt only for the (level, option) pairs in authproc_sockopts
 *     (TCP_NODELAY on a client socket, handshake.c); any other pair
 *     kills, as in the relay.  The spawner's allow-list stacks these
 *     argument rules too (authproc_sandbox_filter()).
 * Phases: base (any C process on glibc; common/seccomp_base.c, shared
 * with the master and the relay, like the sanitizer table), authproc
 * (event loop, client fds, replay cache files), lock-down (ENOENT for
 * openat2).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cap-ng.h>
#include <seccomp.h>

#include "config.h"        /* generated: GSSOCKS_SECCOMP_TRAP */
#include "../common/hardening.h"
#include "../common/landlock.h"
#include "../common/log.h"
#include "../common/seccomp_base.h"
#include "sandbox.h"

/* Phase 2, authproc: the event loop, client sockets, replay cache files. */
static const struct sandbox_rule authproc_rules[] = {
	{ SCMP_SYS(epoll_create1), NULL },
	{ SCMP_SYS(epoll_ctl), NULL },
	{ SCMP_SYS(epoll_wait), NULL },
	{ SCMP_SYS(epoll_pwait), NULL },
	{ SCMP_SYS(epoll_pwait2), NULL },
	{ SCMP_SYS(poll), NULL },
	{ SCMP_SYS(ppoll), NULL },
	{ SCMP_SYS(recvmsg), "IPC records and SCM_RIGHTS client descriptors" },
	{ SCMP_SYS(sendmsg), "IPC records, sessions handed to relays" },
	{ SCMP_SYS(recvfrom), NULL },
	{ SCMP_SYS(sendto), NULL },
	{ SCMP_SYS(shutdown), NULL },
	{ SCMP_SYS(getsockopt), NULL },
	/* setsockopt: authproc_arg_rules (the pairs authproc sets, nothing else). */
	{ SCMP_SYS(getsockname), NULL },
	{ SCMP_SYS(getpeername), NULL },
	{ SCMP_SYS(timerfd_create), NULL },
	{ SCMP_SYS(timerfd_settime), NULL },
	{ SCMP_SYS(timerfd_gettime), NULL },
	{ SCMP_SYS(open), "replay cache (Landlock: its directory only)" },
	{ SCMP_SYS(openat), "replay cache (Landlock: its directory only)" },
	{ SCMP_SYS(pread64), "replay cache records" },
	{ SCMP_SYS(pwrite64), "replay cache records" },
	{ SCMP_SYS(ftruncate), "replay cache expiry" },
	{ SCMP_SYS(fsync), NULL },
	{ SCMP_SYS(fdatasync), NULL },
	{ SCMP_SYS(flock), "replay cache locking" },
	{ SCMP_SYS(stat), "krb5 profile freshness check" },
	{ SCMP_SYS(lstat), NULL },
	{ SCMP_SYS(statx), NULL },
	{ SCMP_SYS(access), NULL },
	{ SCMP_SYS(faccessat), NULL },
	{ SCMP_SYS(faccessat2), NULL },
	{ SCMP_SYS(unlink), "replay cache replaced after corruption (Landlock-limited)" },
	{ SCMP_SYS(rename), "replay cache replaced after corruption (Landlock-limited)" },
};

/* Phase 3, lock-down. */
static const struct sandbox_rule enoent_rules[] = {
	{ SCMP_SYS(openat2), "its flags are behind a pointer seccomp cannot follow" },
};

/* setsockopt: only the (level, option) pairs authproc sets; any other
 * (SO_SNDBUF games, SO_BINDTODEVICE, IP_TRANSPARENT, ...) kills. */
static const struct {
	int level, option;
	const char *why;
} authproc_sockopts[] = {
	{ IPPROTO_TCP, TCP_NODELAY, "on a client socket during negotiation (handshake.c)" },
};

static int authproc_arg_rules(scmp_filter_ctx ctx)
{
	for (size_t i = 0; i < sizeof(authproc_sockopts) / sizeof(authproc_sockopts[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 2,
				     SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)authproc_sockopts[i].level),
				     SCMP_A2(SCMP_CMP_EQ,
					     (scmp_datum_t)authproc_sockopts[i].option)) < 0)
			return -1;
	return 0;
}

const char *authproc_rcache_dir(void)
{
	const char *dir = getenv("KRB5RCACHEDIR");

	return dir != NULL && dir[0] != '\0' ? dir : "/var/tmp";
}

static bool landlock_optional;

void authproc_sandbox_without_landlock(void)
{
	landlock_optional = true;
}

/*
 * Landlock: the replay cache directory only.  The krb5 configuration needs
 * no rule: it was frozen in sealed memory before the first krb5 context
 * (startup.c), and the profile library only stat()s those copies.
 */
static void restrict_files(void)
{
	const struct landlock_path paths[] = {
		{ authproc_rcache_dir(), LANDLOCK_TREE_RW },
	};
	int rc = landlock_restrict(paths, sizeof(paths) / sizeof(paths[0]));

	if (rc < 0)
		fatal("authproc sandbox: landlock: %s", strerror(errno));
	if (rc == 0 && !landlock_optional)
		fatal("authproc sandbox: no Landlock in this kernel: refusing to run with "
		      "file access unconfined (sandbox-without-landlock yes in gssocksd.conf "
		      "accepts it)");
	if (rc == 0)
		log_warn("authproc sandbox: no Landlock in this kernel: file access not confined");
}

/* When root: no capability at all. */
static void drop_root_powers(void)
{
	if (geteuid() != 0)
		return;
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_apply(CAPNG_SELECT_BOTH) < 0)
		fatal("authproc sandbox: cannot drop capabilities");
}

static const struct sandbox_filter authproc_filter = {
	.role = "authproc",
	.allow = authproc_rules,
	.allow_count = sizeof(authproc_rules) / sizeof(authproc_rules[0]),
	.enoent = enoent_rules,
	.enoent_count = sizeof(enoent_rules) / sizeof(enoent_rules[0]),
	.extra = authproc_arg_rules,
};

const struct sandbox_filter *authproc_sandbox_filter(void)
{
	return &authproc_filter;
}

void authproc_sandbox_enter(void)
{
	const char *rctype = getenv("KRB5RCACHETYPE");
	if (rctype != NULL && strcmp(rctype, "none") == 0)
		fatal("KRB5RCACHETYPE=none: the replay cache must not be disabled");
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
		hardening_report_sigsys("gssocks-authproc");
	sandbox_load_filter(&authproc_filter);
}
