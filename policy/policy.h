/*
 * policy.h - the per-principal policy language: load, look up, decide.
 *
 * Trust zone: master (gssocksd) and `gssocksd -t`.  The policy directory is
 * written by the administrator; its bytes are still read with hard caps
 * (line length, file size, rule count, file count) and a strict grammar:
 * every unknown word is an error that names it.  Requests come from
 * authenticated but untrusted clients; the matcher is pure (no I/O, no DNS).
 *
 * Design.  A policy directory holds one file per principal, `@REALM` files
 * (per-realm defaults) and a `default` file; gssocks-policy(5) is the
 * reference for the grammar and the exact matching semantics, summarised
 * here.  policy_set_load() parses every file into a new, immutable,
 * reference-counted struct policy_set, collecting every error; on any
 * error it returns NULL and nothing changes, so a SIGHUP reload is atomic:
 *
 *     struct policy_errors errs;
 *     policy_errors_init(&errs);
 *     struct policy_set *fresh = policy_set_load(dir, &errs);
 *     if (fresh == NULL) {
 *         for (size_t i = 0; i < errs.count; i++)
 *             log_err("policy not reloaded: %s", errs.lines[i]);
 *     } else {
 *         policy_set_unref(current);   // sessions still hold their refs
 *         current = fresh;
 *     }
 *     policy_errors_free(&errs);
 *
 * A session takes policy_set_ref() on the set current when it was
 * authenticated and drops it with policy_set_unref() when it ends, so a
 * reload never changes or frees what a live session uses.  The set is not
 * thread-safe (the master is one event loop).
 *
 * Decision semantics (first match wins, see gssocks-policy(5)):
 *  - A request by address is matched against the rules in order; name and
 *    pattern rules never match an address request (no reverse DNS).  An
 *    IPv4-mapped IPv6 address (::ffff:a.b.c.d) IS the IPv4 address a.b.c.d,
 *    in requests, resolved addresses and rules: it matches IPv4 CIDRs only.
 *    IPv4 CIDRs never match real IPv6 addresses, nor IPv6 CIDRs IPv4 ones.
 *  - A request by name must first pass the ADDRESS CHECK: each resolved
 *    address is matched as though the client had asked for it; if the
 *    first rule it matches is a deny rule with an address destination
 *    (CIDR or single address, not `any`), the request is denied by that
 *    rule.  So a name can never reach an address that the policy denies
 *    by address, wherever the name's own rule stands.
 *  - Then the NAME CHECK decides: the first rule that matches the request
 *    as asked, where `any` matches, a name/pattern rule matches the name
 *    (ASCII case-insensitive, one trailing dot ignored), an allow CIDR rule
 *    matches only if EVERY resolved address lies in it and a deny CIDR
 *    rule matches if ANY resolved address lies in it.
 *  - No rule matched: deny, reported with the policy's file and line 0.
 *  - A name request with no resolved address is denied.
 */
#ifndef GSSOCKS_POLICY_POLICY_H
#define GSSOCKS_POLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "gssframe.h"
#include "socks5.h"

/* Hard limits; each error that hits one names it. */
#define POLICY_MAX_LINE        1024        /* bytes per line, newline excluded */
#define POLICY_MAX_FILE_SIZE   (1024 * 1024)
#define POLICY_MAX_RULES       4096        /* per file */
#define POLICY_MAX_PORT_ITEMS  64          /* items in one port list */
#define POLICY_MAX_FILES       65536       /* per directory */
#define POLICY_MAX_ERRORS      200         /* then "FILE:LINE: too many errors" */
#define POLICY_MAX_PRINCIPAL   1024        /* bytes of a principal name */
#define POLICY_MAX_SECONDS     31536000ul  /* timeouts: one year */
#define POLICY_MAX_SESSIONS    1000000ul

/* Name of the catch-all file and prefix of per-realm files. */
#define POLICY_DEFAULT_FILE    "default"

/*
 * Collected error lines, each "file:line: reason" (or "file: reason" for an
 * error about a whole file or directory).  At most POLICY_MAX_ERRORS lines
 * are kept; then one "too many errors" line ends the list.
 */
struct policy_errors {
	char **lines;
	size_t count;
	size_t cap;
	bool truncated;
};

void policy_errors_init(struct policy_errors *errs);
void policy_errors_free(struct policy_errors *errs);
/* Appends one formatted line.  An allocation failure aborts. */
void policy_errors_add(struct policy_errors *errs, const char *file, unsigned line,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* One line each to out. */
void policy_errors_print(const struct policy_errors *errs, FILE *out);

/*
 * Per-principal settings.  A limit of -1 means "not written in the policy:
 * use gssocksd.conf's value (or none)"; 0 means "no limit".  The levels a
 * session may use are these levels AND those gssocksd.conf offers (clear
 * and nec only where both allow them); gssocks-policy(5) says so.
 */
struct policy_settings {
	uint8_t levels;              /* bit (1 << enum gss_level) per accepted level */
	bool nec;                    /* bare (non-encapsulated) level message allowed */
	enum gss_level preferred;    /* always one of levels */
	bool levels_written;         /* a `levels` line was present */
	long max_sessions;           /* concurrent sessions of this principal */
	long idle_timeout;           /* seconds */
	long max_duration;           /* seconds */
};

struct policy;                       /* one parsed file */
struct policy_set;                   /* every file of a directory */

/*
 * Parse one policy file held in memory.  file is used in error lines and
 * kept (copied) as the policy's name.  Returns NULL when the text has any
 * error (all errors are appended to errs), else a policy to policy_free().
 */
struct policy *policy_parse(const char *file, const char *text, size_t len,
			    struct policy_errors *errs);
void policy_free(struct policy *p);

/* The file the policy came from ("DIR/alice@EXAMPLE.COM"). */
const char *policy_file(const struct policy *p);
const struct policy_settings *policy_get_settings(const struct policy *p);
/* Number of rules (tests, diagnostics). */
size_t policy_rule_count(const struct policy *p);

/*
 * Load every file of dir (files whose names start with '.' are ignored).
 * Returns a new set with one reference, or NULL when any file or file name
 * has an error; every error is appended to errs.  An empty directory is
 * valid: every principal is then denied.
 */
struct policy_set *policy_set_load(const char *dir, struct policy_errors *errs);
/* Takes one more reference; returns set. */
struct policy_set *policy_set_ref(struct policy_set *set);
/* Drops one reference; the last one frees the set and its policies. */
void policy_set_unref(struct policy_set *set);
size_t policy_set_count(const struct policy_set *set);

/*
 * The policy for an authenticated principal ("alice@EXAMPLE.COM"): its own
 * file, else the file of its realm ("@EXAMPLE.COM", realm = text after the
 * last '@'), else "default", else NULL (deny everything).  Comparisons are
 * exact (Kerberos names are case-sensitive).  The pointer lives as long as
 * the set.
 */
const struct policy *policy_for_principal(const struct policy_set *set,
					  const char *principal);

/*
 * Load dir as policy_set_load() does and print every error to out, one
 * line each ("file:line: reason").  Returns 0 when the policy is valid,
 * -1 otherwise.  For `gssocksd -t`.
 */
int policy_check_dir(const char *dir, FILE *out);

struct policy_decision {
	bool allow;
	const char *file;            /* policy file (lives as long as the policy),
				      * or "(no policy)" */
	unsigned line;               /* deciding rule; 0 when no rule matched */
	const char *reason;          /* static text for the audit record */
};

/*
 * Decide a request.  cmd is SOCKS5_CMD_*; dst is the destination as the
 * client asked it (its port is matched).  For a name (SOCKS5_ATYP_DOMAIN),
 * resolved[0..n_resolved) must hold every address the master may connect
 * to (AF_INET / AF_INET6; the ports in them are ignored).  For an address
 * request, resolved is ignored and may be NULL.  p == NULL denies.
 * Pure: no I/O, no allocation.  For UDP, call it per datagram destination.
 */
struct policy_decision policy_decide(const struct policy *p, uint8_t cmd,
				     const struct socks5_addr *dst,
				     const struct sockaddr_storage *resolved,
				     size_t n_resolved);

/*
 * Decide whether a session may open a UDP association (cmd
 * SOCKS5_CMD_UDP) at all, before any datagram names a destination: allowed
 * when some allow rule of p names the command (the first one is reported);
 * each destination is then decided with policy_decide().  p == NULL denies.
 * Pure.
 */
struct policy_decision policy_decide_association(const struct policy *p, uint8_t cmd);

/*
 * True when ss is an unspecified destination: 0.0.0.0/8, :: or
 * ::ffff:0.0.0.0/104, which Linux connects to the local host.  The master
 * refuses these before any policy is asked (ARCHITECTURE.md invariant 8),
 * for a literal address and for every address a name resolved to.  Other
 * families: false.  Pure.
 */
bool policy_unspecified_destination(const struct sockaddr_storage *ss);

/*
 * File name <-> principal: '%' is written "%25", '/' is written "%2F" and a
 * leading '.' is written "%2E"; nothing else is escaped.  A realm default
 * "@REALM" is a valid name with an empty name part.  Return 0, or -1 when
 * the name is not valid (empty, control characters, no '@', an empty realm
 * part, longer than POLICY_MAX_PRINCIPAL, or, for a file name, not the one
 * canonical spelling) or does not fit outlen.
 */
int policy_principal_to_file(const char *principal, char *out, size_t outlen);
int policy_file_to_principal(const char *file_name, char *out, size_t outlen);

/*
 * An address block written as policy rules write one: "192.0.2.0/24",
 * "2001:db8::/32" or a single address (the whole length); host bits after
 * the prefix must be clear, and a block inside ::ffff:0:0/96 is the IPv4
 * block it denotes.  For configuration words outside the policy files
 * (gssocksd.conf's proxy-protocol-from): one CIDR parser for the tree.
 */
struct address_block {
	bool v6;
	unsigned prefix;
	uint8_t addr[16];            /* IPv4 in the first four octets */
};

/* NULL on success, else a static reason ("invalid IPv4 address", ...). */
const char *address_block_parse(const char *word, struct address_block *out);
/*
 * True when the AF_INET/AF_INET6 address sa lies in b (an IPv4-mapped
 * IPv6 address is its IPv4 address).  Other families: false.  Pure.
 */
bool address_block_holds(const struct address_block *b, const struct sockaddr *sa);

#endif
