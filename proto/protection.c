/*
 * protection.c - per-level wrap and unwrap rules (see protection.h).
 *
 * Trust zone: shared (relay, gssocks-client).  Pure functions so that the rule a frame is
 * judged by can be read in one place and tested without a realm.
 */
#include "protection.h"

bool protection_level_valid(uint8_t level)
{
	return level <= GSS_LEVEL_SELECTIVE;
}

bool protection_wraps(enum gss_level level)
{
	return level != GSS_LEVEL_CLEAR;
}

int protection_wrap_conf(enum gss_level level, bool selective_conf)
{
	switch (level) {
	case GSS_LEVEL_CONFIDENTIALITY:
		return 1;
	case GSS_LEVEL_SELECTIVE:
		return selective_conf ? 1 : 0;
	case GSS_LEVEL_INTEGRITY:
	case GSS_LEVEL_CLEAR:
		break;
	}
	return 0;
}

bool protection_accepts(enum gss_level level, int conf_state)
{
	switch (level) {
	case GSS_LEVEL_INTEGRITY:
		return conf_state == 0;
	case GSS_LEVEL_CONFIDENTIALITY:
		return conf_state != 0;
	case GSS_LEVEL_SELECTIVE:
		return true;
	case GSS_LEVEL_CLEAR:
		break;
	}
	/* Clear sessions never unwrap: a wrapped frame there is a bug. */
	return false;
}

size_t protection_chunk_size(uint32_t size_limit, size_t header_len)
{
	size_t room;

	if (header_len >= GSSFRAME_MAX_TOKEN)
		return 0;
	room = GSSFRAME_MAX_TOKEN - header_len;
	return size_limit < room ? size_limit : room;
}
