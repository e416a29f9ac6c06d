/*
 * fuzz_socks5.c - fuzz target for the RFC 1928 codecs (proto/socks5.c).
 *
 * Trust zone: tests only.  These parsers read the master's greeting, the
 * relay's decapsulated request, the client's reply and UDP datagrams.
 *
 * Every input goes through all five parsers (greeting, method selection,
 * request, reply, UDP header).  Invariants:
 *  - the result is -1, 0 or 1; -1 always names a reason; 1 means used <=
 *    len and the structure is valid (nmethods >= 1, ATYP 1/3/4, names of
 *    1..255 octets without NUL);
 *  - a parsed message re-encoded with the matching *_put builder gives back
 *    exactly the bytes it was parsed from, and parses back to an equal
 *    structure (the codecs are canonical);
 *  - prefixes: a shorter prefix of a whole message is "need more" (0), and
 *    once a prefix is malformed every longer one is malformed too (the
 *    parsers judge each octet as soon as it arrives);
 *  - the address parsed inside a request equals socks5_addr_get() on the
 *    same bytes through an rbuf; socks5_addr_format() always terminates
 *    its output within the size given; an IPv4/IPv6 address survives
 *    socks5_addr_to_sockaddr() + socks5_addr_from_sockaddr() (an
 *    IPv4-mapped IPv6 address comes back as IPv4, by design).
 */
#include <string.h>

#include "fuzz.h"
#include "socks5.h"

enum kind { K_GREETING, K_METHOD, K_REQUEST, K_REPLY, K_UDP, K_COUNT };

union parsed {
	struct socks5_greeting greeting;
	uint8_t method;
	struct socks5_request request;
	struct socks5_reply reply;
	struct socks5_udp_header udp;
};

static int parse(enum kind k, const uint8_t *p, size_t len, union parsed *out, size_t *used,
		 const char **why)
{
	memset(out, 0, sizeof(*out));
	switch (k) {
	case K_GREETING: return socks5_greeting_parse(p, len, &out->greeting, used, why);
	case K_METHOD: return socks5_method_parse(p, len, &out->method, used, why);
	case K_REQUEST: return socks5_request_parse(p, len, &out->request, used, why);
	case K_REPLY: return socks5_reply_parse(p, len, &out->reply, used, why);
	default: return socks5_udp_header_parse(p, len, &out->udp, used, why);
	}
}

static int put(enum kind k, struct wbuf *wb, const union parsed *in)
{
	switch (k) {
	case K_GREETING:
		return socks5_greeting_put(wb, in->greeting.methods, in->greeting.nmethods);
	case K_METHOD: return socks5_method_put(wb, in->method);
	case K_REQUEST: return socks5_request_put(wb, &in->request);
	case K_REPLY: return socks5_reply_put(wb, &in->reply);
	default: return socks5_udp_header_put(wb, &in->udp);
	}
}

static void check_addr_valid(const struct socks5_addr *a)
{
	size_t n;

	switch (a->atyp) {
	case SOCKS5_ATYP_IPV4:
	case SOCKS5_ATYP_IPV6:
		break;
	case SOCKS5_ATYP_DOMAIN:
		n = strnlen(a->u.name, sizeof(a->u.name));
		FUZZ_CHECK(n >= 1 && n <= SOCKS5_NAME_MAX);
		break;
	default:
		FUZZ_CHECK(!"parsed address has an unknown ATYP");
	}
}

static bool addr_equal(const struct socks5_addr *a, const struct socks5_addr *b)
{
	if (a->atyp != b->atyp || a->port != b->port)
		return false;
	switch (a->atyp) {
	case SOCKS5_ATYP_IPV4: return memcmp(a->u.ipv4, b->u.ipv4, 4) == 0;
	case SOCKS5_ATYP_IPV6: return memcmp(a->u.ipv6, b->u.ipv6, 16) == 0;
	default: return strcmp(a->u.name, b->u.name) == 0;
	}
}

static bool equal(enum kind k, const union parsed *a, const union parsed *b)
{
	switch (k) {
	case K_GREETING:
		return a->greeting.nmethods == b->greeting.nmethods &&
		       memcmp(a->greeting.methods, b->greeting.methods, a->greeting.nmethods) == 0;
	case K_METHOD: return a->method == b->method;
	case K_REQUEST:
		return a->request.cmd == b->request.cmd && addr_equal(&a->request.dst, &b->request.dst);
	case K_REPLY:
		return a->reply.rep == b->reply.rep && addr_equal(&a->reply.bnd, &b->reply.bnd);
	default:
		return a->udp.frag == b->udp.frag && addr_equal(&a->udp.dst, &b->udp.dst);
	}
}

static const struct socks5_addr *addr_of(enum kind k, const union parsed *v)
{
	switch (k) {
	case K_REQUEST: return &v->request.dst;
	case K_REPLY: return &v->reply.bnd;
	case K_UDP: return &v->udp.dst;
	default: return NULL;
	}
}

/* ::ffff:a.b.c.d (byte-wise: the union is not aligned for struct in6_addr). */
static bool v4mapped(const uint8_t *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(a, prefix, sizeof(prefix)) == 0;
}

static void check_addr_helpers(const struct socks5_addr *a, const uint8_t *wire, size_t wire_len,
			       size_t outlen)
{
	struct socks5_addr b;
	struct rbuf rb;
	const char *why = NULL;
	char *text;
	struct sockaddr_storage ss;
	socklen_t sslen = 0;

	/* The same bytes through the rbuf interface. */
	rbuf_init(&rb, wire, wire_len);
	FUZZ_CHECK(socks5_addr_get(&rb, &b, &why) == 0);
	FUZZ_CHECK(addr_equal(a, &b) && rbuf_remaining(&rb) == 0 && rbuf_done(&rb) == 0);

	/* Formatting into a buffer of the size the input chose. */
	text = malloc(outlen > 0 ? outlen : 1);
	FUZZ_CHECK(text != NULL);
	socks5_addr_format(a, text, outlen);
	if (outlen > 0) {
		size_t n = strnlen(text, outlen);

		FUZZ_CHECK(n < outlen);
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK((unsigned char)text[i] >= 0x20 && (unsigned char)text[i] < 0x7f);
	}
	free(text);

	/* sockaddr round trip for addresses. */
	if (socks5_addr_to_sockaddr(a, &ss, &sslen) == 0) {
		FUZZ_CHECK(a->atyp != SOCKS5_ATYP_DOMAIN);
		FUZZ_CHECK(sslen > 0 && sslen <= sizeof(ss));
		FUZZ_CHECK(socks5_addr_from_sockaddr(&b, (const struct sockaddr *)&ss) == 0);
		if (a->atyp == SOCKS5_ATYP_IPV6 && v4mapped(a->u.ipv6)) {
			FUZZ_CHECK(b.atyp == SOCKS5_ATYP_IPV4 && b.port == a->port &&
				   memcmp(b.u.ipv4, a->u.ipv6 + 12, 4) == 0);
		} else {
			FUZZ_CHECK(addr_equal(a, &b));
		}
	} else {
		FUZZ_CHECK(a->atyp == SOCKS5_ATYP_DOMAIN);
	}
}

static void check_kind(enum kind k, const uint8_t *p, size_t len)
{
	static union parsed v, w;
	uint8_t out[SOCKS5_MSG_MAX + 8];
	struct wbuf wb;
	const char *why = NULL;
	size_t used = 0, used2 = 0;
	int r = parse(k, p, len, &v, &used, &why);
	int worst = 1;
	size_t lim;

	FUZZ_CHECK(r >= -1 && r <= 1);
	if (r == -1)
		FUZZ_CHECK(why != NULL && why[0] != '\0');

	/* Prefix rules: 0 until whole; once -1, -1 for good. */
	lim = r == 1 ? used : len;
	for (size_t n = 0; n < lim && n <= SOCKS5_MSG_MAX + 4; n++) {
		size_t u = 0;
		int pr = parse(k, p, n, &w, &u, NULL);

		if (r == 1 || r == 0)
			FUZZ_CHECK(pr == 0);
		else if (worst == -1)
			FUZZ_CHECK(pr == -1);
		else
			FUZZ_CHECK(pr == 0 || pr == -1);
		if (pr == -1)
			worst = -1;
	}
	if (r != 1)
		return;

	FUZZ_CHECK(used <= len);
	switch (k) {
	case K_GREETING:
		FUZZ_CHECK(v.greeting.nmethods >= 1 && used == 2 + (size_t)v.greeting.nmethods);
		for (unsigned m = 0; m < 256; m++)
			FUZZ_CHECK(socks5_greeting_offers(&v.greeting, (uint8_t)m) ==
				   (memchr(v.greeting.methods, (int)m, v.greeting.nmethods) != NULL));
		break;
	case K_METHOD:
		FUZZ_CHECK(used == 2);
		break;
	default:
		check_addr_valid(addr_of(k, &v));
		FUZZ_CHECK(used > 3);
		check_addr_helpers(addr_of(k, &v), p + 3, used - 3, len > used ? p[used] : used);
		break;
	}

	/* Canonical: re-encoding gives the same bytes, which parse back equal. */
	wbuf_init(&wb, out, sizeof(out));
	FUZZ_CHECK(put(k, &wb, &v) == 0 && wbuf_ok(&wb) == 0);
	FUZZ_CHECK(wb.len == used && memcmp(out, p, used) == 0);
	FUZZ_CHECK(parse(k, out, wb.len, &w, &used2, NULL) == 1);
	FUZZ_CHECK(used2 == used && equal(k, &v, &w));

	/* Too small an output: refused, nothing written. */
	wbuf_init(&wb, out, used - 1);
	FUZZ_CHECK(put(k, &wb, &v) == -1 && wb.len == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int k = 0; k < K_COUNT; k++)
		check_kind((enum kind)k, data, size);
	return 0;
}
