/*
 * request.c - RFC 1928 request decoding and reply building for the relay.
 *
 * Trust zone: relay worker; input is untrusted client bytes.  The codec in
 * proto/socks5.c does the parsing; this file only adds the relay's policy
 * on top of it: which commands it forwards to the master at all, and which
 * REP a malformed request earns (RFC 1928 section 6: 07 command not
 * supported, 08 address type not supported, 01 general failure).
 */
#include "request.h"

static bool command_known(uint8_t cmd)
{
	return cmd == SOCKS5_CMD_CONNECT || cmd == SOCKS5_CMD_BIND || cmd == SOCKS5_CMD_UDP;
}

static bool atyp_known(uint8_t atyp)
{
	return atyp == SOCKS5_ATYP_IPV4 || atyp == SOCKS5_ATYP_DOMAIN ||
	       atyp == SOCKS5_ATYP_IPV6;
}

/* Which REP a request the codec refused deserves: look at the fixed octets. */
static uint8_t refusal_rep(const uint8_t *p, size_t len)
{
	struct rbuf rb;
	uint8_t ver, cmd, rsv, atyp;

	rbuf_init(&rb, p, len);
	if (rbuf_get_u8(&rb, &ver) < 0 || ver != SOCKS5_VERSION)
		return SOCKS5_REP_GENERAL_FAILURE;
	if (rbuf_get_u8(&rb, &cmd) < 0 || rbuf_get_u8(&rb, &rsv) < 0 || rsv != 0)
		return SOCKS5_REP_GENERAL_FAILURE;
	if (rbuf_get_u8(&rb, &atyp) < 0)
		return SOCKS5_REP_GENERAL_FAILURE;
	if (!atyp_known(atyp))
		return SOCKS5_REP_ATYP_UNSUPPORTED;
	return SOCKS5_REP_GENERAL_FAILURE;
}

int request_decode(const uint8_t *p, size_t len, struct socks5_request *req,
		   size_t *used, uint8_t *rep, const char **why)
{
	const char *reason = "malformed request";
	int r;

	r = socks5_request_parse(p, len, req, used, &reason);
	if (r == 0)
		return 0;
	if (r < 0) {
		*rep = refusal_rep(p, len);
		*why = reason;
		return -1;
	}
	if (!command_known(req->cmd)) {
		*rep = SOCKS5_REP_CMD_UNSUPPORTED;
		*why = "unknown command";
		return -1;
	}
	return 1;
}

int request_reply_put(struct wbuf *wb, uint8_t rep, const struct socks5_addr *bound)
{
	struct socks5_reply reply = { .rep = rep };
	uint8_t tmp[SOCKS5_MSG_MAX];
	struct wbuf t;

	if (bound != NULL) {
		reply.bnd = *bound;
		wbuf_init(&t, tmp, sizeof(tmp));
		if (socks5_reply_put(&t, &reply) == 0)
			return wbuf_put_bytes(wb, tmp, t.len);
	}
	/* No address to report: 0.0.0.0:0, as RFC 1928 replies to refusals do. */
	reply.bnd = (struct socks5_addr){ .atyp = SOCKS5_ATYP_IPV4 };
	return socks5_reply_put(wb, &reply);
}
