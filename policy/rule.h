/*
 * rule.h - internal representation of a parsed policy (policy/ only).
 *
 * Trust zone: master.  A struct policy is built once by parse.c and never
 * changed afterwards; match.c only reads it.  Destinations are stored in
 * their matching form: addresses as 16 octets (IPv4 in the first four),
 * names lower-cased without a trailing dot, a pattern "*.example.com" as
 * its suffix ".example.com".
 */
#ifndef GSSOCKS_POLICY_RULE_H
#define GSSOCKS_POLICY_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* Longest host name in a rule (RFC 1035 presentation form, no final dot). */
#define POLICY_NAME_MAX 253

enum dest_kind {
	DEST_ANY,
	DEST_CIDR4,      /* addr[0..4), prefix 0..32 */
	DEST_CIDR6,      /* addr[0..16), prefix 0..128 */
	DEST_NAME,       /* exact host name */
	DEST_PATTERN,    /* "*.suffix": name holds ".suffix" */
};

struct destination {
	enum dest_kind kind;
	unsigned prefix;
	uint8_t addr[16];
	char name[POLICY_NAME_MAX + 2];
};

struct port_range {
	uint16_t low;
	uint16_t high;
};

/* Bit for SOCKS5_CMD_x in struct rule.commands. */
#define RULE_CMD_BIT(cmd) ((uint8_t)(1u << (cmd)))

struct rule {
	unsigned line;
	bool allow;
	uint8_t commands;                  /* RULE_CMD_BIT() of each command */
	struct destination dest;
	size_t n_ports;                    /* 0: every port */
	struct port_range ports[POLICY_MAX_PORT_ITEMS];
};

struct policy {
	char *file;
	struct policy_settings settings;
	struct rule *rules;
	size_t n_rules;
	size_t cap_rules;
};

/* dest.c: parse one destination word; NULL on success, else a static reason. */
const char *destination_parse(const char *word, struct destination *out);
/* dest.c: true if the AF_INET/AF_INET6 address lies in d (CIDR kinds only). */
bool destination_holds_address(const struct destination *d, const struct sockaddr_storage *ss);
/* dest.c: true if the name (as a client wrote it) matches a name or pattern d. */
bool destination_matches_name(const struct destination *d, const char *name);

#endif
