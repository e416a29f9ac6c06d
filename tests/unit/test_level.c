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
#define INTEG GSS_C_INTEG_FLAG
#define CONF (GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG)
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
};

static const struct choose_case choose_cases[] = {
	{ "asks 2, allowed, conf context", DEF, 2, 2, CONF, 2 },
	{ "asks 1, allowed, conf context", DEF, 2, 1, CONF, 1 },
	{ "asks 3, allowed, conf context", DEF, 2, 3, CONF, 3 },
	{ "asks 1, integrity-only context", DEF, 2, 1, INTEG, 1 },
	{ "asks 2 without CONF flag, preferred 2 unsupported: abort", DEF, 2, 2, INTEG, ABORT },
	{ "asks 2 without CONF flag, preferred 1: answer 1", DEF, 1, 2, INTEG, 1 },
	{ "asks 3 without CONF flag, preferred 1: answer 1", DEF, 1, 3, INTEG, 1 },
	{ "asks 1 without INTEG flag: abort", DEF, 2, 1, 0, ABORT },
	{ "asks 0 (curl), clear not allowed: preferred 2", DEF, 2, 0, CONF, 2 },
	{ "asks 0 (curl), clear allowed: 0", CLEAR_TOO, 2, 0, CONF, 0 },
	{ "asks 0, clear allowed, no flags at all: 0", CLEAR_TOO, 2, 0, 0, 0 },
	{ "asks 0, clear not allowed, no flags: abort", DEF, 2, 0, 0, ABORT },
	{ "asks 2, only 1 allowed: preferred 1", L(1), 1, 2, CONF, 1 },
	{ "asks 2, only 1 allowed, preferred 2 not allowed: abort", L(1), 2, 2, CONF, ABORT },
	{ "asks 1, only 2 allowed: preferred 2", L(2), 2, 1, CONF, 2 },
	{ "asks 4 (unknown): preferred", DEF, 2, 4, CONF, 2 },
	{ "asks 0xff (unknown): preferred", DEF, 3, 0xff, CONF, 3 },
	{ "asks 0x80 with clear allowed: preferred", CLEAR_TOO, 1, 0x80, INTEG, 1 },
	{ "preferred clear, allowed, asks 2 without CONF", CLEAR_TOO, 0, 2, INTEG, 0 },
	{ "preferred clear, not allowed: abort", DEF, 0, 2, INTEG, ABORT },
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
	       sizeof(parse_cases) / sizeof(parse_cases[0]) + 4);

	for (i = 0; i < sizeof(choose_cases) / sizeof(choose_cases[0]); i++) {
		const struct choose_case *t = &choose_cases[i];
		struct level_policy policy = { t->allowed, (enum gss_level)t->preferred };
		enum gss_level answer = (enum gss_level)99;
		int rc = level_choose(&policy, (uint8_t)t->requested, t->flags, &answer);
		int ok = t->expect == ABORT ? rc == -1 : (rc == 0 && (int)answer == t->expect);

		snprintf(name, sizeof(name), "level_choose: %s", t->name);
		tap_ok(ok, name);
		if (!ok)
			printf("# rc %d answer %d, expected %d\n", rc, (int)answer, t->expect);
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

	return failures == 0 ? 0 : 1;
}
