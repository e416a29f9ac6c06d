/*
 * test_match.c - table-driven tests for policy decisions (policy/match.c,
 * dest.c): CIDR edges (network and broadcast addresses, one off each
 * side), IPv6 and IPv4-mapped IPv6, name and pattern matching (case, depth,
 * trailing dot, apex), port lists and ranges at their edges, commands,
 * first match wins, and the name/address semantics: a name can never reach
 * an address that the policy denies by address, an allow CIDR rule needs
 * every resolved address inside it, a deny CIDR rule any.
 *
 * Trust zone: tests.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "policy.h"
#include "tap.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const policies[] = {
	/* 0: addresses, ports, commands, first match */
	"deny connect 10.1.2.3 port 22\n"
	"allow connect 10.0.0.0/8 port 22,80,443,8000-8080\n"
	"allow udp 192.0.2.0/24 port 53\n"
	"allow bind 198.51.100.128/25\n"
	"deny connect 172.16.0.0/12\n"
	"allow connect 2001:db8::/32 port 443\n"
	"deny connect 2001:db8:1::/48\n"
	"allow connect 0.0.0.0/0 port 25\n",
	/* 1: names, patterns and the address check */
	"deny connect 10.0.0.0/8\n"
	"deny connect *.evil.example\n"
	"allow connect *.example.com port 443\n"
	"allow connect www.example.org port 80,443\n"
	"allow connect 192.0.2.0/24 port 80\n"
	"deny connect 198.51.100.7\n"
	"allow connect any port 8080\n"
	"allow connect intranet.corp\n"
	"deny connect 203.0.113.0/24\n"
	"deny connect 2001:db8:bad::/48\n",
	/* 2: a catch-all deny does not forbid addresses reached by name */
	"allow connect *.example.com\n"
	"deny connect any\n",
	/* 3: allow CIDR needs every address, deny CIDR any */
	"allow connect 10.1.0.0/16\n"
	"deny connect 10.0.0.0/8\n"
	"allow connect *.example.com\n",
	/* 4: every command */
	"allow connect any port 1\n"
	"allow bind any port 2\n"
	"allow udp any port 3\n"
	"allow connect,udp any port 4\n"
	"allow any any port 5\n",
	/* 5: no rules at all */
	"levels integrity\n",
};

#define CON SOCKS5_CMD_CONNECT
#define BND SOCKS5_CMD_BIND
#define UDP SOCKS5_CMD_UDP

struct match_case {
	int policy;
	uint8_t cmd;
	const char *dst;           /* IPv4, IPv6 (has ':') or a name */
	uint16_t port;
	const char *resolved;      /* comma list of addresses, for names */
	bool allow;
	unsigned line;
	const char *reason;        /* NULL: by rule or no rule matched */
};

static const struct match_case cases[] = {
	/* IPv4 CIDR edges */
	{ 0, CON, "10.0.0.0", 80, NULL, true, 2, NULL },
	{ 0, CON, "10.255.255.255", 80, NULL, true, 2, NULL },
	{ 0, CON, "9.255.255.255", 80, NULL, false, 0, "no rule matched" },
	{ 0, CON, "11.0.0.0", 80, NULL, false, 0, "no rule matched" },
	{ 0, BND, "198.51.100.127", 0, NULL, false, 0, NULL },
	{ 0, BND, "198.51.100.128", 0, NULL, true, 4, NULL },
	{ 0, BND, "198.51.100.255", 0, NULL, true, 4, NULL },
	{ 0, CON, "172.15.255.255", 25, NULL, true, 8, NULL },
	{ 0, CON, "172.16.0.0", 25, NULL, false, 5, "denied by rule" },
	{ 0, CON, "172.31.255.255", 25, NULL, false, 5, NULL },
	{ 0, CON, "172.32.0.0", 25, NULL, true, 8, "allowed by rule" },
	{ 0, CON, "0.0.0.0", 25, NULL, true, 8, NULL },
	{ 0, CON, "255.255.255.255", 25, NULL, true, 8, NULL },
	/* first match wins */
	{ 0, CON, "10.1.2.3", 22, NULL, false, 1, NULL },
	{ 0, CON, "10.1.2.4", 22, NULL, true, 2, NULL },
	{ 0, CON, "10.1.2.2", 22, NULL, true, 2, NULL },
	{ 0, CON, "10.1.2.3", 80, NULL, true, 2, NULL },
	/* port lists and ranges */
	{ 0, CON, "10.0.0.1", 21, NULL, false, 0, NULL },
	{ 0, CON, "10.0.0.1", 23, NULL, false, 0, NULL },
	{ 0, CON, "10.0.0.1", 443, NULL, true, 2, NULL },
	{ 0, CON, "10.0.0.1", 7999, NULL, false, 0, NULL },
	{ 0, CON, "10.0.0.1", 8000, NULL, true, 2, NULL },
	{ 0, CON, "10.0.0.1", 8080, NULL, true, 2, NULL },
	{ 0, CON, "10.0.0.1", 8081, NULL, false, 0, NULL },
	{ 0, CON, "10.0.0.1", 0, NULL, false, 0, NULL },
	{ 0, CON, "10.0.0.1", 65535, NULL, false, 0, NULL },
	/* commands */
	{ 0, UDP, "192.0.2.255", 53, NULL, true, 3, NULL },
	{ 0, CON, "192.0.2.1", 53, NULL, false, 0, NULL },
	{ 0, UDP, "192.0.2.1", 54, NULL, false, 0, NULL },
	{ 0, BND, "10.0.0.1", 80, NULL, false, 0, NULL },
	/* IPv6 */
	{ 0, CON, "2001:db8::", 443, NULL, true, 6, NULL },
	{ 0, CON, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 443, NULL, true, 6, NULL },
	{ 0, CON, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", 443, NULL, false, 0, NULL },
	{ 0, CON, "2001:db9::", 443, NULL, false, 0, NULL },
	{ 0, CON, "2001:db8:1::1", 443, NULL, true, 6, NULL },
	{ 0, CON, "2001:db8:1::1", 80, NULL, false, 7, NULL },
	{ 0, CON, "2001:db8:1:ffff::", 80, NULL, false, 7, NULL },
	{ 0, CON, "2001:db8:2::", 80, NULL, false, 0, NULL },
	{ 0, CON, "::1", 25, NULL, false, 0, NULL },    /* 0.0.0.0/0 is IPv4 only */
	/* IPv4-mapped IPv6 is the IPv4 address; IPv4-compatible is not */
	{ 0, CON, "::ffff:10.1.2.3", 22, NULL, false, 1, NULL },
	{ 0, CON, "::ffff:10.1.2.4", 80, NULL, true, 2, NULL },
	{ 0, CON, "::ffff:172.16.0.1", 25, NULL, false, 5, NULL },
	{ 0, CON, "::10.1.2.3", 22, NULL, false, 0, NULL },
	/* names never match address rules when asked by address */
	{ 1, CON, "192.0.2.5", 443, NULL, false, 0, NULL },
	{ 1, CON, "192.0.2.5", 80, NULL, true, 5, NULL },
	/* patterns: any depth, case, trailing dot, never the apex */
	{ 1, CON, "a.example.com", 443, "93.184.216.34", true, 3, NULL },
	{ 1, CON, "A.B.Example.COM.", 443, "93.184.216.34", true, 3, NULL },
	{ 1, CON, "example.com", 443, "93.184.216.34", false, 0, NULL },
	{ 1, CON, ".example.com", 443, "93.184.216.34", false, 0, NULL },
	{ 1, CON, "example.com.", 443, "93.184.216.34", false, 0, NULL },
	{ 1, CON, "badexample.com", 443, "93.184.216.34", false, 0, NULL },
	{ 1, CON, "a.example.com.evil.net", 443, "93.184.216.34", false, 0, NULL },
	{ 1, CON, "a.example.com", 80, "93.184.216.34", false, 0, NULL },
	{ 1, CON, "x.evil.example", 443, "93.184.216.34", false, 2, NULL },
	{ 1, CON, "x.y.EVIL.example", 8080, "93.184.216.34", false, 2, NULL },
	/* exact names */
	{ 1, CON, "www.example.org", 80, "192.0.2.5", true, 4, NULL },
	{ 1, CON, "WWW.EXAMPLE.ORG.", 443, "2001:db8::5", true, 4, NULL },
	{ 1, CON, "www.example.org.x", 443, "192.0.2.5", false, 0, NULL },
	{ 1, CON, "ww.example.org", 443, "192.0.2.5", false, 0, NULL },
	{ 1, CON, "wwww.example.org", 443, "192.0.2.5", false, 0, NULL },
	/* the address check: a name cannot smuggle an address denied by address */
	{ 1, CON, "a.example.com", 443, "10.0.0.1", false, 1,
	  "a resolved address is denied by rule" },
	{ 1, CON, "a.example.com", 443, "93.184.216.34,10.9.9.9", false, 1,
	  "a resolved address is denied by rule" },
	{ 1, CON, "a.example.com", 443, "::ffff:10.0.0.1", false, 1,
	  "a resolved address is denied by rule" },
	{ 1, CON, "a.example.com", 443, "2001:db8:bad::1", false, 10,
	  "a resolved address is denied by rule" },
	{ 1, CON, "intranet.corp", 22, "203.0.113.5", false, 9,
	  "a resolved address is denied by rule" },
	{ 1, CON, "intranet.corp", 22, "192.0.2.9", true, 8, NULL },
	{ 1, CON, "some.name", 8080, "198.51.100.7", false, 6,
	  "a resolved address is denied by rule" },
	{ 1, CON, "198.51.100.7", 8080, NULL, false, 6, NULL },
	{ 1, CON, "some.name", 8080, "8.8.8.8", true, 7, NULL },
	/* an allow CIDR rule vouches for a name only if every address is inside */
	{ 1, CON, "web.test", 80, "192.0.2.5,192.0.2.6", true, 5, NULL },
	{ 1, CON, "web.test", 80, "192.0.2.5,198.51.100.1", false, 0, NULL },
	{ 1, CON, "web.test", 80, "", false, 0, "name has no resolved address" },
	/* a catch-all deny is not a denial by address */
	{ 2, CON, "a.example.com", 443, "10.0.0.1", true, 1, NULL },
	{ 2, CON, "10.0.0.1", 443, NULL, false, 2, NULL },
	{ 2, CON, "example.com", 443, "10.0.0.1", false, 2, NULL },
	/* allow CIDR: every address; deny CIDR: any address */
	{ 3, CON, "n.example.com", 1, "10.1.0.1", true, 1, NULL },
	{ 3, CON, "n.example.com", 1, "10.1.0.1,10.1.255.255", true, 1, NULL },
	{ 3, CON, "n.example.com", 1, "10.1.0.1,8.8.8.8", false, 2, "denied by rule" },
	{ 3, CON, "n.example.com", 1, "10.2.0.1", false, 2,
	  "a resolved address is denied by rule" },
	{ 3, CON, "n.example.com", 1, "8.8.8.8", true, 3, NULL },
	{ 3, CON, "10.1.0.1", 1, NULL, true, 1, NULL },
	{ 3, CON, "10.2.0.1", 1, NULL, false, 2, NULL },
	/* every command */
	{ 4, CON, "192.0.2.1", 1, NULL, true, 1, NULL },
	{ 4, BND, "192.0.2.1", 1, NULL, false, 0, NULL },
	{ 4, BND, "192.0.2.1", 2, NULL, true, 2, NULL },
	{ 4, UDP, "192.0.2.1", 2, NULL, false, 0, NULL },
	{ 4, UDP, "192.0.2.1", 3, NULL, true, 3, NULL },
	{ 4, UDP, "192.0.2.1", 4, NULL, true, 4, NULL },
	{ 4, BND, "192.0.2.1", 4, NULL, false, 0, NULL },
	{ 4, CON, "192.0.2.1", 5, NULL, true, 5, NULL },
	{ 4, BND, "192.0.2.1", 5, NULL, true, 5, NULL },
	{ 4, UDP, "name.test", 5, "192.0.2.1", true, 5, NULL },
	{ 4, 0, "192.0.2.1", 5, NULL, false, 0, NULL },
	{ 4, 9, "192.0.2.1", 5, NULL, false, 0, NULL },
	{ 4, 255, "192.0.2.1", 5, NULL, false, 0, NULL },
	/* no rules */
	{ 5, CON, "192.0.2.1", 80, NULL, false, 0, "no rule matched" },
};

static void make_dst(const char *text, uint16_t port, struct socks5_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->port = port;
	if (inet_pton(AF_INET, text, a->u.ipv4) == 1)
		a->atyp = SOCKS5_ATYP_IPV4;
	else if (inet_pton(AF_INET6, text, a->u.ipv6) == 1)
		a->atyp = SOCKS5_ATYP_IPV6;
	else {
		a->atyp = SOCKS5_ATYP_DOMAIN;
		snprintf(a->u.name, sizeof(a->u.name), "%s", text);
	}
}

static size_t make_resolved(const char *list, struct sockaddr_storage *out, size_t max)
{
	char copy[512], *save = NULL, *item;
	size_t n = 0;

	if (list == NULL)
		return 0;
	snprintf(copy, sizeof(copy), "%s", list);
	for (item = strtok_r(copy, ",", &save); item != NULL && n < max;
	     item = strtok_r(NULL, ",", &save)) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&out[n];
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out[n];

		memset(&out[n], 0, sizeof(out[n]));
		if (inet_pton(AF_INET, item, &sin->sin_addr) == 1)
			sin->sin_family = AF_INET;
		else if (inet_pton(AF_INET6, item, &sin6->sin6_addr) == 1)
			sin6->sin6_family = AF_INET6;
		else
			abort();
		n++;
	}
	return n;
}

static void test_table(struct policy **parsed)
{
	for (size_t i = 0; i < LEN(cases); i++) {
		const struct match_case *c = &cases[i];
		struct sockaddr_storage resolved[8];
		struct socks5_addr dst;
		struct policy_decision d;
		size_t n;

		make_dst(c->dst, c->port, &dst);
		n = make_resolved(c->resolved, resolved, LEN(resolved));
		d = policy_decide(parsed[c->policy], c->cmd, &dst, resolved, n);
		ok(d.allow == c->allow && d.line == c->line && strcmp(d.file, "t") == 0 &&
		   (c->reason == NULL || strcmp(d.reason, c->reason) == 0),
		   "policy %d cmd %u %s port %u via [%s]: %s line %u", c->policy, c->cmd, c->dst,
		   c->port, c->resolved ? c->resolved : "", c->allow ? "allow" : "deny", c->line);
		if (d.allow != c->allow || d.line != c->line)
			diag("    got %s line %u (%s)", d.allow ? "allow" : "deny", d.line, d.reason);
	}
}

/* Requests that must be denied whatever the rules say. */
static void test_refusals(struct policy **parsed)
{
	struct sockaddr_storage odd;
	struct socks5_addr dst;
	struct policy_decision d;

	make_dst("10.0.0.1", 80, &dst);
	d = policy_decide(NULL, CON, &dst, NULL, 0);
	ok(!d.allow && d.line == 0 && strcmp(d.file, "(no policy)") == 0 &&
	   strcmp(d.reason, "no policy for this principal") == 0, "no policy: deny");

	make_dst("a.example.com", 8080, &dst);
	d = policy_decide(parsed[1], CON, &dst, NULL, 0);
	ok(!d.allow && strcmp(d.reason, "name has no resolved address") == 0,
	   "name with resolved == NULL: deny");

	memset(&odd, 0, sizeof(odd));
	odd.ss_family = AF_UNIX;
	d = policy_decide(parsed[1], CON, &dst, &odd, 1);
	ok(!d.allow && strcmp(d.reason, "resolved address of unknown family") == 0,
	   "resolved AF_UNIX address: deny");

	dst.atyp = 0x02;
	d = policy_decide(parsed[1], CON, &dst, NULL, 0);
	ok(!d.allow && strcmp(d.reason, "unknown address type") == 0, "unknown atyp: deny");

	/* A name of 255 octets (the SOCKS maximum) against a pattern. */
	memset(&dst, 0, sizeof(dst));
	dst.atyp = SOCKS5_ATYP_DOMAIN;
	dst.port = 443;
	memset(dst.u.name, 'a', 243);
	memcpy(&dst.u.name[243], ".example.com", 12);
	make_resolved("93.184.216.34", &odd, 1);
	d = policy_decide(parsed[1], CON, &dst, &odd, 1);
	ok(d.allow && d.line == 3, "255-octet name matches *.example.com");
}

/* The decision for an address request ignores what is passed as resolved. */
static void test_address_ignores_resolved(struct policy **parsed)
{
	struct sockaddr_storage other;
	struct socks5_addr dst;
	struct policy_decision d;

	make_dst("10.0.0.1", 80, &dst);
	make_resolved("192.0.2.1", &other, 1);
	d = policy_decide(parsed[1], CON, &dst, &other, 1);
	ok(!d.allow && d.line == 1, "address request decided on the address as asked");
}

/* address_block_*: the same CIDR code, for words outside policy files. */
static void test_address_blocks(void)
{
	static const struct { const char *block, *addr; bool holds; } blocks[] = {
		{ "127.0.0.1/32", "127.0.0.1", true },
		{ "127.0.0.1/32", "127.0.0.2", false },
		{ "10.0.0.0/8", "10.255.255.255", true },
		{ "10.0.0.0/8", "::ffff:10.1.2.3", true },
		{ "10.0.0.0/8", "2001:db8::1", false },
		{ "::1", "::1", true },
		{ "2001:db8::/32", "2001:db8:ffff::1", true },
		{ "2001:db8::/32", "10.0.0.1", false },
		{ "::ffff:192.0.2.0/120", "192.0.2.9", true },
	};
	static const char *const bad[] = { "example.com", "10.0.0.1/8", "10.0.0.0/33", "any",
					   "::1/129", "" };

	for (size_t i = 0; i < LEN(blocks); i++) {
		struct address_block b;
		struct sockaddr_storage ss;

		memset(&ss, 0, sizeof(ss));
		if (strchr(blocks[i].addr, ':') != NULL) {
			ss.ss_family = AF_INET6;
			inet_pton(AF_INET6, blocks[i].addr, &((struct sockaddr_in6 *)&ss)->sin6_addr);
		} else {
			ss.ss_family = AF_INET;
			inet_pton(AF_INET, blocks[i].addr, &((struct sockaddr_in *)&ss)->sin_addr);
		}
		ok(address_block_parse(blocks[i].block, &b) == NULL &&
		   address_block_holds(&b, (struct sockaddr *)&ss) == blocks[i].holds,
		   "address block %s %s %s", blocks[i].block,
		   blocks[i].holds ? "holds" : "does not hold", blocks[i].addr);
	}
	for (size_t i = 0; i < LEN(bad); i++) {
		struct address_block b;

		ok(address_block_parse(bad[i], &b) != NULL, "address block \"%s\" refused", bad[i]);
	}
}

int main(void)
{
	struct policy *parsed[LEN(policies)];
	struct policy_errors errs;

	policy_errors_init(&errs);
	for (size_t i = 0; i < LEN(policies); i++) {
		parsed[i] = policy_parse("t", policies[i], strlen(policies[i]), &errs);
		if (parsed[i] == NULL) {
			policy_errors_print(&errs, stdout);
			printf("Bail out! policy %zu does not parse\n", i);
			return 1;
		}
	}
	policy_errors_free(&errs);
	test_table(parsed);
	test_refusals(parsed);
	test_address_ignores_resolved(parsed);
	test_address_blocks();
	for (size_t i = 0; i < LEN(policies); i++)
		policy_free(parsed[i]);
	return done_testing();
}
