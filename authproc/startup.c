/*
 * startup.c - gssocks-authproc's start-up sequence, in the order that the
 * security of the process depends on.
 *
 * Trust zone: authproc.  SECURITY: this process holds the service's
 * long-term keys.  Before anything else core dumps are turned off; the
 * keytab is then read once into memory and the file closed; acceptor
 * credentials are acquired; only then does the process meet untrusted
 * input (the loop).  The sandbox (sandbox.c) is entered between acquiring
 * the credentials and running the loop: from there on nothing needs to
 * open a file (but the replay cache) or create a socket.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/krb5_profile.h"
#include "../common/log.h"
#include "../ipc/ipc_log.h"
#include "authproc.h"
#include "sandbox.h"

/* Long-term keys must never land in a core file. */
static void core_dumps_off(void)
{
	struct rlimit none = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &none) < 0)
		fatal("setrlimit(RLIMIT_CORE): %s", strerror(errno));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fatal("prctl(PR_SET_DUMPABLE): %s", strerror(errno));
}

/*
 * One fd per handshake: raise the soft RLIMIT_NOFILE to the hard limit and
 * size the handshake limit to what fits.
 */
static size_t fd_budget(void)
{
	struct rlimit lim;
	rlim_t usable;

	if (getrlimit(RLIMIT_NOFILE, &lim) < 0)
		fatal("getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
	if (lim.rlim_cur < lim.rlim_max) {
		lim.rlim_cur = lim.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &lim) < 0)
			log_warn("cannot raise RLIMIT_NOFILE: %s", strerror(errno));
		else if (getrlimit(RLIMIT_NOFILE, &lim) < 0)
			fatal("getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
	}
	if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur <= AUTHPROC_SPARE_FDS + 1)
		fatal("RLIMIT_NOFILE %llu is too small to serve clients",
		      (unsigned long long)lim.rlim_cur);
	usable = lim.rlim_cur == RLIM_INFINITY ? AUTHPROC_MAX_CLIENTS
					       : lim.rlim_cur - AUTHPROC_SPARE_FDS;
	return usable < AUTHPROC_MAX_CLIENTS ? (size_t)usable : AUTHPROC_MAX_CLIENTS;
}

/*
 * The krb5 configuration this process uses for its whole life, frozen in
 * sealed memory before the first krb5 context (common/krb5_profile.h): an
 * edited krb5.conf can neither break nor half-change a running authproc
 * (gssocksd replaces it on SIGHUP), and the file names its exported
 * contexts carry name the relays' own frozen copies.
 */
static void profile_freeze(void)
{
	char err[512];

	if (krb5_profile_freeze(err, sizeof(err)) < 0)
		fatal("krb5 configuration: %s", err);
}

/*
 * The replay cache directory must exist and be writable by this user: MIT
 * krb5 would only fail at the first client (every login refused), and
 * the sandbox's Landlock rule needs the directory.
 */
static void rcache_dir_check(void)
{
	const char *dir = authproc_rcache_dir();
	struct stat st;

	if (stat(dir, &st) < 0)
		fatal("replay cache directory %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		fatal("replay cache directory %s: not a directory", dir);
	if (access(dir, R_OK | W_OK | X_OK) < 0)
		fatal("replay cache directory %s: %s", dir, strerror(errno));
}

int authproc_check(const struct authproc_options *opt)
{
	static struct acceptor acceptor;

	core_dumps_off();
	profile_freeze();
	/* Without --replay-cache-dir: gssocksd -t found it missing (it is
	 * made at start-up), nothing to check yet. */
	if (opt->replay_cache_dir != NULL)
		rcache_dir_check();
	keytab_load(&acceptor, opt->keytab_path);
	acceptor_acquire(&acceptor);
	log_debug("check: keytab %s (%zu keys) and replay cache directory %s usable",
		  opt->keytab_path, acceptor.entries, authproc_rcache_dir());
	return 0;
}

int authproc_main(const struct authproc_options *opt)
{
	static struct authproc ap;
	struct stat st;

	ap.opt = opt;
	/* Read first: the spawner checked, before exec, that our parent is
	 * the master (clone3 CLONE_PARENT); the master cannot change it. */
	ap.trust.master_pid = getppid();
	ap.trust.self_pid = getpid();
	ap.trust.relay_uid = opt->relay_uid;
	ap.master_fd = IPC_CHILD_MASTER_FD;
	ap.epfd = -1;
	if (fstat(ap.master_fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		fatal("fd %d is not a socket: gssocks-authproc is started by gssocksd "
		      "with its channel on fd %d", ap.master_fd, ap.master_fd);
	/* From here every line (keytab errors too) goes to the master, which
	 * writes it where the daemon's diagnostics go: no stderr to lose. */
	log_init("gssocks-authproc", false, false);
	ipc_log_to_master(ap.master_fd);
	/* Writes to a client or relay that went away fail with EPIPE instead. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("cannot ignore SIGPIPE");

	core_dumps_off();
	ap.max_clients = fd_budget();
	profile_freeze();
	rcache_dir_check();
	keytab_load(&ap.acceptor, opt->keytab_path);
	acceptor_acquire(&ap.acceptor);
	authproc_sandbox_enter();

	if (!(opt->levels.allowed & LEVEL_BIT(opt->levels.preferred)))
		log_warn("preferred level %s is not among the allowed levels: "
			 "clients asking for another level will be refused",
			 gss_level_name(opt->levels.preferred));
	log_info("ready: %zu keys, auth timeout %lu s, at most %zu handshakes%s",
		 ap.acceptor.entries, opt->auth_timeout_s, ap.max_clients,
		 opt->allow_nec ? ", NEC level octet allowed" : "");

	loop_run(&ap);
	return 0;
}
