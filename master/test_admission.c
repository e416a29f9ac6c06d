/*
 * test_admission.c - unit test (TAP) for admission_choice.c: which
 * unauthenticated session makes room under a flood, the prefix a client
 * counts under, and the deadlines under pressure.
 *
 * Trust zone: test.  Table-driven: each case is a small session table and
 * the index the choice must return.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "admission.h"

static int test_number;
static int failures;

static void ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void ok(int cond, const char *fmt, ...)
{
	va_list ap;

	test_number++;
	printf("%s %d - ", cond ? "ok" : "not ok", test_number);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		failures++;
}

#define ANY ADMISSION_ANY_GROUP
#define MAX_ROWS 8
/* { group, evictable, with_authproc, age_ms, octets } */
#define GREET(g, age, oct) { (g), true, false, (age), (oct) }
#define AUTH(g, age) { (g), true, true, (age), 3 }
#define KEPT(g, age) { (g), false, true, (age), 3 }

struct choose_case {
	const char *name;
	size_t n;
	struct admission_candidate c[MAX_ROWS];
	size_t group;
	long want;
};

static const struct choose_case choose_cases[] = {
	{ "empty table: nothing to evict", 0, { { 0 } }, ANY, -1 },
	{ "a silent greeting goes before one handed to authproc", 2,
	  { AUTH(0, 9000), GREET(0, 10, 0) }, ANY, 1 },
	{ "among silent greetings the oldest goes", 3,
	  { GREET(0, 500, 0), GREET(0, 4000, 0), GREET(0, 2000, 0) }, ANY, 1 },
	{ "a slowloris (1 octet / 2 s) outlives silent ones", 2,
	  { GREET(0, 20000, 10), GREET(0, 300, 0) }, ANY, 1 },
	{ "among trickling greetings the slowest (octets/s) goes", 3,
	  { GREET(0, 10000, 5), GREET(0, 4000, 4), GREET(0, 2000, 3) }, ANY, 0 },
	{ "rates count over at least one second: young greetings by octets", 2,
	  { GREET(0, 100, 2), GREET(0, 900, 1) }, ANY, 1 },
	{ "among authenticating sessions the oldest goes", 3,
	  { AUTH(0, 100), AUTH(0, 7000), AUTH(0, 300) }, ANY, 1 },
	{ "authenticated by authproc (level asked): never evicted", 2,
	  { KEPT(0, 60000), KEPT(0, 50000) }, ANY, -1 },
	{ "the largest prefix pays, even with younger sessions", 5,
	  { GREET(0, 9000, 0), GREET(1, 100, 0), GREET(1, 200, 0), GREET(1, 50, 0),
	    AUTH(2, 30) }, ANY, 2 },
	{ "kept sessions count for their prefix's size", 5,
	  { GREET(0, 9000, 0), GREET(0, 8000, 0), KEPT(1, 10), KEPT(1, 10), GREET(1, 5, 0) },
	  ANY, 4 },
	{ "a largest prefix with nothing evictable is passed over", 4,
	  { KEPT(0, 10), KEPT(0, 10), KEPT(0, 10), GREET(1, 10, 0) }, ANY, 3 },
	{ "equal prefixes: the least progress of both goes", 4,
	  { AUTH(0, 100), GREET(0, 100, 0), GREET(1, 5000, 0), AUTH(1, 100) }, ANY, 2 },
	{ "restricted to the newcomer's prefix (per-prefix cap)", 4,
	  { GREET(0, 9000, 0), GREET(0, 8000, 0), GREET(1, 100, 3), AUTH(1, 50) }, 1, 2 },
	{ "restricted prefix without an evictable session", 3,
	  { GREET(0, 9000, 0), KEPT(1, 10), KEPT(1, 10) }, 1, -1 },
	{ "a healthy client (authproc, young) survives a prefix full of idle ones", 4,
	  { AUTH(0, 40), GREET(0, 30, 0), GREET(0, 3000, 0), GREET(0, 2500, 0) }, 0, 2 },
};

static void test_choose(void)
{
	for (size_t i = 0; i < sizeof(choose_cases) / sizeof(choose_cases[0]); i++) {
		const struct choose_case *t = &choose_cases[i];
		long got = admission_choose(t->c, t->n, t->group);

		ok(got == t->want, "choose: %s (got %ld, want %ld)", t->name, got, t->want);
	}
}

struct prefix_case {
	const char *address;
	unsigned v4, v6;
	const char *want;
};

static const struct prefix_case prefix_cases[] = {
	{ "192.0.2.77", 32, 64, "192.0.2.77/32" },
	{ "192.0.2.77", 24, 64, "192.0.2.0/24" },
	{ "192.0.2.77", 1, 64, "128.0.0.0/1" },
	{ "10.255.255.255", 12, 64, "10.240.0.0/12" },
	{ "2001:db8:1:2:3:4:5:6", 32, 64, "2001:db8:1:2::/64" },
	{ "2001:db8:1:2:3:4:5:6", 32, 128, "2001:db8:1:2:3:4:5:6/128" },
	{ "2001:db8:1:2ff:3:4:5:6", 32, 56, "2001:db8:1:200::/56" },
	{ "::ffff:192.0.2.77", 24, 64, "192.0.2.0/24" },
	{ "::1", 32, 64, "::/64" },
};

static void test_prefix(void)
{
	char out[ADMISSION_PREFIX_MAX];
	struct sockaddr_un_ish { sa_family_t family; char rest[32]; } other = { AF_UNIX, "" };

	for (size_t i = 0; i < sizeof(prefix_cases) / sizeof(prefix_cases[0]); i++) {
		const struct prefix_case *t = &prefix_cases[i];
		struct sockaddr_storage ss;
		int rc;

		memset(&ss, 0, sizeof(ss));
		if (strchr(t->address, ':') != NULL) {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

			in6->sin6_family = AF_INET6;
			inet_pton(AF_INET6, t->address, &in6->sin6_addr);
		} else {
			struct sockaddr_in *in = (struct sockaddr_in *)&ss;

			in->sin_family = AF_INET;
			inet_pton(AF_INET, t->address, &in->sin_addr);
		}
		rc = admission_prefix((const struct sockaddr *)&ss, t->v4, t->v6, out, sizeof(out));
		ok(rc == 0 && strcmp(out, t->want) == 0, "prefix %s /%u /%u: %s (got %s)",
		   t->address, t->v4, t->v6, t->want, out);
	}
	ok(admission_prefix((const struct sockaddr *)&other, 32, 64, out, sizeof(out)) < 0 &&
	   strcmp(out, "?") == 0, "prefix of another family: -1 and \"?\"");
}

struct deadline_case {
	uint64_t timeout, floor;
	size_t used, max;
	uint64_t want;
};

static const struct deadline_case deadline_cases[] = {
	{ 10000, 1000, 0, 256, 10000 },      /* no pressure */
	{ 10000, 1000, 128, 256, 10000 },    /* half full: still the full deadline */
	{ 10000, 1000, 192, 256, 5000 },     /* three quarters: half */
	{ 10000, 1000, 250, 256, 1000 },     /* nearly full: the floor */
	{ 10000, 1000, 256, 256, 1000 },     /* full */
	{ 10000, 1000, 400, 256, 1000 },     /* over (counts off): the floor */
	{ 2000, 4000, 256, 256, 2000 },      /* never above the configured one */
	{ 30000, 4000, 200, 256, 13125 }, /* 30 s * 2 * 56 / 256 */
};

static void test_deadline(void)
{
	for (size_t i = 0; i < sizeof(deadline_cases) / sizeof(deadline_cases[0]); i++) {
		const struct deadline_case *t = &deadline_cases[i];
		uint64_t got = admission_deadline_ms(t->timeout, t->floor, t->used, t->max);

		ok(got == t->want, "deadline %llu ms (floor %llu) with %zu of %zu: %llu (got %llu)",
		   (unsigned long long)t->timeout, (unsigned long long)t->floor, t->used, t->max,
		   (unsigned long long)t->want, (unsigned long long)got);
	}
}

int main(void)
{
	test_choose();
	test_prefix();
	test_deadline();
	printf("1..%d\n", test_number);
	return failures == 0 ? 0 : 1;
}
