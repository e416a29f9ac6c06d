/*
 * test_config_manpage.c - gssocksd.conf(5) against the parser: every
 * keyword config_file.c knows has one entry in the KEYWORDS section and
 * every entry names a keyword it knows; each entry says its default, and
 * a default written as a value is the parser's (a file holding only
 * "keyword VALUE" loads to the same configuration as an empty file); a
 * numeric keyword's entry states the range the parser enforces ("A to B",
 * taken from the parser's own error message), and A and B load while
 * A - 1 and B + 1 do not.  The page's EXAMPLE and examples/gssocksd.conf
 * load, and the latter mentions every keyword (set, or in a comment).
 *
 * Trust zone: tests.  The page and the example come from CONFIG_MAN_PAGE
 * and CONFIG_EXAMPLE (meson).
 *
 * Design: the page is read as roff the way man(7) writes it here: an entry
 * is ".TP" then a ".B"/".BI"/".BR" line whose first word is the keyword;
 * its text runs to the next ".TP" or ".SH".  Roff is reduced to plain text
 * (macro names and quotes dropped, "\-" read as "-") before any check.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_file.h"
#include "tap.h"

#define ENTRIES_MAX 64
#define PAGE_MAX (1 << 20)

struct entry {
	char name[64];
	char *text;              /* plain text of the entry, malloc'd */
};

static struct entry entries[ENTRIES_MAX];
static size_t n_entries;
static char tmpdir[] = "/tmp/gssocks-test-config-manpage-XXXXXX";

/* Keywords whose default is described rather than written as a value,
 * and the words the entry must use for it. */
static const struct {
	const char *keyword;
	const char *says;
} described[] = {
	{ "authproc-workers", "Default: the number of online CPUs" },
	{ "libexec-dir", "chosen at build time" },
	{ "replay-cache-dir", "chosen at build time" },
	{ "policy-dir", "chosen at build time" },
	{ "pid-file", "Default: none" },
	{ "control-group", "Default: none" },
	{ "proxy-protocol-from", "Default: none" },
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t len;

	if (f == NULL)
		return NULL;
	buf = calloc(1, PAGE_MAX);
	if (buf == NULL) {
		fclose(f);
		return NULL;
	}
	len = fread(buf, 1, PAGE_MAX - 1, f);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* One roff line as plain text: the macro name dropped, quotes dropped,
 * "\-" and "\(em" read as '-', other escapes as they are.  Appends to out. */
static void plain_line(const char *line, size_t len, char *out, size_t outlen)
{
	size_t n = strlen(out);
	size_t i = 0;

	if (len > 0 && line[0] == '.') {
		while (i < len && line[i] != ' ')
			i++;
		if (i < len)
			i++;
	}
	for (; i < len && n + 2 < outlen; i++) {
		if (line[i] == '"')
			continue;
		if (line[i] == '\\' && i + 1 < len && line[i + 1] == '-') {
			out[n++] = '-';
			i++;
			continue;
		}
		if (line[i] == '\\' && i + 1 < len && line[i + 1] == 'f' && i + 2 < len) {
			i += 2;   /* \fB, \fR, \fP: font changes */
			continue;
		}
		out[n++] = line[i];
	}
	if (n + 1 < outlen)
		out[n++] = '\n';
	out[n] = '\0';
}

static bool starts(const char *line, const char *prefix)
{
	return strncmp(line, prefix, strlen(prefix)) == 0;
}

/* The KEYWORDS section's entries into entries[]. */
static void parse_page(const char *page)
{
	const char *p = strstr(page, "\n.SH KEYWORDS\n");
	struct entry *e = NULL;
	bool after_tp = false;

	if (p == NULL)
		return;
	p += strlen("\n.SH KEYWORDS\n");
	while (*p != '\0' && !starts(p, ".SH")) {
		const char *eol = strchr(p, '\n');
		size_t len = eol != NULL ? (size_t)(eol - p) : strlen(p);

		if (starts(p, ".TP")) {
			after_tp = true;
			e = NULL;
		} else if (after_tp && (starts(p, ".B ") || starts(p, ".BI ") || starts(p, ".BR "))) {
			char first[256] = "";
			size_t k;

			after_tp = false;
			if (n_entries == ENTRIES_MAX)
				break;
			plain_line(p, len, first, sizeof(first));
			k = strcspn(first, " \n");
			e = &entries[n_entries++];
			snprintf(e->name, sizeof(e->name), "%.*s", (int)k, first);
			e->text = calloc(1, 16384);
			if (e->text != NULL)
				plain_line(p, len, e->text, 16384);
		} else if (e != NULL && e->text != NULL) {
			after_tp = false;
			plain_line(p, len, e->text, 16384);
		} else {
			after_tp = false;
		}
		p = eol != NULL ? eol + 1 : p + len;
	}
}

static const struct entry *entry_of(const char *keyword, size_t *count)
{
	const struct entry *found = NULL;

	*count = 0;
	for (size_t i = 0; i < n_entries; i++)
		if (strcmp(entries[i].name, keyword) == 0) {
			found = &entries[i];
			(*count)++;
		}
	return found;
}

static bool parser_knows(const char *keyword)
{
	for (size_t i = 0; config_keyword(i) != NULL; i++)
		if (strcmp(config_keyword(i), keyword) == 0)
			return true;
	return false;
}

static const char *described_as(const char *keyword)
{
	for (size_t i = 0; i < sizeof(described) / sizeof(described[0]); i++)
		if (strcmp(described[i].keyword, keyword) == 0)
			return described[i].says;
	return NULL;
}

/* Load text as a gssocksd.conf: 0, or -1 with err. */
static int load(const char *text, struct master_config *cfg, char *err, size_t errlen)
{
	char path[256];
	FILE *f;

	err[0] = '\0';
	snprintf(path, sizeof(path), "%s/gssocksd.conf", tmpdir);
	f = fopen(path, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		printf("Bail out! cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return config_load(path, cfg, err, errlen);
}

static int load_line(const char *keyword, const char *value, struct master_config *cfg,
		     char *err, size_t errlen)
{
	char text[512];

	snprintf(text, sizeof(text), "%s %s\n", keyword, value);
	return load(text, cfg, err, errlen);
}

/* The value after "Default:": its first line of words, up to " (", ",",
 * ";" or a final "." ("" when the entry has none). */
static void default_value(const char *text, char *out, size_t outlen)
{
	const char *p = strstr(text, "Default:");
	size_t n;

	out[0] = '\0';
	if (p == NULL)
		return;
	p += strlen("Default:");
	while (*p == ' ' || *p == '\n')
		p++;
	n = strcspn(p, "\n(,;");
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '.'))
		n--;
	snprintf(out, outlen, "%.*s", (int)n, p);
}

/* A numeric keyword's range as the parser states it; false when the
 * keyword takes no number. */
static bool parser_range(const char *keyword, unsigned long *min, unsigned long *max)
{
	struct master_config cfg;
	char err[CONFIG_ERROR_MAX];
	const char *p;

	if (load_line(keyword, "x", &cfg, err, sizeof(err)) == 0)
		return false;
	p = strstr(err, "expected a number from ");
	return p != NULL && sscanf(p, "expected a number from %lu to %lu", min, max) == 2;
}

static void check_range(const char *keyword, const struct entry *e)
{
	struct master_config cfg;
	char err[CONFIG_ERROR_MAX], number[32], said[64];
	unsigned long min, max;

	if (!parser_range(keyword, &min, &max))
		return;
	snprintf(said, sizeof(said), "%lu to %lu", min, max);
	ok(e != NULL && strstr(e->text, said) != NULL, "%s: the page says \"%s\"", keyword, said);
	snprintf(number, sizeof(number), "%lu", min);
	ok(load_line(keyword, number, &cfg, err, sizeof(err)) == 0, "%s %s loads (%s)", keyword,
	   number, err);
	snprintf(number, sizeof(number), "%lu", max);
	ok(load_line(keyword, number, &cfg, err, sizeof(err)) == 0, "%s %s loads (%s)", keyword,
	   number, err);
	snprintf(number, sizeof(number), "%lu", max + 1);
	ok(load_line(keyword, number, &cfg, err, sizeof(err)) < 0, "%s %s is refused", keyword,
	   number);
	if (min > 0) {
		snprintf(number, sizeof(number), "%lu", min - 1);
		ok(load_line(keyword, number, &cfg, err, sizeof(err)) < 0, "%s %s is refused",
		   keyword, number);
	}
}

static void check_default(const char *keyword, const struct entry *e,
			  const struct master_config *defaults)
{
	struct master_config cfg;
	char err[CONFIG_ERROR_MAX] = "";
	char value[256];
	const char *says = described_as(keyword);

	if (e == NULL)
		return;
	if (!ok(strstr(e->text, "Default:") != NULL, "%s: the page says its default", keyword))
		return;
	if (says != NULL) {
		ok(strstr(e->text, says) != NULL, "%s: its default is described (\"%s\")", keyword,
		   says);
		return;
	}
	default_value(e->text, value, sizeof(value));
	if (strcmp(keyword, "listen") == 0) {
		/* none given means every address on the default port */
		ok(load_line(keyword, value, &cfg, err, sizeof(err)) == 0 && cfg.listen_count == 1 &&
		   strcmp(cfg.listen[0].host, "*") == 0 && cfg.listen[0].port == CONFIG_DEFAULT_PORT,
		   "listen: the page's default \"%s\" is every address, port %d (%s)", value,
		   CONFIG_DEFAULT_PORT, err);
		return;
	}
	if (!ok(load_line(keyword, value, &cfg, err, sizeof(err)) == 0,
		"%s: the page's default \"%s\" loads (%s)", keyword, value, err))
		return;
	/* writing the default path is "given"; the value is what matters */
	cfg.control_socket_given = defaults->control_socket_given;
	ok(memcmp(&cfg, defaults, sizeof(cfg)) == 0,
	   "%s: the page's default \"%s\" is the parser's", keyword, value);
}

/* The limits that are no keyword's number: the entry states the code's. */
static void check_says(const char *keyword, const char *before, int number, const char *after)
{
	size_t count;
	const struct entry *e = entry_of(keyword, &count);
	char said[64];

	snprintf(said, sizeof(said), "%s %d%s", before, number, after);
	ok(e != NULL && strstr(e->text, said) != NULL, "%s: the page says \"%s\"", keyword, said);
}

/* examples/gssocksd.conf: loads, and names every keyword (a line of its
 * own or a comment's word). */
static void check_example_file(const char *path)
{
	struct master_config cfg;
	char err[CONFIG_ERROR_MAX] = "";
	char *text = slurp(path);

	if (!ok(text != NULL, "%s can be read", path))
		return;
	ok(load(text, &cfg, err, sizeof(err)) == 0, "examples/gssocksd.conf loads (%s)", err);
	for (size_t i = 0; config_keyword(i) != NULL; i++) {
		const char *k = config_keyword(i);
		char set[80], commented[80];

		snprintf(set, sizeof(set), "\n%s ", k);
		snprintf(commented, sizeof(commented), "\n# %s ", k);
		ok(strstr(text, set) != NULL || strstr(text, commented) != NULL,
		   "examples/gssocksd.conf mentions %s", k);
	}
	free(text);
}

/* The page's EXAMPLE section (".nf" ... ".fi") loads. */
static void check_page_example(const char *page)
{
	const char *p = strstr(page, "\n.SH EXAMPLE\n.nf\n");
	const char *end;
	char text[8192] = "";
	struct master_config cfg;
	char err[CONFIG_ERROR_MAX] = "";

	if (!ok(p != NULL, "the page has an EXAMPLE"))
		return;
	p += strlen("\n.SH EXAMPLE\n.nf\n");
	end = strstr(p, "\n.fi\n");
	while (end != NULL && p < end) {
		const char *eol = strchr(p, '\n');
		size_t len = (size_t)(eol - p);

		/* lines of text, not macros: "\-" becomes '-' */
		for (size_t i = 0, n = strlen(text); i < len && n + 2 < sizeof(text); i++) {
			if (p[i] == '\\' && i + 1 < len && p[i + 1] == '-')
				continue;
			text[n++] = p[i];
			text[n] = '\0';
		}
		strncat(text, "\n", sizeof(text) - strlen(text) - 1);
		p = eol + 1;
	}
	ok(end != NULL && load(text, &cfg, err, sizeof(err)) == 0,
	   "the page's EXAMPLE loads (%s)", err);
}

int main(void)
{
	const char *path = getenv("CONFIG_MAN_PAGE");
	const char *example = getenv("CONFIG_EXAMPLE");
	struct master_config defaults;
	char err[CONFIG_ERROR_MAX] = "";
	char *page;

	if (path == NULL || example == NULL)
		skip_all("CONFIG_MAN_PAGE or CONFIG_EXAMPLE not set");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	page = slurp(path);
	if (page == NULL) {
		printf("Bail out! cannot read %s\n", path);
		return 1;
	}
	parse_page(page);
	ok(n_entries > 0, "the KEYWORDS section has entries (%zu)", n_entries);
	if (!ok(load("", &defaults, err, sizeof(err)) == 0, "an empty file loads (%s)", err))
		return done_testing();

	for (size_t i = 0; i < n_entries; i++)
		ok(parser_knows(entries[i].name), "the page's %s is a keyword of the parser",
		   entries[i].name);
	for (size_t i = 0; config_keyword(i) != NULL; i++) {
		const char *k = config_keyword(i);
		size_t count;
		const struct entry *e = entry_of(k, &count);

		ok(count == 1, "%s has one entry in gssocksd.conf(5) (%zu)", k, count);
		check_default(k, e, &defaults);
		check_range(k, e);
	}
	check_says("authproc-workers", "at most", CONFIG_AUTHPROCS_DEFAULT_MAX, "");
	check_says("listen", "up to", CONFIG_LISTEN_MAX, " times");
	check_says("proxy-protocol-from", "up to", CONFIG_PROXY_FROM_MAX, " blocks");
	check_page_example(page);
	check_example_file(example);

	for (size_t i = 0; i < n_entries; i++)
		free(entries[i].text);
	free(page);
	{
		char conf[300];

		snprintf(conf, sizeof(conf), "%s/gssocksd.conf", tmpdir);
		unlink(conf);
		rmdir(tmpdir);
	}
	return done_testing();
}
