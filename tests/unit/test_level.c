/*
 * test_level.c - table test of the protection-level choice (proto/level.c) and
 * the --levels parser.  TAP output.
 *
 * Trust zone: test only.  Each row is a client's request against a policy
 * and a context's ret_flags, with the answer DESIGN.md "Level choice"
 * requires (or abort).
 */
#include <stdio.h>
#include <string.h>

#include "level.h"

static int test_number;
static int failures;

static void tap_ok(int ok, const char *name)
{
	test_number++;
	if (!ok)
		failures++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", test_number, name);
}

#define ABORT (-1)
#define ORDER (GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG)
#define INTEG (GSS_C_INTEG_FLAG | ORDER)
#define CONF (GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG | ORDER)
/* What a client that asks neither replay nor sequence detection gets. */
#define CONF_NO_ORDER (GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG)
#define CONF_NO_REPLAY (CONF_NO_ORDER | GSS_C_SEQUENCE_FLAG)
#define CONF_NO_SEQUENCE (CONF_NO_ORDER | GSS_C_REPLAY_FLAG)
#define NO_LEVEL LEVEL_REFUSED_NO_LEVEL
#define NO_REPLAY LEVEL_REFUSED_NO_REPLAY
#define NO_SEQUENCE LEVEL_REFUSED_NO_SEQUENCE
#define NO_ORDER LEVEL_REFUSED_NO_REPLAY_SEQUENCE
#define L(x) LEVEL_BIT(x)
#define DEF LEVEL_DEFAULT_ALLOWED
#define CLEAR_TOO (LEVEL_DEFAULT_ALLOWED | L(0))

struct choose_case {
	const char *name;
	unsigned allowed;
	int preferred;
	unsigned requested;
	OM_uint32 flags;
	int expect;                    /* level, or ABORT */
	enum level_refusal refusal;    /* when ABORT (0 otherwise) */
};

static const struct choose_case choose_cases[] = {
	{ "asks 2, allowed, conf context", DEF, 2, 2, CONF, 2, 0 },
	{ "asks 1, allowed, conf context", DEF, 2, 1, CONF, 1, 0 },
	{ "asks 3, allowed, conf context", DEF, 2, 3, CONF, 3, 0 },
	{ "asks 1, integrity-only context", DEF, 2, 1, INTEG, 1, 0 },
	{ "asks 2 without CONF flag, preferred 2 unsupported: abort", DEF, 2, 2, INTEG, ABORT, NO_LEVEL },
	{ "asks 2 without CONF flag, preferred 1: answer 1", DEF, 1, 2, INTEG, 1, 0 },
	{ "asks 3 without CONF flag, preferred 1: answer 1", DEF, 1, 3, INTEG, 1, 0 },
	{ "asks 1 without INTEG flag: abort", DEF, 2, 1, ORDER, ABORT, NO_LEVEL },
	{ "asks 0 (curl), clear not allowed: preferred 2", DEF, 2, 0, CONF, 2, 0 },
	{ "asks 0 (curl), clear allowed: 0", CLEAR_TOO, 2, 0, CONF, 0, 0 },
	{ "asks 0, clear allowed, no flags at all: 0", CLEAR_TOO, 2, 0, 0, 0, 0 },
	{ "asks 0, clear not allowed, no flags: abort", DEF, 2, 0, 0, ABORT, NO_ORDER },
	{ "asks 2, only 1 allowed: preferred 1", L(1), 1, 2, CONF, 1, 0 },
	{ "asks 2, only 1 allowed, preferred 2 not allowed: abort", L(1), 2, 2, CONF, ABORT, NO_LEVEL },
	{ "asks 1, only 2 allowed: preferred 2", L(2), 2, 1, CONF, 2, 0 },
	{ "asks 4 (unknown): preferred", DEF, 2, 4, CONF, 2, 0 },
	{ "asks 0xff (unknown): preferred", DEF, 3, 0xff, CONF, 3, 0 },
	{ "asks 0x80 with clear allowed: preferred", CLEAR_TOO, 1, 0x80, INTEG, 1, 0 },
	{ "preferred clear, allowed, asks 2 without CONF", CLEAR_TOO, 0, 2, INTEG, 0, 0 },
	{ "preferred clear, not allowed: abort", DEF, 0, 2, INTEG, ABORT, NO_LEVEL },
	/* RFC 1961 section 3.2: levels 1-3 need replay and sequence detection */
	{ "asks 1 without REPLAY/SEQUENCE: abort", DEF, 2, 1, CONF_NO_ORDER, ABORT, NO_ORDER },
	{ "asks 2 without REPLAY/SEQUENCE: abort", DEF, 2, 2, CONF_NO_ORDER, ABORT, NO_ORDER },
	{ "asks 3 without REPLAY/SEQUENCE: abort", DEF, 2, 3, CONF_NO_ORDER, ABORT, NO_ORDER },
	{ "asks 2 without REPLAY: abort", DEF, 2, 2, CONF_NO_REPLAY, ABORT, NO_REPLAY },
	/* Replay but no sequence detection (Dante's client for UDP): the
	 * level as for any context; the session is datagram-only. */
	{ "asks 2 without SEQUENCE: 2 (datagram-only)", DEF, 2, 2, CONF_NO_SEQUENCE, 2, 0 },
	{ "asks 1 without SEQUENCE, clear allowed: 1, not clear", CLEAR_TOO, 2, 1,
	  CONF_NO_SEQUENCE, 1, 0 },
	{ "asks 2 without SEQUENCE, preferred clear allowed: 2, not clear", CLEAR_TOO, 0, 2,
	  CONF_NO_SEQUENCE, 2, 0 },
	{ "asks 4 without REPLAY, preferred clear allowed: abort, not clear", CLEAR_TOO, 0, 4,
	  CONF_NO_REPLAY, ABORT, NO_REPLAY },
	{ "asks 0 (curl: REPLAY, no SEQUENCE), clear allowed: 0", CLEAR_TOO, 2, 0,
	  CONF_NO_SEQUENCE, 0, 0 },
	{ "asks 0 without SEQUENCE, clear not allowed: preferred 2", DEF, 2, 0, CONF_NO_SEQUENCE,
	  2, 0 },
	{ "asks 0 without SEQUENCE, preferred clear but not allowed: abort", DEF, 0, 0,
	  CONF_NO_SEQUENCE, ABORT, NO_LEVEL },
};

struct parse_case {
	const char *text;
	int expect_rc;
	unsigned expect_mask;
};

static const struct parse_case parse_cases[] = {
	{ "1,2,3", 0, L(1) | L(2) | L(3) },
	{ "2", 0, L(2) },
	{ "integrity,confidentiality", 0, L(1) | L(2) },
	{ "3,selective", 0, L(3) },
	{ "", -1, 0 },
	{ ",", -1, 0 },
	{ "1,", -1, 0 },
	{ "1,,2", -1, 0 },
	{ "0", -1, 0 },
	{ "clear", -1, 0 },
	{ "4", -1, 0 },
	{ "1;2", -1, 0 },
	{ "aVeryLongNameThatIsNotALevelAtAllAndLongerThanTheItemBuffer", -1, 0 },
};

int main(void)
{
	char name[256];
	size_t i;

	printf("1..%zu\n", sizeof(choose_cases) / sizeof(choose_cases[0]) +
	       sizeof(parse_cases) / sizeof(parse_cases[0]) + 9);

	for (i = 0; i < sizeof(choose_cases) / sizeof(choose_cases[0]); i++) {
		const struct choose_case *t = &choose_cases[i];
		struct level_policy policy = { t->allowed, (enum gss_level)t->preferred };
		enum gss_level answer = (enum gss_level)99;
		enum level_refusal refusal = (enum level_refusal)99;
		int rc = level_choose(&policy, (uint8_t)t->requested, t->flags, &answer,
				      &refusal);
		int ok = t->expect == ABORT ? rc == -1 && refusal == t->refusal :
					      (rc == 0 && (int)answer == t->expect);

		snprintf(name, sizeof(name), "level_choose: %s", t->name);
		tap_ok(ok, name);
		if (!ok)
			printf("# rc %d answer %d refusal %s, expected %d\n", rc, (int)answer,
			       rc < 0 ? level_refusal_reason(refusal) : "-", t->expect);
	}

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *t = &parse_cases[i];
		unsigned mask = 0xdead;
		int rc = level_parse_list(t->text, &mask);
		int ok = rc == t->expect_rc && (rc != 0 || mask == t->expect_mask);

		snprintf(name, sizeof(name), "level_parse_list \"%s\"", t->text);
		tap_ok(ok, name);
	}

	tap_ok(level_supported(GSS_LEVEL_CLEAR, 0), "clear needs no flags");
	tap_ok(!level_supported(GSS_LEVEL_INTEGRITY, GSS_C_CONF_FLAG),
	       "integrity needs GSS_C_INTEG_FLAG");
	tap_ok(!level_supported(GSS_LEVEL_SELECTIVE, GSS_C_INTEG_FLAG),
	       "selective needs GSS_C_CONF_FLAG");
	tap_ok(!level_supported((enum gss_level)7, CONF), "unknown level is unsupported");
	tap_ok(level_supported(GSS_LEVEL_INTEGRITY, GSS_C_INTEG_FLAG | GSS_C_REPLAY_FLAG),
	       "integrity without GSS_C_SEQUENCE_FLAG is supported (datagram-only)");
	tap_ok(level_datagram_only(GSS_LEVEL_INTEGRITY, GSS_C_INTEG_FLAG | GSS_C_REPLAY_FLAG) &&
	       level_datagram_only(GSS_LEVEL_CONFIDENTIALITY, CONF_NO_SEQUENCE) &&
	       !level_datagram_only(GSS_LEVEL_CONFIDENTIALITY, CONF) &&
	       !level_datagram_only(GSS_LEVEL_CLEAR, CONF_NO_SEQUENCE),
	       "levels 1-3 without GSS_C_SEQUENCE_FLAG are datagram-only, clear never");
	tap_ok(!level_supported(GSS_LEVEL_CONFIDENTIALITY, CONF_NO_REPLAY),
	       "confidentiality needs GSS_C_REPLAY_FLAG");
	tap_ok(level_supported(GSS_LEVEL_SELECTIVE, CONF), "selective with every flag");
	tap_ok(strcmp(level_refusal_reason(NO_SEQUENCE), "no-sequence-flag") == 0 &&
	       strcmp(level_refusal_reason(NO_REPLAY), "no-replay-flag") == 0,
	       "refusal reasons name the missing flag");

	return failures == 0 ? 0 : 1;
}
