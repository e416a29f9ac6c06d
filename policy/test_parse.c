/*
 * test_parse.c - table-driven tests for the policy parser (policy/parse.c,
 * lines.c, dest.c): every rule form and setting parses to what it says,
 * every error message comes out exactly, with its line, and every limit
 * (line length, file size, rule count, port list, error count) is enforced.
 *
 * Trust zone: tests.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "rule.h"
#include "tap.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define CMD_ALL (RULE_CMD_BIT(SOCKS5_CMD_CONNECT) | RULE_CMD_BIT(SOCKS5_CMD_BIND) | \
		 RULE_CMD_BIT(SOCKS5_CMD_UDP))
#define C RULE_CMD_BIT(SOCKS5_CMD_CONNECT)
#define B RULE_CMD_BIT(SOCKS5_CMD_BIND)
#define U RULE_CMD_BIT(SOCKS5_CMD_UDP)

/* A one-line, printable copy of text for a TAP description. */
static const char *oneline(const char *text)
{
	static char out[256];
	size_t n = 0;

	for (size_t i = 0; text[i] != '\0' && n + 5 < sizeof(out); i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '\n') {
			out[n++] = '\\';
			out[n++] = 'n';
		} else if (c < 0x20 || c >= 0x7f || c == '#') {
			n += (size_t)snprintf(&out[n], sizeof(out) - n, "\\x%02x", c);
		} else {
			out[n++] = (char)c;
		}
	}
	out[n] = '\0';
	return out;
}

/* ---- rule forms ---- */

struct rule_case {
	const char *text;
	bool allow;
	uint8_t commands;
	enum dest_kind kind;
	const char *dest;          /* address text (inet_ntop) or stored name */
	unsigned prefix;
	const char *ports;         /* "" for every port, else "lo-hi,lo-hi" */
};

static const struct rule_case rule_cases[] = {
	{ "allow connect 10.0.0.0/8 port 80,443,8000-8080", true, C, DEST_CIDR4, "10.0.0.0", 8,
	  "80-80,443-443,8000-8080" },
	{ "deny connect any", false, C, DEST_ANY, NULL, 0, "" },
	{ "allow connect *.example.com port 443", true, C, DEST_PATTERN, ".example.com", 0,
	  "443-443" },
	{ "allow udp 192.0.2.0/24 port 53", true, U, DEST_CIDR4, "192.0.2.0", 24, "53-53" },
	{ "allow connect,bind 2001:db8::/32 port any", true, C | B, DEST_CIDR6, "2001:db8::", 32, "" },
	{ "allow bind,udp,connect 192.0.2.1", true, CMD_ALL, DEST_CIDR4, "192.0.2.1", 32, "" },
	{ "deny any 2001:db8::1", false, CMD_ALL, DEST_CIDR6, "2001:db8::1", 128, "" },
	{ "deny any ::ffff:10.0.0.0/104", false, CMD_ALL, DEST_CIDR4, "10.0.0.0", 8, "" },
	{ "deny any ::ffff:192.0.2.7", false, CMD_ALL, DEST_CIDR4, "192.0.2.7", 32, "" },
	{ "deny any ::ffff:0:0/96", false, CMD_ALL, DEST_CIDR4, "0.0.0.0", 0, "" },
	{ "deny any ::/80", false, CMD_ALL, DEST_CIDR6, "::", 80, "" },
	{ "deny bind WWW.Example.COM.", false, B, DEST_NAME, "www.example.com", 0, "" },
	{ "allow connect *.Example.Org. port 22", true, C, DEST_PATTERN, ".example.org", 0, "22-22" },
	{ "allow connect 0.0.0.0/0", true, C, DEST_CIDR4, "0.0.0.0", 0, "" },
	{ "allow connect ::/0 port 0-65535", true, C, DEST_CIDR6, "::", 0, "0-65535" },
	{ "  allow\tconnect   any   # trailing comment", true, C, DEST_ANY, NULL, 0, "" },
	{ "allow connect host_name-1.example port 0,65535", true, C, DEST_NAME,
	  "host_name-1.example", 0, "0-0,65535-65535" },
	{ "allow connect localhost", true, C, DEST_NAME, "localhost", 0, "" },
	{ "allow connect 1a.example", true, C, DEST_NAME, "1a.example", 0, "" },
	{ "allow udp 10.1.2.2/31 port 1-2,3", true, U, DEST_CIDR4, "10.1.2.2", 31, "1-2,3-3" },
};

static void format_ports(const struct rule *r, char *out, size_t outlen)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < r->n_ports && n < outlen; i++)
		n += (size_t)snprintf(&out[n], outlen - n, "%s%u-%u", i ? "," : "",
				      r->ports[i].low, r->ports[i].high);
}

static void test_rule_forms(void)
{
	for (size_t i = 0; i < LEN(rule_cases); i++) {
		const struct rule_case *c = &rule_cases[i];
		struct policy_errors errs;
		struct policy *p;
		char dest[POLICY_NAME_MAX + 2] = "", ports[512];

		policy_errors_init(&errs);
		p = policy_parse("t", c->text, strlen(c->text), &errs);
		if (!ok(p != NULL && errs.count == 0 && p->n_rules == 1, "parses: %s", oneline(c->text))) {
			if (errs.count > 0)
				diag("    %s", errs.lines[0]);
			skip(5, "did not parse");
			policy_free(p);
			policy_errors_free(&errs);
			continue;
		}
		const struct rule *r = &p->rules[0];
		ok(r->allow == c->allow && r->line == 1, "  action, line");
		is_int(r->commands, c->commands, "  commands");
		is_int(r->dest.kind, c->kind, "  destination kind");
		if (c->kind == DEST_CIDR4)
			inet_ntop(AF_INET, r->dest.addr, dest, sizeof(dest));
		else if (c->kind == DEST_CIDR6)
			inet_ntop(AF_INET6, r->dest.addr, dest, sizeof(dest));
		else if (c->kind != DEST_ANY)
			snprintf(dest, sizeof(dest), "%s", r->dest.name);
		ok((c->dest == NULL ? strcmp(dest, "") == 0 : strcmp(dest, c->dest) == 0) &&
		   r->dest.prefix == c->prefix, "  destination %s/%u (want %s/%u)", dest,
		   r->dest.prefix, c->dest ? c->dest : "", c->prefix);
		format_ports(r, ports, sizeof(ports));
		is_str(ports, c->ports, "  ports");
		policy_free(p);
		policy_errors_free(&errs);
	}
}

/* ---- settings ---- */

struct settings_case {
	const char *text;
	uint8_t levels;            /* bits of enum gss_level */
	bool nec;
	enum gss_level preferred;
	bool written;
	long max_sessions, idle_timeout, max_duration;
};

#define L(x) (1u << GSS_LEVEL_##x)

static const struct settings_case settings_cases[] = {
	{ "", L(INTEGRITY) | L(CONFIDENTIALITY) | L(SELECTIVE), false,
	  GSS_LEVEL_CONFIDENTIALITY, false, -1, -1, -1 },
	{ "# only a comment\n\n   \n", L(INTEGRITY) | L(CONFIDENTIALITY) | L(SELECTIVE), false,
	  GSS_LEVEL_CONFIDENTIALITY, false, -1, -1, -1 },
	{ "levels integrity", L(INTEGRITY), false, GSS_LEVEL_INTEGRITY, true, -1, -1, -1 },
	{ "levels integrity selective", L(INTEGRITY) | L(SELECTIVE), false, GSS_LEVEL_SELECTIVE,
	  true, -1, -1, -1 },
	{ "levels clear", L(CLEAR), false, GSS_LEVEL_CLEAR, true, -1, -1, -1 },
	{ "levels clear nec integrity\npreferred clear", L(CLEAR) | L(INTEGRITY), true,
	  GSS_LEVEL_CLEAR, true, -1, -1, -1 },
	{ "preferred integrity\nlevels integrity confidentiality",
	  L(INTEGRITY) | L(CONFIDENTIALITY), false, GSS_LEVEL_INTEGRITY, true, -1, -1, -1 },
	{ "preferred selective", L(INTEGRITY) | L(CONFIDENTIALITY) | L(SELECTIVE), false,
	  GSS_LEVEL_SELECTIVE, false, -1, -1, -1 },
	{ "max-sessions 4\nidle-timeout 300\nmax-duration 3600\nallow connect any",
	  L(INTEGRITY) | L(CONFIDENTIALITY) | L(SELECTIVE), false, GSS_LEVEL_CONFIDENTIALITY,
	  false, 4, 300, 3600 },
	{ "max-sessions 0\nidle-timeout 0\nmax-duration 31536000",
	  L(INTEGRITY) | L(CONFIDENTIALITY) | L(SELECTIVE), false, GSS_LEVEL_CONFIDENTIALITY,
	  false, 0, 0, 31536000 },
	{ "max-sessions 1000000", L(INTEGRITY) | L(CONFIDENTIALITY) | L(SELECTIVE), false,
	  GSS_LEVEL_CONFIDENTIALITY, false, 1000000, -1, -1 },
};

static void test_settings(void)
{
	for (size_t i = 0; i < LEN(settings_cases); i++) {
		const struct settings_case *c = &settings_cases[i];
		struct policy_errors errs;
		struct policy *p;

		policy_errors_init(&errs);
		p = policy_parse("t", c->text, strlen(c->text), &errs);
		if (!ok(p != NULL, "settings parse: %s", oneline(c->text))) {
			if (errs.count > 0)
				diag("    %s", errs.lines[0]);
			skip(3, "did not parse");
			policy_errors_free(&errs);
			continue;
		}
		const struct policy_settings *st = policy_get_settings(p);
		ok(st->levels == c->levels && st->nec == c->nec && st->levels_written == c->written,
		   "  levels 0x%x nec %d written %d", st->levels, st->nec, st->levels_written);
		is_int(st->preferred, c->preferred, "  preferred");
		ok(st->max_sessions == c->max_sessions && st->idle_timeout == c->idle_timeout &&
		   st->max_duration == c->max_duration, "  limits %ld %ld %ld", st->max_sessions,
		   st->idle_timeout, st->max_duration);
		policy_free(p);
		policy_errors_free(&errs);
	}
}

/* ---- every error message ---- */

struct error_case {
	const char *text;
	const char *error;         /* the one expected line */
};

static const struct error_case error_cases[] = {
	/* lines.c */
	{ "allow connect any\r\n", "t:1: carriage return in line (DOS line ending?)" },
	{ "\nallow connect \x01" "any", "t:2: invalid byte 0x01 outside a comment" },
	{ "allow connect caf\xc3\xa9.example", "t:1: invalid byte 0xc3 outside a comment" },
	{ "allow connect any\x7f", "t:1: invalid byte 0x7f outside a comment" },
	{ "a b c d e f g h i j k l m n o p q", "t:1: more than 16 words on one line" },
	/* keywords */
	{ "permit connect any", "t:1: unknown keyword 'permit'" },
	{ "Allow connect any", "t:1: unknown keyword 'Allow'" },
	{ "levels integrity\nlevels integrity", "t:2: 'levels' given twice (first on line 1)" },
	{ "levels", "t:1: 'levels' needs at least one level" },
	{ "levels strong", "t:1: unknown protection level 'strong' (clear, integrity, "
	  "confidentiality, selective, nec)" },
	{ "levels integrity integrity", "t:1: level 'integrity' listed twice" },
	{ "levels nec clear nec", "t:1: level 'nec' listed twice" },
	{ "levels nec", "t:1: 'levels' accepts no protection level ('nec' is a message form, "
	  "not a level)" },
	{ "preferred", "t:1: 'preferred' needs one level" },
	{ "preferred confidentiality integrity", "t:1: unexpected word 'integrity'" },
	{ "levels clear nec\npreferred nec", "t:2: 'nec' is a message form, not a level: it "
	  "cannot be preferred" },
	{ "preferred best", "t:1: unknown protection level 'best' (clear, integrity, "
	  "confidentiality, selective)" },
	{ "preferred clear", "t:1: preferred level 'clear' is not accepted by 'levels'" },
	{ "\npreferred confidentiality\nlevels integrity",
	  "t:2: preferred level 'confidentiality' is not accepted by 'levels'" },
	{ "preferred integrity\npreferred integrity", "t:2: 'preferred' given twice (first on line 1)" },
	{ "max-sessions", "t:1: 'max-sessions' needs a number" },
	{ "max-sessions -1", "t:1: invalid number '-1' for 'max-sessions' (0..1000000)" },
	{ "max-sessions 1000001", "t:1: invalid number '1000001' for 'max-sessions' (0..1000000)" },
	{ "max-sessions 4 5", "t:1: unexpected word '5'" },
	{ "max-sessions 1\nmax-sessions 2", "t:2: 'max-sessions' given twice (first on line 1)" },
	{ "idle-timeout 1e3", "t:1: invalid number '1e3' for 'idle-timeout' (0..31536000)" },
	{ "idle-timeout 99999999999", "t:1: invalid number '99999999999' for 'idle-timeout' "
	  "(0..31536000)" },
	{ "max-duration 31536001", "t:1: invalid number '31536001' for 'max-duration' "
	  "(0..31536000)" },
	{ "max-duration", "t:1: 'max-duration' needs a number" },
	{ "idle-timeout 5\nidle-timeout 5", "t:2: 'idle-timeout' given twice (first on line 1)" },
	/* rules: commands */
	{ "allow", "t:1: 'allow' needs a command (connect, bind, udp, any)" },
	{ "deny", "t:1: 'deny' needs a command (connect, bind, udp, any)" },
	{ "allow connect, any", "t:1: empty item in command list 'connect,'" },
	{ "allow ,connect any", "t:1: empty item in command list ',connect'" },
	{ "allow connect,,bind any", "t:1: empty item in command list 'connect,,bind'" },
	{ "allow connect,any any", "t:1: 'any' cannot be part of a command list" },
	{ "allow listen any", "t:1: unknown command 'listen' (connect, bind, udp, any)" },
	{ "allow CONNECT any", "t:1: unknown command 'CONNECT' (connect, bind, udp, any)" },
	{ "allow connect,bind,connect any", "t:1: command 'connect' listed twice" },
	{ "allow connect", "t:1: 'allow connect' needs a destination (any, address, CIDR, "
	  "name, *.domain)" },
	/* rules: destinations */
	{ "allow connect 10.0.0.256", "t:1: invalid destination '10.0.0.256': invalid IPv4 address" },
	{ "allow connect 10.0.0", "t:1: invalid destination '10.0.0': invalid IPv4 address" },
	{ "allow connect 010.0.0.1", "t:1: invalid destination '010.0.0.1': invalid IPv4 address" },
	{ "allow connect 10.0.0.0/", "t:1: invalid destination '10.0.0.0/': invalid prefix "
	  "length (0..32)" },
	{ "allow connect 10.0.0.0/33", "t:1: invalid destination '10.0.0.0/33': invalid prefix "
	  "length (0..32)" },
	{ "allow connect 10.0.0.0/08", "t:1: invalid destination '10.0.0.0/08': invalid prefix "
	  "length (0..32)" },
	{ "allow connect 10.0.0.0/8/8", "t:1: invalid destination '10.0.0.0/8/8': invalid prefix "
	  "length (0..32)" },
	{ "allow connect 10.0.0.1/8", "t:1: invalid destination '10.0.0.1/8': address has bits "
	  "set after the prefix length" },
	{ "allow connect /8", "t:1: invalid destination '/8': invalid IPv4 address" },
	{ "allow connect 2001:db8::g", "t:1: invalid destination '2001:db8::g': invalid IPv6 "
	  "address" },
	{ "allow connect 2001:db8::/129", "t:1: invalid destination '2001:db8::/129': invalid "
	  "prefix length (0..128)" },
	{ "allow connect 2001:db8::1/64", "t:1: invalid destination '2001:db8::1/64': address has "
	  "bits set after the prefix length" },
	{ "allow connect [2001:db8::1]", "t:1: invalid destination '[2001:db8::1]': invalid IPv6 "
	  "address" },
	{ "allow connect example.com:80", "t:1: invalid destination 'example.com:80': invalid "
	  "IPv6 address" },
	{ "allow connect .", "t:1: invalid destination '.': empty host name" },
	{ "allow connect *..", "t:1: invalid destination '*..': empty host name" },
	{ "allow connect a..b", "t:1: invalid destination 'a..b': empty label in host name" },
	{ "allow connect .a", "t:1: invalid destination '.a': empty label in host name" },
	{ "allow connect a.b..", "t:1: invalid destination 'a.b..': empty label in host name" },
	{ "allow connect exa$mple.com", "t:1: invalid destination 'exa$mple.com': invalid "
	  "character in host name" },
	{ "allow connect *", "t:1: invalid destination '*': '*' is allowed only as the whole "
	  "first label (\"*.example.com\")" },
	{ "allow connect *example.com", "t:1: invalid destination '*example.com': '*' is allowed "
	  "only as the whole first label (\"*.example.com\")" },
	{ "allow connect www.*.com", "t:1: invalid destination 'www.*.com': '*' is allowed only "
	  "as the whole first label (\"*.example.com\")" },
	{ "allow connect *.*.com", "t:1: invalid destination '*.*.com': '*' is allowed only as "
	  "the whole first label (\"*.example.com\")" },
	{ "allow connect "
	  "a123456789012345678901234567890123456789012345678901234567890123.com",
	  "t:1: invalid destination "
	  "'a123456789012345678901234567890123456789012345678901234567890123.com': host name "
	  "label longer than 63 characters" },
	/* rules: ports */
	{ "allow connect any to 80", "t:1: unexpected word 'to' (expected 'port')" },
	{ "allow connect any port", "t:1: 'port' needs a port list" },
	{ "allow connect any port 80,,443", "t:1: empty item in port list '80,,443'" },
	{ "allow connect any port 80,", "t:1: empty item in port list '80,'" },
	{ "allow connect any port 65536", "t:1: invalid port '65536' (0..65535, or a range such "
	  "as 8000-8080)" },
	{ "allow connect any port http", "t:1: invalid port 'http' (0..65535, or a range such "
	  "as 8000-8080)" },
	{ "allow connect any port 1-2-3", "t:1: invalid port '1-2-3' (0..65535, or a range such "
	  "as 8000-8080)" },
	{ "allow connect any port -80", "t:1: invalid port '-80' (0..65535, or a range such "
	  "as 8000-8080)" },
	{ "allow connect any port 80-", "t:1: invalid port '80-' (0..65535, or a range such "
	  "as 8000-8080)" },
	{ "allow connect any port 90-80", "t:1: port range '90-80' is reversed" },
	{ "allow connect any port any,80", "t:1: invalid port 'any' (0..65535, or a range such "
	  "as 8000-8080)" },
	{ "allow connect any port 80 443", "t:1: unexpected word '443'" },
	{ "allow connect any port 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,"
	  "24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,"
	  "52,53,54,55,56,57,58,59,60,61,62,63,64,65",
	  "t:1: more than 64 items in a port list" },
};

static void test_errors(void)
{
	for (size_t i = 0; i < LEN(error_cases); i++) {
		const struct error_case *c = &error_cases[i];
		struct policy_errors errs;
		struct policy *p;

		policy_errors_init(&errs);
		p = policy_parse("t", c->text, strlen(c->text), &errs);
		ok(p == NULL && errs.count == 1 && strcmp(errs.lines[0], c->error) == 0,
		   "error: %s", c->error);
		if (errs.count != 1 || strcmp(errs.lines[0], c->error) != 0) {
			for (size_t j = 0; j < errs.count; j++)
				diag("    got: %s", errs.lines[j]);
		}
		policy_free(p);
		policy_errors_free(&errs);
	}
}

/* The 64-item port list fits (the limit is inclusive). */
static void test_port_list_limit(void)
{
	char text[1024];
	size_t n = (size_t)snprintf(text, sizeof(text), "allow connect any port 1");
	struct policy_errors errs;
	struct policy *p;

	for (int i = 2; i <= POLICY_MAX_PORT_ITEMS; i++)
		n += (size_t)snprintf(&text[n], sizeof(text) - n, ",%d", i);
	policy_errors_init(&errs);
	p = policy_parse("t", text, n, &errs);
	ok(p != NULL && p->rules[0].n_ports == POLICY_MAX_PORT_ITEMS, "64 port items accepted");
	policy_free(p);
	policy_errors_free(&errs);
}

/* NUL bytes, which strlen() could not carry in the table. */
static void test_nul(void)
{
	static const char text[] = "allow connect any\nallow connect a\0ny\n# x\0y\n";
	struct policy_errors errs;
	struct policy *p;

	policy_errors_init(&errs);
	p = policy_parse("t", text, sizeof(text) - 1, &errs);
	ok(p == NULL && errs.count == 2 && strcmp(errs.lines[0], "t:2: NUL byte in line") == 0 &&
	   strcmp(errs.lines[1], "t:3: NUL byte in line") == 0, "NUL byte refused, also in a comment");
	policy_free(p);
	policy_errors_free(&errs);
}

static void test_limits(void)
{
	struct policy_errors errs;
	struct policy *p;
	char *big;
	size_t n;

	/* Line length: exactly 1024 bytes is fine, 1025 is not. */
	big = malloc(4096);
	memset(big, ' ', 4096);
	memcpy(big, "deny connect any", 16);
	big[POLICY_MAX_LINE] = '\n';
	memcpy(&big[POLICY_MAX_LINE + 1], "deny connect any", 16);
	big[POLICY_MAX_LINE + 1 + POLICY_MAX_LINE + 1] = '\n';
	policy_errors_init(&errs);
	p = policy_parse("t", big, 2 * POLICY_MAX_LINE + 3, &errs);
	ok(p == NULL && errs.count == 1 &&
	   strcmp(errs.lines[0], "t:2: line longer than 1024 bytes") == 0,
	   "line of 1024 bytes accepted, 1025 refused");
	policy_free(p);
	policy_errors_free(&errs);
	free(big);

	/* File size: 1 MiB of comment is fine, one byte more is not. */
	big = malloc(POLICY_MAX_FILE_SIZE + 1);
	memset(big, '#', POLICY_MAX_FILE_SIZE + 1);
	for (size_t i = 1000; i < POLICY_MAX_FILE_SIZE; i += 1000)
		big[i] = '\n';
	policy_errors_init(&errs);
	p = policy_parse("t", big, POLICY_MAX_FILE_SIZE, &errs);
	ok(p != NULL && errs.count == 0, "file of exactly 1048576 bytes accepted");
	policy_free(p);
	p = policy_parse("t", big, POLICY_MAX_FILE_SIZE + 1, &errs);
	ok(p == NULL && errs.count == 1 &&
	   strcmp(errs.lines[0], "t: file larger than 1048576 bytes") == 0,
	   "file of 1048577 bytes refused");
	policy_free(p);
	policy_errors_free(&errs);
	free(big);

	/* Rule count: 4096 rules fine, 4097 refused once. */
	big = malloc(20 * (POLICY_MAX_RULES + 2));
	n = 0;
	for (int i = 0; i < POLICY_MAX_RULES; i++) {
		memcpy(&big[n], "deny connect any\n", 17);
		n += 17;
	}
	policy_errors_init(&errs);
	p = policy_parse("t", big, n, &errs);
	ok(p != NULL && policy_rule_count(p) == POLICY_MAX_RULES, "4096 rules accepted");
	policy_free(p);
	memcpy(&big[n], "deny connect any\ndeny bind any\n", 31);
	p = policy_parse("t", big, n + 31, &errs);
	ok(p == NULL && errs.count == 1 &&
	   strcmp(errs.lines[0], "t:4097: more than 4096 rules in one file") == 0,
	   "4097th rule refused, reported once");
	policy_free(p);
	policy_errors_free(&errs);
	free(big);

	/* Error count: POLICY_MAX_ERRORS lines, then one "too many errors". */
	big = malloc(4 * 300);
	n = 0;
	for (int i = 0; i < 300; i++) {
		memcpy(&big[n], "xx\n", 3);
		n += 3;
	}
	policy_errors_init(&errs);
	p = policy_parse("t", big, n, &errs);
	ok(p == NULL && errs.count == POLICY_MAX_ERRORS + 1 && errs.truncated &&
	   strcmp(errs.lines[POLICY_MAX_ERRORS - 1], "t:200: unknown keyword 'xx'") == 0 &&
	   strcmp(errs.lines[POLICY_MAX_ERRORS],
		  "t:201: too many errors (more than 200), the rest are not shown") == 0,
	   "at most 200 errors, then 'too many errors' naming the file and line");
	policy_free(p);
	policy_errors_free(&errs);
	free(big);
}

/* All errors of a file are reported, each with its own line. */
static void test_all_errors(void)
{
	static const char text[] =
		"# alice's policy\n"
		"levels integrity\n"
		"allow connect 10.0.0.0/33 port 80\n"
		"allow connect *.example.com port 443\n"
		"frobnicate\n"
		"deny connect any port 99999\n";
	static const char *const want[] = {
		"dir/alice@R:3: invalid destination '10.0.0.0/33': invalid prefix length (0..32)",
		"dir/alice@R:5: unknown keyword 'frobnicate'",
		"dir/alice@R:6: invalid port '99999' (0..65535, or a range such as 8000-8080)",
	};
	struct policy_errors errs;
	struct policy *p;
	bool same = true;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;

	policy_errors_init(&errs);
	p = policy_parse("dir/alice@R", text, sizeof(text) - 1, &errs);
	for (size_t i = 0; i < LEN(want) && i < errs.count; i++)
		same = same && strcmp(errs.lines[i], want[i]) == 0;
	ok(p == NULL && errs.count == LEN(want) && same, "every error of a file is reported");
	f = open_memstream(&out, &outlen);
	policy_errors_print(&errs, f);
	fclose(f);
	is_str(out, "dir/alice@R:3: invalid destination '10.0.0.0/33': invalid prefix length "
	       "(0..32)\ndir/alice@R:5: unknown keyword 'frobnicate'\ndir/alice@R:6: invalid "
	       "port '99999' (0..65535, or a range such as 8000-8080)\n",
	       "policy_errors_print writes one line each");
	free(out);
	policy_free(p);
	policy_errors_free(&errs);
}

/* A file without a final newline, an empty file, a last line with a comment. */
static void test_shapes(void)
{
	static const char *const texts[] = {
		"allow connect any", "allow connect any\n", "\n\n\nallow connect any # x",
		"allow connect any\n\n", "\tallow connect any\t\n",
	};
	for (size_t i = 0; i < LEN(texts); i++) {
		struct policy_errors errs;
		struct policy *p;

		policy_errors_init(&errs);
		p = policy_parse("t", texts[i], strlen(texts[i]), &errs);
		ok(p != NULL && policy_rule_count(p) == 1 && strcmp(policy_file(p), "t") == 0,
		   "shape %zu parses to one rule", i);
		policy_free(p);
		policy_errors_free(&errs);
	}
}

int main(void)
{
	test_rule_forms();
	test_settings();
	test_errors();
	test_port_list_limit();
	test_nul();
	test_limits();
	test_all_errors();
	test_shapes();
	return done_testing();
}
