/*
 * connect_main.c - gssocks-connect: one connection through a gssocks
 * (RFC 1961) gateway, relayed on stdin/stdout, for ssh's ProxyCommand:
 *   ssh -o ProxyCommand='gssocks-connect -g gw.example.com %h %p' host
 * See gssocks-connect(1).
 *
 * Trust zone: client.  Runs as the user with the user's Kerberos
 * credentials (KRB5CCNAME); holds no privileges and needs none.  stdin
 * and stdout belong to the calling program (ssh); the gateway is
 * untrusted until the GSS-API context authenticated it, and its data
 * only reaches stdout after gss_unwrap accepted it (forward.c).
 *
 * Design: a thin front end over the steps gssocks-client uses
 * (gateway.c, handshake.c, wrapio.c, forward.c), in one process:
 * parse HOST PORT into an RFC 1928 address (IPv4 / IPv6 literal, or a
 * name sent as ATYP domain so the gateway resolves it), open the
 * gateway session, send CONNECT, then forward_run() between fds 0/1 and
 * the gateway.  Half-close follows forward_run(): stdin EOF becomes
 * shutdown(SHUT_WR) towards the gateway, the gateway's EOF closes (or
 * shuts down) stdout.  The negotiation is bounded by the same alarm as
 * gssocks-client's (session.c), disarmed once the relay starts.
 * Exit status: 0 when the session worked and ended cleanly, 1 on any
 * failure (one line on stderr), 2 on usage errors.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"
#include "forward.h"
#include "gateway.h"
#include "session.h"
#include "socks5.h"
#include "util.h"

#define PROGRAM  "gssocks-connect"
#define HOST_MAX 256

struct options {
	char gateway_host[HOST_MAX];
	struct gateway_config gateway;
	struct socks5_request req;
	bool verbose;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: " PROGRAM " -g GATEWAY[:PORT] [-s SERVICE] [-L LEVEL] [--nec] [-A]\n"
		"       [-v] HOST PORT\n"
		"\n"
		"Connect to HOST:PORT through a GSS-API (Kerberos) SOCKS gateway\n"
		"(RFC 1961) and relay the connection on stdin/stdout.\n"
		"\n"
		"  -g, --gateway HOST[:PORT]   gateway (port %u); HOST as written is also\n"
		"                              the GSS-API target host (SERVICE@HOST)\n"
		"  -s, --service NAME          GSS-API service name (default \"%s\")\n"
		"  -L, --level LEVEL           protection asked: confidentiality (default),\n"
		"                              integrity, selective, or clear (no protection)\n"
		"      --nec                   send the level octet unwrapped (NEC style)\n"
		"  -A, --accept-any-level      accept the level the gateway chooses\n"
		"                              (never clear unless clear was asked)\n"
		"  -v, --verbose               print each step on stderr\n"
		"  -h, --help                  this text\n"
		"  -V, --version               print the version\n"
		"\n"
		"HOST is sent to the gateway as written: an IPv4 or IPv6 literal as an\n"
		"address, anything else as a name that the gateway resolves.\n"
		"Kerberos settings come from the environment (KRB5CCNAME, KRB5_CONFIG).\n"
		"Example: ssh -o ProxyCommand='" PROGRAM " -g gw.example.com %%h %%p' host\n",
		GATEWAY_DEFAULT_PORT, GATEWAY_DEFAULT_SERVICE);
}

/* "PROGRAM: what 'arg' (hint)" and exit 2; arg and hint may be NULL. */
static _Noreturn void usage_error(const char *what, const char *arg, const char *hint)
{
	fprintf(stderr, PROGRAM ": %s", what);
	if (arg != NULL)
		fprintf(stderr, " '%s'", arg);
	if (hint != NULL)
		fprintf(stderr, " (%s)", hint);
	fprintf(stderr, "\nTry '" PROGRAM " --help'.\n");
	exit(2);
}

/*
 * The destination as an RFC 1928 address: a numeric IPv4 or IPv6 literal
 * (brackets around IPv6 allowed) becomes ATYP 01 / 04, anything else a
 * name (ATYP 03, 1..255 octets) for the gateway to resolve.
 */
static void parse_destination(struct socks5_addr *dst, const char *host, const char *port)
{
	char literal[HOST_MAX];
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	unsigned long p;
	size_t n = strlen(host);

	if (parse_uint(port, 1, 65535, &p) < 0)
		usage_error("bad port", port, "1..65535");
	memset(dst, 0, sizeof(*dst));
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(literal)) {
		memcpy(literal, host + 1, n - 2);
		literal[n - 2] = '\0';
		if (strchr(literal, ':') == NULL ||
		    sockaddr_parse_numeric(literal, (uint16_t)p, &ss, &sslen) < 0)
			usage_error("bad host", host, "[IPV6] must hold an IPv6 address");
	} else if (sockaddr_parse_numeric(host, (uint16_t)p, &ss, &sslen) < 0) {
		if (n == 0 || n > SOCKS5_NAME_MAX)
			usage_error("bad host", host, "a name of 1 to 255 octets or an address");
		dst->atyp = SOCKS5_ATYP_DOMAIN;
		memcpy(dst->u.name, host, n + 1);
		dst->port = (uint16_t)p;
		return;
	}
	if (socks5_addr_from_sockaddr(dst, (struct sockaddr *)&ss) < 0)
		usage_error("bad host", host, "not an IPv4 or IPv6 address");
	dst->port = (uint16_t)p;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_NEC = 256 };
	static const struct option longopts[] = {
		{ "gateway", required_argument, NULL, 'g' },
		{ "service", required_argument, NULL, 's' },
		{ "level", required_argument, NULL, 'L' },
		{ "nec", no_argument, NULL, OPT_NEC },
		{ "accept-any-level", no_argument, NULL, 'A' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_gateway = false;
	int c;

	memset(o, 0, sizeof(*o));
	o->gateway.service = GATEWAY_DEFAULT_SERVICE;
	o->gateway.level = GSS_LEVEL_CONFIDENTIALITY;

	/* "+": options end at HOST, so a port or name never reads as one. */
	while ((c = getopt_long(argc, argv, "+g:s:L:AvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'g':
			if (hostport_parse(optarg, o->gateway_host, sizeof(o->gateway_host),
					   &o->gateway.port, GATEWAY_DEFAULT_PORT) < 0 ||
			    o->gateway.port == 0)
				usage_error("bad gateway", optarg, "HOST[:PORT] or [IPV6]:PORT");
			have_gateway = true;
			break;
		case 's':
			if (optarg[0] == '\0' || strchr(optarg, '@') != NULL)
				usage_error("bad service name", optarg, NULL);
			o->gateway.service = optarg;
			break;
		case 'L':
			if (strcmp(optarg, "0") == 0)
				o->gateway.level = GSS_LEVEL_CLEAR;
			else if (gss_level_parse(optarg, &o->gateway.level) < 0)
				usage_error("bad level", optarg,
					    "clear, integrity, confidentiality, selective");
			break;
		case OPT_NEC:
			o->gateway.nec = true;
			break;
		case 'A':
			o->gateway.accept_any = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf(PROGRAM " " GSSOCKS_VERSION "\n");
			exit(0);
		default:
			fprintf(stderr, "Try '" PROGRAM " --help'.\n");
			exit(2);
		}
	}
	if (!have_gateway)
		usage_error("no gateway given", NULL, "-g HOST[:PORT]");
	if (argc - optind != 2) {
		if (argc - optind > 2)
			usage_error("unexpected argument", argv[optind + 2], NULL);
		usage_error("missing destination", NULL, "HOST PORT");
	}
	o->gateway.host = o->gateway_host;
	o->req.cmd = SOCKS5_CMD_CONNECT;
	parse_destination(&o->req.dst, argv[optind], argv[optind + 1]);
}

int main(int argc, char **argv)
{
	struct options o;
	struct gateway_session s;
	struct socks5_reply rep;
	struct forward_stats stats;
	struct sigaction sa;
	char dst[SOCKS5_NAME_MAX * 4 + 16];
	int rc;

	parse_options(argc, argv, &o);
	diag_init(PROGRAM, o.verbose);
	/* A reader that went away is EPIPE, reported where it happens. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPIPE, &sa, NULL) < 0) {
		diag_fail("sigaction: %s", strerror(errno));
		return 1;
	}
	socks5_addr_format(&o.req.dst, dst, sizeof(dst));
	diag_step("connect %s via gateway %s port %u, service %s, level %s", dst,
		  o.gateway.host, o.gateway.port, o.gateway.service,
		  gss_level_name(o.gateway.level));

	arm_negotiation_timeout();
	gateway_session_init(&s);
	if (gateway_open(&o.gateway, &s) < 0 || gateway_request(&s, &o.req, &rep) < 0) {
		gateway_close(&s);
		return 1;
	}
	if (rep.rep != SOCKS5_REP_OK) {
		diag_fail("CONNECT %s: gateway refused: %s (REP %02x)", dst,
			  socks5_rep_name(rep.rep), rep.rep);
		gateway_close(&s);
		return 1;
	}
	alarm(0);
	rc = forward_run(&s, STDIN_FILENO, STDOUT_FILENO, NULL, 0, &stats);
	gateway_close(&s);
	diag_step("session ended: %llu octets sent, %llu received",
		  (unsigned long long)stats.to_gateway, (unsigned long long)stats.from_gateway);
	return rc == 0 ? 0 : 1;
}
