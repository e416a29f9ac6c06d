/*
 * config_file.c - parser for gssocksd.conf(5); see config_file.h.
 *
 * Trust zone: master, start-up (and `gssocksd -t`).  Nothing here touches
 * the network or the keytab: paths are only checked for form, since the
 * master must never be able to read the keytab (invariant 1).
 *
 * Design: a table of keywords, one handler each.  A line is split on
 * blanks into a keyword and its values; a `#` at the start of a word starts
 * a comment.  The first error stops the parse with "file:line: reason".
 * Checks that involve two keywords run once the whole file was read.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"        /* generated: GSSOCKS_LIBEXECDIR, GSSOCKS_STATEDIR */
#include "config_file.h"
#include "util.h"

#define CONFIG_LINE_MAX   8192
#define CONFIG_WORDS_MAX  16

enum { LEVEL_INTEGRITY = 1, LEVEL_CONFIDENTIALITY = 2, LEVEL_SELECTIVE = 3 };

static const char *const level_names[] = {
	[LEVEL_INTEGRITY] = "integrity",
	[LEVEL_CONFIDENTIALITY] = "confidentiality",
	[LEVEL_SELECTIVE] = "selective",
};

struct parse_state {
	struct master_config *cfg;
	char *why;                /* reason only; the caller adds file:line */
	size_t whylen;
	unsigned line;
	unsigned preferred_line;  /* where preferred-level was set, 0 if default */
	unsigned levels_line;     /* where protection-levels was set, 0 if default */
	unsigned keytab_line;     /* where keytab was set, 0 if default */
	const char *path;         /* the configuration file itself */
};

typedef int (*keyword_fn)(struct parse_state *ps, const char *keyword,
			  char **values, size_t count);

struct keyword {
	const char *name;
	keyword_fn handler;
	bool repeatable;
	bool list;                /* takes several values */
};

static int fail(struct parse_state *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct parse_state *ps, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ps->why, ps->whylen, fmt, ap);
	va_end(ap);
	return -1;
}

unsigned config_default_authprocs(long cpus)
{
	/* The handshakes are the gateway's CPU (the relays' wrapping is
	 * spread over relay-workers already): one authproc per CPU, but each
	 * holds its own keytab copy and GSS library state, so not more than
	 * a few by default; more is a choice written in the file. */
	if (cpus < 1)
		return 1;
	return cpus > CONFIG_AUTHPROCS_DEFAULT_MAX ? CONFIG_AUTHPROCS_DEFAULT_MAX
						   : (unsigned)cpus;
}

void config_defaults(struct master_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->keytab, sizeof(cfg->keytab), "%s", "/etc/gssocks/gssocks.keytab");
	cfg->relay_workers = 2;
	cfg->authproc_workers = config_default_authprocs(sysconf(_SC_NPROCESSORS_ONLN));
	cfg->levels = (1u << LEVEL_INTEGRITY) | (1u << LEVEL_CONFIDENTIALITY) |
		      (1u << LEVEL_SELECTIVE);
	cfg->preferred_level = LEVEL_CONFIDENTIALITY;
	cfg->allow_clear = false;
	cfg->allow_nec = false;
	cfg->selective_wrap_integrity = false;
	cfg->greeting_timeout = 10;
	cfg->auth_timeout = 30;
	cfg->request_timeout = 30;
	cfg->connect_timeout = 30;
	cfg->bind_timeout = 120;
	/* One hour, as common firewalls time out established TCP: a
	 * forgotten session does not hold a relay slot and two sockets for
	 * ever; interactive users keep theirs with keep-alives (ssh's
	 * ServerAliveInterval).  0 in the file means never. */
	cfg->idle_timeout = 3600;
	/* A child's loop answers a ping within milliseconds (the longest step,
	 * gss_accept_sec_context with a keytab in memory, is CPU only): 5 s
	 * leave a wide margin on a loaded host and still notice a stall. */
	cfg->child_timeout = 5;
	/* An idle relayed session costs about 10 KiB of gateway memory (no
	 * frame buffer: relay/framepool.h) and two fds in a relay worker;
	 * 10,000 is what bench/ measures (gssocksd(8) CAPACITY). */
	cfg->max_sessions = 10000;
	cfg->max_unauthenticated = 256;
	cfg->max_unauthenticated_per_address = 32;
	cfg->unauthenticated_prefix_v4 = 32;
	cfg->unauthenticated_prefix_v6 = 64;
	snprintf(cfg->libexec_dir, sizeof(cfg->libexec_dir), "%s", GSSOCKS_LIBEXECDIR);
	cfg->pid_file[0] = '\0';
	snprintf(cfg->replay_cache_dir, sizeof(cfg->replay_cache_dir), "%s",
		 GSSOCKS_STATEDIR "/rcache");
	snprintf(cfg->policy_dir, sizeof(cfg->policy_dir), "%s", GSSOCKS_SYSCONFDIR "/policy");
	snprintf(cfg->syslog_socket, sizeof(cfg->syslog_socket), "%s", "/dev/log");
	snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%s",
		 GSSOCKS_RUNDIR "/control");
	cfg->control_socket_given = false;
	cfg->control_group[0] = '\0';
	snprintf(cfg->user, sizeof(cfg->user), "%s", "gssocks");
	snprintf(cfg->authproc_user, sizeof(cfg->authproc_user), "%s", "gssocks-auth");
	snprintf(cfg->relay_user, sizeof(cfg->relay_user), "%s", "gssocks-relay");
}

void config_levels_arg(const struct master_config *cfg, char *out, size_t outlen)
{
	size_t used = 0;

	out[0] = '\0';
	for (unsigned level = LEVEL_INTEGRITY; level <= LEVEL_SELECTIVE; level++) {
		if (!(cfg->levels & (1u << level)))
			continue;
		int n = snprintf(out + used, outlen - used, "%s%u", used ? "," : "", level);
		if (n < 0 || (size_t)n >= outlen - used)
			return;
		used += (size_t)n;
	}
}

static int level_lookup(const char *s)
{
	for (unsigned level = LEVEL_INTEGRITY; level <= LEVEL_SELECTIVE; level++)
		if (strcmp(s, level_names[level]) == 0)
			return (int)level;
	return -1;
}

static int level_value(struct parse_state *ps, const char *keyword, const char *s)
{
	int level = level_lookup(s);

	if (level > 0)
		return level;
	if (strcmp(s, "clear") == 0)
		return fail(ps, "%s: clear is not a protection level (use allow-clear yes)",
			    keyword);
	return fail(ps, "%s: unknown level \"%s\" (integrity, confidentiality or selective)",
		    keyword, s);
}

static int number_value(struct parse_state *ps, const char *keyword, const char *s,
			unsigned long min, unsigned long max, unsigned *out)
{
	unsigned long v;

	if (parse_uint(s, min, max, &v) < 0)
		return fail(ps, "%s: expected a number from %lu to %lu: \"%s\"",
			    keyword, min, max, s);
	*out = (unsigned)v;
	return 0;
}

static int path_value(struct parse_state *ps, const char *keyword, const char *s,
		      char *out, size_t outlen)
{
	if (s[0] != '/')
		return fail(ps, "%s: not an absolute path: \"%s\"", keyword, s);
	if (strlen(s) >= outlen)
		return fail(ps, "%s: path too long", keyword);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/* A user (or group) name as useradd(8) takes it: [a-z_][a-z0-9_.-]*,
 * at most 32. */
static int name_value(struct parse_state *ps, const char *keyword, const char *what,
		      const char *s, char *out)
{
	size_t len = strlen(s);

	if (len == 0 || len >= CONFIG_USER_MAX)
		return fail(ps, "%s: %s name of 1 to %d characters expected", keyword, what,
			    CONFIG_USER_MAX - 1);
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || c == '_' ||
			  (i > 0 && ((c >= '0' && c <= '9') || c == '.' || c == '-'));
		if (!ok)
			return fail(ps, "%s: not a %s name: \"%s\"", keyword, what, s);
	}
	memcpy(out, s, len + 1);
	return 0;
}

static int user_value(struct parse_state *ps, const char *keyword, const char *s, char *out)
{
	return name_value(ps, keyword, "user", s, out);
}

static int yesno_value(struct parse_state *ps, const char *keyword, const char *s, bool *out)
{
	if (strcmp(s, "yes") == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(s, "no") == 0) {
		*out = false;
		return 0;
	}
	return fail(ps, "%s: expected yes or no: \"%s\"", keyword, s);
}

static int kw_listen(struct parse_state *ps, const char *keyword, char **values, size_t count)
{
	struct master_config *cfg = ps->cfg;
	struct config_listen *l;
	struct sockaddr_storage ss;
	socklen_t sslen;

	if (cfg->listen_count >= CONFIG_LISTEN_MAX)
		return fail(ps, "%s: more than %d addresses", keyword, CONFIG_LISTEN_MAX);
	l = &cfg->listen[cfg->listen_count];
	if (hostport_parse(values[0], l->host, sizeof(l->host), &l->port,
			   CONFIG_DEFAULT_PORT) < 0)
		return fail(ps, "%s: bad address \"%s\" (ADDRESS[:PORT], [IPV6]:PORT)",
			    keyword, values[0]);
	if (strcmp(l->host, "*") != 0 &&
	    sockaddr_parse_numeric(l->host, l->port, &ss, &sslen) < 0)
		return fail(ps, "%s: not a numeric address or *: \"%s\"", keyword, l->host);
	if (l->port == 0)
		return fail(ps, "%s: port must be from 1 to 65535: \"%s\"", keyword, values[0]);
	for (size_t i = 0; i < cfg->listen_count; i++)
		if (strcmp(cfg->listen[i].host, l->host) == 0 && cfg->listen[i].port == l->port)
			return fail(ps, "%s: \"%s\" listed twice", keyword, values[0]);
	cfg->listen_count++;
	(void)count;
	return 0;
}

static int kw_keytab(struct parse_state *ps, const char *keyword, char **values, size_t count)
{
	ps->keytab_line = ps->line;
	return path_value(ps, keyword, values[0], ps->cfg->keytab, sizeof(ps->cfg->keytab));
}

static int kw_libexec_dir(struct parse_state *ps, const char *keyword, char **values, size_t count)
{
	return path_value(ps, keyword, values[0], ps->cfg->libexec_dir,
			  sizeof(ps->cfg->libexec_dir));
}

static int kw_pid_file(struct parse_state *ps, const char *keyword, char **values, size_t count)
{
	return path_value(ps, keyword, values[0], ps->cfg->pid_file, sizeof(ps->cfg->pid_file));
}

static int kw_replay_cache_dir(struct parse_state *ps, const char *keyword, char **values,
			      size_t count)
{
	if (strcmp(values[0], "/") == 0)
		return fail(ps, "%s: not the root directory", keyword);
	return path_value(ps, keyword, values[0], ps->cfg->replay_cache_dir,
			  sizeof(ps->cfg->replay_cache_dir));
}

static int kw_policy_dir(struct parse_state *ps, const char *keyword, char **values, size_t count)
{
	return path_value(ps, keyword, values[0], ps->cfg->policy_dir, sizeof(ps->cfg->policy_dir));
}

static int kw_syslog_socket(struct parse_state *ps, const char *keyword, char **values,
			    size_t count)
{
	/* sun_path holds 108 octets with the NUL */
	if (strlen(values[0]) >= 108)
		return fail(ps, "%s: path too long for a socket address", keyword);
	return path_value(ps, keyword, values[0], ps->cfg->syslog_socket,
			  sizeof(ps->cfg->syslog_socket));
}

/* A unix socket path (sun_path: 108 octets with the NUL), or none. */
static int kw_control_socket(struct parse_state *ps, const char *keyword, char **values,
			     size_t count)
{
	ps->cfg->control_socket_given = true;
	if (strcmp(values[0], "none") == 0) {
		ps->cfg->control_socket[0] = '\0';
		return 0;
	}
	if (strlen(values[0]) >= 108)
		return fail(ps, "%s: path too long for a socket address", keyword);
	if (values[0][strlen(values[0]) - 1] == '/')
		return fail(ps, "%s: a socket path, not a directory: \"%s\"", keyword,
			    values[0]);
	return path_value(ps, keyword, values[0], ps->cfg->control_socket,
			  sizeof(ps->cfg->control_socket));
}

static int kw_control_group(struct parse_state *ps, const char *keyword, char **values,
			    size_t count)
{
	return name_value(ps, keyword, "group", values[0], ps->cfg->control_group);
}

static int kw_relay_workers(struct parse_state *ps, const char *keyword, char **values,
			    size_t count)
{
	return number_value(ps, keyword, values[0], 1, CONFIG_RELAYS_MAX,
			    &ps->cfg->relay_workers);
}

static int kw_authproc_workers(struct parse_state *ps, const char *keyword, char **values,
			       size_t count)
{
	return number_value(ps, keyword, values[0], 1, CONFIG_AUTHPROCS_MAX,
			    &ps->cfg->authproc_workers);
}

static int kw_protection_levels(struct parse_state *ps, const char *keyword, char **values,
				size_t count)
{
	unsigned levels = 0;

	for (size_t i = 0; i < count; i++) {
		char *save = NULL;
		/* "integrity,confidentiality" and "integrity confidentiality" alike */
		for (char *word = strtok_r(values[i], ",", &save); word != NULL;
		     word = strtok_r(NULL, ",", &save)) {
			int level = level_value(ps, keyword, word);
			if (level < 0)
				return -1;
			if (levels & (1u << level))
				return fail(ps, "%s: \"%s\" listed twice", keyword, word);
			levels |= 1u << level;
		}
	}
	if (levels == 0)
		return fail(ps, "%s needs a value", keyword);
	ps->cfg->levels = levels;
	ps->levels_line = ps->line;
	return 0;
}

static int kw_preferred_level(struct parse_state *ps, const char *keyword, char **values,
			      size_t count)
{
	int level = level_value(ps, keyword, values[0]);

	if (level < 0)
		return -1;
	ps->cfg->preferred_level = (unsigned)level;
	ps->preferred_line = ps->line;
	return 0;
}

static int kw_allow_clear(struct parse_state *ps, const char *keyword, char **values, size_t count)
{
	return yesno_value(ps, keyword, values[0], &ps->cfg->allow_clear);
}

static int kw_allow_nec(struct parse_state *ps, const char *keyword, char **values, size_t count)
{
	return yesno_value(ps, keyword, values[0], &ps->cfg->allow_nec);
}

static int kw_selective_wrap(struct parse_state *ps, const char *keyword, char **values,
			     size_t count)
{
	if (strcmp(values[0], "confidentiality") == 0)
		ps->cfg->selective_wrap_integrity = false;
	else if (strcmp(values[0], "integrity") == 0)
		ps->cfg->selective_wrap_integrity = true;
	else
		return fail(ps, "%s: expected confidentiality or integrity: \"%s\"",
			    keyword, values[0]);
	return 0;
}

#define TIMEOUT_MAX 86400ul
#define CHILD_TIMEOUT_MAX 3600ul   /* a stall noticed within the hour at worst */

static int kw_greeting_timeout(struct parse_state *ps, const char *keyword, char **values,
			       size_t count)
{
	return number_value(ps, keyword, values[0], 1, TIMEOUT_MAX, &ps->cfg->greeting_timeout);
}

static int kw_auth_timeout(struct parse_state *ps, const char *keyword, char **values,
			   size_t count)
{
	return number_value(ps, keyword, values[0], 1, TIMEOUT_MAX, &ps->cfg->auth_timeout);
}

static int kw_request_timeout(struct parse_state *ps, const char *keyword, char **values,
			      size_t count)
{
	return number_value(ps, keyword, values[0], 1, TIMEOUT_MAX, &ps->cfg->request_timeout);
}

static int kw_connect_timeout(struct parse_state *ps, const char *keyword, char **values,
			      size_t count)
{
	return number_value(ps, keyword, values[0], 1, TIMEOUT_MAX, &ps->cfg->connect_timeout);
}

static int kw_bind_timeout(struct parse_state *ps, const char *keyword, char **values,
			   size_t count)
{
	return number_value(ps, keyword, values[0], 1, TIMEOUT_MAX, &ps->cfg->bind_timeout);
}

static int kw_idle_timeout(struct parse_state *ps, const char *keyword, char **values,
			   size_t count)
{
	return number_value(ps, keyword, values[0], 0, 7 * TIMEOUT_MAX, &ps->cfg->idle_timeout);
}

static int kw_child_timeout(struct parse_state *ps, const char *keyword, char **values,
			    size_t count)
{
	return number_value(ps, keyword, values[0], 0, CHILD_TIMEOUT_MAX, &ps->cfg->child_timeout);
}

static int kw_max_sessions(struct parse_state *ps, const char *keyword, char **values,
			   size_t count)
{
	return number_value(ps, keyword, values[0], 1, 1000000, &ps->cfg->max_sessions);
}

static int kw_max_unauthenticated(struct parse_state *ps, const char *keyword, char **values,
				  size_t count)
{
	return number_value(ps, keyword, values[0], 1, 1000000, &ps->cfg->max_unauthenticated);
}

static int kw_max_unauthenticated_per_address(struct parse_state *ps, const char *keyword,
					      char **values, size_t count)
{
	return number_value(ps, keyword, values[0], 1, 1000000,
			    &ps->cfg->max_unauthenticated_per_address);
}

static int kw_unauthenticated_prefix_v4(struct parse_state *ps, const char *keyword,
					char **values, size_t count)
{
	return number_value(ps, keyword, values[0], 1, 32, &ps->cfg->unauthenticated_prefix_v4);
}

static int kw_unauthenticated_prefix_v6(struct parse_state *ps, const char *keyword,
					char **values, size_t count)
{
	return number_value(ps, keyword, values[0], 1, 128, &ps->cfg->unauthenticated_prefix_v6);
}

static int kw_user(struct parse_state *ps, const char *keyword, char **values, size_t count)
{
	return user_value(ps, keyword, values[0], ps->cfg->user);
}

static int kw_authproc_user(struct parse_state *ps, const char *keyword, char **values,
			    size_t count)
{
	return user_value(ps, keyword, values[0], ps->cfg->authproc_user);
}

static int kw_relay_user(struct parse_state *ps, const char *keyword, char **values,
			 size_t count)
{
	return user_value(ps, keyword, values[0], ps->cfg->relay_user);
}

static int kw_sandbox_without_landlock(struct parse_state *ps, const char *keyword,
				       char **values, size_t count)
{
	return yesno_value(ps, keyword, values[0], &ps->cfg->sandbox_without_landlock);
}

/* CIDRs as gssocks-policy(5) writes them (policy/dest.c parses both). */
static int kw_proxy_protocol_from(struct parse_state *ps, const char *keyword, char **values,
				  size_t count)
{
	struct master_config *cfg = ps->cfg;

	for (size_t i = 0; i < count; i++) {
		struct address_block *b = &cfg->proxy_from[cfg->proxy_from_count];
		const char *why;

		if (cfg->proxy_from_count >= CONFIG_PROXY_FROM_MAX)
			return fail(ps, "%s: more than %d address blocks", keyword,
				    CONFIG_PROXY_FROM_MAX);
		why = address_block_parse(values[i], b);
		if (why != NULL)
			return fail(ps, "%s: \"%s\": %s", keyword, values[i], why);
		cfg->proxy_from_count++;
	}
	return 0;
}

static const struct keyword keywords[] = {
	{ "listen", kw_listen, true, false },
	{ "keytab", kw_keytab, false, false },
	{ "relay-workers", kw_relay_workers, false, false },
	{ "authproc-workers", kw_authproc_workers, false, false },
	{ "protection-levels", kw_protection_levels, false, true },
	{ "preferred-level", kw_preferred_level, false, false },
	{ "allow-clear", kw_allow_clear, false, false },
	{ "allow-nec", kw_allow_nec, false, false },
	{ "selective-wrap", kw_selective_wrap, false, false },
	{ "greeting-timeout", kw_greeting_timeout, false, false },
	{ "auth-timeout", kw_auth_timeout, false, false },
	{ "request-timeout", kw_request_timeout, false, false },
	{ "connect-timeout", kw_connect_timeout, false, false },
	{ "bind-timeout", kw_bind_timeout, false, false },
	{ "idle-timeout", kw_idle_timeout, false, false },
	{ "child-timeout", kw_child_timeout, false, false },
	{ "max-sessions", kw_max_sessions, false, false },
	{ "max-unauthenticated", kw_max_unauthenticated, false, false },
	{ "max-unauthenticated-per-address", kw_max_unauthenticated_per_address, false, false },
	{ "unauthenticated-prefix-v4", kw_unauthenticated_prefix_v4, false, false },
	{ "unauthenticated-prefix-v6", kw_unauthenticated_prefix_v6, false, false },
	{ "libexec-dir", kw_libexec_dir, false, false },
	{ "pid-file", kw_pid_file, false, false },
	{ "replay-cache-dir", kw_replay_cache_dir, false, false },
	{ "policy-dir", kw_policy_dir, false, false },
	{ "syslog-socket", kw_syslog_socket, false, false },
	{ "control-socket", kw_control_socket, false, false },
	{ "control-group", kw_control_group, false, false },
	{ "user", kw_user, false, false },
	{ "authproc-user", kw_authproc_user, false, false },
	{ "relay-user", kw_relay_user, false, false },
	{ "sandbox-without-landlock", kw_sandbox_without_landlock, false, false },
	{ "proxy-protocol-from", kw_proxy_protocol_from, true, true },
};

#define KEYWORD_COUNT (sizeof(keywords) / sizeof(keywords[0]))

const char *config_keyword(size_t i)
{
	return i < KEYWORD_COUNT ? keywords[i].name : NULL;
}

/* Split line into words; a word starting with '#' ends the line. */
static size_t split_words(char *line, char **words, size_t max, bool *overflow)
{
	size_t count = 0;
	char *save = NULL;

	*overflow = false;
	for (char *w = strtok_r(line, " \t\r\n", &save); w != NULL;
	     w = strtok_r(NULL, " \t\r\n", &save)) {
		if (w[0] == '#')
			break;
		if (count == max) {
			*overflow = true;
			break;
		}
		words[count++] = w;
	}
	return count;
}

static int parse_line(struct parse_state *ps, char *line, unsigned *seen)
{
	char *words[CONFIG_WORDS_MAX];
	bool overflow;
	size_t count = split_words(line, words, CONFIG_WORDS_MAX, &overflow);
	size_t k;

	if (count == 0)
		return 0;
	if (overflow)
		return fail(ps, "too many words on the line");
	for (k = 0; k < KEYWORD_COUNT; k++)
		if (strcmp(words[0], keywords[k].name) == 0)
			break;
	if (k == KEYWORD_COUNT)
		return fail(ps, "unknown keyword \"%s\"", words[0]);
	if (!keywords[k].repeatable && seen[k] != 0)
		return fail(ps, "%s given more than once (first on line %u)",
			    keywords[k].name, seen[k]);
	if (count < 2)
		return fail(ps, "%s needs a value", keywords[k].name);
	if (!keywords[k].list && count > 2)
		return fail(ps, "%s takes one value", keywords[k].name);
	seen[k] = ps->line;
	return keywords[k].handler(ps, keywords[k].name, words + 1, count - 1);
}

/*
 * The canonical form of path in out (PATH_MAX): realpath() of the path, or
 * of its directory plus its last name when the file is not there (yet).
 * false when neither resolves: nothing to compare then.
 */
static bool resolve_path(const char *path, char *out)
{
	char dir[PATH_MAX], real_dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t dirlen;
	int n;

	if (realpath(path, out) != NULL)
		return true;
	if (slash == NULL || slash[1] == '\0')
		return false;
	dirlen = slash == path ? 1 : (size_t)(slash - path);
	if (dirlen >= sizeof(dir))
		return false;
	memcpy(dir, path, dirlen);
	dir[dirlen] = '\0';
	if (realpath(dir, real_dir) == NULL)
		return false;
	n = snprintf(out, PATH_MAX, "%s/%s", strcmp(real_dir, "/") == 0 ? "" : real_dir,
		     slash + 1);
	return n > 0 && n < PATH_MAX;
}

/*
 * Invariant 1: the master never reads the keytab.  Its Landlock rules let
 * it read the configuration file and the policy-dir tree (sandbox.c), so a
 * keytab there would be readable by the master: refused.  Compared by
 * realpath(), so a symbolic link or "/../" cannot hide it.
 */
static int check_keytab_place(struct parse_state *ps)
{
	const struct master_config *cfg = ps->cfg;
	char keytab[PATH_MAX], policy[PATH_MAX], conf[PATH_MAX];
	size_t len;

	if (!resolve_path(cfg->keytab, keytab))
		return 0;
	ps->line = ps->keytab_line;
	if (realpath(ps->path, conf) != NULL && strcmp(keytab, conf) == 0)
		return fail(ps, "keytab %s is the configuration file, which the master may read",
			    cfg->keytab);
	if (realpath(cfg->policy_dir, policy) == NULL)
		return 0;
	len = strlen(policy);
	if (strcmp(policy, "/") == 0 ||
	    (strncmp(keytab, policy, len) == 0 && (keytab[len] == '/' || keytab[len] == '\0')))
		return fail(ps, "keytab %s lies inside policy-dir %s, which the master may read",
			    cfg->keytab, cfg->policy_dir);
	return 0;
}

/* Checks that involve several keywords, once the file is read. */
static int check_whole(struct parse_state *ps)
{
	struct master_config *cfg = ps->cfg;

	if (check_keytab_place(ps) < 0)
		return -1;

	if (!(cfg->levels & (1u << cfg->preferred_level))) {
		ps->line = ps->preferred_line ? ps->preferred_line : ps->levels_line;
		return fail(ps, "preferred-level %s is not in protection-levels",
			    level_names[cfg->preferred_level]);
	}
	return 0;
}

int config_load(const char *path, struct master_config *cfg, char *err, size_t errlen)
{
	char why[CONFIG_ERROR_MAX];
	unsigned seen[KEYWORD_COUNT] = { 0 };
	struct parse_state ps = {
		.cfg = cfg, .why = why, .whylen = sizeof(why), .line = 0, .path = path,
	};
	char *line = NULL;
	size_t linecap = 0;
	ssize_t len;
	FILE *fp;
	int rc = 0;

	config_defaults(cfg);
	why[0] = '\0';
	fp = fopen(path, "re");
	if (fp == NULL) {
		snprintf(err, errlen, "%s:0: cannot open: %s", path, strerror(errno));
		return -1;
	}
	errno = 0;
	while ((len = getline(&line, &linecap, fp)) >= 0) {
		ps.line++;
		if (len > CONFIG_LINE_MAX) {
			rc = fail(&ps, "line too long (more than %d characters)", CONFIG_LINE_MAX);
			break;
		}
		if (memchr(line, '\0', (size_t)len) != NULL) {
			rc = fail(&ps, "NUL byte in line");
			break;
		}
		if (parse_line(&ps, line, seen) < 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(fp))
		rc = fail(&ps, "read error: %s", strerror(errno));
	free(line);
	fclose(fp);
	if (rc == 0)
		rc = check_whole(&ps);
	if (rc < 0)
		snprintf(err, errlen, "%s:%u: %s", path, ps.line, why);
	return rc;
}
