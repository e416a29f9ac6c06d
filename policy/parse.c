/*
 * parse.c - the policy file grammar: one setting or one rule per line.
 *
 * Trust zone: master and `gssocksd -t`.  Input is administrator-written
 * text, read through lines.c (bounded, ASCII, comments stripped).  The
 * grammar is strict: every word must be expected where it stands, every
 * unknown or misplaced word is an error that names it, and all errors of a
 * file are reported, not only the first.
 *
 *   levels LEVEL...          clear integrity confidentiality selective nec
 *   preferred LEVEL          clear integrity confidentiality selective
 *   max-sessions N           0 (no limit) .. 1000000
 *   idle-timeout SECONDS     0 (none) .. 31536000
 *   max-duration SECONDS     0 (none) .. 31536000
 *   allow|deny COMMANDS DESTINATION [port PORTS]
 *     COMMANDS     any | connect,bind,udp (comma list)
 *     DESTINATION  any | IPv4[/len] | IPv6[/len] | host.name | *.domain
 *     PORTS        any | N | N-M, comma separated
 */
#include "rule.h"
#include "lines.h"

#include <stdlib.h>
#include <string.h>

struct parser {
	struct policy *policy;
	struct policy_errors *errs;
	unsigned errors;
	unsigned line;
	unsigned levels_line;
	unsigned preferred_line;
	unsigned max_sessions_line;
	unsigned idle_timeout_line;
	unsigned max_duration_line;
	bool preferred_written;
	bool levels_bad;
	bool too_many_rules;
};

#define perror_at(ps, ...) do { \
	(ps)->errors++; \
	policy_errors_add((ps)->errs, (ps)->policy->file, (ps)->line, __VA_ARGS__); \
} while (0)

static const struct {
	const char *word;
	int level;                 /* enum gss_level, or -1 for "nec" */
} level_words[] = {
	{ "clear", GSS_LEVEL_CLEAR },
	{ "integrity", GSS_LEVEL_INTEGRITY },
	{ "confidentiality", GSS_LEVEL_CONFIDENTIALITY },
	{ "selective", GSS_LEVEL_SELECTIVE },
	{ "nec", -1 },
};

static const struct {
	const char *word;
	uint8_t cmd;
} command_words[] = {
	{ "connect", SOCKS5_CMD_CONNECT },
	{ "bind", SOCKS5_CMD_BIND },
	{ "udp", SOCKS5_CMD_UDP },
};

/* Strict decimal (digits only, at most 10 of them) within [0, max]. */
static int parse_number(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 10)
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (i == 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

/* false (and an error) if words beyond the first `used` are present. */
static bool no_extra_words(struct parser *ps, const struct line_words *lw, size_t used)
{
	if (lw->count > used) {
		perror_at(ps, "unexpected word '%s'", lw->word[used]);
		return false;
	}
	return true;
}

/* Records the line of a setting; false (and an error) if it was seen. */
static bool first_time(struct parser *ps, const char *keyword, unsigned *seen_line)
{
	if (*seen_line != 0) {
		perror_at(ps, "'%s' given twice (first on line %u)", keyword, *seen_line);
		return false;
	}
	*seen_line = ps->line;
	return true;
}

static int level_lookup(const char *word)
{
	for (size_t i = 0; i < sizeof(level_words) / sizeof(level_words[0]); i++) {
		if (strcmp(word, level_words[i].word) == 0)
			return level_words[i].level;
	}
	return -2;
}

static void parse_levels(struct parser *ps, const struct line_words *lw)
{
	struct policy_settings *st = &ps->policy->settings;
	uint8_t levels = 0;
	bool nec = false;

	if (!first_time(ps, "levels", &ps->levels_line))
		return;
	ps->levels_bad = true;          /* until the whole line was accepted */
	if (lw->count < 2) {
		perror_at(ps, "'levels' needs at least one level");
		return;
	}
	for (size_t i = 1; i < lw->count; i++) {
		int level = level_lookup(lw->word[i]);

		if (level == -2) {
			perror_at(ps, "unknown protection level '%s' (clear, integrity, "
				  "confidentiality, selective, nec)", lw->word[i]);
			return;
		}
		if ((level == -1 && nec) || (level >= 0 && (levels & (1u << level)))) {
			perror_at(ps, "level '%s' listed twice", lw->word[i]);
			return;
		}
		if (level == -1)
			nec = true;
		else
			levels |= (uint8_t)(1u << level);
	}
	if (levels == 0) {
		perror_at(ps, "'levels' accepts no protection level ('nec' is a message form, not a level)");
		return;
	}
	st->levels = levels;
	st->nec = nec;
	st->levels_written = true;
	ps->levels_bad = false;
}

static void parse_preferred(struct parser *ps, const struct line_words *lw)
{
	int level;

	if (!first_time(ps, "preferred", &ps->preferred_line))
		return;
	if (lw->count < 2) {
		perror_at(ps, "'preferred' needs one level");
		return;
	}
	if (!no_extra_words(ps, lw, 2))
		return;
	level = level_lookup(lw->word[1]);
	if (level == -1) {
		perror_at(ps, "'nec' is a message form, not a level: it cannot be preferred");
		return;
	}
	if (level < 0) {
		perror_at(ps, "unknown protection level '%s' (clear, integrity, "
			  "confidentiality, selective)", lw->word[1]);
		return;
	}
	ps->policy->settings.preferred = (enum gss_level)level;
	ps->preferred_written = true;
}

static void parse_limit(struct parser *ps, const struct line_words *lw,
			unsigned *seen_line, unsigned long max, long *out)
{
	const char *keyword = lw->word[0];
	unsigned long v;

	if (!first_time(ps, keyword, seen_line))
		return;
	if (lw->count < 2) {
		perror_at(ps, "'%s' needs a number", keyword);
		return;
	}
	if (!no_extra_words(ps, lw, 2))
		return;
	if (parse_number(lw->word[1], max, &v) < 0) {
		perror_at(ps, "invalid number '%s' for '%s' (0..%lu)", lw->word[1], keyword, max);
		return;
	}
	*out = (long)v;
}

/* 'any' or a comma list of commands; empty and repeated items refused. */
static int parse_commands(struct parser *ps, const char *word, uint8_t *out)
{
	char list[POLICY_MAX_LINE + 1];
	char *save = NULL, *item;
	uint8_t commands = 0;
	size_t len = strlen(word);

	if (strcmp(word, "any") == 0) {
		*out = RULE_CMD_BIT(SOCKS5_CMD_CONNECT) | RULE_CMD_BIT(SOCKS5_CMD_BIND) |
		       RULE_CMD_BIT(SOCKS5_CMD_UDP);
		return 0;
	}
	if (len == 0 || word[0] == ',' || word[len - 1] == ',' || strstr(word, ",,") != NULL) {
		perror_at(ps, "empty item in command list '%s'", word);
		return -1;
	}
	memcpy(list, word, len + 1);
	for (item = strtok_r(list, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		uint8_t bit = 0;

		for (size_t i = 0; i < sizeof(command_words) / sizeof(command_words[0]); i++) {
			if (strcmp(item, command_words[i].word) == 0)
				bit = RULE_CMD_BIT(command_words[i].cmd);
		}
		if (bit == 0) {
			if (strcmp(item, "any") == 0)
				perror_at(ps, "'any' cannot be part of a command list");
			else
				perror_at(ps, "unknown command '%s' (connect, bind, udp, any)", item);
			return -1;
		}
		if (commands & bit) {
			perror_at(ps, "command '%s' listed twice", item);
			return -1;
		}
		commands |= bit;
	}
	*out = commands;
	return 0;
}

static int parse_one_port(const char *s, uint16_t *out)
{
	unsigned long v;

	if (parse_number(s, 65535, &v) < 0)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

static int parse_ports(struct parser *ps, const char *word, struct rule *r)
{
	char list[POLICY_MAX_LINE + 1];
	char *save = NULL, *item;
	size_t len = strlen(word);

	if (strcmp(word, "any") == 0) {
		r->n_ports = 0;
		return 0;
	}
	if (len == 0 || word[0] == ',' || word[len - 1] == ',' || strstr(word, ",,") != NULL) {
		perror_at(ps, "empty item in port list '%s'", word);
		return -1;
	}
	memcpy(list, word, len + 1);
	for (item = strtok_r(list, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		struct port_range range;
		char *dash = strchr(item, '-');

		if (r->n_ports == POLICY_MAX_PORT_ITEMS) {
			perror_at(ps, "more than %d items in a port list", POLICY_MAX_PORT_ITEMS);
			return -1;
		}
		if (dash != NULL)
			*dash = '\0';
		if (parse_one_port(item, &range.low) < 0 ||
		    (dash != NULL && parse_one_port(dash + 1, &range.high) < 0)) {
			if (dash != NULL)
				*dash = '-';
			perror_at(ps, "invalid port '%s' (0..65535, or a range such as 8000-8080)", item);
			return -1;
		}
		if (dash == NULL)
			range.high = range.low;
		if (range.high < range.low) {
			*dash = '-';
			perror_at(ps, "port range '%s' is reversed", item);
			return -1;
		}
		r->ports[r->n_ports++] = range;
	}
	return 0;
}

static int add_rule(struct parser *ps, const struct rule *r)
{
	struct policy *p = ps->policy;

	if (p->n_rules == POLICY_MAX_RULES) {
		if (!ps->too_many_rules)
			perror_at(ps, "more than %d rules in one file", POLICY_MAX_RULES);
		ps->too_many_rules = true;
		return -1;
	}
	if (p->n_rules == p->cap_rules) {
		size_t cap = p->cap_rules == 0 ? 16 : p->cap_rules * 2;
		struct rule *rules = realloc(p->rules, cap * sizeof(*rules));

		if (rules == NULL) {
			perror_at(ps, "out of memory");
			return -1;
		}
		p->rules = rules;
		p->cap_rules = cap;
	}
	p->rules[p->n_rules++] = *r;
	return 0;
}

static void parse_rule(struct parser *ps, const struct line_words *lw)
{
	struct rule r;
	const char *why;

	memset(&r, 0, sizeof(r));
	r.line = ps->line;
	r.allow = strcmp(lw->word[0], "allow") == 0;
	if (lw->count < 2) {
		perror_at(ps, "'%s' needs a command (connect, bind, udp, any)", lw->word[0]);
		return;
	}
	if (parse_commands(ps, lw->word[1], &r.commands) < 0)
		return;
	if (lw->count < 3) {
		perror_at(ps, "'%s %s' needs a destination (any, address, CIDR, name, *.domain)",
			  lw->word[0], lw->word[1]);
		return;
	}
	why = destination_parse(lw->word[2], &r.dest);
	if (why != NULL) {
		perror_at(ps, "invalid destination '%s': %s", lw->word[2], why);
		return;
	}
	if (lw->count > 3) {
		if (strcmp(lw->word[3], "port") != 0) {
			perror_at(ps, "unexpected word '%s' (expected 'port')", lw->word[3]);
			return;
		}
		if (lw->count < 5) {
			perror_at(ps, "'port' needs a port list");
			return;
		}
		if (parse_ports(ps, lw->word[4], &r) < 0)
			return;
		if (!no_extra_words(ps, lw, 5))
			return;
	}
	add_rule(ps, &r);
}

static void parse_line(struct parser *ps, const struct line_words *lw)
{
	struct policy_settings *st = &ps->policy->settings;
	const char *kw = lw->word[0];

	if (strcmp(kw, "allow") == 0 || strcmp(kw, "deny") == 0)
		parse_rule(ps, lw);
	else if (strcmp(kw, "levels") == 0)
		parse_levels(ps, lw);
	else if (strcmp(kw, "preferred") == 0)
		parse_preferred(ps, lw);
	else if (strcmp(kw, "max-sessions") == 0)
		parse_limit(ps, lw, &ps->max_sessions_line, POLICY_MAX_SESSIONS, &st->max_sessions);
	else if (strcmp(kw, "idle-timeout") == 0)
		parse_limit(ps, lw, &ps->idle_timeout_line, POLICY_MAX_SECONDS, &st->idle_timeout);
	else if (strcmp(kw, "max-duration") == 0)
		parse_limit(ps, lw, &ps->max_duration_line, POLICY_MAX_SECONDS, &st->max_duration);
	else
		perror_at(ps, "unknown keyword '%s'", kw);
}

/* Default preferred level: the strongest accepted, confidentiality first. */
static void settle_preferred(struct parser *ps)
{
	static const enum gss_level order[] = {
		GSS_LEVEL_CONFIDENTIALITY, GSS_LEVEL_SELECTIVE,
		GSS_LEVEL_INTEGRITY, GSS_LEVEL_CLEAR,
	};
	struct policy_settings *st = &ps->policy->settings;

	if (ps->preferred_written) {
		if (!ps->levels_bad && !(st->levels & (1u << st->preferred))) {
			ps->line = ps->preferred_line;
			perror_at(ps, "preferred level '%s' is not accepted by 'levels'",
				  level_words[st->preferred].word);
		}
		return;
	}
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (st->levels & (1u << order[i])) {
			st->preferred = order[i];
			return;
		}
	}
}

static void settings_defaults(struct policy_settings *st)
{
	memset(st, 0, sizeof(*st));
	st->levels = (uint8_t)((1u << GSS_LEVEL_INTEGRITY) | (1u << GSS_LEVEL_CONFIDENTIALITY) |
			       (1u << GSS_LEVEL_SELECTIVE));
	st->preferred = GSS_LEVEL_CONFIDENTIALITY;
	st->max_sessions = -1;
	st->idle_timeout = -1;
	st->max_duration = -1;
}

struct policy *policy_parse(const char *file, const char *text, size_t len,
			    struct policy_errors *errs)
{
	struct parser ps;
	struct line_reader lr;
	struct line_words *lw;
	char why[160];
	int rc;

	memset(&ps, 0, sizeof(ps));
	ps.errs = errs;
	ps.policy = calloc(1, sizeof(*ps.policy));
	lw = malloc(sizeof(*lw));
	if (ps.policy == NULL || lw == NULL ||
	    (ps.policy->file = strdup(file)) == NULL) {
		policy_errors_add(errs, file, 0, "out of memory");
		free(lw);
		policy_free(ps.policy);
		return NULL;
	}
	settings_defaults(&ps.policy->settings);
	if (len > POLICY_MAX_FILE_SIZE) {
		policy_errors_add(errs, file, 0, "file larger than %d bytes", POLICY_MAX_FILE_SIZE);
		free(lw);
		policy_free(ps.policy);
		return NULL;
	}
	line_reader_init(&lr, text, len);
	while ((rc = line_next(&lr, lw, why, sizeof(why))) != 0) {
		ps.line = lr.lineno;
		if (rc < 0)
			perror_at(&ps, "%s", why);
		else if (lw->count > 0)
			parse_line(&ps, lw);
	}
	free(lw);
	settle_preferred(&ps);
	if (ps.errors > 0) {
		policy_free(ps.policy);
		return NULL;
	}
	return ps.policy;
}

void policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	free(p->file);
	free(p->rules);
	free(p);
}

const char *policy_file(const struct policy *p)
{
	return p->file;
}

const struct policy_settings *policy_get_settings(const struct policy *p)
{
	return &p->settings;
}

size_t policy_rule_count(const struct policy *p)
{
	return p->n_rules;
}
