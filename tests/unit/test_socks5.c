/*
 * test_socks5.c - unit tests for proto/socks5.c: greeting, method answer,
 * request, reply and UDP header for every ATYP; refusals (empty or NUL-
 * bearing names, bad version or reserved octet, unknown ATYP); every
 * truncation of a valid message is "need more"; builders round-trip;
 * sockaddr conversion; log-safe formatting.
 *
 * Trust zone: tests.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "socks5.h"
#include "tap.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

enum kind { REQUEST, REPLY, UDP };

struct msg_case {
	const char *name;
	enum kind kind;
	const uint8_t *in;
	size_t len;
	int want;
	size_t used;            /* when want == 1 */
	uint8_t code;           /* cmd / rep / frag */
	uint8_t atyp;
	const char *why;        /* expected reason when want == -1 (NULL: any) */
};

static int parse(enum kind kind, const uint8_t *p, size_t len, uint8_t *code,
		 struct socks5_addr *addr, size_t *used, const char **why)
{
	struct socks5_request req;
	struct socks5_reply rep;
	struct socks5_udp_header udp;
	int r;

	switch (kind) {
	case REQUEST:
		r = socks5_request_parse(p, len, &req, used, why);
		*code = req.cmd;
		*addr = req.dst;
		return r;
	case REPLY:
		r = socks5_reply_parse(p, len, &rep, used, why);
		*code = rep.rep;
		*addr = rep.bnd;
		return r;
	case UDP:
		r = socks5_udp_header_parse(p, len, &udp, used, why);
		*code = udp.frag;
		*addr = udp.dst;
		return r;
	}
	return -2;
}

static const uint8_t req_v4[] = { 5, 1, 0, 1, 192, 0, 2, 1, 0, 80 };
static const uint8_t req_v6[] = { 5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				  0, 0, 0, 0, 0, 0, 0, 1, 0x01, 0xbb };
static const uint8_t req_name[] = { 5, 1, 0, 3, 11, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
				    '.', 'c', 'o', 'm', 0, 80 };
static const uint8_t req_cmd9[] = { 5, 9, 0, 1, 10, 0, 0, 1, 0, 22 };
static const uint8_t req_extra[] = { 5, 1, 0, 1, 10, 0, 0, 1, 0, 22, 0xde, 0xad };
static const uint8_t req_ver4[] = { 4, 1, 0, 1, 10, 0, 0, 1, 0, 22 };
static const uint8_t req_rsv[] = { 5, 1, 1, 1, 10, 0, 0, 1, 0, 22 };
static const uint8_t req_atyp0[] = { 5, 1, 0, 0, 10, 0, 0, 1, 0, 22 };
static const uint8_t req_atyp2[] = { 5, 1, 0, 2, 10, 0, 0, 1, 0, 22 };
static const uint8_t req_atyp5[] = { 5, 1, 0, 5 };
static const uint8_t req_name0[] = { 5, 1, 0, 3, 0, 0, 80 };
static const uint8_t req_namenul[] = { 5, 1, 0, 3, 3, 'a', 0, 'b', 0, 80 };
static const uint8_t req_namenul_early[] = { 5, 1, 0, 3, 200, 'a', 0 };
static const uint8_t req_name255[4 + 1 + 255 + 2] = { 5, 1, 0, 3, 255, [5 ... 259] = 'n', 0, 80 };
static const uint8_t rep_ok[] = { 5, 0, 0, 1, 127, 0, 0, 1, 0x1f, 0x90 };
static const uint8_t rep_unassigned[] = { 5, 0x42, 0, 1, 127, 0, 0, 1, 0x1f, 0x90 };
static const uint8_t rep_v6[] = { 5, 5, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				  0, 0, 0, 1, 0, 0 };
static const uint8_t rep_ver[] = { 1, 0, 0, 1, 127, 0, 0, 1, 0, 1 };
static const uint8_t udp_v4[] = { 0, 0, 0, 1, 10, 1, 2, 3, 0, 53, 'd', 'a', 't', 'a' };
static const uint8_t udp_frag[] = { 0, 0, 3, 3, 1, 'x', 0, 53 };
static const uint8_t udp_v6[] = { 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				  0, 0, 0, 1, 0, 53 };
static const uint8_t udp_rsv1[] = { 0, 1, 0, 1, 10, 1, 2, 3, 0, 53 };
static const uint8_t udp_rsv0[] = { 1, 0, 0, 1, 10, 1, 2, 3, 0, 53 };
static const uint8_t udp_atyp[] = { 0, 0, 0, 7, 10, 1, 2, 3, 0, 53 };

static const struct msg_case msg_cases[] = {
	{ "request IPv4", REQUEST, req_v4, sizeof(req_v4), 1, 10, 1, 1, NULL },
	{ "request IPv6", REQUEST, req_v6, sizeof(req_v6), 1, 22, 1, 4, NULL },
	{ "request domain", REQUEST, req_name, sizeof(req_name), 1, 18, 1, 3, NULL },
	{ "request domain of 255", REQUEST, req_name255, sizeof(req_name255), 1, 262, 1, 3, NULL },
	{ "request CMD 9 parses (server answers 07)", REQUEST, req_cmd9, sizeof(req_cmd9), 1, 10, 9, 1, NULL },
	{ "request followed by data: used stops at end", REQUEST, req_extra, sizeof(req_extra), 1, 10, 1, 1, NULL },
	{ "request version 4", REQUEST, req_ver4, sizeof(req_ver4), -1, 0, 0, 0, "not SOCKS version 5" },
	{ "request version 4, 1 octet", REQUEST, req_ver4, 1, -1, 0, 0, 0, "not SOCKS version 5" },
	{ "request RSV 1", REQUEST, req_rsv, sizeof(req_rsv), -1, 0, 0, 0, "reserved octet is not zero" },
	{ "request RSV 1, 3 octets", REQUEST, req_rsv, 3, -1, 0, 0, 0, "reserved octet is not zero" },
	{ "request ATYP 0", REQUEST, req_atyp0, sizeof(req_atyp0), -1, 0, 0, 0, "address type not supported" },
	{ "request ATYP 2", REQUEST, req_atyp2, sizeof(req_atyp2), -1, 0, 0, 0, "address type not supported" },
	{ "request ATYP 5, 4 octets", REQUEST, req_atyp5, sizeof(req_atyp5), -1, 0, 0, 0, "address type not supported" },
	{ "request domain length 0", REQUEST, req_name0, sizeof(req_name0), -1, 0, 0, 0, "empty domain name" },
	{ "request domain length 0, 5 octets", REQUEST, req_name0, 5, -1, 0, 0, 0, "empty domain name" },
	{ "request domain with NUL", REQUEST, req_namenul, sizeof(req_namenul), -1, 0, 0, 0, "NUL octet in domain name" },
	{ "request domain with NUL, before the end arrives", REQUEST, req_namenul_early, sizeof(req_namenul_early), -1, 0, 0, 0, "NUL octet in domain name" },
	{ "request empty", REQUEST, req_v4, 0, 0, 0, 0, 0, NULL },
	{ "reply IPv4 success", REPLY, rep_ok, sizeof(rep_ok), 1, 10, 0, 1, NULL },
	{ "reply unassigned REP parses", REPLY, rep_unassigned, sizeof(rep_unassigned), 1, 10, 0x42, 1, NULL },
	{ "reply IPv6 refused", REPLY, rep_v6, sizeof(rep_v6), 1, 22, 5, 4, NULL },
	{ "reply version 1", REPLY, rep_ver, sizeof(rep_ver), -1, 0, 0, 0, "not SOCKS version 5" },
	{ "reply ATYP 2", REPLY, req_atyp2, sizeof(req_atyp2), -1, 0, 0, 0, "address type not supported" },
	{ "UDP IPv4 with data", UDP, udp_v4, sizeof(udp_v4), 1, 10, 0, 1, NULL },
	{ "UDP domain FRAG 3", UDP, udp_frag, sizeof(udp_frag), 1, 8, 3, 3, NULL },
	{ "UDP IPv6", UDP, udp_v6, sizeof(udp_v6), 1, 22, 0, 4, NULL },
	{ "UDP RSV 0001", UDP, udp_rsv1, sizeof(udp_rsv1), -1, 0, 0, 0, "reserved octets are not zero" },
	{ "UDP RSV 0100, 1 octet", UDP, udp_rsv0, 1, -1, 0, 0, 0, "reserved octets are not zero" },
	{ "UDP ATYP 7", UDP, udp_atyp, sizeof(udp_atyp), -1, 0, 0, 0, "address type not supported" },
};

static void test_message_table(void)
{
	for (size_t i = 0; i < LEN(msg_cases); i++) {
		const struct msg_case *c = &msg_cases[i];
		struct socks5_addr addr;
		const char *why = NULL;
		size_t used = 0;
		uint8_t code = 0;
		int r;

		memset(&addr, 0, sizeof(addr));
		r = parse(c->kind, c->in, c->len, &code, &addr, &used, &why);
		is_int(r, c->want, "%s", c->name);
		if (c->want == 1)
			ok(used == c->used && code == c->code && addr.atyp == c->atyp,
			   "%s: used %zu code %u atyp %u", c->name, used, code, addr.atyp);
		else if (c->want == -1)
			ok(why != NULL && (c->why == NULL || strcmp(why, c->why) == 0),
			   "%s: why \"%s\"", c->name, why ? why : "(null)");
	}
}

/* Every proper prefix of every valid message is "need more", never malformed. */
static void test_every_truncation(void)
{
	for (size_t i = 0; i < LEN(msg_cases); i++) {
		const struct msg_case *c = &msg_cases[i];
		bool good = true;
		size_t bad_at = 0;

		if (c->want != 1)
			continue;
		for (size_t n = 0; n < c->used; n++) {
			struct socks5_addr addr;
			size_t used;
			uint8_t code;

			if (parse(c->kind, c->in, n, &code, &addr, &used, NULL) != 0) {
				good = false;
				bad_at = n;
				break;
			}
		}
		ok(good, "%s: every truncation needs more (first bad at %zu)", c->name, bad_at);
	}
}

static void test_values(void)
{
	struct socks5_request req;
	struct socks5_udp_header udp;
	size_t used;

	ok(socks5_request_parse(req_v4, sizeof(req_v4), &req, &used, NULL) == 1 &&
	   memcmp(req.dst.u.ipv4, "\xc0\x00\x02\x01", 4) == 0 && req.dst.port == 80,
	   "IPv4 address and port (host order)");
	ok(socks5_request_parse(req_v6, sizeof(req_v6), &req, &used, NULL) == 1 &&
	   req.dst.u.ipv6[0] == 0x20 && req.dst.u.ipv6[15] == 1 && req.dst.port == 443,
	   "IPv6 address and port");
	ok(socks5_request_parse(req_name, sizeof(req_name), &req, &used, NULL) == 1 &&
	   strcmp(req.dst.u.name, "example.com") == 0 && req.dst.port == 80,
	   "domain name NUL-terminated");
	ok(socks5_request_parse(req_name255, sizeof(req_name255), &req, &used, NULL) == 1 &&
	   strlen(req.dst.u.name) == 255, "255-octet name");
	ok(socks5_udp_header_parse(udp_v4, sizeof(udp_v4), &udp, &used, NULL) == 1 &&
	   used == 10 && memcmp(udp_v4 + used, "data", 4) == 0 && udp.dst.port == 53,
	   "UDP data follows header");
}

static void test_greeting(void)
{
	static const uint8_t curl[] = { 5, 3, 0, 1, 2 };
	static const uint8_t only_none[] = { 5, 1, 0 };
	static const uint8_t zero[] = { 5, 0 };
	static const uint8_t v4[] = { 4, 1, 0 };
	uint8_t all[2 + 255];
	struct socks5_greeting g;
	const char *why = NULL;
	size_t used = 0;
	uint8_t method = 0;
	uint8_t out[300];
	struct wbuf wb;
	bool good = true;

	ok(socks5_greeting_parse(curl, sizeof(curl), &g, &used, NULL) == 1 && used == 5 &&
	   g.nmethods == 3, "greeting with 3 methods");
	ok(socks5_greeting_offers(&g, SOCKS5_METHOD_GSSAPI), "curl offers GSS-API");
	ok(!socks5_greeting_offers(&g, 0x03), "curl does not offer 03");
	ok(socks5_greeting_parse(only_none, sizeof(only_none), &g, &used, NULL) == 1 &&
	   !socks5_greeting_offers(&g, SOCKS5_METHOD_GSSAPI), "greeting without GSS-API");
	for (size_t n = 0; n < sizeof(curl); n++)
		if (socks5_greeting_parse(curl, n, &g, &used, NULL) != 0)
			good = false;
	ok(good, "greeting: every truncation needs more");
	ok(socks5_greeting_parse(zero, sizeof(zero), &g, &used, &why) == -1 && why != NULL,
	   "NMETHODS 0 refused");
	ok(socks5_greeting_parse(v4, 1, &g, &used, &why) == -1, "greeting version 4 refused at once");

	all[0] = 5;
	all[1] = 255;
	for (int i = 0; i < 255; i++)
		all[2 + i] = (uint8_t)i;
	ok(socks5_greeting_parse(all, sizeof(all), &g, &used, NULL) == 1 && used == 257 &&
	   socks5_greeting_offers(&g, 254), "greeting with 255 methods");

	wbuf_init(&wb, out, sizeof(out));
	ok(socks5_greeting_put(&wb, curl + 2, 3) == 0 && wb.len == 5 &&
	   memcmp(out, curl, 5) == 0, "greeting builder");
	wbuf_init(&wb, out, sizeof(out));
	ok(socks5_greeting_put(&wb, all + 2, 0) < 0, "greeting builder refuses 0 methods");
	ok(socks5_greeting_put(&wb, all, 256) < 0, "greeting builder refuses 256 methods");

	wbuf_init(&wb, out, sizeof(out));
	ok(socks5_method_put(&wb, SOCKS5_METHOD_GSSAPI) == 0 && wb.len == 2 &&
	   out[0] == 5 && out[1] == 1, "method answer 05 01");
	ok(socks5_method_parse(out, 2, &method, &used, NULL) == 1 && method == 1 && used == 2,
	   "method answer parses");
	ok(socks5_method_parse(out, 1, &method, &used, NULL) == 0, "method answer truncated");
	out[0] = 4;
	ok(socks5_method_parse(out, 2, &method, &used, &why) == -1, "method answer version 4");
}

static void test_round_trips(void)
{
	static const struct socks5_addr addrs[] = {
		{ .atyp = SOCKS5_ATYP_IPV4, .u.ipv4 = { 10, 0, 0, 1 }, .port = 8080 },
		{ .atyp = SOCKS5_ATYP_IPV6, .u.ipv6 = { 0xfe, 0x80, [15] = 9 }, .port = 1 },
		{ .atyp = SOCKS5_ATYP_DOMAIN, .u.name = "a", .port = 65535 },
		{ .atyp = SOCKS5_ATYP_DOMAIN, .u.name = "www.example.org", .port = 0 },
	};

	for (size_t i = 0; i < LEN(addrs); i++) {
		struct socks5_request req = { .cmd = SOCKS5_CMD_CONNECT, .dst = addrs[i] };
		struct socks5_reply rep = { .rep = SOCKS5_REP_REFUSED, .bnd = addrs[i] };
		struct socks5_udp_header udp = { .frag = 0, .dst = addrs[i] };
		struct socks5_request req2;
		struct socks5_reply rep2;
		struct socks5_udp_header udp2;
		uint8_t out[SOCKS5_MSG_MAX];
		struct wbuf wb;
		size_t used;

		wbuf_init(&wb, out, sizeof(out));
		ok(socks5_request_put(&wb, &req) == 0 &&
		   socks5_request_parse(out, wb.len, &req2, &used, NULL) == 1 && used == wb.len &&
		   req2.cmd == req.cmd && memcmp(&req2.dst, &req.dst, sizeof(req.dst)) == 0,
		   "request round trip %zu", i);
		wbuf_init(&wb, out, sizeof(out));
		ok(socks5_reply_put(&wb, &rep) == 0 &&
		   socks5_reply_parse(out, wb.len, &rep2, &used, NULL) == 1 && used == wb.len &&
		   rep2.rep == rep.rep && memcmp(&rep2.bnd, &rep.bnd, sizeof(rep.bnd)) == 0,
		   "reply round trip %zu", i);
		wbuf_init(&wb, out, sizeof(out));
		ok(socks5_udp_header_put(&wb, &udp) == 0 &&
		   socks5_udp_header_parse(out, wb.len, &udp2, &used, NULL) == 1 && used == wb.len &&
		   memcmp(&udp2.dst, &udp.dst, sizeof(udp.dst)) == 0,
		   "UDP header round trip %zu", i);
	}
}

static void test_builder_refusals(void)
{
	struct socks5_request req;
	uint8_t out[SOCKS5_MSG_MAX];
	struct wbuf wb;

	memset(&req, 0, sizeof(req));
	req.cmd = 1;
	req.dst.atyp = SOCKS5_ATYP_DOMAIN;
	wbuf_init(&wb, out, sizeof(out));
	ok(socks5_request_put(&wb, &req) < 0 && wb.len == 0, "builder refuses empty name");

	memset(req.dst.u.name, 'x', sizeof(req.dst.u.name));   /* no NUL at all */
	wbuf_init(&wb, out, sizeof(out));
	ok(socks5_request_put(&wb, &req) < 0 && wb.len == 0, "builder refuses unterminated name");

	memset(req.dst.u.name, 'x', 255);
	req.dst.u.name[255] = '\0';
	wbuf_init(&wb, out, sizeof(out));
	ok(socks5_request_put(&wb, &req) == 0 && wb.len == SOCKS5_MSG_MAX,
	   "longest request is SOCKS5_MSG_MAX");
	wbuf_init(&wb, out, sizeof(out) - 1);
	ok(socks5_request_put(&wb, &req) < 0 && wb.len == 0,
	   "oversized for the output: nothing written");

	req.dst.atyp = 2;
	wbuf_init(&wb, out, sizeof(out));
	ok(socks5_request_put(&wb, &req) < 0, "builder refuses ATYP 2");
}

static void test_addr_rbuf(void)
{
	static const uint8_t in[] = { 1, 1, 2, 3, 4, 0, 9, 0xee };
	struct socks5_addr a;
	struct rbuf rb;
	const char *why = NULL;

	rbuf_init(&rb, in, sizeof(in));
	ok(socks5_addr_get(&rb, &a, NULL) == 0 && a.port == 9 && rbuf_remaining(&rb) == 1,
	   "addr_get consumes exactly the address");
	rbuf_init(&rb, in, 5);
	ok(socks5_addr_get(&rb, &a, &why) < 0 && rb.error && rb.pos == 0,
	   "addr_get on short input fails, cursor kept");
}

static void test_sockaddr(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(1080) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(443) };
	struct sockaddr_in6 mapped = { .sin6_family = AF_INET6, .sin6_port = htons(80) };
	struct sockaddr_storage ss;
	struct sockaddr sun = { .sa_family = AF_UNIX };
	struct socks5_addr a;
	socklen_t sl;

	inet_pton(AF_INET, "198.51.100.7", &sin.sin_addr);
	inet_pton(AF_INET6, "2001:db8::5", &sin6.sin6_addr);
	inet_pton(AF_INET6, "::ffff:192.0.2.9", &mapped.sin6_addr);

	ok(socks5_addr_from_sockaddr(&a, (struct sockaddr *)&sin) == 0 &&
	   a.atyp == SOCKS5_ATYP_IPV4 && a.port == 1080, "from IPv4 sockaddr");
	ok(socks5_addr_to_sockaddr(&a, &ss, &sl) == 0 && sl == sizeof(sin) &&
	   memcmp(&ss, &sin, sizeof(sin)) == 0, "to IPv4 sockaddr round trip");
	ok(socks5_addr_from_sockaddr(&a, (struct sockaddr *)&sin6) == 0 &&
	   a.atyp == SOCKS5_ATYP_IPV6 && a.port == 443, "from IPv6 sockaddr");
	ok(socks5_addr_to_sockaddr(&a, &ss, &sl) == 0 && sl == sizeof(sin6) &&
	   memcmp(&((struct sockaddr_in6 *)&ss)->sin6_addr, &sin6.sin6_addr, 16) == 0,
	   "to IPv6 sockaddr round trip");
	ok(socks5_addr_from_sockaddr(&a, (struct sockaddr *)&mapped) == 0 &&
	   a.atyp == SOCKS5_ATYP_IPV4 && memcmp(a.u.ipv4, "\xc0\x00\x02\x09", 4) == 0,
	   "IPv4-mapped IPv6 becomes IPv4");
	ok(socks5_addr_from_sockaddr(&a, &sun) < 0, "AF_UNIX refused");
	a.atyp = SOCKS5_ATYP_DOMAIN;
	strcpy(a.u.name, "example.com");
	ok(socks5_addr_to_sockaddr(&a, &ss, &sl) < 0, "name has no sockaddr");
}

static void test_format(void)
{
	static const struct {
		struct socks5_addr a;
		size_t outlen;
		const char *want;
	} cases[] = {
		{ { .atyp = 1, .u.ipv4 = { 192, 0, 2, 1 }, .port = 80 }, 64, "192.0.2.1:80" },
		{ { .atyp = 4, .u.ipv6 = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, .port = 443 }, 64,
		  "[2001:db8::1]:443" },
		{ { .atyp = 3, .u.name = "example.com", .port = 8080 }, 64, "example.com:8080" },
		{ { .atyp = 3, .u.name = "a b\nc", .port = 1 }, 64, "a\\x20b\\x0ac:1" },
		{ { .atyp = 3, .u.name = "x\\y\x7f\xff", .port = 2 }, 64, "x\\x5cy\\x7f\\xff:2" },
		{ { .atyp = 3, .u.name = "a\nb", .port = 1 }, 4, "a" },
		{ { .atyp = 3, .u.name = "abc", .port = 1 }, 1, "" },
		{ { .atyp = 9, .port = 5 }, 64, "?:5" },
	};

	for (size_t i = 0; i < LEN(cases); i++) {
		char out[64];

		memset(out, 'Z', sizeof(out));
		socks5_addr_format(&cases[i].a, out, cases[i].outlen);
		is_str(out, cases[i].want, "format case %zu", i);
	}
	is_str(socks5_rep_name(SOCKS5_REP_CMD_UNSUPPORTED), "command not supported", "rep name 07");
	is_str(socks5_rep_name(0x99), "unassigned", "rep name 99");
	is_str(socks5_cmd_name(SOCKS5_CMD_CONNECT), "connect", "cmd name 1");
	is_str(socks5_cmd_name(0), "unknown", "cmd name 0");
}

int main(void)
{
	test_message_table();
	test_every_truncation();
	test_values();
	test_greeting();
	test_round_trips();
	test_builder_refusals();
	test_addr_rbuf();
	test_sockaddr();
	test_format();
	return done_testing();
}
