/*
 * dest.c - destinations of policy rules: parse and match.
 *
 * Trust zone: master.  Parsing reads administrator-written words (already
 * bounded by lines.c); matching reads a client's destination and the
 * addresses the master resolved for it.
 *
 * Design: addresses are compared as octet strings under a prefix mask.
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) IS the IPv4 address a.b.c.d
 * (an AF_INET6 socket connects to it over IPv4), so it is turned into that
 * IPv4 address before matching, and a rule CIDR that lies inside
 * ::ffff:0:0/96 is stored as the IPv4 CIDR it denotes.  IPv4 addresses
 * therefore only ever match IPv4 CIDRs and real IPv6 addresses only IPv6
 * CIDRs.  Names compare ASCII case-insensitively, ignoring one final dot.
 */
#include "rule.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

static const uint8_t v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
};

static char ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Strict decimal without sign or leading zeros, at most max. */
static int parse_prefix(const char *s, unsigned max, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (!is_digit(s[i]) || i >= 3)
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* true if the first prefix bits of a and b are equal. */
static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned prefix)
{
	unsigned full = prefix / 8, rest = prefix % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

/* true if no bit after prefix is set in addr[0..len). */
static bool host_bits_clear(const uint8_t *addr, size_t len, unsigned prefix)
{
	for (size_t bit = prefix; bit < len * 8; bit++) {
		if (addr[bit / 8] & (0x80 >> (bit % 8)))
			return false;
	}
	return true;
}

static const char *parse_address(const char *word, struct destination *out)
{
	char text[INET6_ADDRSTRLEN + 8];
	size_t addrlen = strcspn(word, "/");
	bool has_prefix = word[addrlen] == '/';
	bool v6 = strchr(word, ':') != NULL;
	unsigned max = v6 ? 128 : 32;
	unsigned prefix = max;

	if (addrlen == 0 || addrlen >= sizeof(text))
		return v6 ? "invalid IPv6 address" : "invalid IPv4 address";
	memcpy(text, word, addrlen);
	text[addrlen] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, text, out->addr) != 1)
		return v6 ? "invalid IPv6 address" : "invalid IPv4 address";
	if (has_prefix && parse_prefix(&word[addrlen + 1], max, &prefix) < 0)
		return v6 ? "invalid prefix length (0..128)" : "invalid prefix length (0..32)";
	if (!host_bits_clear(out->addr, v6 ? 16 : 4, prefix))
		return "address has bits set after the prefix length";
	out->kind = v6 ? DEST_CIDR6 : DEST_CIDR4;
	out->prefix = prefix;
	if (v6 && prefix >= 96 && memcmp(out->addr, v4mapped_prefix, 12) == 0) {
		memmove(out->addr, out->addr + 12, 4);
		memset(out->addr + 4, 0, 12);
		out->kind = DEST_CIDR4;
		out->prefix = prefix - 96;
	}
	return NULL;
}

/* Host name: labels of letters, digits, '-' and '_', 1..63 each. */
static const char *check_host_name(const char *name, size_t len)
{
	size_t label = 0;
	bool all_numeric = true;

	if (len == 0)
		return "empty host name";
	if (len > POLICY_NAME_MAX)
		return "host name longer than 253 characters";
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (c == '.') {
			if (label == 0)
				return "empty label in host name";
			label = 0;
			continue;
		}
		if (!(is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '-' || c == '_')) {
			if (c == '*')
				return "'*' is allowed only as the whole first label (\"*.example.com\")";
			return "invalid character in host name";
		}
		if (!is_digit(c))
			all_numeric = false;
		if (++label > 63)
			return "host name label longer than 63 characters";
	}
	if (label == 0)
		return "empty label in host name";
	if (all_numeric)
		return "invalid IPv4 address";
	return NULL;
}

static void copy_lower(char *dst, const char *src, size_t len)
{
	for (size_t i = 0; i < len; i++)
		dst[i] = ascii_lower(src[i]);
	dst[len] = '\0';
}

const char *destination_parse(const char *word, struct destination *out)
{
	char w[POLICY_MAX_LINE + 1];
	size_t len = strnlen(word, sizeof(w));
	const char *why;

	memset(out, 0, sizeof(*out));
	if (len == sizeof(w))
		return "destination too long";
	if (strcmp(word, "any") == 0) {
		out->kind = DEST_ANY;
		return NULL;
	}
	if (strchr(word, ':') != NULL || strchr(word, '/') != NULL)
		return parse_address(word, out);
	if (is_digit(word[0]) && strspn(word, "0123456789.") == len)
		return parse_address(word, out);
	memcpy(w, word, len + 1);
	if (len > 0 && w[len - 1] == '.')
		w[--len] = '\0';        /* "example.com." is "example.com" */
	if (w[0] == '*') {
		if (len < 2 || w[1] != '.')
			return "'*' is allowed only as the whole first label (\"*.example.com\")";
		why = check_host_name(&w[2], len - 2);
		if (why != NULL)
			return why;
		out->kind = DEST_PATTERN;
		copy_lower(out->name, &w[1], len - 1);   /* ".example.com" */
		return NULL;
	}
	why = check_host_name(w, len);
	if (why != NULL)
		return why;
	out->kind = DEST_NAME;
	copy_lower(out->name, w, len);
	return NULL;
}

/* 4 octets for IPv4 (mapped IPv6 included) -> 4, IPv6 -> 16, else 0. */
static size_t address_octets(const struct sockaddr_storage *ss, uint8_t out[16])
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		memcpy(out, &sin->sin_addr, 4);
		return 4;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		memcpy(out, &sin6->sin6_addr, 16);
		if (memcmp(out, v4mapped_prefix, 12) == 0) {
			memmove(out, out + 12, 4);
			return 4;
		}
		return 16;
	}
	return 0;
}

bool destination_holds_address(const struct destination *d, const struct sockaddr_storage *ss)
{
	uint8_t addr[16];
	size_t n = address_octets(ss, addr);

	if (d->kind == DEST_CIDR4 && n == 4)
		return prefix_equal(addr, d->addr, d->prefix);
	if (d->kind == DEST_CIDR6 && n == 16)
		return prefix_equal(addr, d->addr, d->prefix);
	return false;
}

bool destination_matches_name(const struct destination *d, const char *name)
{
	size_t len = strnlen(name, SOCKS5_NAME_MAX + 1);
	size_t want, from;

	if (d->kind != DEST_NAME && d->kind != DEST_PATTERN)
		return false;
	if (len > 0 && name[len - 1] == '.')
		len--;
	want = strlen(d->name);
	if (d->kind == DEST_NAME) {
		if (len != want)
			return false;
		from = 0;
	} else {
		if (len <= want)
			return false;   /* "*.example.com" never matches "example.com" */
		from = len - want;
	}
	for (size_t i = 0; i < want; i++) {
		if (ascii_lower(name[from + i]) != d->name[i])
			return false;
	}
	return true;
}

const char *address_block_parse(const char *word, struct address_block *out)
{
	struct destination d;
	const char *why = destination_parse(word, &d);

	if (why != NULL)
		return why;
	if (d.kind != DEST_CIDR4 && d.kind != DEST_CIDR6)
		return "not an address or address/prefix";
	memset(out, 0, sizeof(*out));
	out->v6 = d.kind == DEST_CIDR6;
	out->prefix = d.prefix;
	memcpy(out->addr, d.addr, sizeof(out->addr));
	return NULL;
}

bool address_block_holds(const struct address_block *b, const struct sockaddr *sa)
{
	struct destination d = { .kind = b->v6 ? DEST_CIDR6 : DEST_CIDR4, .prefix = b->prefix };
	struct sockaddr_storage ss;

	if (sa->sa_family == AF_INET)
		memcpy(&ss, sa, sizeof(struct sockaddr_in));
	else if (sa->sa_family == AF_INET6)
		memcpy(&ss, sa, sizeof(struct sockaddr_in6));
	else
		return false;
	memcpy(d.addr, b->addr, sizeof(d.addr));
	return destination_holds_address(&d, &ss);
}
