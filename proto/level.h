/*
 * level.h - the protection-level choice of RFC 1961 section 4 (pure).
 *
 * Trust zone: shared.  The master decides with it from the principal's
 * policy; authproc checks with it what the master answered.  The inputs
 * are the level a client asked for (untrusted: any octet), the levels
 * allowed, the preferred level and the ret_flags of the established
 * context.  No GSS-API calls, no I/O: table-tested by
 * tests/unit/test_level.c.
 *
 * Rules (DESIGN.md "Level choice"): answer the requested level when it is
 * allowed and the context supports it (1 needs GSS_C_INTEG_FLAG, 2 and 3
 * need GSS_C_CONF_FLAG, 0 needs nothing); otherwise answer the preferred
 * level when it is allowed and supported; otherwise abort.
 *
 * Levels 1-3 also need GSS_C_REPLAY_FLAG: without it gss_unwrap detects
 * no replayed token, and a relay that ends the session on anything but
 * GSS_S_COMPLETE protects nothing.  A context without it ends at clear
 * only when the client asked for clear and clear is allowed; a client
 * that asked for anything else is refused, never answered clear (that
 * would be a downgrade it did not ask for).
 *
 * GSS_C_SEQUENCE_FLAG (RFC 1961 section 3.2 asks TCP clients for it, and
 * UDP clients not to: Dante's client leaves it out for UDP ASSOCIATE) is
 * what detects a dropped or reordered token: TCP data needs it, datagrams
 * do not.  A context with replay but no sequence detection gets its level
 * but is datagram-only (level_datagram_only): the master grants such a
 * session UDP ASSOCIATE and refuses CONNECT and BIND (REP 02,
 * reason=no-sequence-flag), so no TCP data ever flows without it.
 */
#ifndef GSSOCKS_PROTO_LEVEL_H
#define GSSOCKS_PROTO_LEVEL_H

#include <stdbool.h>
#include <stdint.h>

#include <gssapi/gssapi.h>

#include "gssframe.h"

#define LEVEL_BIT(level) (1u << (unsigned)(level))
#define LEVEL_DEFAULT_ALLOWED \
	(LEVEL_BIT(GSS_LEVEL_INTEGRITY) | LEVEL_BIT(GSS_LEVEL_CONFIDENTIALITY) | \
	 LEVEL_BIT(GSS_LEVEL_SELECTIVE))

/* Why level_choose() found no level (audit reason: level_refusal_reason). */
enum level_refusal {
	LEVEL_REFUSED_NO_LEVEL,        /* nothing allowed that the context can carry */
	LEVEL_REFUSED_NO_REPLAY,       /* GSS_C_REPLAY_FLAG missing */
	LEVEL_REFUSED_NO_SEQUENCE,     /* GSS_C_SEQUENCE_FLAG missing (a TCP
	                                  request of a datagram-only session) */
	LEVEL_REFUSED_NO_REPLAY_SEQUENCE, /* both missing */
};

struct level_policy {
	unsigned allowed;              /* LEVEL_BIT() of each allowed level */
	enum gss_level preferred;
};

/* True when a context with ret_flags can carry level. */
bool level_supported(enum gss_level level, OM_uint32 ret_flags);

/* True when a session at level with ret_flags may carry datagrams only
 * (levels 1-3 without GSS_C_SEQUENCE_FLAG). */
bool level_datagram_only(enum gss_level level, OM_uint32 ret_flags);

/*
 * Choose the answer to a client's requested level.
 * Returns 0 with *answer set, or -1 with *refusal set when no level can be
 * agreed (the caller sends 01 ff).
 */
int level_choose(const struct level_policy *policy, uint8_t requested,
		 OM_uint32 ret_flags, enum gss_level *answer,
		 enum level_refusal *refusal);

/* The refusal as an audit token ("no-replay-flag"...), never NULL. */
const char *level_refusal_reason(enum level_refusal refusal);

/* The refusal as a sentence for the log and the client's AUTH_FAIL. */
const char *level_refusal_text(enum level_refusal refusal);

/*
 * Parse a --levels list: comma-separated 1, 2, 3 or integrity,
 * confidentiality, selective; at least one, no clear (that is
 * --allow-clear's job).  0 with *allowed set, -1 on bad syntax.
 */
int level_parse_list(const char *s, unsigned *allowed);

#endif
