/*
 * level.c - protection-level choice (RFC 1961 section 4), see level.h.
 *
 * Trust zone: shared (authproc and the master).  Pure functions over untrusted input (the octet a
 * client asked for): every value of it, including levels this code does not
 * know, falls into "not allowed" and so to the preferred level or abort.
 */
#include <string.h>

#include "level.h"

bool level_supported(enum gss_level level, OM_uint32 ret_flags)
{
	switch (level) {
	case GSS_LEVEL_CLEAR:
		return true;
	case GSS_LEVEL_INTEGRITY:
		return (ret_flags & GSS_C_INTEG_FLAG) != 0;
	case GSS_LEVEL_CONFIDENTIALITY:
	case GSS_LEVEL_SELECTIVE:
		return (ret_flags & GSS_C_CONF_FLAG) != 0;
	}
	return false;
}

static bool level_allowed(const struct level_policy *policy, unsigned level)
{
	return level <= GSS_LEVEL_SELECTIVE && (policy->allowed & LEVEL_BIT(level)) != 0;
}

int level_choose(const struct level_policy *policy, uint8_t requested,
		 OM_uint32 ret_flags, enum gss_level *answer)
{
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
	return -1;
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
