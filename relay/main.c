/*
 * main.c - gssocks-relay: a relay worker.  Started by the master (fork +
 * exec) with fd 3 = its channel to the master; receives authenticated
 * sessions from authproc over channels it makes itself when the master
 * asks (one end passed up to authproc through the master), and relays
 * them (RFC 1961 section 5 framing, RFC 1928 request/reply).
 *
 * Trust zone: relay worker, the least trusted role.  It holds imported GSS
 * contexts and sockets, nothing else; it never opens a file or a socket of
 * its own once start-up is over (but the AF_UNIX socketpairs of its
 * authproc channels).
 *
 * Start-up is one straight sequence: arguments, logging, the master
 * channel, then everything that may read files (the GSS mechanism glue
 * reads /etc/gss/mech on first use, PROTOCOL.md section 7), and only then
 * the loop.  Confinement (sandbox.c) comes between the last of those and
 * the loop.
 */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <gssapi/gssapi.h>
#include <krb5.h>

#include "../common/kcrypto.h"
#include "../common/krb5_profile.h"
#include "../common/log.h"
#include "../common/rfc4121.h"
#include "../common/util.h"
#include "../ipc/ipc.h"
#include "../ipc/ipc_log.h"
#include "relay.h"
#include "sandbox.h"

static _Noreturn void usage(void)
{
	fprintf(stderr,
		"usage: gssocks-relay --slot N [--selective-wrap confidentiality|integrity]\n"
		"       [--request-timeout SECONDS] [--idle-timeout SECONDS] [--verbose]\n"
		"fd 3 is the channel to the master.\n");
	exit(2);
}

static void parse_args(int argc, char **argv, struct relay_config *cfg, bool *verbose)
{
	static const struct option options[] = {
		{ "slot", required_argument, NULL, 's' },
		{ "selective-wrap", required_argument, NULL, 'w' },
		{ "request-timeout", required_argument, NULL, 'r' },
		{ "idle-timeout", required_argument, NULL, 'i' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	bool have_slot = false;
	int c;

	cfg->selective_conf = true;
	cfg->request_timeout = 30;
	cfg->idle_timeout = 0;
	while ((c = getopt_long(argc, argv, "v", options, NULL)) != -1) {
		switch (c) {
		case 's':
			if (parse_uint(optarg, 0, 1023, &v) < 0)
				usage();
			cfg->slot = (uint32_t)v;
			have_slot = true;
			break;
		case 'w':
			if (strcmp(optarg, "confidentiality") == 0)
				cfg->selective_conf = true;
			else if (strcmp(optarg, "integrity") == 0)
				cfg->selective_conf = false;
			else
				usage();
			break;
		case 'r':
			if (parse_uint(optarg, 1, 86400, &cfg->request_timeout) < 0)
				usage();
			break;
		case 'i':
			if (parse_uint(optarg, 0, 30L * 86400, &cfg->idle_timeout) < 0)
				usage();
			break;
		case 'v':
			*verbose = true;
			break;
		default:
			usage();
		}
	}
	if (!have_slot || optind != argc)
		usage();
}

/* fd 3 must be the master channel the master left open for us. */
static int master_channel(void)
{
	int fd = IPC_CHILD_MASTER_FD;

	if (fcntl(fd, F_GETFD) < 0)
		fatal("fd %d (the master channel) is not open", fd);
	if (fd_set_nonblock(fd) < 0 || fd_set_cloexec(fd, true) < 0)
		fatal("master channel: %m");
	return fd;
}

/*
 * Two descriptors per session, received over SCM_RIGHTS: a receive that
 * finds no free descriptor truncates the control data, which reads as a
 * bad message and would cost the whole authproc channel.  Raise the soft
 * limit to the hard one.
 */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		fatal("getrlimit(RLIMIT_NOFILE): %m");
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_warn("setrlimit(RLIMIT_NOFILE): %m");
	}
}

/*
 * Load the GSS-API mechanism glue now: the first call reads /etc/gss/mech
 * and loads the mechanisms, which must happen before file access ends.
 */
static void gss_glue_init(void)
{
	OM_uint32 major, minor;
	gss_OID_set mechs = GSS_C_NO_OID_SET;

	major = gss_indicate_mechs(&minor, &mechs);
	if (GSS_ERROR(major))
		fatal("gss_indicate_mechs failed (major 0x%x)", (unsigned)major);
	(void)gss_release_oid_set(&minor, &mechs);
}

/*
 * Before any krb5 or GSS-API call: the krb5 configuration this worker will
 * use for its whole life, in sealed memory (common/krb5_profile.h).  Every
 * krb5 context must be made after this (a context made before keeps, and
 * re-stat()s, the real paths).
 */
static void profile_freeze(void)
{
	char err[512];

	if (krb5_profile_freeze(err, sizeof(err)) < 0)
		fatal("krb5 configuration: %s", err);
}

/*
 * Read the krb5 profile once and keep it: every gss_import_sec_context
 * makes a krb5 context, and inside the sandbox (no open) that works only
 * because the profile library serves the files from this pinned,
 * process-wide cache (relay/sandbox.c explains the measurement).  The
 * library re-stat()s each file on every context and re-reads one whose
 * mtime changed, which would fail here (no open) and fail every import
 * after it: so the files it reads are sealed in-memory copies
 * (common/krb5_profile.h) whose mtime cannot change.  A new krb5.conf
 * reaches relays when gssocksd replaces them (SIGHUP).  The context is
 * deliberately never freed.
 */
static void profile_pin(void)
{
	static krb5_context pinned;
	krb5_error_code ret = krb5_init_context(&pinned);

	if (ret != 0)
		fatal("krb5_init_context failed: %s", krb5_get_error_message(NULL, ret));
}

int main(int argc, char **argv)
{
	struct relay_config cfg = { 0 };
	bool verbose = false;
	int master_fd;

	parse_args(argc, argv, &cfg, &verbose);
	log_init("gssocks-relay", true, false);
	log_set_verbose(verbose);
	/* Peers that vanish are EPIPE on the write that finds out, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	master_fd = master_channel();
	/* From here every line, start-up errors too, goes to the master. */
	log_init("gssocks-relay", false, false);
	ipc_log_to_master(master_fd);
	raise_fd_limit();
	profile_freeze();
	gss_glue_init();
	profile_pin();
	/* OpenSSL reads its configuration and seeds its DRBG on first use:
	 * that first use is now, not inside the sandbox (common/rfc4121.h). */
	if (kcrypto_preload() < 0)
		fatal("OpenSSL lacks an algorithm of the RFC 4121 fast path");
	if (!rfc4121_enabled())
		log_info("GSSOCKS_NO_FAST_PATH: every context uses gss_wrap_iov/gss_unwrap_iov");
	relay_sandbox_enter();
	relay_loop_run(&cfg, master_fd);
}
