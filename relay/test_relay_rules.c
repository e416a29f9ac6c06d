/*
 * test_relay_rules.c - table tests of the relay's pure rules: which
 * conf_state each level accepts, what it wraps with, the chunk size, and
 * how a request is decoded or refused (with which REP).
 *
 * Trust zone: tests only.  TAP via tests/unit/tap.h.
 */
#include <stdint.h>
#include <string.h>

#include "../tests/unit/tap.h"
#include "../proto/protection.h"
#include "request.h"

struct accept_case {
	enum gss_level level;
	int conf_state;
	bool accepted;
};

static const struct accept_case accept_cases[] = {
	{ GSS_LEVEL_INTEGRITY, 0, true },
	{ GSS_LEVEL_INTEGRITY, 1, false },
	{ GSS_LEVEL_CONFIDENTIALITY, 0, false },
	{ GSS_LEVEL_CONFIDENTIALITY, 1, true },
	{ GSS_LEVEL_SELECTIVE, 0, true },
	{ GSS_LEVEL_SELECTIVE, 1, true },
	{ GSS_LEVEL_CLEAR, 0, false },
	{ GSS_LEVEL_CLEAR, 1, false },
};

struct conf_case {
	enum gss_level level;
	bool selective_conf;
	int conf_req;
};

static const struct conf_case conf_cases[] = {
	{ GSS_LEVEL_INTEGRITY, true, 0 },
	{ GSS_LEVEL_INTEGRITY, false, 0 },
	{ GSS_LEVEL_CONFIDENTIALITY, true, 1 },
	{ GSS_LEVEL_CONFIDENTIALITY, false, 1 },
	{ GSS_LEVEL_SELECTIVE, true, 1 },
	{ GSS_LEVEL_SELECTIVE, false, 0 },
};

struct chunk_case {
	uint32_t limit;
	size_t header_len;
	size_t chunk;
};

static const struct chunk_case chunk_cases[] = {
	{ 65475, 32, 65475 },      /* aes256-sha1 conf: the limit rules */
	{ 65507, 16, 65507 },      /* aes256-sha1 integrity */
	{ 70000, 16, 65519 },      /* a limit past the frame: capped */
	{ 65535, 0, 65535 },
	{ 100, 65535, 0 },         /* no room at all */
	{ 0, 16, 0 },
};

struct request_case {
	const char *name;
	const uint8_t *bytes;
	size_t len;
	int result;                /* 1, 0 or -1 */
	size_t used;               /* when 1 */
	uint8_t rep;               /* when -1 */
};

#define B(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

static const struct request_case request_cases[] = {
	{ "CONNECT IPv4", B(5, 1, 0, 1, 192, 0, 2, 1, 0, 80), 1, 10, 0 },
	{ "CONNECT name", B(5, 1, 0, 3, 3, 'a', '.', 'b', 1, 187), 1, 10, 0 },
	{ "BIND IPv6", B(5, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 22),
	  1, 22, 0 },
	{ "UDP ASSOCIATE", B(5, 3, 0, 1, 0, 0, 0, 0, 0, 0), 1, 10, 0 },
	{ "request then data", B(5, 1, 0, 1, 10, 0, 0, 1, 0, 80, 'G', 'E', 'T'), 1, 10, 0 },
	{ "truncated address", B(5, 1, 0, 1, 10, 0), 0, 0, 0 },
	{ "only the version", B(5), 0, 0, 0 },
	{ "SOCKS 4", B(4, 1, 0, 80, 10, 0, 0, 1), -1, 0, SOCKS5_REP_GENERAL_FAILURE },
	{ "reserved octet set", B(5, 1, 1, 1, 10, 0, 0, 1, 0, 80), -1, 0,
	  SOCKS5_REP_GENERAL_FAILURE },
	{ "unknown ATYP", B(5, 1, 0, 2, 10, 0, 0, 1, 0, 80), -1, 0,
	  SOCKS5_REP_ATYP_UNSUPPORTED },
	{ "unknown CMD", B(5, 9, 0, 1, 10, 0, 0, 1, 0, 80), -1, 0,
	  SOCKS5_REP_CMD_UNSUPPORTED },
	{ "empty name", B(5, 1, 0, 3, 0, 0, 80), -1, 0, SOCKS5_REP_GENERAL_FAILURE },
};

static void test_requests(void)
{
	for (size_t i = 0; i < sizeof(request_cases) / sizeof(request_cases[0]); i++) {
		const struct request_case *c = &request_cases[i];
		struct socks5_request req;
		const char *why = NULL;
		size_t used = 0;
		uint8_t rep = 0xee;
		int r;

		r = request_decode(c->bytes, c->len, &req, &used, &rep, &why);
		is_int(r, c->result, "request %s: result", c->name);
		if (c->result == 1)
			is_int((long long)used, (long long)c->used, "request %s: length", c->name);
		if (c->result == -1) {
			is_int(rep, c->rep, "request %s: REP", c->name);
			ok(why != NULL, "request %s: reason given", c->name);
		}
	}
}

static void test_replies(void)
{
	static const uint8_t refusal[] = { 5, 5, 0, 1, 0, 0, 0, 0, 0, 0 };
	static const uint8_t bound6[] = { 5, 0, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
					  0, 0, 0, 0, 0, 0, 0, 1, 0x04, 0x38 };
	struct socks5_addr a = { .atyp = SOCKS5_ATYP_IPV6, .port = 1080 };
	struct socks5_addr bad = { .atyp = 0x7f };
	uint8_t out[64], small[5];
	struct wbuf wb;

	wbuf_init(&wb, out, sizeof(out));
	is_int(request_reply_put(&wb, SOCKS5_REP_REFUSED, NULL), 0, "refusal reply built");
	ok(wb.len == sizeof(refusal) && memcmp(out, refusal, sizeof(refusal)) == 0,
	   "refusal reply is 05 05 00 01 0.0.0.0:0");

	memcpy(a.u.ipv6, (const uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,
					     0, 0, 0, 1 }, 16);
	wbuf_init(&wb, out, sizeof(out));
	is_int(request_reply_put(&wb, SOCKS5_REP_OK, &a), 0, "IPv6 reply built");
	ok(wb.len == sizeof(bound6) && memcmp(out, bound6, sizeof(bound6)) == 0,
	   "IPv6 reply carries [2001:db8::1]:1080");

	wbuf_init(&wb, out, sizeof(out));
	is_int(request_reply_put(&wb, SOCKS5_REP_GENERAL_FAILURE, &bad), 0,
	       "unencodable bound address falls back");
	is_int((long long)wb.len, 10, "fallback reply is the IPv4 form");

	wbuf_init(&wb, small, sizeof(small));
	is_int(request_reply_put(&wb, SOCKS5_REP_OK, NULL), -1, "reply without room fails");
}

int main(void)
{
	for (size_t i = 0; i < sizeof(accept_cases) / sizeof(accept_cases[0]); i++) {
		const struct accept_case *c = &accept_cases[i];

		ok(protection_accepts(c->level, c->conf_state) == c->accepted,
		   "level %s %s conf_state %d", gss_level_name(c->level),
		   c->accepted ? "accepts" : "refuses", c->conf_state);
	}
	for (size_t i = 0; i < sizeof(conf_cases) / sizeof(conf_cases[0]); i++) {
		const struct conf_case *c = &conf_cases[i];

		is_int(protection_wrap_conf(c->level, c->selective_conf), c->conf_req,
		       "level %s (selective %s) wraps with conf_req %d",
		       gss_level_name(c->level),
		       c->selective_conf ? "confidentiality" : "integrity", c->conf_req);
	}
	for (size_t i = 0; i < sizeof(chunk_cases) / sizeof(chunk_cases[0]); i++) {
		const struct chunk_case *c = &chunk_cases[i];

		is_int((long long)protection_chunk_size(c->limit, c->header_len),
		       (long long)c->chunk, "chunk for limit %u, header %zu",
		       (unsigned)c->limit, c->header_len);
	}
	ok(!protection_wraps(GSS_LEVEL_CLEAR) && protection_wraps(GSS_LEVEL_INTEGRITY) &&
	   protection_wraps(GSS_LEVEL_SELECTIVE), "only clear goes unwrapped");
	ok(protection_level_valid(0) && protection_level_valid(3) && !protection_level_valid(4) &&
	   !protection_level_valid(255), "levels 0..3 are valid, 4 and 255 are not");
	test_requests();
	test_replies();
	return done_testing();
}
