/*
 * test_proxy2.c - unit tests for proto/proxy2.c, the PROXY protocol v2
 * header: PROXY over TCP/IPv4 and TCP/IPv6 with and without TLVs, LOCAL
 * (HAProxy's health check) of every family; refusals (signature,
 * version, command, family, length past 536 octets, addresses that do
 * not fit, broken TLVs); every prefix of a valid header is "need more"
 * and proxy2_length() never asks past the header; a SOCKS greeting is
 * refused at its first octet.
 *
 * Trust zone: tests.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "proxy2.h"
#include "tap.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SIG 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a

/* 192.0.2.7:40000 -> 198.51.100.1:1080, then the first greeting octets */
static const uint8_t proxy_v4[] = { SIG, 0x21, 0x11, 0, 12, 192, 0, 2, 7, 198, 51, 100, 1,
				    0x9c, 0x40, 0x04, 0x38, 5, 1, 1 };
/* [2001:db8::7]:443 -> [2001:db8::1]:1080 */
static const uint8_t proxy_v6[] = { SIG, 0x21, 0x21, 0, 36,
				    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7,
				    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
				    0x01, 0xbb, 0x04, 0x38 };
/* IPv4 with a NOOP TLV (0x04) of 3 octets and an empty ALPN TLV */
static const uint8_t proxy_v4_tlv[] = { SIG, 0x21, 0x11, 0, 12 + 6 + 3,
					10, 0, 0, 9, 10, 0, 0, 1, 0, 80, 0, 81,
					0x04, 0, 3, 0, 0, 0, 0x01, 0, 0 };
static const uint8_t local_unspec[] = { SIG, 0x20, 0x00, 0, 0 };
static const uint8_t local_v4[] = { SIG, 0x20, 0x11, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2 };
static const uint8_t bad_sig[] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49,
				   0x54, 0x0b, 0x21, 0x11, 0, 12 };
static const uint8_t version1[] = { SIG, 0x11, 0x11, 0, 12 };
static const uint8_t command2[] = { SIG, 0x22, 0x11, 0, 12 };
static const uint8_t proxy_udp[] = { SIG, 0x21, 0x12, 0, 12 };
static const uint8_t proxy_unspec[] = { SIG, 0x21, 0x00, 0, 0 };
static const uint8_t proxy_unix[] = { SIG, 0x21, 0x31, 0, 216 };
static const uint8_t local_family4[] = { SIG, 0x20, 0x41, 0, 0 };
static const uint8_t too_long[] = { SIG, 0x21, 0x11, 0x02, 0x09 };     /* 16 + 521 */
static const uint8_t longest_ok[] = { SIG, 0x21, 0x11, 0x02, 0x08 };   /* 16 + 520 */
static const uint8_t short_v4[] = { SIG, 0x21, 0x11, 0, 11, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0 };
static const uint8_t short_v6[] = { SIG, 0x21, 0x21, 0, 12 };
static const uint8_t tlv_cut[] = { SIG, 0x21, 0x11, 0, 12 + 2, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2,
				   0x04, 0 };
static const uint8_t tlv_over[] = { SIG, 0x21, 0x11, 0, 12 + 4, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2,
				    0x04, 0, 2, 0 };
static const uint8_t greeting[] = { 5, 1, 1 };

struct parse_case {
	const char *name;
	const uint8_t *in;
	size_t len;
	int want;
	size_t used;            /* when want == 1 */
	uint8_t command;        /* when want == 1 */
	int family;             /* of the source, when want == 1 */
	const char *why;        /* when want == -1 */
};

static const struct parse_case cases[] = {
	{ "PROXY TCP/IPv4, greeting after it", proxy_v4, sizeof(proxy_v4), 1, 28,
	  PROXY2_CMD_PROXY, AF_INET, NULL },
	{ "PROXY TCP/IPv6", proxy_v6, sizeof(proxy_v6), 1, 52, PROXY2_CMD_PROXY, AF_INET6, NULL },
	{ "PROXY TCP/IPv4 with TLVs", proxy_v4_tlv, sizeof(proxy_v4_tlv), 1, 37,
	  PROXY2_CMD_PROXY, AF_INET, NULL },
	{ "LOCAL UNSPEC (HAProxy's health check)", local_unspec, sizeof(local_unspec), 1, 16,
	  PROXY2_CMD_LOCAL, AF_UNSPEC, NULL },
	{ "LOCAL with IPv4 addresses: ignored", local_v4, sizeof(local_v4), 1, 28,
	  PROXY2_CMD_LOCAL, AF_UNSPEC, NULL },
	{ "empty", proxy_v4, 0, 0, 0, 0, 0, NULL },
	{ "fixed part only of an IPv4 header", proxy_v4, 16, 0, 0, 0, 0, NULL },
	{ "longest length accepted, body missing", longest_ok, sizeof(longest_ok), 0, 0, 0, 0,
	  NULL },
	{ "wrong last signature octet", bad_sig, sizeof(bad_sig), -1, 0, 0, 0,
	  "not a PROXY protocol v2 signature" },
	{ "wrong signature, judged at octet 12", bad_sig, 12, -1, 0, 0, 0,
	  "not a PROXY protocol v2 signature" },
	{ "SOCKS greeting", greeting, sizeof(greeting), -1, 0, 0, 0,
	  "not a PROXY protocol v2 signature" },
	{ "SOCKS greeting, one octet", greeting, 1, -1, 0, 0, 0,
	  "not a PROXY protocol v2 signature" },
	{ "version 1 in the binary form", version1, sizeof(version1), -1, 0, 0, 0,
	  "PROXY protocol version is not 2" },
	{ "command 2", command2, 13, -1, 0, 0, 0, "PROXY command neither LOCAL nor PROXY" },
	{ "PROXY for UDP", proxy_udp, 14, -1, 0, 0, 0,
	  "PROXY header for other than TCP over IPv4 or IPv6" },
	{ "PROXY for UNSPEC", proxy_unspec, sizeof(proxy_unspec), -1, 0, 0, 0,
	  "PROXY header for other than TCP over IPv4 or IPv6" },
	{ "PROXY for UNIX", proxy_unix, sizeof(proxy_unix), -1, 0, 0, 0,
	  "PROXY header for other than TCP over IPv4 or IPv6" },
	{ "LOCAL of family 4", local_family4, 14, -1, 0, 0, 0,
	  "PROXY header with an unknown family or protocol" },
	{ "length past 536 octets, judged before the body", too_long, sizeof(too_long), -1, 0, 0,
	  0, "PROXY header longer than 536 octets" },
	{ "IPv4 addresses in 11 octets", short_v4, sizeof(short_v4), -1, 0, 0, 0,
	  "PROXY header too short for its addresses" },
	{ "IPv6 addresses in 12 octets", short_v6, sizeof(short_v6), -1, 0, 0, 0,
	  "PROXY header too short for its addresses" },
	{ "TLV cut in its header", tlv_cut, sizeof(tlv_cut), -1, 0, 0, 0,
	  "PROXY header with a malformed TLV" },
	{ "TLV longer than the header", tlv_over, sizeof(tlv_over), -1, 0, 0, 0,
	  "PROXY header with a malformed TLV" },
};

static void test_table(void)
{
	for (size_t i = 0; i < LEN(cases); i++) {
		const struct parse_case *c = &cases[i];
		struct proxy2_header h;
		const char *why = NULL;
		size_t used = 0;
		int r = proxy2_parse(c->in, c->len, &h, &used, &why);

		is_int(r, c->want, "%s", c->name);
		if (c->want == 1)
			ok(used == c->used && h.command == c->command &&
			   h.source.ss_family == c->family,
			   "%s: used %zu command %u family %d", c->name, used, h.command,
			   h.source.ss_family);
		else if (c->want == -1)
			ok(why != NULL && strcmp(why, c->why) == 0, "%s: reason \"%s\"", c->name,
			   why ? why : "(none)");
	}
}

static void test_addresses(void)
{
	struct proxy2_header h;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&h.source;
	const struct sockaddr_in *d4 = (const struct sockaddr_in *)&h.destination;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&h.source;
	struct in6_addr want6;
	size_t used;

	is_int(proxy2_parse(proxy_v4, sizeof(proxy_v4), &h, &used, NULL), 1, "IPv4 parses");
	ok(s4->sin_addr.s_addr == inet_addr("192.0.2.7") && ntohs(s4->sin_port) == 40000,
	   "IPv4 source 192.0.2.7:40000");
	ok(d4->sin_addr.s_addr == inet_addr("198.51.100.1") && ntohs(d4->sin_port) == 1080,
	   "IPv4 destination 198.51.100.1:1080");
	is_int(proxy2_parse(proxy_v6, sizeof(proxy_v6), &h, &used, NULL), 1, "IPv6 parses");
	inet_pton(AF_INET6, "2001:db8::7", &want6);
	ok(memcmp(&s6->sin6_addr, &want6, 16) == 0 && ntohs(s6->sin6_port) == 443,
	   "IPv6 source [2001:db8::7]:443");
}

/* Every prefix is "need more", and the reader is never told to read past. */
static void test_prefixes(void)
{
	const struct { const uint8_t *in; size_t whole; } good[] = {
		{ proxy_v4, 28 }, { proxy_v6, 52 }, { proxy_v4_tlv, 37 }, { local_unspec, 16 },
	};

	for (size_t g = 0; g < LEN(good); g++) {
		bool all_zero = true, bounded = true;

		for (size_t n = 0; n < good[g].whole; n++) {
			struct proxy2_header h;
			size_t used = 0;

			if (proxy2_parse(good[g].in, n, &h, &used, NULL) != 0)
				all_zero = false;
			if (proxy2_length(good[g].in, n) > good[g].whole ||
			    proxy2_length(good[g].in, n) <= n)
				bounded = false;
		}
		ok(all_zero, "header %zu: every prefix needs more", g);
		ok(bounded, "header %zu: proxy2_length() asks for more, never past the header", g);
		is_int((long long)proxy2_length(good[g].in, good[g].whole), (long long)good[g].whole,
		       "header %zu: proxy2_length() of the whole header", g);
	}
}

int main(void)
{
	test_table();
	test_addresses();
	test_prefixes();
	return done_testing();
}
