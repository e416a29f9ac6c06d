/*
 * socks5.c - RFC 1928 message codecs (see socks5.h).
 *
 * Trust zone: shared; every parser here reads untrusted bytes (the
 * master's greeting, the relay's decapsulated request, the client's reply,
 * UDP datagrams, IPC payloads).  Pure functions, no I/O, no allocation.
 *
 * Design choices:
 *  - Parsers walk the input in wire order and judge each fixed octet as
 *    soon as it is present (VER, RSV, ATYP, the domain length), so a
 *    truncated but so-far valid prefix is "need more" (0) while a prefix
 *    that can never become valid is malformed (-1) at once.
 *  - Request CMD: any octet is accepted into the structure; the server
 *    decides (and answers 07 for a command it does not serve).  An ATYP
 *    other than 1, 3, 4 is malformed with why = "address type not
 *    supported", so the caller can answer 08.
 *  - Reply REP: any octet is accepted (RFC 1928 leaves 09..ff unassigned;
 *    the caller maps what it does not know to a failure).
 *  - Domain names: length octet 1..255 and no NUL octet inside (a NUL
 *    would let "good.example\0evil" mean different things to the policy
 *    and to the resolver); other octets are kept as they are and only
 *    escaped when formatted for logs.
 *  - socks5_addr_get() works on an rbuf and follows buf.h: 0 or -1 (short
 *    input or malformed, cursor unchanged, rbuf error set).
 *  - An IPv4-mapped IPv6 sockaddr (::ffff:a.b.c.d, from a dual-stack
 *    socket) becomes an IPv4 address: that is what the peer really uses.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "socks5.h"

#define WHY(msg) do { if (why != NULL) *why = (msg); } while (0)

/*
 * Read an address (ATYP ADDR PORT) from p[0..len).  Returns 1 and sets
 * *used, 0 when more bytes are needed, -1 when malformed.
 */
static int addr_parse(const uint8_t *p, size_t len, struct socks5_addr *out, size_t *used,
		      const char **why)
{
	size_t need;

	if (len < 1)
		return 0;
	memset(out, 0, sizeof(*out));
	out->atyp = p[0];
	switch (p[0]) {
	case SOCKS5_ATYP_IPV4:
		need = 1 + 4 + 2;
		if (len < need)
			return 0;
		memcpy(out->u.ipv4, p + 1, 4);
		break;
	case SOCKS5_ATYP_IPV6:
		need = 1 + 16 + 2;
		if (len < need)
			return 0;
		memcpy(out->u.ipv6, p + 1, 16);
		break;
	case SOCKS5_ATYP_DOMAIN:
		if (len < 2)
			return 0;
		if (p[1] == 0) {
			WHY("empty domain name");
			return -1;
		}
		need = 2 + (size_t)p[1] + 2;
		/* A NUL inside the part already received is refused early. */
		if (memchr(p + 2, '\0', (len < need - 2 ? len : need - 2) - 2) != NULL) {
			WHY("NUL octet in domain name");
			return -1;
		}
		if (len < need)
			return 0;
		memcpy(out->u.name, p + 2, p[1]);
		out->u.name[p[1]] = '\0';
		break;
	default:
		WHY("address type not supported");
		return -1;
	}
	out->port = (uint16_t)((unsigned)p[need - 2] << 8 | p[need - 1]);
	*used = need;
	return 1;
}

int socks5_addr_get(struct rbuf *rb, struct socks5_addr *out, const char **why)
{
	size_t used;
	int r;

	if (rb->error) {
		WHY("earlier read failed");
		return -1;
	}
	r = addr_parse(rbuf_current(rb), rbuf_remaining(rb), out, &used, why);
	if (r <= 0) {
		if (r == 0)
			WHY("truncated address");
		rb->error = true;
		return -1;
	}
	return rbuf_skip(rb, used);
}

int socks5_addr_put(struct wbuf *wb, const struct socks5_addr *a)
{
	uint8_t tmp[1 + 1 + SOCKS5_NAME_MAX + 2];
	struct wbuf t;
	size_t n;

	wbuf_init(&t, tmp, sizeof(tmp));
	(void)wbuf_put_u8(&t, a->atyp);
	switch (a->atyp) {
	case SOCKS5_ATYP_IPV4:
		(void)wbuf_put_bytes(&t, a->u.ipv4, 4);
		break;
	case SOCKS5_ATYP_IPV6:
		(void)wbuf_put_bytes(&t, a->u.ipv6, 16);
		break;
	case SOCKS5_ATYP_DOMAIN:
		n = strnlen(a->u.name, sizeof(a->u.name));
		if (n == 0 || n > SOCKS5_NAME_MAX) {
			wb->error = true;
			return -1;
		}
		(void)wbuf_put_u8(&t, (uint8_t)n);
		(void)wbuf_put_bytes(&t, a->u.name, n);
		break;
	default:
		wb->error = true;
		return -1;
	}
	(void)wbuf_put_u16(&t, a->port);
	if (wbuf_ok(&t) < 0) {
		wb->error = true;
		return -1;
	}
	return wbuf_put_bytes(wb, tmp, t.len);
}

/* ---- method selection ------------------------------------------------- */

int socks5_greeting_parse(const uint8_t *p, size_t len, struct socks5_greeting *out,
			  size_t *used, const char **why)
{
	if (len < 1)
		return 0;
	if (p[0] != SOCKS5_VERSION) {
		WHY("not SOCKS version 5");
		return -1;
	}
	if (len < 2)
		return 0;
	if (p[1] == 0) {
		WHY("no authentication method offered");
		return -1;
	}
	if (len < 2 + (size_t)p[1])
		return 0;
	out->nmethods = p[1];
	memcpy(out->methods, p + 2, p[1]);
	*used = 2 + (size_t)p[1];
	return 1;
}

bool socks5_greeting_offers(const struct socks5_greeting *g, uint8_t method)
{
	for (size_t i = 0; i < g->nmethods; i++)
		if (g->methods[i] == method)
			return true;
	return false;
}

int socks5_greeting_put(struct wbuf *wb, const uint8_t *methods, size_t n)
{
	if (n < 1 || n > 255 || wb->error || wb->cap - wb->len < 2 + n) {
		wb->error = true;
		return -1;
	}
	(void)wbuf_put_u8(wb, SOCKS5_VERSION);
	(void)wbuf_put_u8(wb, (uint8_t)n);
	return wbuf_put_bytes(wb, methods, n);
}

int socks5_method_parse(const uint8_t *p, size_t len, uint8_t *method, size_t *used,
			const char **why)
{
	if (len < 1)
		return 0;
	if (p[0] != SOCKS5_VERSION) {
		WHY("not SOCKS version 5");
		return -1;
	}
	if (len < 2)
		return 0;
	*method = p[1];
	*used = 2;
	return 1;
}

int socks5_method_put(struct wbuf *wb, uint8_t method)
{
	uint8_t m[2] = { SOCKS5_VERSION, method };

	return wbuf_put_bytes(wb, m, sizeof(m));
}

/* ---- request and reply: VER CODE RSV ATYP ADDR PORT ------------------- */

static int message_parse(const uint8_t *p, size_t len, uint8_t *code,
			 struct socks5_addr *addr, size_t *used, const char **why)
{
	size_t addr_used;
	int r;

	if (len < 1)
		return 0;
	if (p[0] != SOCKS5_VERSION) {
		WHY("not SOCKS version 5");
		return -1;
	}
	if (len < 3)
		return 0;
	if (p[2] != 0) {
		WHY("reserved octet is not zero");
		return -1;
	}
	r = addr_parse(p + 3, len - 3, addr, &addr_used, why);
	if (r <= 0)
		return r;
	*code = p[1];
	*used = 3 + addr_used;
	return 1;
}

static int message_put(struct wbuf *wb, uint8_t code, const struct socks5_addr *a)
{
	uint8_t tmp[SOCKS5_MSG_MAX];
	struct wbuf t;

	wbuf_init(&t, tmp, sizeof(tmp));
	(void)wbuf_put_u8(&t, SOCKS5_VERSION);
	(void)wbuf_put_u8(&t, code);
	(void)wbuf_put_u8(&t, 0);
	if (socks5_addr_put(&t, a) < 0) {
		wb->error = true;
		return -1;
	}
	return wbuf_put_bytes(wb, tmp, t.len);
}

int socks5_request_parse(const uint8_t *p, size_t len, struct socks5_request *out,
			 size_t *used, const char **why)
{
	return message_parse(p, len, &out->cmd, &out->dst, used, why);
}

int socks5_request_put(struct wbuf *wb, const struct socks5_request *req)
{
	return message_put(wb, req->cmd, &req->dst);
}

int socks5_reply_parse(const uint8_t *p, size_t len, struct socks5_reply *out,
		       size_t *used, const char **why)
{
	return message_parse(p, len, &out->rep, &out->bnd, used, why);
}

int socks5_reply_put(struct wbuf *wb, const struct socks5_reply *rep)
{
	return message_put(wb, rep->rep, &rep->bnd);
}

/* ---- UDP header: RSV(2) FRAG ATYP ADDR PORT --------------------------- */

int socks5_udp_header_parse(const uint8_t *p, size_t len, struct socks5_udp_header *out,
			    size_t *used, const char **why)
{
	size_t addr_used;
	int r;

	for (size_t i = 0; i < 2; i++) {
		if (len < i + 1)
			return 0;
		if (p[i] != 0) {
			WHY("reserved octets are not zero");
			return -1;
		}
	}
	if (len < 3)
		return 0;
	r = addr_parse(p + 3, len - 3, &out->dst, &addr_used, why);
	if (r <= 0)
		return r;
	out->frag = p[2];
	*used = 3 + addr_used;
	return 1;
}

int socks5_udp_header_put(struct wbuf *wb, const struct socks5_udp_header *h)
{
	uint8_t tmp[SOCKS5_MSG_MAX];
	struct wbuf t;

	wbuf_init(&t, tmp, sizeof(tmp));
	(void)wbuf_put_u16(&t, 0);
	(void)wbuf_put_u8(&t, h->frag);
	if (socks5_addr_put(&t, &h->dst) < 0) {
		wb->error = true;
		return -1;
	}
	return wbuf_put_bytes(wb, tmp, t.len);
}

/* ---- sockaddr conversion and formatting ------------------------------- */

int socks5_addr_from_sockaddr(struct socks5_addr *out, const struct sockaddr *sa)
{
	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		out->atyp = SOCKS5_ATYP_IPV4;
		memcpy(out->u.ipv4, &sin->sin_addr, 4);
		out->port = ntohs(sin->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			out->atyp = SOCKS5_ATYP_IPV4;
			memcpy(out->u.ipv4, sin6->sin6_addr.s6_addr + 12, 4);
		} else {
			out->atyp = SOCKS5_ATYP_IPV6;
			memcpy(out->u.ipv6, &sin6->sin6_addr, 16);
		}
		out->port = ntohs(sin6->sin6_port);
		return 0;
	}
	return -1;
}

int socks5_addr_to_sockaddr(const struct socks5_addr *a, struct sockaddr_storage *ss,
			    socklen_t *sslen)
{
	memset(ss, 0, sizeof(*ss));
	if (a->atyp == SOCKS5_ATYP_IPV4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, a->u.ipv4, 4);
		sin->sin_port = htons(a->port);
		*sslen = sizeof(*sin);
		return 0;
	}
	if (a->atyp == SOCKS5_ATYP_IPV6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, a->u.ipv6, 16);
		sin6->sin6_port = htons(a->port);
		*sslen = sizeof(*sin6);
		return 0;
	}
	return -1;
}

/*
 * Append s to out[*pos..outlen) only if it fits whole (keeps room for NUL);
 * once something did not fit, nothing more is appended (no holes).
 */
static void append(char *out, size_t outlen, size_t *pos, const char *s)
{
	size_t n = strlen(s);

	if (*pos >= outlen)
		return;
	if (n >= outlen - *pos) {
		*pos = outlen;
		return;
	}
	memcpy(out + *pos, s, n + 1);
	*pos += n;
}

/*
 * Names: octets outside 0x21..0x7e, and '\\', are written as \xNN so that
 * a name can neither break a log line, nor fake a key=value field with a
 * space, nor forge an escape sequence.  Output is cut at a whole escape.
 */
void socks5_addr_format(const struct socks5_addr *a, char *out, size_t outlen)
{
	char host[INET6_ADDRSTRLEN];
	char unit[8];
	size_t pos = 0;

	if (outlen == 0)
		return;
	out[0] = '\0';
	switch (a->atyp) {
	case SOCKS5_ATYP_IPV4:
		inet_ntop(AF_INET, a->u.ipv4, host, sizeof(host));
		append(out, outlen, &pos, host);
		break;
	case SOCKS5_ATYP_IPV6:
		inet_ntop(AF_INET6, a->u.ipv6, host, sizeof(host));
		append(out, outlen, &pos, "[");
		append(out, outlen, &pos, host);
		append(out, outlen, &pos, "]");
		break;
	case SOCKS5_ATYP_DOMAIN:
		for (size_t i = 0; i < SOCKS5_NAME_MAX && a->u.name[i] != '\0'; i++) {
			unsigned char c = (unsigned char)a->u.name[i];

			if (c < 0x21 || c > 0x7e || c == '\\')
				snprintf(unit, sizeof(unit), "\\x%02x", c);
			else
				snprintf(unit, sizeof(unit), "%c", c);
			append(out, outlen, &pos, unit);
		}
		break;
	default:
		append(out, outlen, &pos, "?");
		break;
	}
	snprintf(unit, sizeof(unit), ":%u", (unsigned)a->port);
	append(out, outlen, &pos, unit);
}

const char *socks5_rep_name(uint8_t rep)
{
	static const char *const names[] = {
		"succeeded",
		"general failure",
		"not allowed by ruleset",
		"network unreachable",
		"host unreachable",
		"connection refused",
		"TTL expired",
		"command not supported",
		"address type not supported",
	};

	if (rep < sizeof(names) / sizeof(names[0]))
		return names[rep];
	return "unassigned";
}

const char *socks5_cmd_name(uint8_t cmd)
{
	switch (cmd) {
	case SOCKS5_CMD_CONNECT:
		return "connect";
	case SOCKS5_CMD_BIND:
		return "bind";
	case SOCKS5_CMD_UDP:
		return "udp";
	default:
		return "unknown";
	}
}
