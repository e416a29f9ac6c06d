/*
 * options.h - the command-line options gssocks-client (main.c) and
 * gssocks-connect (connect_main.c) share: -g/--gateway, -s/--service,
 * -L/--level, --nec, -A/--accept-any-level, -v/--verbose, -V/--version.
 *
 * Trust zone: client (runs as the user; the arguments are the user's own).
 *
 * Design: each front end keeps its own getopt_long loop, usage text and
 * own options (-l, -1, -h; HOST PORT); its loop's default case hands every
 * other option to client_option(), which fills the gateway half of the
 * configuration the same way for both programs.  Usage errors print
 * "PROGRAM: what 'arg' (hint)" and the --help hint, then exit 2.
 */
#ifndef GSSOCKS_CLIENT_OPTIONS_H
#define GSSOCKS_CLIENT_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>

#include "gateway.h"

/* getopt_long value of --nec (no short form). */
#define CLIENT_OPT_NEC 256

/* The shared short options, to concatenate with a program's own. */
#define CLIENT_SHORTOPTS "g:s:L:AvV"

/* The shared long options, for a program's struct option table. */
#define CLIENT_LONGOPTS \
	{ "gateway", required_argument, NULL, 'g' }, \
	{ "service", required_argument, NULL, 's' }, \
	{ "level", required_argument, NULL, 'L' }, \
	{ "nec", no_argument, NULL, CLIENT_OPT_NEC }, \
	{ "accept-any-level", no_argument, NULL, 'A' }, \
	{ "verbose", no_argument, NULL, 'v' }, \
	{ "version", no_argument, NULL, 'V' }

struct client_options {
	const char *program;                  /* "gssocks-client", for messages */
	char gateway_host[GATEWAY_NAME_MAX];  /* -g HOST, as written */
	struct gateway_config gateway;        /* gateway.host set by client_options_done */
	bool have_gateway;
	bool verbose;
};

/* Defaults: service GATEWAY_DEFAULT_SERVICE, level confidentiality. */
void client_options_init(struct client_options *o, const char *program);

/*
 * One option c (with getopt's optarg) from the shared set; a bad value is
 * a usage error, -V prints the version and exits 0, and anything that is
 * not a shared option ('?' included) prints the --help hint and exits 2.
 */
void client_option(struct client_options *o, int c, const char *arg);

/* After the loop: -g is required; points gateway.host at gateway_host. */
void client_options_done(struct client_options *o);

/* "PROGRAM: what 'arg' (hint)", the --help hint, exit 2; arg and hint may
 * be NULL. */
_Noreturn void client_usage_error(const char *program, const char *what, const char *arg,
				  const char *hint);

#endif
