/*
 * main.c - gssocksd(8): the SOCKS V5 / GSS-API gateway's master process.
 *
 * Trust zone: master.  Only the command line is handled here; everything
 * else is master_run() (master.c).
 *
 *   gssocksd [-f CONFIG] [-D] [-e] [-d] [-t] [-V]
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"        /* generated: GSSOCKS_VERSION, GSSOCKS_SYSCONFDIR */
#include "master.h"

static _Noreturn void usage(void)
{
	fprintf(stderr, "usage: gssocksd [-f config] [-D] [-e] [-d] [-t] [-V]\n");
	exit(1);
}

int main(int argc, char **argv)
{
	struct master_options opts = {
		.config_path = GSSOCKS_SYSCONFDIR "/gssocksd.conf",
	};
	int c;

	while ((c = getopt(argc, argv, "f:DedtV")) != -1) {
		switch (c) {
		case 'f': opts.config_path = optarg; break;
		case 'D': opts.foreground = true; break;
		case 'e': opts.log_stderr = true; break;
		case 'd': opts.debug = true; break;
		case 't': opts.check_only = true; break;
		case 'V':
			printf("gssocksd %s\n", GSSOCKS_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	return master_run(&opts);
}
