/*
 * main.c - gssocks-authproc: command line, then the start-up sequence.
 *
 * Trust zone: authproc (started by gssocksd with fd 3 = master channel).
 * The arguments come from the authproc spawner, which built them from its
 * copy of the checked configuration (never from a master message); they
 * are still validated here.  --relay-uid is the relay user's uid (in root
 * mode; otherwise everyone's): relay channels are taken from its
 * processes only (channel_check.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "../common/log.h"
#include "../common/util.h"
#include "authproc.h"
#include "sandbox.h"

static _Noreturn void usage(void)
{
	fprintf(stderr,
		"usage: gssocks-authproc --keytab PATH [--levels 1,2,3] [--preferred 2]\n"
		"         [--allow-clear] [--allow-nec] [--auth-timeout SECONDS] [--verbose]\n"
		"         [--sandbox-without-landlock] [--replay-cache-dir DIR]\n"
		"         --relay-uid UID\n"
		"(started by gssocksd with its channel on fd 3)\n"
		"       gssocks-authproc --check --keytab PATH [--replay-cache-dir DIR] [--verbose]\n"
		"(gssocksd -t and start-up: load the keytab as at start, then exit)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "keytab", required_argument, NULL, 'k' },
		{ "levels", required_argument, NULL, 'l' },
		{ "preferred", required_argument, NULL, 'p' },
		{ "allow-clear", no_argument, NULL, 'c' },
		{ "allow-nec", no_argument, NULL, 'n' },
		{ "auth-timeout", required_argument, NULL, 't' },
		{ "relay-uid", required_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "sandbox-without-landlock", no_argument, NULL, 'L' },
		{ "replay-cache-dir", required_argument, NULL, 'r' },
		{ "check", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct authproc_options opt = {
		.keytab_path = NULL,
		.levels = { LEVEL_DEFAULT_ALLOWED, GSS_LEVEL_CONFIDENTIALITY },
		.allow_nec = false,
		.auth_timeout_s = 30,
		.verbose = false,
	};
	bool allow_clear = false, check = false;
	bool have_relay_uid = false;
	unsigned long uid;
	int ch;

	log_init("gssocks-authproc", true, false);
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			opt.keytab_path = optarg;
			break;
		case 'l':
			if (level_parse_list(optarg, &opt.levels.allowed) < 0)
				fatal("--levels %s: expected a list of 1, 2, 3", optarg);
			break;
		case 'p':
			if (gss_level_parse(optarg, &opt.levels.preferred) < 0)
				fatal("--preferred %s: unknown level", optarg);
			break;
		case 'c':
			allow_clear = true;
			break;
		case 'n':
			opt.allow_nec = true;
			break;
		case 't':
			if (parse_uint(optarg, 1, 86400, &opt.auth_timeout_s) < 0)
				fatal("--auth-timeout %s: expected 1..86400 seconds", optarg);
			break;
		case 'u':
			/* (uid_t)-1 is no uid. */
			if (parse_uint(optarg, 0, 0xfffffffeul, &uid) < 0)
				fatal("--relay-uid %s: expected a uid", optarg);
			opt.relay_uid = (uid_t)uid;
			have_relay_uid = true;
			break;
		case 'v':
			opt.verbose = true;
			break;
		case 'L':
			authproc_sandbox_without_landlock();
			break;
		case 'r':
			if (optarg[0] != '/')
				fatal("--replay-cache-dir %s: not an absolute path", optarg);
			opt.replay_cache_dir = optarg;
			break;
		case 'C':
			check = true;
			break;
		case 'V':
			printf("gssocks-authproc %s\n", GSSOCKS_VERSION);
			return 0;
		default:
			usage();
		}
	}
	/* --check serves no relay: no relay uid to know. */
	if (optind != argc || opt.keytab_path == NULL || (!check && !have_relay_uid))
		usage();
	if (allow_clear)
		opt.levels.allowed |= LEVEL_BIT(GSS_LEVEL_CLEAR);
	log_set_verbose(opt.verbose);
	/* The replay cache's place, for MIT krb5 and for the sandbox. */
	if (opt.replay_cache_dir != NULL && setenv("KRB5RCACHEDIR", opt.replay_cache_dir, 1) < 0)
		fatal("KRB5RCACHEDIR: out of memory");
	if (check)
		return authproc_check(&opt);
	return authproc_main(&opt);
}
