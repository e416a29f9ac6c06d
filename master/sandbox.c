/*
 * sandbox.c - the master's confinement and the spawners' filter; see
 * sandbox.h.
 *
 * Trust zone: master and spawners.  The only file of gssocksd that
 * includes seccomp.h / cap-ng.h (STYLE.md habit 2).
 *
 * SECURITY:
 *   - Users (root mode, i.e. started as uid 0): the master runs as `user`,
 *     the authproc spawner and authproc as `authproc-user` (the only one
 *     that can read the keytab, mode 0400), the relay spawner and relays
 *     as `relay-user`.  Each change goes through libcap-ng with
 *     supplementary groups dropped and the bounding set cleared, and
 *     nothing keeps a capability: the master binds its listeners before.
 *     uid 0 is refused unless a keyword says `root` (tests; unsafe).
 *   - Master, after start-up (listeners, configuration, policy, syslog
 *     sockets, resolver opened; spawners forked): NO_NEW_PRIVS, core
 *     dumps off, Landlock read-only on the configuration file, the policy
 *     directory (SIGHUP re-reads it) and the resolver's files, read on the
 *     pid-file and remove-file on its directory and on the control
 *     socket's (both removed at exit); nothing
 *     else may be read, written or executed (the keytab is EACCES, and
 *     config_file.c refuses a keytab inside policy-dir).  Without Landlock
 *     in the kernel start-up is refused (sandbox_landlock_check: no silent
 *     downgrade) unless the configuration says sandbox-without-landlock
 *     yes: without it, in non-root mode, every role runs as one uid and
 *     the master's open/openat would reach the keytab.  Its
 *     seccomp allow-list kills execve/execveat, fork/vfork/clone/clone3,
 *     ptrace and every call not in the tables (the master reaps; SIGSYS
 *     kills the master itself, systemd restarts it).
 *     socket() is allowed for AF_UNIX (syslog), AF_INET and AF_INET6
 *     (outbound connects, c-ares, BIND listeners) only.  bind() only with
 *     the length of a sockaddr_in or sockaddr_in6 and listen() only with
 *     backlog BIND_BACKLOG (1): a BIND's listener, bound after the
 *     policy allowed it (master/bind.c says why the master binds then),
 *     and a UDP ASSOCIATE's relay socket (master/udp.c, same rule);
 *     seccomp cannot read the address behind bind's pointer, so that is
 *     as narrow as the kernel lets a filter be.  No capability is left
 *     by then: no port below 1024 can be bound.
 *   - Spawners: NO_NEW_PRIVS, not dumpable, fds 0-2 that are a terminal
 *     replaced by /dev/null (spawner.c), and an allow-list.  A seccomp
 *     filter is inherited across clone and execve and stacks under the
 *     child's own, so the list holds (spawner_rules, grouped): the
 *     spawner's loop; what a child does between clone and exec; exec, the
 *     dynamic loader and libc's start-up; the children's start-up until
 *     their own filter (krb5, libcap-ng, Landlock, seccomp); and the
 *     role's own allow-list (authproc_sandbox_filter() /
 *     relay_sandbox_filter(), added as they are), without which the
 *     child would die of this filter in its loop.  Measured with strace
 *     -f over the e2e gateway, plain and ASan builds; in ASan builds
 *     LeakSanitizer's check in each child adds ptrace, wait4, getdents.
 *     Argument checks: prctl only for the options listed; clone never
 *     with a namespace flag, and clone3 (flags behind a pointer) is
 *     ENOSYS, so spawner.c creates children with clone(); ioctl only
 *     TCGETS and FIOCLEX (no TIOCSTI); socket is EACCES; signals and
 *     rlimits reach only the spawner itself (the shared base).  Everything
 *     else kills: execveat, memfd_create but with the flags of the
 *     children's sealed krb5.conf copies, the mount API old and new,
 *     io_uring, unshare/setns, bind/listen/accept/connect, kill,
 *     pidfd_open/pidfd_getfd, ptrace (but in ASan builds), bpf, keyctl...
 *   Trade-offs of the spawners' list, as measured, not hidden:
 *     - execve and open/openat are allowed without a path check (seccomp
 *       cannot read paths): exec of the children and the loader's and
 *       children's start-up need them.  A compromised spawner can exec
 *       and read what its user may: in root mode its role's user (the
 *       authproc spawner can read the keytab, as authproc's user must),
 *       started as an ordinary user everything that user may.  Holding
 *       the binary open and using execveat(fd, "", AT_EMPTY_PATH) would
 *       not help (an absolute path ignores the fd); Landlock on the
 *       spawner would, but it stacks onto the children and would have to
 *       grant them the libraries, /proc, the krb5 files, the replay cache
 *       and the keytab, so it is not done here.
 *     - mmap/mprotect with PROT_EXEC are allowed (ld.so maps the
 *       children's libraries); the children's own filters refuse them.
 *     - tgkill is allowed with the spawner's pid only, and the filter
 *       stacks: a child's abort() before or after its own filter dies of
 *       SIGSYS rather than SIGABRT (it dies either way).
 *     - sysinfo and ioctl(FIOCLEX) are there for the tests' fake relays
 *       (Python); both only read or set close-on-exec.
 *   With meson -Dseccomp_trap=true the default action is SIGSYS to a
 *   handler that names the call (debugging).
 *   The base phase, the sanitizer table and the rule helper are
 *   common/seccomp_base.c, shared with authproc and the relay.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cap-ng.h>
#include <seccomp.h>

#include "config.h"        /* generated: GSSOCKS_SECCOMP_TRAP */
#include "bind.h"
#include "config_file.h"
#include "hardening.h"
#include "landlock.h"
#include "log.h"
#include "sandbox.h"
#include "seccomp_base.h"
#include "../authproc/sandbox.h"
#include "../relay/sandbox.h"

static const char *const role_keyword[RUN_ROLES] = {
	[RUN_MASTER] = "user", [RUN_AUTHPROC] = "authproc-user", [RUN_RELAY] = "relay-user",
};

int sandbox_resolve_users(const struct master_config *cfg, struct run_ids *ids)
{
	const char *names[RUN_ROLES] = { cfg->user, cfg->authproc_user, cfg->relay_user };

	memset(ids, 0, sizeof(*ids));
	ids->root_mode = geteuid() == 0;
	for (int r = 0; r < RUN_ROLES; r++) {
		struct passwd *pw;

		if (!ids->root_mode) {
			ids->uid[r] = getuid();
			ids->gid[r] = getgid();
			snprintf(ids->name[r], sizeof(ids->name[r]), "uid%u", (unsigned)getuid());
			continue;
		}
		errno = 0;
		pw = getpwnam(names[r]);
		if (pw == NULL) {
			log_err("%s %s: no such user (scripts/create-users makes the three users)",
				role_keyword[r], names[r]);
			return -1;
		}
		if (pw->pw_uid == 0 && strcmp(names[r], "root") != 0) {
			log_err("%s %s: has uid 0; write \"%s root\" to run it as root (unsafe)",
				role_keyword[r], names[r], role_keyword[r]);
			return -1;
		}
		ids->uid[r] = pw->pw_uid;
		ids->gid[r] = pw->pw_gid;
		snprintf(ids->name[r], sizeof(ids->name[r]), "%s", names[r]);
	}
	if (!ids->root_mode) {
		log_info("not started as root: user, authproc-user and relay-user ignored; "
			 "every process runs as uid %u", (unsigned)getuid());
		return 0;
	}
	if (ids->uid[RUN_AUTHPROC] != 0 &&
	    (ids->uid[RUN_AUTHPROC] == ids->uid[RUN_MASTER] ||
	     ids->uid[RUN_AUTHPROC] == ids->uid[RUN_RELAY])) {
		log_err("authproc-user %s shares its uid with user or relay-user: "
			"they could read the keytab", names[RUN_AUTHPROC]);
		return -1;
	}
	if (ids->uid[RUN_MASTER] == 0 || ids->uid[RUN_AUTHPROC] == 0 || ids->uid[RUN_RELAY] == 0)
		log_warn("running a role as root (user/authproc-user/relay-user root): "
			 "for tests only; capabilities are still cleared");
	return 0;
}

void sandbox_become(const struct run_ids *ids, enum run_role role)
{
	if (ids->root_mode) {
		capng_clear(CAPNG_SELECT_BOTH);
		if (capng_change_id((int)ids->uid[role], (int)ids->gid[role],
				    CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING) < 0)
			fatal("cannot become %s %s (uid %u)", role_keyword[role], ids->name[role],
			      (unsigned)ids->uid[role]);
		if (geteuid() != ids->uid[role] || getegid() != ids->gid[role])
			fatal("still uid %u after changing to %s", (unsigned)geteuid(),
			      ids->name[role]);
	} else if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE) {
		capng_clear(CAPNG_SELECT_BOTH);
		if (capng_apply(CAPNG_SELECT_BOTH) < 0)
			fatal("cannot clear capabilities");
	}
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE)
		fatal("a capability is left after dropping to %s", ids->name[role]);
}

/* ------------------------------------------------------------------ spawners */

/*
 * The spawners' allow-list.  It is inherited across clone and execve, so
 * it holds, besides the spawner's own calls, what each child needs from
 * its clone to the moment it loads its own (much tighter) filter: the
 * steps between clone and exec, exec itself, the dynamic loader, libc's
 * start-up and the child's start-up code (keytab, krb5 profile, libcap-ng,
 * Landlock, seccomp).  Measured with strace -f on the e2e gateway, plain
 * and ASan builds (the shared base, common/seccomp_base.c, and in
 * sanitizer builds the sanitizer table come first).
 */
static const struct sandbox_rule spawner_rules[] = {
	/* The spawner's loop. */
	{ SCMP_SYS(recvmsg), "SPAWN_CHILD / SPAWN_SIGNAL, with the child's channel" },
	{ SCMP_SYS(sendmsg), "SPAWN_RESULT and IPC_LOG lines (children's start-up lines too)" },
	{ SCMP_SYS(poll), "pidfd readable: the child has exited" },
	{ SCMP_SYS(pidfd_send_signal), "SIGTERM/SIGKILL to a child, through the pidfd it holds" },
	/* clone: spawner_clone_rules (no namespace flag); clone3's flags are
	 * behind a pointer: ENOSYS, and glibc falls back to clone. */
	/* Between clone and exec (spawner.c, child_exec). */
	{ SCMP_SYS(getppid), "the child checks its parent is still the master" },
	{ SCMP_SYS(dup2), "the channel to fd 3, /dev/null to fd 0" },
	{ SCMP_SYS(dup3), NULL },
	{ SCMP_SYS(close_range), "nothing but fds 0-3 reaches the child" },
	{ SCMP_SYS(execve), "the role's binary (the path comes from the configuration)" },
	/* exec, the dynamic loader, libc start-up. */
	{ SCMP_SYS(mmap), "ld.so maps the libraries PROT_EXEC (the children's own filters refuse it)" },
	{ SCMP_SYS(mprotect), "ld.so: RELRO, and text made executable" },
	{ SCMP_SYS(open), "ld.so, krb5 profile, keytab; the sanitizer runtime's /proc/self/maps" },
	{ SCMP_SYS(openat), "the same" },
	{ SCMP_SYS(access), "ld.so checks /etc/ld.so.preload" },
	{ SCMP_SYS(faccessat), NULL },
	{ SCMP_SYS(faccessat2), NULL },
	{ SCMP_SYS(pread64), "ld.so reads program headers" },
	{ SCMP_SYS(arch_prctl), "libc sets the thread pointer" },
	{ SCMP_SYS(set_tid_address), "libc start-up" },
	{ SCMP_SYS(set_robust_list), "libc start-up" },
	{ SCMP_SYS(rseq), "libc start-up registers restartable sequences" },
	/* The children's start-up, until their own filter is loaded. */
	{ SCMP_SYS(getdents64), "the GSS mechanism directory /etc/gss/mech.d" },
	{ SCMP_SYS(fstatfs), "libcap-ng checks /proc is procfs" },
	{ SCMP_SYS(readlink), "libcap-ng and the sanitizer runtime read /proc/self/exe" },
	{ SCMP_SYS(capget), "libcap-ng reads the capability sets" },
	{ SCMP_SYS(capset), "children drop capabilities (can only lower them)" },
	{ SCMP_SYS(landlock_create_ruleset), "children restrict themselves further" },
	{ SCMP_SYS(landlock_add_rule), NULL },
	{ SCMP_SYS(landlock_restrict_self), NULL },
	{ SCMP_SYS(seccomp), "children load their own filter (only ever narrower)" },
	{ SCMP_SYS(sysinfo), "glibc's sysconf(_SC_PHYS_PAGES) (qsort): Python's start-up in the "
			     "tests' fake relays; reads load and memory figures only" },
};

/* prctl: only these options (each either reads a value or lowers one). */
static const int spawner_prctls[] = {
	PR_SET_PDEATHSIG,     /* spawner and child: end with the master */
	PR_SET_DUMPABLE,      /* children: not dumpable */
	PR_SET_NO_NEW_PRIVS,
	PR_GET_NO_NEW_PRIVS,  /* libcap-ng */
	PR_CAPBSET_READ,      /* libcap-ng */
	PR_CAPBSET_DROP,      /* children drop what is left (only lowers) */
	PR_GET_SECUREBITS,    /* libcap-ng */
	PR_CAP_AMBIENT,       /* libcap-ng reads and clears the ambient set */
};

/* Namespace flags of clone(2): never (a new user namespace, say). */
#define SPAWNER_CLONE_NS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | \
			  CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

static int spawner_arg_rules(scmp_filter_ctx ctx)
{
	for (size_t i = 0; i < sizeof(spawner_prctls) / sizeof(spawner_prctls[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
				     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)spawner_prctls[i])) < 0)
			return -1;
	/* clone: children (CLONE_PARENT | CLONE_PIDFD), fork() in tests,
	 * LeakSanitizer's tracer thread; never a namespace flag. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
			     SCMP_A0(SCMP_CMP_MASKED_EQ, (scmp_datum_t)SPAWNER_CLONE_NS, 0)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) < 0)
		return -1;
	/* memfd_create: only as common/krb5_profile.c makes the children's
	 * sealed copies of krb5.conf (close-on-exec, sealable); never with
	 * other flags (MFD_EXEC, huge pages). */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(memfd_create), 1,
			     SCMP_A1(SCMP_CMP_EQ,
				     (scmp_datum_t)(MFD_CLOEXEC | MFD_ALLOW_SEALING))) < 0)
		return -1;
	/* ioctl: TCGETS (isatty() in stdio) and FIOCLEX (fcntl(F_SETFD)'s
	 * twin; Python's set_inheritable in the tests' fake relays) only;
	 * never TIOCSTI or any other. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
			     SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)TCGETS)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
			     SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)FIOCLEX)) < 0)
		return -1;
	/* socket: refused, not killed: a library's syslog() (libcap-ng's)
	 * then just fails; the spawner and the children's start-up make no
	 * socket of their own. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 0) < 0)
		return -1;
#ifdef SANDBOX_ASAN
	/* LeakSanitizer's check, run by each child before its own filter,
	 * stops the world with a tracer thread: ptrace, waitpid, and the
	 * old getdents to list /proc/self/task. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ptrace), 0) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(wait4), 0) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(getdents), 0) < 0)
		return -1;
#endif
	return 0;
}

/* Lock-down: openat2's flags are behind a pointer. */
static const struct sandbox_rule spawner_enoent_rules[] = {
	{ SCMP_SYS(openat2), "its flags are behind a pointer seccomp cannot follow" },
};

/* The child's filter stacks on ours: whatever it allows (its allow
 * table, its argument rules) is allowed here too, or the child would die
 * of our filter once in its loop.  Its ENOENT answers (open, openat,
 * openat2) are allowed or answered here already. */
static const struct sandbox_filter *spawned_filter;

static int spawner_extra(scmp_filter_ctx ctx)
{
	if (spawner_arg_rules(ctx) < 0 ||
	    sandbox_add_rules(ctx, SCMP_ACT_ALLOW, spawned_filter->allow,
			      spawned_filter->allow_count) < 0 ||
	    (spawned_filter->extra != NULL && spawned_filter->extra(ctx) < 0))
		return -1;
	return 0;
}

void sandbox_spawner_enter(enum run_role role)
{
	spawned_filter = role == RUN_AUTHPROC ? authproc_sandbox_filter() : relay_sandbox_filter();
	hardening_not_dumpable();
	hardening_no_new_privs();
	if (GSSOCKS_SECCOMP_TRAP)
		hardening_report_sigsys("gssocksd-spawner");
	sandbox_load_filter(&(const struct sandbox_filter){
		.role = "spawner",
		.allow = spawner_rules,
		.allow_count = sizeof(spawner_rules) / sizeof(spawner_rules[0]),
		.enoent = spawner_enoent_rules,
		.enoent_count = sizeof(spawner_enoent_rules) / sizeof(spawner_enoent_rules[0]),
		.extra = spawner_extra,
	});
}

/* -------------------------------------------------------------------- master */

/* Phase 2, master: the event loop, clients, children, DNS, policy reload
 * (phase 1, base, is common/seccomp_base.c). */
static const struct sandbox_rule master_rules[] = {
	{ SCMP_SYS(getppid), "the master's own base always had it (authproc's and the relay's never did)" },
	{ SCMP_SYS(epoll_create1), NULL },
	{ SCMP_SYS(epoll_ctl), NULL },
	{ SCMP_SYS(epoll_wait), NULL },
	{ SCMP_SYS(epoll_pwait), NULL },
	{ SCMP_SYS(epoll_pwait2), NULL },
	{ SCMP_SYS(poll), NULL },
	{ SCMP_SYS(ppoll), NULL },
	{ SCMP_SYS(select), "c-ares" },
	{ SCMP_SYS(pselect6), NULL },
	{ SCMP_SYS(signalfd4), NULL },
	{ SCMP_SYS(timerfd_create), NULL },
	{ SCMP_SYS(timerfd_settime), NULL },
	{ SCMP_SYS(timerfd_gettime), NULL },
	{ SCMP_SYS(wait4), "children are reaped by the master" },
	{ SCMP_SYS(waitid), NULL },
	{ SCMP_SYS(accept), NULL },
	{ SCMP_SYS(accept4), "clients on the listeners, gssocksctl on the control socket" },
	{ SCMP_SYS(connect), "outbound connects, c-ares, syslog" },
	{ SCMP_SYS(socketpair), "channels between children" },
	{ SCMP_SYS(recvmsg), "IPC records" },
	{ SCMP_SYS(sendmsg), "IPC records and descriptors" },
	{ SCMP_SYS(recvfrom), NULL },
	{ SCMP_SYS(sendto), "greeting answers, syslog records, DNS" },
	{ SCMP_SYS(sendmmsg), NULL },
	{ SCMP_SYS(recvmmsg), NULL },
	{ SCMP_SYS(shutdown), NULL },
	{ SCMP_SYS(getsockopt), "SO_ERROR of outbound connects, SO_PEERCRED of gssocksctl" },
	{ SCMP_SYS(setsockopt), NULL },
	{ SCMP_SYS(getsockname), "the bound address of an outbound socket" },
	{ SCMP_SYS(getpeername), NULL },
	{ SCMP_SYS(dup), NULL },
	{ SCMP_SYS(dup3), NULL },
	{ SCMP_SYS(open), "policy reload and resolver files (Landlock picks them)" },
	{ SCMP_SYS(openat), "policy reload and resolver files (Landlock picks them)" },
	{ SCMP_SYS(getdents64), "policy directory" },
	{ SCMP_SYS(stat), NULL },
	{ SCMP_SYS(lstat), NULL },
	{ SCMP_SYS(statx), NULL },
	{ SCMP_SYS(access), NULL },
	{ SCMP_SYS(faccessat), NULL },
	{ SCMP_SYS(faccessat2), NULL },
	{ SCMP_SYS(unlink), "pid-file and control socket removal at exit (Landlock: their directories only)" },
	{ SCMP_SYS(sched_getaffinity), NULL },
	{ SCMP_SYS(sysinfo), NULL },
};

/* Phase 3, lock-down: calls that fail instead of killing. */
static const struct sandbox_rule enoent_rules[] = {
	{ SCMP_SYS(openat2), "its flags are behind a pointer seccomp cannot follow" },
};

/* socket(): only the families the master uses; anything else kills.
 * bind() and listen(): a BIND's listener only (see the SECURITY note). */
static int add_socket_rules(scmp_filter_ctx ctx)
{
	static const int families[] = { AF_UNIX, AF_INET, AF_INET6 };
	static const size_t bind_lengths[] = { sizeof(struct sockaddr_in),
					       sizeof(struct sockaddr_in6) };

	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i], 0)) < 0)
			return -1;
	for (size_t i = 0; i < sizeof(bind_lengths) / sizeof(bind_lengths[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(bind), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, 0xffffffffu,
					     (scmp_datum_t)bind_lengths[i])) < 0)
			return -1;
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(listen), 1,
			     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu,
				     (scmp_datum_t)BIND_BACKLOG)) < 0)
		return -1;
	/* ioctl: FIONREAD and FIONBIO only (c-ares). */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
			     SCMP_A1(SCMP_CMP_EQ, FIONREAD, 0)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
			     SCMP_A1(SCMP_CMP_EQ, FIONBIO, 0)) < 0)
		return -1;
	return 0;
}

/*
 * The directory of the pid-file in out, "" when there is no pid-file.
 * The master removes the pid-file at exit: REMOVE_FILE on this directory
 * (and READ_FILE on the pid-file, which pidfile_remove reads first to
 * check it is still its own) is all it gets there.
 */
static void pidfile_dir(const char *pid_file, char *out, size_t outlen)
{
	const char *slash = pid_file != NULL ? strrchr(pid_file, '/') : NULL;
	size_t len;

	out[0] = '\0';
	if (slash == NULL)
		return;
	len = slash == pid_file ? 1 : (size_t)(slash - pid_file);
	if (len >= outlen)
		return;
	memcpy(out, pid_file, len);
	out[len] = '\0';
}

/* Set by sandbox_landlock_check() from `sandbox-without-landlock yes`. */
static bool landlock_optional;

int sandbox_landlock_check(const struct master_config *cfg)
{
	if (landlock_abi() > 0)
		return 0;
	if (!cfg->sandbox_without_landlock) {
		log_err("no Landlock in this kernel (too old, or not enabled with lsm=): "
			"refusing to start, because file access would then be confined only "
			"by each process's user (without root, every process runs as one user "
			"and the master could read the keytab); to run anyway, write "
			"\"sandbox-without-landlock yes\" in the configuration");
		return -1;
	}
	log_warn("no Landlock in this kernel: running without it as "
		 "sandbox-without-landlock yes says; file access is confined only by "
		 "each process's user");
	landlock_optional = true;
	return 0;
}

static char also_remove[PATH_MAX];

void sandbox_master_also_remove(const char *path)
{
	snprintf(also_remove, sizeof(also_remove), "%s", path != NULL ? path : "");
}

static void master_restrict_files(const char *config_path, const char *policy_dir,
				  const char *pid_file)
{
	char pid_dir[PATH_MAX];
	char control_dir[PATH_MAX];

	pidfile_dir(pid_file, pid_dir, sizeof(pid_dir));
	pidfile_dir(also_remove, control_dir, sizeof(control_dir));
	const struct landlock_path paths[] = {
		{ pid_file, LANDLOCK_FILE_READ },
		{ pid_dir, LANDLOCK_ACCESS_FS_REMOVE_FILE },
		/* the control socket, removed at exit (master/control.c) */
		{ control_dir, LANDLOCK_ACCESS_FS_REMOVE_FILE },
		{ config_path, LANDLOCK_FILE_READ },
		{ policy_dir, LANDLOCK_TREE_READ },
		{ "/etc/hosts", LANDLOCK_FILE_READ },
		{ "/etc/resolv.conf", LANDLOCK_FILE_READ },
		{ "/etc/nsswitch.conf", LANDLOCK_FILE_READ },
		{ "/etc/host.conf", LANDLOCK_FILE_READ },
		{ "/etc/gai.conf", LANDLOCK_FILE_READ },
		{ "/etc/localtime", LANDLOCK_FILE_READ },
		{ "/dev/null", LANDLOCK_FILE_READ },
	};
	int rc = landlock_restrict(paths, sizeof(paths) / sizeof(paths[0]));

	if (rc < 0)
		fatal("master sandbox: landlock: %s", strerror(errno));
	if (rc == 0 && !landlock_optional)
		fatal("master sandbox: no Landlock in this kernel, and the configuration "
		      "does not say sandbox-without-landlock yes");
	if (rc == 0)
		log_warn("master sandbox: no Landlock in this kernel: file access not confined");
}

void sandbox_master_enter(const char *config_path, const char *policy_dir,
			  const char *pid_file)
{
#ifdef SANDBOX_ASAN
	/* LeakSanitizer's exit-time check needs clone and ptrace: run it now. */
	__lsan_do_leak_check();
#endif
	hardening_no_core();
	hardening_no_new_privs();
	master_restrict_files(config_path, policy_dir, pid_file);
	if (GSSOCKS_SECCOMP_TRAP)
		hardening_report_sigsys("gssocksd");
	sandbox_load_filter(&(const struct sandbox_filter){
		.role = "master",
		.allow = master_rules,
		.allow_count = sizeof(master_rules) / sizeof(master_rules[0]),
		.enoent = enoent_rules,
		.enoent_count = sizeof(enoent_rules) / sizeof(enoent_rules[0]),
		.extra = add_socket_rules,
	});
}
