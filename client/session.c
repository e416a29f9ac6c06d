/*
 * session.c - one local connection: the plain SOCKS5 server side towards
 * the local program, then the gateway session, then the relay.
 *
 * Trust zone: client, in a per-connection child process.
 *
 * Design: blocking reads into a small iobuf.  A local program may send its
 * request (and even its first data) without waiting for our answers; what
 * it sent beyond the message being parsed stays queued and is handed on
 * (request after greeting, early data to the relay), never dropped.  The
 * local program always gets an RFC 1928 reply: the gateway's REP and BND
 * when the gateway answered, 01 (general failure) when the gateway could
 * not be reached or authenticated, 07 for unknown commands (BIND: both
 * replies, client/bind.c; UDP ASSOCIATE: client/udp.c).
 * A relay that ends by an error (gateway reset, frame cut short, unwrap
 * failure, local error) resets the local connection and the gateway's
 * (SO_LINGER 0): only an orderly end reaches the local program as EOF.
 *
 * Everything before the relay (local greeting and request, gateway
 * connect, KDC exchanges, context loop, level, reply) must finish within
 * NEGOTIATION_TIMEOUT seconds: a silent local program or a stalled gateway
 * must not leave a process behind forever.  Blocking calls inside the
 * GSS-API library cannot be interrupted cleanly, so the alarm simply ends
 * this connection's process with one line on stderr.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "bind.h"
#include "udp.h"
#include "forward.h"
#include "util.h"

#include "session.h"

#ifndef NEGOTIATION_TIMEOUT
#define NEGOTIATION_TIMEOUT 60
#endif

static const char *timeout_message;
static size_t timeout_message_len;

static void negotiation_timed_out(int sig)
{
	ssize_t w;

	(void)sig;
	w = write(STDERR_FILENO, timeout_message, timeout_message_len);
	(void)w;
	_exit(1);
}

void arm_negotiation_timeout(void)
{
	static char message[128];
	struct sigaction sa;
	int n;

	n = snprintf(message, sizeof(message),
		     "%s: negotiation: no progress within %d seconds, connection closed\n",
		     diag_program(), NEGOTIATION_TIMEOUT);
	timeout_message = message;
	timeout_message_len = n > 0 && (size_t)n < sizeof(message) ? (size_t)n : 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = negotiation_timed_out;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(NEGOTIATION_TIMEOUT);
}

/* Read more from the local peer: 0 ok, -1 on EOF/error/full (printed). */
static int local_fill(struct local_peer *lp, const char *what)
{
	ssize_t n;

	for (;;) {
		n = iobuf_read_fd(&lp->in, lp->fd, iobuf_room(&lp->in));
		if (n > 0)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	if (n == 0)
		diag_fail("local client: %s: connection closed", what);
	else if (errno == ENOBUFS)
		diag_fail("local client: %s: message too long", what);
	else
		diag_fail("local client: %s: %s", what, strerror(errno));
	return -1;
}

static int local_read_greeting(struct local_peer *lp, struct socks5_greeting *g)
{
	const char *why = NULL;
	size_t used;

	for (;;) {
		int rc = socks5_greeting_parse(iobuf_peek(&lp->in), iobuf_used(&lp->in), g, &used,
					       &why);
		if (rc == 1) {
			iobuf_consume(&lp->in, used);
			return 0;
		}
		if (rc < 0) {
			diag_fail("local client: bad greeting: %s", why ? why : "malformed");
			return -1;
		}
		if (local_fill(lp, "reading the greeting") < 0)
			return -1;
	}
}

static int local_read_request(struct local_peer *lp, struct socks5_request *req)
{
	const char *why = NULL;
	size_t used;

	for (;;) {
		int rc = socks5_request_parse(iobuf_peek(&lp->in), iobuf_used(&lp->in), req, &used,
					      &why);
		if (rc == 1) {
			iobuf_consume(&lp->in, used);
			return 0;
		}
		if (rc < 0) {
			diag_fail("local client: bad request: %s", why ? why : "malformed");
			return -1;
		}
		if (local_fill(lp, "reading the request") < 0)
			return -1;
	}
}

static int local_send(struct local_peer *lp, const struct wbuf *wb, const char *what)
{
	if (wbuf_ok(wb) < 0) {
		diag_fail("local client: %s: cannot encode", what);
		return -1;
	}
	if (wrapio_write_all(lp->fd, wb->data, wb->len) < 0) {
		diag_fail("local client: %s: %s", what, strerror(errno));
		return -1;
	}
	return 0;
}

static int local_send_method(struct local_peer *lp, uint8_t method)
{
	uint8_t out[2];
	struct wbuf wb;

	wbuf_init(&wb, out, sizeof(out));
	socks5_method_put(&wb, method);
	return local_send(lp, &wb, "sending the method selection");
}

int local_send_reply(struct local_peer *lp, uint8_t rep, const struct socks5_addr *bnd)
{
	uint8_t out[SOCKS5_MSG_MAX];
	struct socks5_reply reply;
	struct wbuf wb;

	memset(&reply, 0, sizeof(reply));
	reply.rep = rep;
	if (bnd != NULL)
		reply.bnd = *bnd;
	else
		reply.bnd.atyp = SOCKS5_ATYP_IPV4;
	wbuf_init(&wb, out, sizeof(out));
	socks5_reply_put(&wb, &reply);
	return local_send(lp, &wb, "sending the reply");
}

int local_relay(struct local_peer *lp, struct gateway_session *gs)
{
	struct forward_stats stats;
	int rc;

	alarm(0);
	rc = forward_run(gs, lp->fd, lp->fd, iobuf_peek(&lp->in), iobuf_used(&lp->in), &stats);
	if (rc != 0) {
		/* Cut (a frame cut short, an unwrap failure, a reset...): the
		 * local program and the gateway get a reset, never an end of
		 * file that would pass for a complete transfer. */
		(void)sock_set_reset_on_close(gs->fd, true);
		close_fd_reset(&lp->fd);
	}
	gateway_close(gs);
	return rc == 0 ? 0 : 1;
}

int local_open_request(struct local_peer *lp, const struct gateway_config *cfg,
		       const struct socks5_request *req, struct gateway_session *gs)
{
	struct socks5_reply rep;
	char dst[SOCKS5_NAME_MAX * 4 + 16];

	socks5_addr_format(&req->dst, dst, sizeof(dst));
	gateway_session_init(gs);
	if (gateway_open(cfg, gs) < 0) {
		local_send_reply(lp, SOCKS5_REP_GENERAL_FAILURE, NULL);
		return -1;
	}
	if (gateway_request(gs, req, &rep) < 0) {
		gateway_close(gs);
		local_send_reply(lp, SOCKS5_REP_GENERAL_FAILURE, NULL);
		return -1;
	}
	if (rep.rep != SOCKS5_REP_OK) {
		diag_fail("%s %s: gateway replied: %s",
			  req->cmd == SOCKS5_CMD_BIND ? "BIND" : "CONNECT", dst,
			  socks5_rep_name(rep.rep));
		gateway_close(gs);
		local_send_reply(lp, rep.rep, &rep.bnd);
		return -1;
	}
	if (local_send_reply(lp, SOCKS5_REP_OK, &rep.bnd) < 0) {
		gateway_close(gs);
		return -1;
	}
	return 0;
}

/* After the request: gateway, reply, relay.  Returns the exit status. */
static int serve_connect(struct local_peer *lp, const struct gateway_config *cfg,
			 const struct socks5_request *req)
{
	struct gateway_session gs;

	if (local_open_request(lp, cfg, req, &gs) < 0)
		return 1;
	return local_relay(lp, &gs);
}

int session_run(int local_fd, const struct gateway_config *cfg)
{
	struct local_peer lp;
	struct socks5_greeting greeting;
	struct socks5_request req;
	char dst[SOCKS5_NAME_MAX * 4 + 16];
	int status = 1;

	lp.fd = local_fd;
	iobuf_init(&lp.in, lp.storage, sizeof(lp.storage));
	arm_negotiation_timeout();

	if (local_read_greeting(&lp, &greeting) < 0)
		goto out;
	if (!socks5_greeting_offers(&greeting, SOCKS5_METHOD_NONE)) {
		diag_fail("local client: greeting does not offer method 00 (no authentication)");
		local_send_method(&lp, SOCKS5_METHOD_REFUSED);
		goto out;
	}
	if (local_send_method(&lp, SOCKS5_METHOD_NONE) < 0 || local_read_request(&lp, &req) < 0)
		goto out;
	socks5_addr_format(&req.dst, dst, sizeof(dst));
	diag_step("local client asks %s %s", socks5_cmd_name(req.cmd), dst);
	if (req.cmd == SOCKS5_CMD_BIND) {
		status = bind_serve(&lp, cfg, &req);
		goto out;
	}
	if (req.cmd == SOCKS5_CMD_UDP) {
		status = udp_serve(&lp, cfg, &req);
		goto out;
	}
	if (req.cmd != SOCKS5_CMD_CONNECT) {
		diag_fail("local client: %s %s: only CONNECT, BIND and UDP ASSOCIATE are forwarded",
			  socks5_cmd_name(req.cmd), dst);
		local_send_reply(&lp, SOCKS5_REP_CMD_UNSUPPORTED, NULL);
		goto out;
	}
	status = serve_connect(&lp, cfg, &req);
out:
	close_fd(&lp.fd);
	return status;
}
