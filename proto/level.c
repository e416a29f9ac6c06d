/*
 * level.c - protection-level choice (RFC 1961 section 4), see level.h.
 *
 * Trust zone: shared (authproc and the master).  Pure functions over untrusted input (the octet a
 * client asked for): every value of it, including levels this code does not
 * know, falls into "not allowed" and so to the preferred level or abort.
 */
#include <string.h>

#include "level.h"

/* What every level 1-3 needs besides INTEG / CONF; SEQUENCE is needed
 * for TCP data only (level_datagram_only). */
#define ORDER_FLAGS (GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG)

bool level_supported(enum gss_level level, OM_uint32 ret_flags)
{
	switch (level) {
	case GSS_LEVEL_CLEAR:
		return true;
	case GSS_LEVEL_INTEGRITY:
		return (ret_flags & (GSS_C_INTEG_FLAG | GSS_C_REPLAY_FLAG)) ==
		       (GSS_C_INTEG_FLAG | GSS_C_REPLAY_FLAG);
	case GSS_LEVEL_CONFIDENTIALITY:
	case GSS_LEVEL_SELECTIVE:
		return (ret_flags & (GSS_C_CONF_FLAG | GSS_C_REPLAY_FLAG)) ==
		       (GSS_C_CONF_FLAG | GSS_C_REPLAY_FLAG);
	}
	return false;
}

bool level_datagram_only(enum gss_level level, OM_uint32 ret_flags)
{
	return level != GSS_LEVEL_CLEAR && (ret_flags & GSS_C_SEQUENCE_FLAG) == 0;
}

/* A context without replay detection: which order flags it lacks. */
static int order_refusal(OM_uint32 ret_flags, enum level_refusal *refusal)
{
	switch (ret_flags & ORDER_FLAGS) {
	case ORDER_FLAGS:
	case GSS_C_REPLAY_FLAG:
		return 0;
	case GSS_C_SEQUENCE_FLAG:
		*refusal = LEVEL_REFUSED_NO_REPLAY;
		break;
	default:
		*refusal = LEVEL_REFUSED_NO_REPLAY_SEQUENCE;
		break;
	}
	return -1;
}

static bool level_allowed(const struct level_policy *policy, unsigned level)
{
	return level <= GSS_LEVEL_SELECTIVE && (policy->allowed & LEVEL_BIT(level)) != 0;
}

int level_choose(const struct level_policy *policy, uint8_t requested,
		 OM_uint32 ret_flags, enum gss_level *answer,
		 enum level_refusal *refusal)
{
	if (order_refusal(ret_flags, refusal) < 0) {
		/* Clear only as asked for: never a counter-offer to a client
		 * that asked for protection. */
		if (requested != GSS_LEVEL_CLEAR || !level_allowed(policy, GSS_LEVEL_CLEAR))
			return -1;
		*answer = GSS_LEVEL_CLEAR;
		return 0;
	}
	if (level_allowed(policy, requested) &&
	    level_supported((enum gss_level)requested, ret_flags)) {
		*answer = (enum gss_level)requested;
		return 0;
	}
	if (level_allowed(policy, (unsigned)policy->preferred) &&
	    level_supported(policy->preferred, ret_flags)) {
		*answer = policy->preferred;
		return 0;
	}
	*refusal = LEVEL_REFUSED_NO_LEVEL;
	return -1;
}

const char *level_refusal_reason(enum level_refusal refusal)
{
	switch (refusal) {
	case LEVEL_REFUSED_NO_LEVEL:
		return "no-acceptable-level";
	case LEVEL_REFUSED_NO_REPLAY:
		return "no-replay-flag";
	case LEVEL_REFUSED_NO_SEQUENCE:
		return "no-sequence-flag";
	case LEVEL_REFUSED_NO_REPLAY_SEQUENCE:
		return "no-replay-sequence-flags";
	}
	return "unknown";
}

const char *level_refusal_text(enum level_refusal refusal)
{
	switch (refusal) {
	case LEVEL_REFUSED_NO_LEVEL:
		return "no protection level the policy allows";
	case LEVEL_REFUSED_NO_REPLAY:
		return "the client's context has no replay detection (GSS_C_REPLAY_FLAG)";
	case LEVEL_REFUSED_NO_SEQUENCE:
		return "the client's context has no sequence detection (GSS_C_SEQUENCE_FLAG)";
	case LEVEL_REFUSED_NO_REPLAY_SEQUENCE:
		return "the client's context has no replay and no sequence detection "
		       "(GSS_C_REPLAY_FLAG, GSS_C_SEQUENCE_FLAG)";
	}
	return "unknown refusal";
}

int level_parse_list(const char *s, unsigned *allowed)
{
	char item[32];
	unsigned mask = 0;
	const char *p = s;

	if (s == NULL || *s == '\0')
		return -1;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		enum gss_level level;

		if (n == 0 || n >= sizeof(item))
			return -1;
		memcpy(item, p, n);
		item[n] = '\0';
		if (gss_level_parse(item, &level) < 0 || level == GSS_LEVEL_CLEAR)
			return -1;
		mask |= LEVEL_BIT(level);
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	*allowed = mask;
	return 0;
}
