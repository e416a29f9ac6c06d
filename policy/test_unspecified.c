/*
 * test_unspecified.c - table test of policy_unspecified_destination()
 * (policy/unspecified.c): the destinations the master refuses whatever the
 * policy says (ARCHITECTURE.md invariant 8), each edge and one off it.
 *
 * Trust zone: tests.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "policy.h"
#include "tap.h"

struct unspecified_case {
	const char *address;           /* inet_pton text, AF_INET6 when it has ':' */
	bool unspecified;
};

static const struct unspecified_case cases[] = {
	/* 0.0.0.0/8 */
	{ "0.0.0.0", true },
	{ "0.0.0.1", true },
	{ "0.1.2.3", true },
	{ "0.255.255.255", true },
	{ "1.0.0.0", false },
	{ "127.0.0.1", false },        /* loopback: the policy's business */
	{ "255.255.255.255", false },
	{ "10.0.0.0", false },
	/* :: and ::ffff:0.0.0.0/104 */
	{ "::", true },
	{ "0:0:0:0:0:0:0:0", true },
	{ "::0.0.0.0", true },         /* IPv4-compatible 0.0.0.0 is :: */
	{ "::ffff:0.0.0.0", true },
	{ "::ffff:0:0", true },
	{ "::ffff:0.0.0.1", true },
	{ "::ffff:0.255.255.255", true },
	{ "::ffff:1.0.0.0", false },
	{ "::ffff:127.0.0.1", false },
	{ "::1", false },
	{ "::0.0.0.1", false },        /* that is ::1 */
	{ "::2", false },
	{ "::fffe:0.0.0.0", false },
	{ "::1:ffff:0.0.0.0", false },
	{ "::ffff:0:0.0.0.0", false }, /* IPv4-translated (SIIT), routed */
	{ "64:ff9b::", false },        /* NAT64 of 0.0.0.0: routed, policy's */
	{ "fe80::", false },
	{ "2001:db8::", false },
	{ "100::", false },
};

/* ss from text; false when the table holds a typo. */
static bool fill(struct sockaddr_storage *ss, const char *text)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(80);
		return inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1;
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(80);
		return inet_pton(AF_INET, text, &sin->sin_addr) == 1;
	}
}

int main(void)
{
	struct sockaddr_storage ss;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!fill(&ss, cases[i].address)) {
			ok(false, "%s: parses", cases[i].address);
			continue;
		}
		is_int(policy_unspecified_destination(&ss), cases[i].unspecified, "%s: %s",
		       cases[i].address, cases[i].unspecified ? "unspecified" : "not unspecified");
	}

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	ok(!policy_unspecified_destination(&ss), "AF_UNIX (zeroed): not an address");
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNSPEC;
	ok(!policy_unspecified_destination(&ss), "AF_UNSPEC: not an address");
	return done_testing();
}
