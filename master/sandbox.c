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
 *   - Spawners: NO_NEW_PRIVS, not dumpable, and a kill-list filter rather
 *     than an allow-list: a seccomp filter is inherited across clone and
 *     execve, so an allow-list here would have to hold every call that
 *     the dynamic loader, libkrb5 and the children's own start-up make
 *     before they install their (much tighter) allow-lists.  It kills
 *     ptrace, process_vm_*, execveat, bind/listen/accept, mount and
 *     namespace calls, module and kexec loading, bpf, perf, keyctl and
 *     userfaultfd.  No Landlock for the same reason (authproc must still
 *     read the keytab and libexec must stay executable).
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
#include <sys/ioctl.h>
#include <netinet/in.h>
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

/* A kill-list: the spawner's channel calls (ipc_recv/ipc_send, also its
 * log lines as IPC_LOG: recvmsg, sendmsg, poll, clock_gettime), clone3,
 * pidfd_send_signal and execve stay allowed. */

static const struct sandbox_rule spawner_kill_rules[] = {
#ifndef SANDBOX_ASAN
	{ SCMP_SYS(ptrace), "LeakSanitizer ptraces in the children of sanitizer builds" },
#endif
	{ SCMP_SYS(process_vm_readv), NULL },
	{ SCMP_SYS(process_vm_writev), NULL },
	{ SCMP_SYS(execveat), "the spawner execs by path (execve) only" },
	{ SCMP_SYS(bind), NULL },
	{ SCMP_SYS(listen), NULL },
	{ SCMP_SYS(accept), NULL },
	{ SCMP_SYS(accept4), NULL },
	{ SCMP_SYS(mount), NULL },
	{ SCMP_SYS(umount2), NULL },
	{ SCMP_SYS(pivot_root), NULL },
	{ SCMP_SYS(chroot), NULL },
	{ SCMP_SYS(unshare), NULL },
	{ SCMP_SYS(setns), NULL },
	{ SCMP_SYS(init_module), NULL },
	{ SCMP_SYS(finit_module), NULL },
	{ SCMP_SYS(delete_module), NULL },
	{ SCMP_SYS(kexec_load), NULL },
	{ SCMP_SYS(kexec_file_load), NULL },
	{ SCMP_SYS(bpf), NULL },
	{ SCMP_SYS(perf_event_open), NULL },
	{ SCMP_SYS(keyctl), NULL },
	{ SCMP_SYS(add_key), NULL },
	{ SCMP_SYS(request_key), NULL },
	{ SCMP_SYS(userfaultfd), NULL },
	{ SCMP_SYS(personality), NULL },
	{ SCMP_SYS(pidfd_getfd), "taking another process's descriptors" },
};

void sandbox_spawner_enter(void)
{
	scmp_filter_ctx ctx;

	hardening_not_dumpable();
	hardening_no_new_privs();
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (ctx == NULL)
		fatal("spawner sandbox: seccomp_init failed");
	if (SANDBOX_ADD_RULES(ctx, SCMP_ACT_KILL_PROCESS, spawner_kill_rules) < 0 ||
	    seccomp_load(ctx) < 0) {
		seccomp_release(ctx);
		fatal("spawner sandbox: cannot install the seccomp filter");
	}
	seccomp_release(ctx);
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
