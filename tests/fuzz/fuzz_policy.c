/*
 * fuzz_policy.c - fuzz target for the policy language (policy/parse.c and
 * the matcher behind policy_decide()).
 *
 * Trust zone: tests only.  Policy files are written by the administrator,
 * but gssocksd -t and a SIGHUP reload must survive any bytes (a truncated
 * copy, a binary file dropped in the directory) and report, not crash.
 *
 * The whole input is a policy file, handed over in storage of exactly its
 * size (not NUL-terminated: the parser must honour len).  Invariants:
 *  - policy_parse() returns NULL exactly when it reported an error, and
 *    every error line names the file ("fuzz:");  at most
 *    POLICY_MAX_ERRORS + 1 lines;
 *  - an accepted policy has sane settings (preferred is one of the levels,
 *    limits -1 or in their documented ranges, rule count under the cap)
 *    and keeps its file name;
 *  - policy_decide() on a fixed set of requests always answers with a
 *    file and a reason; an allow always comes from a rule (line 1..number
 *    of lines) and needs the word "allow" in the text; a name request
 *    with no resolved address and a NULL policy are always denied;
 *  - the input as a principal name: policy_principal_to_file() and
 *    policy_file_to_principal() are inverse where they succeed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "fuzz.h"
#include "policy.h"

static size_t count_lines(const uint8_t *p, size_t n)
{
	size_t lines = 1;

	for (size_t i = 0; i < n; i++)
		if (p[i] == '\n')
			lines++;
	return lines;
}

static bool mentions_allow(const uint8_t *p, size_t n)
{
	return memmem(p, n, "allow", 5) != NULL;
}

static void check_decision(struct policy_decision d, size_t lines, bool may_allow)
{
	FUZZ_CHECK(d.file != NULL && d.reason != NULL);
	FUZZ_CHECK(d.line <= lines);
	if (d.allow) {
		FUZZ_CHECK(may_allow);
		FUZZ_CHECK(d.line >= 1);
	}
}

static void decide_all(const struct policy *p, size_t lines, bool may_allow)
{
	static const uint8_t cmds[] = { SOCKS5_CMD_CONNECT, SOCKS5_CMD_BIND, SOCKS5_CMD_UDP, 0x09 };
	static const char *const names[] = { "www.example.com", "WWW.EXAMPLE.COM.", "localhost",
					     "a.intranet.example.com", "x" };
	static const uint16_t ports[] = { 0, 22, 53, 80, 443, 8080, 65535 };
	struct socks5_addr a;
	struct sockaddr_storage res[3];
	struct sockaddr_in *sin;
	struct sockaddr_in6 *sin6;

	memset(res, 0, sizeof(res));
	sin = (struct sockaddr_in *)&res[0];
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, "10.1.2.3", &sin->sin_addr);
	sin6 = (struct sockaddr_in6 *)&res[1];
	sin6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", &sin6->sin6_addr);
	sin6 = (struct sockaddr_in6 *)&res[2];
	sin6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:192.0.2.7", &sin6->sin6_addr);

	for (size_t c = 0; c < sizeof(cmds); c++) {
		for (size_t pi = 0; pi < sizeof(ports) / sizeof(ports[0]); pi++) {
			uint16_t port = ports[pi];

			memset(&a, 0, sizeof(a));
			a.atyp = SOCKS5_ATYP_IPV4;
			memcpy(a.u.ipv4, (const uint8_t[4]){ 10, 1, 2, 3 }, 4);
			a.port = port;
			check_decision(policy_decide(p, cmds[c], &a, NULL, 0), lines, may_allow);

			memset(&a, 0, sizeof(a));
			a.atyp = SOCKS5_ATYP_IPV6;
			memcpy(a.u.ipv6, &((struct sockaddr_in6 *)&res[pi % 2 + 1])->sin6_addr, 16);
			a.port = port;
			check_decision(policy_decide(p, cmds[c], &a, NULL, 0), lines, may_allow);

			for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
				struct policy_decision d;

				memset(&a, 0, sizeof(a));
				a.atyp = SOCKS5_ATYP_DOMAIN;
				snprintf(a.u.name, sizeof(a.u.name), "%s", names[i]);
				a.port = port;
				check_decision(policy_decide(p, cmds[c], &a, res, 1 + i % 3), lines,
					       may_allow);
				d = policy_decide(p, cmds[c], &a, NULL, 0);
				check_decision(d, lines, may_allow);
				FUZZ_CHECK(!d.allow);
			}
		}
	}
}

static void check_principal(const uint8_t *data, size_t size)
{
	char principal[POLICY_MAX_PRINCIPAL + 2];
	char file[3 * POLICY_MAX_PRINCIPAL + 8];
	char back[POLICY_MAX_PRINCIPAL + 2];

	if (size >= sizeof(principal) || memchr(data, '\0', size) != NULL)
		return;
	memcpy(principal, data, size);
	principal[size] = '\0';
	if (policy_principal_to_file(principal, file, sizeof(file)) == 0) {
		FUZZ_CHECK(strnlen(file, sizeof(file)) < sizeof(file));
		FUZZ_CHECK(strchr(file, '/') == NULL && file[0] != '.');
		FUZZ_CHECK(policy_file_to_principal(file, back, sizeof(back)) == 0);
		FUZZ_CHECK(strcmp(back, principal) == 0);
	}
	/* The input as a file name: if it names a principal, that principal
	 * spells the same file name back (one canonical spelling). */
	if (policy_file_to_principal(principal, back, sizeof(back)) == 0) {
		FUZZ_CHECK(policy_principal_to_file(back, file, sizeof(file)) == 0);
		FUZZ_CHECK(strcmp(file, principal) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_errors errs;
	struct policy *p;
	uint8_t *text;
	size_t lines;

	if (size > POLICY_MAX_FILE_SIZE + 16)
		return 0;
	text = fuzz_dup(data, size);
	lines = count_lines(text, size);
	policy_errors_init(&errs);
	p = policy_parse("fuzz", (const char *)text, size, &errs);

	FUZZ_CHECK((p == NULL) == (errs.count > 0));
	FUZZ_CHECK(errs.count <= POLICY_MAX_ERRORS + 1);
	for (size_t i = 0; i < errs.count; i++)
		FUZZ_CHECK(errs.lines[i] != NULL && strncmp(errs.lines[i], "fuzz:", 5) == 0);

	if (p != NULL) {
		const struct policy_settings *s = policy_get_settings(p);

		FUZZ_CHECK(strcmp(policy_file(p), "fuzz") == 0);
		FUZZ_CHECK(s->levels != 0 && (s->levels & ~0x0fu) == 0);
		FUZZ_CHECK((s->levels & (1u << s->preferred)) != 0);
		FUZZ_CHECK(s->max_sessions >= -1 && s->max_sessions <= (long)POLICY_MAX_SESSIONS);
		FUZZ_CHECK(s->idle_timeout >= -1 && s->idle_timeout <= (long)POLICY_MAX_SECONDS);
		FUZZ_CHECK(s->max_duration >= -1 && s->max_duration <= (long)POLICY_MAX_SECONDS);
		FUZZ_CHECK(policy_rule_count(p) <= POLICY_MAX_RULES);
		FUZZ_CHECK(policy_rule_count(p) <= lines);
		decide_all(p, lines, mentions_allow(text, size));
		policy_free(p);
	} else {
		struct socks5_addr a;

		memset(&a, 0, sizeof(a));
		a.atyp = SOCKS5_ATYP_IPV4;
		FUZZ_CHECK(!policy_decide(NULL, SOCKS5_CMD_CONNECT, &a, NULL, 0).allow);
	}
	policy_errors_free(&errs);
	check_principal(text, size);
	free(text);
	return 0;
}
