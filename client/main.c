/*
 * main.c - gssocks-client: a local SOCKS5 forwarder that carries each
 * connection to a gssocks (RFC 1961) gateway over a GSS-API/Kerberos
 * protected tunnel.  See gssocks-client(1).
 *
 * Trust zone: client.  Runs as the user with the user's Kerberos
 * credentials (KRB5CCNAME); listens on loopback unless told otherwise;
 * holds no privileges and needs none.
 *
 * Design: the parent only accepts; each accepted connection is served by
 * a forked child (session.c).  A process per connection is the simple
 * correct design for a user tool: the GSS-API handshake talks to the KDC
 * with blocking library calls (DNS, TCP or UDP to the KDC, ccache file
 * locking), which an event loop could not interleave without threads, and
 * a child that fails or is attacked by a bad gateway takes only its own
 * connection down.  The parent reaps children on SIGCHLD.  -1 serves one
 * connection and exits with that child's status (tests, scripts).
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "advice.h"
#include "diag.h"
#include "gateway.h"
#include "options.h"
#include "rfc4121.h"
#include "session.h"
#include "util.h"

#define PROGRAM              "gssocks-client"
#define DEFAULT_LISTEN_HOST  "127.0.0.1"
#define DEFAULT_LISTEN_PORT  1081
#define HOST_MAX             256

struct options {
	char listen_host[HOST_MAX];
	uint16_t listen_port;
	struct client_options common;   /* -g -s -L --nec -A -v -V (options.c) */
	bool once;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: " PROGRAM " -g GATEWAY[:PORT] [-l [LISTEN:]PORT] [-s SERVICE]\n"
		"       [-L LEVEL] [--nec] [-A] [-v] [-1]\n"
		"\n"
		"Local SOCKS5 forwarder to a GSS-API (Kerberos) SOCKS gateway (RFC 1961).\n"
		"Programs connect to LISTEN with plain SOCKS5 (no authentication);\n"
		"each connection is authenticated to GATEWAY with your Kerberos\n"
		"credentials and protected with the GSS-API session keys.\n"
		"\n"
		"  -g, --gateway HOST[:PORT]   gateway (port %u); HOST as written is also\n"
		"                              the GSS-API target host (SERVICE@HOST)\n"
		"  -l, --listen ADDR[:PORT]    local listener (default %s:%u);\n"
		"                              a bare PORT listens on %s\n"
		"  -s, --service NAME          GSS-API service name (default \"%s\")\n"
		"  -L, --level LEVEL           protection asked: confidentiality (default),\n"
		"                              integrity, selective, or clear (no protection)\n"
		"      --nec                   send the level octet unwrapped (NEC style)\n"
		"  -A, --accept-any-level      accept the level the gateway chooses\n"
		"                              (never clear unless clear was asked)\n"
		"  -v, --verbose               print each step on stderr\n"
		"  -1, --once                  serve one connection, exit with its status\n"
		"  -h, --help                  this text\n"
		"  -V, --version               print the version\n"
		"\n"
		"Kerberos settings come from the environment (KRB5CCNAME, KRB5_CONFIG).\n"
		"Example: " PROGRAM " -g gw.example.com &\n"
		"         curl --socks5-hostname 127.0.0.1:%u https://intranet.example.com/\n",
		GATEWAY_DEFAULT_PORT, DEFAULT_LISTEN_HOST, DEFAULT_LISTEN_PORT,
		DEFAULT_LISTEN_HOST, GATEWAY_DEFAULT_SERVICE, DEFAULT_LISTEN_PORT);
}

static void parse_listen(struct options *o, const char *arg)
{
	unsigned long port;

	if (parse_uint(arg, 0, 65535, &port) == 0) {
		/* A bare port: loopback only. */
		snprintf(o->listen_host, sizeof(o->listen_host), "%s", DEFAULT_LISTEN_HOST);
		o->listen_port = (uint16_t)port;
		return;
	}
	if (hostport_parse(arg, o->listen_host, sizeof(o->listen_host), &o->listen_port,
			   DEFAULT_LISTEN_PORT) < 0)
		client_usage_error(PROGRAM, "bad listen address", arg,
				   "ADDRESS[:PORT], [IPV6]:PORT or PORT");
}

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },   /* first: --l lists it first */
		CLIENT_LONGOPTS,
		{ "once", no_argument, NULL, '1' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	client_options_init(&o->common, PROGRAM);
	snprintf(o->listen_host, sizeof(o->listen_host), "%s", DEFAULT_LISTEN_HOST);
	o->listen_port = DEFAULT_LISTEN_PORT;

	while ((c = getopt_long(argc, argv, CLIENT_SHORTOPTS "l:1h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			parse_listen(o, optarg);
			break;
		case '1':
			o->once = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			client_option(&o->common, c, optarg);
			break;
		}
	}
	if (optind != argc)
		client_usage_error(PROGRAM, "unexpected argument", argv[optind], NULL);
	client_options_done(&o->common);
}

static int open_listener(const struct options *o)
{
	struct addrinfo hints, *list = NULL, *ai;
	char portstr[8], where[128];
	int rc, fd = -1, saved = 0;
	const int one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%u", o->listen_port);
	rc = getaddrinfo(o->listen_host, portstr, &hints, &list);
	if (rc != 0) {
		diag_fail("listening on %s: %s", o->listen_host,
			  rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	for (ai = list; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
		    bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(list);
	if (fd < 0) {
		diag_fail("listening on %s port %u: %s", o->listen_host, o->listen_port,
			  strerror(saved));
		return -1;
	}
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0) {
		sockaddr_format((struct sockaddr *)&ss, where, sizeof(where));
		diag_step("listening on %s, gateway %s port %u, service %s, level %s", where,
			  o->common.gateway.host, o->common.gateway.port, o->common.gateway.service,
			  gss_level_name(o->common.gateway.level));
	}
	return fd;
}

static void reap_children(int sig)
{
	int saved = errno;

	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	errno = saved;
}

static void set_signal(int sig, void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART | (sig == SIGCHLD ? SA_NOCLDSTOP : 0);
	if (sigaction(sig, &sa, NULL) < 0) {
		diag_fail("sigaction: %s", strerror(errno));
		exit(1);
	}
}

static int wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			diag_fail("waiting for the connection's process: %s", strerror(errno));
			return 1;
		}
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	diag_fail("connection's process killed by signal %d", WTERMSIG(status));
	return 1;
}

static int serve(const struct options *o, int listen_fd)
{
	for (;;) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		pid_t pid;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			diag_fail("accepting a connection: %s", strerror(errno));
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* Out of resources: wait for children to finish. */
				sleep(1);
				continue;
			}
			return 1;
		}
		pid = fork();
		if (pid < 0) {
			diag_fail("fork: %s", strerror(errno));
			close(fd);
			if (o->once)
				return 1;
			sleep(1);
			continue;
		}
		if (pid == 0) {
			close(listen_fd);
			set_signal(SIGCHLD, SIG_DFL);
			exit(session_run(fd, &o->common.gateway));
		}
		close(fd);
		if (o->once) {
			close(listen_fd);
			return wait_child(pid);
		}
	}
}

int main(int argc, char **argv)
{
	struct options o;
	int listen_fd;

	parse_options(argc, argv, &o);
	diag_init(PROGRAM, o.common.verbose);
	if (!rfc4121_enabled())
		diag_step("GSSOCKS_NO_FAST_PATH: gss_wrap/gss_unwrap for every context");
	/* Broken connections are EPIPE, reported where they happen. */
	set_signal(SIGPIPE, SIG_IGN);
	if (!o.once)
		set_signal(SIGCHLD, reap_children);
	listen_fd = open_listener(&o);
	if (listen_fd < 0)
		return 1;
	/* Told now as well as on each connection; the forwarder keeps
	 * listening, so a kinit afterwards needs no restart. */
	if (!o.once)
		(void)advice_check_credentials();
	return serve(&o, listen_fd);
}
