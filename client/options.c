/*
 * options.c - the options gssocks-client and gssocks-connect share; see
 * options.h.
 *
 * Trust zone: client (the user's own arguments).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "options.h"
#include "util.h"

_Noreturn void client_usage_error(const char *program, const char *what, const char *arg,
				  const char *hint)
{
	fprintf(stderr, "%s: %s", program, what);
	if (arg != NULL)
		fprintf(stderr, " '%s'", arg);
	if (hint != NULL)
		fprintf(stderr, " (%s)", hint);
	fprintf(stderr, "\nTry '%s --help'.\n", program);
	exit(2);
}

void client_options_init(struct client_options *o, const char *program)
{
	memset(o, 0, sizeof(*o));
	o->program = program;
	o->gateway.service = GATEWAY_DEFAULT_SERVICE;
	o->gateway.level = GSS_LEVEL_CONFIDENTIALITY;
}

void client_option(struct client_options *o, int c, const char *arg)
{
	switch (c) {
	case 'g':
		if (hostport_parse(arg, o->gateway_host, sizeof(o->gateway_host),
				   &o->gateway.port, GATEWAY_DEFAULT_PORT) < 0 ||
		    o->gateway.port == 0)
			client_usage_error(o->program, "bad gateway", arg,
					   "HOST[:PORT] or [IPV6]:PORT");
		o->have_gateway = true;
		break;
	case 's':
		if (arg[0] == '\0' || strchr(arg, '@') != NULL)
			client_usage_error(o->program, "bad service name", arg, NULL);
		o->gateway.service = arg;
		break;
	case 'L':
		/* "0" is clear as well (Dante's and curl's spelling). */
		if (strcmp(arg, "0") == 0)
			o->gateway.level = GSS_LEVEL_CLEAR;
		else if (gss_level_parse(arg, &o->gateway.level) < 0)
			client_usage_error(o->program, "bad level", arg,
					   "clear, integrity, confidentiality, selective");
		break;
	case CLIENT_OPT_NEC:
		o->gateway.nec = true;
		break;
	case 'A':
		o->gateway.accept_any = true;
		break;
	case 'v':
		o->verbose = true;
		break;
	case 'V':
		printf("%s " GSSOCKS_VERSION "\n", o->program);
		exit(0);
	default:
		fprintf(stderr, "Try '%s --help'.\n", o->program);
		exit(2);
	}
}

void client_options_done(struct client_options *o)
{
	if (!o->have_gateway)
		client_usage_error(o->program, "no gateway given", NULL, "-g HOST[:PORT]");
	o->gateway.host = o->gateway_host;
}
