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
 * failure (one line on stderr), 2 on usage errors.  A session cut by an
 * error resets the gateway connection and, when they are sockets, stdin
 * and stdout (reset_on_exit).
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
#include "options.h"
#include "rfc4121.h"
#include "session.h"
#include "socks5.h"
#include "util.h"

#define PROGRAM  "gssocks-connect"
#define HOST_MAX 256

struct options {
	struct client_options common;   /* -g -s -L --nec -A -v -V (options.c) */
	struct socks5_request req;
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
		client_usage_error(PROGRAM, "bad port", port, "1..65535");
	memset(dst, 0, sizeof(*dst));
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(literal)) {
		memcpy(literal, host + 1, n - 2);
		literal[n - 2] = '\0';
		if (strchr(literal, ':') == NULL ||
		    sockaddr_parse_numeric(literal, (uint16_t)p, &ss, &sslen) < 0)
			client_usage_error(PROGRAM, "bad host", host, "[IPV6] must hold an IPv6 address");
	} else if (sockaddr_parse_numeric(host, (uint16_t)p, &ss, &sslen) < 0) {
		if (n == 0 || n > SOCKS5_NAME_MAX)
			client_usage_error(PROGRAM, "bad host", host, "a name of 1 to 255 octets or an address");
		dst->atyp = SOCKS5_ATYP_DOMAIN;
		memcpy(dst->u.name, host, n + 1);
		dst->port = (uint16_t)p;
		return;
	}
	if (socks5_addr_from_sockaddr(dst, (struct sockaddr *)&ss) < 0)
		client_usage_error(PROGRAM, "bad host", host, "not an IPv4 or IPv6 address");
	dst->port = (uint16_t)p;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		CLIENT_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	client_options_init(&o->common, PROGRAM);

	/* "+": options end at HOST, so a port or name never reads as one. */
	while ((c = getopt_long(argc, argv, "+" CLIENT_SHORTOPTS "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			exit(0);
		default:
			client_option(&o->common, c, optarg);
			break;
		}
	}
	client_options_done(&o->common);
	if (argc - optind != 2) {
		if (argc - optind > 2)
			client_usage_error(PROGRAM, "unexpected argument", argv[optind + 2], NULL);
		client_usage_error(PROGRAM, "missing destination", NULL, "HOST PORT");
	}
	o->req.cmd = SOCKS5_CMD_CONNECT;
	parse_destination(&o->req.dst, argv[optind], argv[optind + 1]);
}

/*
 * The session was cut: the gateway gets a reset, and so does the calling
 * program where stdin/stdout are sockets (exit closes them); a pipe has no
 * reset, its reader sees end of file, and only the exit status 1 and the
 * line on stderr tell it the stream is incomplete (gssocks-connect(1)).
 */
static void reset_on_exit(struct gateway_session *s)
{
	(void)sock_set_reset_on_close(s->fd, true);
	(void)sock_set_reset_on_close(STDOUT_FILENO, true);
	(void)sock_set_reset_on_close(STDIN_FILENO, true);
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
	diag_init(PROGRAM, o.common.verbose);
	if (!rfc4121_enabled())
		diag_step("GSSOCKS_NO_FAST_PATH: gss_wrap/gss_unwrap for every context");
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
		  o.common.gateway.host, o.common.gateway.port, o.common.gateway.service,
		  gss_level_name(o.common.gateway.level));

	arm_negotiation_timeout();
	gateway_session_init(&s);
	if (gateway_open(&o.common.gateway, &s) < 0 || gateway_request(&s, &o.req, &rep) < 0) {
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
	if (rc != 0)
		reset_on_exit(&s);
	gateway_close(&s);
	diag_step("session ended: %llu octets sent, %llu received",
		  (unsigned long long)stats.to_gateway, (unsigned long long)stats.from_gateway);
	return rc == 0 ? 0 : 1;
}
