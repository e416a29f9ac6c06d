/*
 * test_manpage.c - the examples of gssocks-policy(5) are valid policies and
 * decide as the page says: every ".nf/.RS ... .RE/.fi" block that starts
 * with "# /etc/gssocks/policy/NAME" is parsed (NAME must be a valid file
 * name), and the claims the page makes about them are checked.
 *
 * Trust zone: tests.  The page's path comes from POLICY_MAN_PAGE (meson).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "tap.h"

#define MAX_EXAMPLES 16
#define PREFIX "# /etc/gssocks/policy/"

struct example {
	char name[256];
	struct policy *policy;
};

static struct example examples[MAX_EXAMPLES];
static size_t n_examples;

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;

	if (f == NULL)
		return NULL;
	buf = calloc(1, 1 << 20);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	return buf;
}

/* Copy a roff block into plain text: "\-" is '-'. */
static size_t unroff(const char *from, size_t len, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (from[i] == '\\' && i + 1 < len && from[i + 1] == '-')
			continue;
		out[n++] = from[i];
	}
	out[n] = '\0';
	return n;
}

static void parse_examples(const char *page)
{
	const char *start = page, *block, *end;

	while ((block = strstr(start, ".nf\n.RS\n" PREFIX)) != NULL) {
		struct policy_errors errs;
		char text[4096], file[256];
		size_t len, name_len;
		struct example *ex;

		block += strlen(".nf\n.RS\n");
		end = strstr(block, ".RE\n.fi");
		if (end == NULL || n_examples == MAX_EXAMPLES || (size_t)(end - block) >= sizeof(text))
			break;
		len = unroff(block, (size_t)(end - block), text);
		ex = &examples[n_examples++];
		name_len = strcspn(text + strlen(PREFIX), "\n");
		snprintf(ex->name, sizeof(ex->name), "%.*s", (int)name_len, text + strlen(PREFIX));
		char principal[POLICY_MAX_PRINCIPAL + 1];
		ok(strcmp(ex->name, POLICY_DEFAULT_FILE) == 0 ||
		   policy_file_to_principal(ex->name, principal, sizeof(principal)) == 0,
		   "example file name '%s' is valid", ex->name);
		snprintf(file, sizeof(file), "%s", ex->name);
		policy_errors_init(&errs);
		ex->policy = policy_parse(file, text, len, &errs);
		ok(ex->policy != NULL, "example '%s' parses", ex->name);
		for (size_t i = 0; i < errs.count; i++)
			diag("    %s", errs.lines[i]);
		policy_errors_free(&errs);
		start = end;
	}
}

static const struct policy *example(const char *name)
{
	for (size_t i = 0; i < n_examples; i++) {
		if (strcmp(examples[i].name, name) == 0)
			return examples[i].policy;
	}
	return NULL;
}

static struct policy_decision ask(const char *name, const char *dst, uint16_t port,
				  const char *resolved)
{
	struct socks5_addr a;
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	memset(&a, 0, sizeof(a));
	memset(&ss, 0, sizeof(ss));
	a.port = port;
	if (inet_pton(AF_INET, dst, a.u.ipv4) == 1) {
		a.atyp = SOCKS5_ATYP_IPV4;
	} else {
		a.atyp = SOCKS5_ATYP_DOMAIN;
		snprintf(a.u.name, sizeof(a.u.name), "%s", dst);
		sin->sin_family = AF_INET;
		inet_pton(AF_INET, resolved, &sin->sin_addr);
	}
	return policy_decide(example(name), SOCKS5_CMD_CONNECT, &a, &ss, 1);
}

int main(void)
{
	const char *path = getenv("POLICY_MAN_PAGE");
	struct policy_decision d;
	size_t len;
	char *page;

	if (path == NULL)
		skip_all("POLICY_MAN_PAGE not set");
	page = slurp(path, &len);
	if (page == NULL) {
		printf("Bail out! cannot read %s\n", path);
		return 1;
	}
	parse_examples(page);
	ok(n_examples == 4, "four examples found");
	if (example("alice@EXAMPLE.COM") == NULL || example("@EXAMPLE.COM") == NULL ||
	    example("default") == NULL)
		skip_all("examples missing");

	d = ask("alice@EXAMPLE.COM", "www.example.net", 443, "93.184.216.34");
	ok(d.allow, "web-only user reaches a public name on 443");
	d = ask("alice@EXAMPLE.COM", "rebound.example.net", 443, "10.1.1.1");
	ok(!d.allow && d.line == 5, "  but not a name pointing into 10.0.0.0/8");
	d = ask("alice@EXAMPLE.COM", "0.0.0.0", 443, NULL);
	ok(!d.allow, "  nor 0.0.0.0");
	d = ask("@EXAMPLE.COM", "db.intranet.example.com", 443, "10.20.0.5");
	ok(!d.allow && d.line == 2, "realm default: no name reaches the database host");
	d = ask("@EXAMPLE.COM", "www.intranet.example.com", 443, "10.20.0.6");
	ok(d.allow && d.line == 3, "  intranet web server by name");
	d = ask("@EXAMPLE.COM", "10.30.0.9", 22, NULL);
	ok(d.allow && d.line == 5, "  SSH on the subnet");
	d = ask("default", "192.0.2.1", 80, NULL);
	ok(!d.allow, "default: nothing");
	for (size_t i = 0; i < n_examples; i++)
		policy_free(examples[i].policy);
	free(page);
	return done_testing();
}
