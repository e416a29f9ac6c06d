/*
 * gateway.c - connect to the gateway, select the GSS-API method, run the
 * handshake (handshake.c), exchange the encapsulated RFC 1928 request and
 * reply.  See gateway.h.
 *
 * Trust zone: client.  The gateway's method answer and reply are parsed
 * through proto/socks5.h; the reply only after it unwrapped cleanly.
 *
 * Design: blocking sockets, one session per process.  Reads never take more
 * than the message being read (exact frame reads; at level clear the plain
 * reply is read octet by octet until it parses) so that data the
 * destination sends right after the reply is left for the relay loop.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "advice.h"
#include "buf.h"
#include "diag.h"
#include "handshake.h"
#include "log.h"
#include "util.h"

#include "gateway.h"

void gateway_session_init(struct gateway_session *s)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->prot.ctx = GSS_C_NO_CONTEXT;
}

static int gateway_connect(const struct gateway_config *cfg, struct gateway_session *s)
{
	struct addrinfo hints, *list = NULL, *ai;
	char portstr[8], where[128];
	int rc, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%u", cfg->port);
	rc = getaddrinfo(cfg->host, portstr, &hints, &list);
	if (rc != 0) {
		diag_fail("resolving gateway %s: %s", cfg->host,
			  rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	for (ai = list; ai != NULL; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			/* Negotiation is many small messages: no Nagle. */
			if (sock_set_nodelay(fd) < 0)
				diag_step("TCP_NODELAY on the gateway connection: %s", strerror(errno));
			sockaddr_format(ai->ai_addr, where, sizeof(where));
			diag_step("connected to gateway %s (%s)", cfg->host, where);
			s->fd = fd;
			freeaddrinfo(list);
			return 0;
		}
		saved = errno;
		close(fd);
	}
	freeaddrinfo(list);
	diag_fail("connecting to gateway %s port %u: %s", cfg->host, cfg->port,
		  strerror(saved ? saved : ECONNREFUSED));
	return -1;
}

/*
 * After 05 ff: gssocksd says why when it refuses for load (SOCKS5_BUSY_TEXT
 * follows, then it closes).  True when that text came within a second.
 */
static bool gateway_busy(int fd)
{
	static const char busy[] = SOCKS5_BUSY_TEXT;
	char got[sizeof(busy) - 1];
	size_t have = 0;

	while (have < sizeof(got)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 1000) <= 0)
			return false;
		n = recv(fd, got + have, sizeof(got) - have, 0);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return false;
		}
		have += (size_t)n;
	}
	return memcmp(got, busy, sizeof(got)) == 0;
}

/* RFC 1928 section 3: offer GSS-API only. */
static int gateway_select_method(const struct gateway_config *cfg, struct gateway_session *s)
{
	static const uint8_t methods[] = { SOCKS5_METHOD_GSSAPI };
	uint8_t out[8], in[2];
	struct wbuf wb;
	const char *why = NULL;
	uint8_t method;
	size_t used;

	wbuf_init(&wb, out, sizeof(out));
	if (socks5_greeting_put(&wb, methods, sizeof(methods)) < 0)
		bug("method selection: greeting does not fit");
	if (wrapio_write_all(s->fd, out, wb.len) < 0) {
		diag_fail("method selection: sending the greeting: %s", strerror(errno));
		return -1;
	}
	if (wrapio_read_exact(s->fd, in, sizeof(in), &why) < 0) {
		diag_fail("method selection: reading the gateway's answer: %s", why);
		return -1;
	}
	if (socks5_method_parse(in, sizeof(in), &method, &used, &why) != 1) {
		diag_fail("method selection: bad answer from the gateway: %s",
			  why ? why : "truncated");
		return -1;
	}
	if (method == SOCKS5_METHOD_REFUSED) {
		if (gateway_busy(s->fd))
			diag_fail("gateway %s refuses new connections (limit reached); "
				  "try again later", cfg->host);
		else
			diag_fail("method selection: gateway refused the GSS-API method (05 ff)");
		return -1;
	}
	if (method != SOCKS5_METHOD_GSSAPI) {
		diag_fail("method selection: gateway chose method 0x%02x, which was not offered",
			  method);
		return -1;
	}
	return 0;
}

int gateway_open(const struct gateway_config *cfg, struct gateway_session *s)
{
	if (advice_check_credentials() < 0 || gateway_connect(cfg, s) < 0 ||
	    gateway_select_method(cfg, s) < 0 ||
	    handshake_context(cfg, s) < 0 || handshake_level(cfg, s) < 0) {
		gateway_close(s);
		return -1;
	}
	return 0;
}

/* Level clear: read the plain reply, octet by octet, until it parses. */
static int read_plain_reply(struct gateway_session *s, struct socks5_reply *rep)
{
	uint8_t in[SOCKS5_MSG_MAX];
	size_t have = 0, used;
	const char *why = NULL;

	for (;;) {
		int rc = socks5_reply_parse(in, have, rep, &used, &why);
		if (rc == 1)
			return 0;
		if (rc < 0 || have == sizeof(in)) {
			diag_fail("request: bad reply from the gateway: %s", why ? why : "too long");
			return -1;
		}
		if (wrapio_read_exact(s->fd, in + have, 1, &why) < 0) {
			diag_fail("request: reading the gateway's reply: %s", why);
			return -1;
		}
		have++;
	}
}

static int reply_parse(const uint8_t *p, size_t n, struct socks5_reply *rep)
{
	const char *why = NULL;
	size_t used;
	int parsed = socks5_reply_parse(p, n, rep, &used, &why);

	if (parsed != 1) {
		diag_fail("request: bad reply from the gateway: %s", parsed == 0 ? "truncated" : why);
		return -1;
	}
	if (used != n) {
		diag_fail("request: the gateway's reply token carries %zu extra octets", n - used);
		return -1;
	}
	return 0;
}

static int read_wrapped_reply(struct gateway_session *s, struct socks5_reply *rep)
{
	uint8_t *storage = malloc(WRAPIO_FRAME_MAX);
	struct gssframe frame;
	const char *why = NULL;
	char err[512];
	uint8_t *p;
	size_t n;
	int rc = -1;

	if (storage == NULL) {
		diag_fail("request: out of memory");
		return -1;
	}
	if (frame_read_one(s->fd, storage, WRAPIO_FRAME_MAX, &frame, &why) < 0) {
		diag_fail("request: reading the gateway's reply: %s", why);
	} else if (frame.mtyp == GSSFRAME_ABORT) {
		diag_fail("request: gateway aborted the session (01 ff)");
	} else if (frame.mtyp != GSSFRAME_DATA) {
		diag_fail("request: gateway sent message type 0x%02x, expected 0x03", frame.mtyp);
	} else if (secwrap_open(&s->prot, (uint8_t *)frame.token, frame.len, &p, &n, err,
				sizeof(err)) != SECWRAP_OPEN_OK) {
		/* frame.token lies in storage, ours to rewrite in place. */
		diag_fail("request: unwrapping the gateway's reply: %s", err);
	} else {
		rc = reply_parse(p, n, rep);
	}
	free(storage);
	return rc;
}

/* msg[0..n) wrapped (secwrap_seal) into one 01 03 frame and sent. */
static int send_wrapped(struct gateway_session *s, const void *msg, size_t n)
{
	uint8_t *frame = malloc(SECWRAP_FRAME_MAX);
	char err[512];
	size_t len;
	int rc = -1;

	if (frame == NULL) {
		diag_fail("request: out of memory");
		return -1;
	}
	if (n > s->prot.chunk_max || s->prot.data_offset > SECWRAP_FRAME_MAX - n) {
		diag_fail("request: wrapping: %zu octets do not fit a frame", n);
	} else {
		memcpy(frame + s->prot.data_offset, msg, n);
		if (secwrap_seal(&s->prot, frame, SECWRAP_FRAME_MAX, n, &len, err, sizeof(err)) < 0)
			diag_fail("request: wrapping: %s", err);
		else if (wrapio_write_all(s->fd, frame, len) < 0)
			diag_fail("request: wrapping: sending to the gateway: %s", strerror(errno));
		else
			rc = 0;
	}
	free(frame);
	return rc;
}

int gateway_request(struct gateway_session *s, const struct socks5_request *req,
		    struct socks5_reply *rep)
{
	uint8_t msg[SOCKS5_MSG_MAX];
	char dst[SOCKS5_NAME_MAX * 4 + 16], bnd[SOCKS5_NAME_MAX * 4 + 16];
	struct wbuf wb;

	wbuf_init(&wb, msg, sizeof(msg));
	if (socks5_request_put(&wb, req) < 0) {
		diag_fail("request: cannot encode the request");
		return -1;
	}
	if (s->level == GSS_LEVEL_CLEAR) {
		if (wrapio_write_all(s->fd, msg, wb.len) < 0) {
			diag_fail("request: sending to the gateway: %s", strerror(errno));
			return -1;
		}
		if (read_plain_reply(s, rep) < 0)
			return -1;
	} else {
		if (send_wrapped(s, msg, wb.len) < 0)
			return -1;
		if (read_wrapped_reply(s, rep) < 0)
			return -1;
	}
	socks5_addr_format(&req->dst, dst, sizeof(dst));
	socks5_addr_format(&rep->bnd, bnd, sizeof(bnd));
	diag_step("%s %s: gateway replied %s, bound %s", socks5_cmd_name(req->cmd), dst,
		  socks5_rep_name(rep->rep), bnd);
	return 0;
}

int gateway_read_reply(struct gateway_session *s, struct socks5_reply *rep)
{
	if (s->level == GSS_LEVEL_CLEAR)
		return read_plain_reply(s, rep);
	return read_wrapped_reply(s, rep);
}

void gateway_close(struct gateway_session *s)
{
	secwrap_release(&s->prot);
	close_fd(&s->fd);
}
