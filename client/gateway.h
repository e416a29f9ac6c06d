/*
 * gateway.h - one authenticated, protected session with a gssocks (or any
 * RFC 1961) gateway, as the client side sees it.
 *
 * Trust zone: client.  The gateway is authenticated by the GSS-API context
 * (mutual authentication is required); until then, and for every byte
 * after it, its input is untrusted and parsed through proto/.
 *
 * Design: blocking, one session per process (gssocks-client forks a child
 * per local connection; gssocks-connect serves exactly one).  The steps are
 * separate so the two programs can share them:
 *   gateway_open()    TCP connect, method selection (05 01 01), the
 *                     RFC 1961 section 3 context loop and the section 4
 *                     protection-level subnegotiation (handshake.c);
 *   gateway_request() the RFC 1928 request encapsulated (section 5) and the
 *                     gateway's reply unwrapped;
 *   forward_run()     (forward.h) the data phase;
 *   gateway_close()   gss_delete_sec_context (no token, section 6), close.
 * Every failure is printed on stderr as one "PROGRAM: what: reason" line.
 */
#ifndef GSSOCKS_CLIENT_GATEWAY_H
#define GSSOCKS_CLIENT_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <gssapi/gssapi.h>

#include "gssframe.h"
#include "secwrap.h"
#include "socks5.h"
#include "wrapio.h"

#define GATEWAY_DEFAULT_PORT    1080
#define GATEWAY_DEFAULT_SERVICE "rcmd"
#define GATEWAY_NAME_MAX        256

struct gateway_config {
	const char *host;         /* as written by the user: also the GSS target host */
	uint16_t port;
	const char *service;      /* target name is SERVICE@host */
	enum gss_level level;     /* the level we ask for */
	bool nec;                 /* level octet unwrapped (NEC reference style) */
	bool accept_any;          /* -A: take the gateway's choice (never clear unless asked) */
};

struct gateway_session {
	int fd;                               /* TCP connection to the gateway */
	/* The context: prot.ctx while the handshake establishes it; from the
	 * agreed level on (secwrap_adopt) the session's per-message
	 * protection, shared with the relay (common/secwrap.h): fast path or
	 * gss_*_iov, in place, prot.chunk_max plaintext octets per frame. */
	struct secwrap prot;
	OM_uint32 ret_flags;
	enum gss_level level;                 /* agreed */
	char principal[GATEWAY_NAME_MAX];     /* our own (initiator) name */
	char target[GATEWAY_NAME_MAX];        /* SERVICE@host */
};

/* fd -1, no context: safe to pass to gateway_close(). */
void gateway_session_init(struct gateway_session *s);

/* Connect, select GSS-API, authenticate, agree a level.  0 or -1 (printed). */
int gateway_open(const struct gateway_config *cfg, struct gateway_session *s);

/*
 * Send req (wrapped per level, plain at level clear) and read the reply.
 * 0 with *rep filled (rep->rep may be a failure code), or -1 (printed).
 */
int gateway_request(struct gateway_session *s, const struct socks5_request *req,
		    struct socks5_reply *rep);

/*
 * Read one more reply (BIND's second, after gateway_request() read the
 * first): unwrapped per level, plain at level clear.  0 or -1 (printed).
 */
int gateway_read_reply(struct gateway_session *s, struct socks5_reply *rep);

/* Wipes the fast path's keys, gss_delete_sec_context(GSS_C_NO_BUFFER) and
 * close; idempotent. */
void gateway_close(struct gateway_session *s);

#endif
