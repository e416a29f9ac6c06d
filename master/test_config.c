/*
 * test_config.c - unit test (TAP) for config_file.c: every keyword of
 * gssocksd.conf(5), its default, and every error message with its line.
 *
 * Trust zone: test.  Each case writes a temporary file and loads it.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_file.h"

static int test_number;
static int failures;
static char tmpdir[] = "/tmp/gssocks-test-config-XXXXXX";

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

static const char *write_file(const char *content, size_t len)
{
	static char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/gssocksd.conf", tmpdir);
	fp = fopen(path, "w");
	if (fp == NULL || fwrite(content, 1, len, fp) != len || fclose(fp) != 0) {
		printf("Bail out! cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return path;
}

static int load_text(const char *content, struct master_config *cfg, char *err, size_t errlen)
{
	return config_load(write_file(content, strlen(content)), cfg, err, errlen);
}

static void test_defaults(void)
{
	struct master_config cfg;
	char err[CONFIG_ERROR_MAX] = "";
	char levels[16];

	ok(load_text("", &cfg, err, sizeof(err)) == 0, "empty file loads (%s)", err);
	ok(cfg.listen_count == 0, "listen: none given means the default");
	ok(strcmp(cfg.keytab, "/etc/gssocks/gssocks.keytab") == 0, "keytab default");
	ok(cfg.relay_workers == 2, "relay-workers default 2");
	ok(cfg.authproc_workers == config_default_authprocs(sysconf(_SC_NPROCESSORS_ONLN)),
	   "authproc-workers default follows the online CPUs (%u)", cfg.authproc_workers);
	ok(config_default_authprocs(-1) == 1 && config_default_authprocs(0) == 1,
	   "authproc-workers default 1 when the CPU count is unknown");
	ok(config_default_authprocs(1) == 1 && config_default_authprocs(2) == 2 &&
	   config_default_authprocs(3) == 3 && config_default_authprocs(4) == 4,
	   "authproc-workers default: one per CPU");
	ok(config_default_authprocs(5) == 4 && config_default_authprocs(256) == 4,
	   "authproc-workers default at most 4");
	config_levels_arg(&cfg, levels, sizeof(levels));
	ok(strcmp(levels, "1,2,3") == 0, "protection-levels default 1,2,3 (%s)", levels);
	ok(cfg.preferred_level == 2, "preferred-level default confidentiality");
	ok(!cfg.allow_clear, "allow-clear default no");
	ok(!cfg.allow_nec, "allow-nec default no");
	ok(!cfg.selective_wrap_integrity, "selective-wrap default confidentiality");
	ok(cfg.greeting_timeout == 10, "greeting-timeout default 10");
	ok(cfg.auth_timeout == 30, "auth-timeout default 30");
	ok(cfg.request_timeout == 30, "request-timeout default 30");
	ok(cfg.connect_timeout == 30, "connect-timeout default 30");
	ok(cfg.bind_timeout == 120, "bind-timeout default 120");
	ok(cfg.idle_timeout == 3600, "idle-timeout default 3600");
	ok(cfg.child_timeout == 5, "child-timeout default 5");
	ok(cfg.max_sessions == 10000, "max-sessions default 10000");
	ok(cfg.max_unauthenticated == 256, "max-unauthenticated default 256");
	ok(cfg.max_unauthenticated_per_address == 32, "max-unauthenticated-per-address default 32");
	ok(cfg.unauthenticated_prefix_v4 == 32, "unauthenticated-prefix-v4 default 32");
	ok(cfg.unauthenticated_prefix_v6 == 64, "unauthenticated-prefix-v6 default 64");
	ok(strcmp(cfg.libexec_dir, GSSOCKS_LIBEXECDIR) == 0, "libexec-dir default");
	ok(cfg.pid_file[0] == '\0', "pid-file default none");
	ok(strcmp(cfg.replay_cache_dir, GSSOCKS_STATEDIR "/rcache") == 0,
	   "replay-cache-dir default %s/rcache", GSSOCKS_STATEDIR);
	ok(strcmp(cfg.policy_dir, GSSOCKS_SYSCONFDIR "/policy") == 0, "policy-dir default");
	ok(strcmp(cfg.syslog_socket, "/dev/log") == 0, "syslog-socket default /dev/log");
	ok(strcmp(cfg.user, "gssocks") == 0, "user default gssocks");
	ok(strcmp(cfg.authproc_user, "gssocks-auth") == 0, "authproc-user default gssocks-auth");
	ok(strcmp(cfg.relay_user, "gssocks-relay") == 0, "relay-user default gssocks-relay");
	ok(!cfg.sandbox_without_landlock, "sandbox-without-landlock default no");
	ok(cfg.proxy_from_count == 0, "proxy-protocol-from default none");
	ok(strcmp(cfg.control_socket, GSSOCKS_RUNDIR "/control") == 0 && !cfg.control_socket_given,
	   "control-socket default %s/control, not given", GSSOCKS_RUNDIR);
	ok(cfg.control_group[0] == '\0', "control-group default none");
}

static void test_every_keyword(void)
{
	static const char text[] =
		"# a full configuration\n"
		"\n"
		"listen 127.0.0.1:1081\n"
		"listen\t[::1]:1082   # IPv6\n"
		"listen 0.0.0.0\n"
		"listen *:1083\n"
		"keytab /srv/gssocks/keytab\n"
		"relay-workers 5\n"
		"authproc-workers 3\n"
		"protection-levels integrity,selective\n"
		"preferred-level selective\n"
		"allow-clear yes\n"
		"allow-nec yes\n"
		"selective-wrap integrity\n"
		"greeting-timeout 3\n"
		"auth-timeout 4\n"
		"request-timeout 6\n"
		"connect-timeout 7\n"
		"bind-timeout 8\n"
		"idle-timeout 600\n"
		"child-timeout 2\n"
		"max-sessions 99\n"
		"max-unauthenticated 17\n"
		"max-unauthenticated-per-address 3\n"
		"unauthenticated-prefix-v4 24\n"
		"unauthenticated-prefix-v6 128\n"
		"libexec-dir /opt/gssocks/libexec\n"
		"pid-file /run/gssocksd.pid\n"
		"replay-cache-dir /var/cache/gw/rcache\n"
		"policy-dir /srv/gssocks/policy\n"
		"syslog-socket /run/test/log\n"
		"control-socket /run/gw/ctl.sock\n"
		"control-group gw-admin\n"
		"user gw_master\n"
		"authproc-user gw-auth.1\n"
		"relay-user _relay\n"
		"sandbox-without-landlock yes\n"
		"proxy-protocol-from 127.0.0.1 10.1.0.0/16\n"
		"proxy-protocol-from 2001:db8::/64\n";
	struct master_config cfg;
	char err[CONFIG_ERROR_MAX] = "";
	char levels[16];

	ok(load_text(text, &cfg, err, sizeof(err)) == 0, "every keyword loads (%s)", err);
	ok(cfg.listen_count == 4, "four listen addresses");
	ok(strcmp(cfg.listen[0].host, "127.0.0.1") == 0 && cfg.listen[0].port == 1081,
	   "listen IPv4 with port");
	ok(strcmp(cfg.listen[1].host, "::1") == 0 && cfg.listen[1].port == 1082,
	   "listen [IPv6]:port");
	ok(strcmp(cfg.listen[2].host, "0.0.0.0") == 0 && cfg.listen[2].port == 1080,
	   "listen without port gets 1080");
	ok(strcmp(cfg.listen[3].host, "*") == 0 && cfg.listen[3].port == 1083, "listen *:port");
	ok(strcmp(cfg.keytab, "/srv/gssocks/keytab") == 0, "keytab");
	ok(cfg.relay_workers == 5, "relay-workers");
	ok(cfg.authproc_workers == 3, "authproc-workers");
	config_levels_arg(&cfg, levels, sizeof(levels));
	ok(strcmp(levels, "1,3") == 0, "protection-levels comma list (%s)", levels);
	ok(cfg.preferred_level == 3, "preferred-level");
	ok(cfg.allow_clear, "allow-clear yes");
	ok(cfg.allow_nec, "allow-nec yes");
	ok(cfg.selective_wrap_integrity, "selective-wrap integrity");
	ok(cfg.greeting_timeout == 3, "greeting-timeout");
	ok(cfg.auth_timeout == 4, "auth-timeout");
	ok(cfg.request_timeout == 6, "request-timeout");
	ok(cfg.connect_timeout == 7, "connect-timeout");
	ok(cfg.bind_timeout == 8, "bind-timeout");
	ok(cfg.idle_timeout == 600, "idle-timeout");
	ok(cfg.child_timeout == 2, "child-timeout");
	ok(cfg.max_sessions == 99, "max-sessions");
	ok(cfg.max_unauthenticated == 17, "max-unauthenticated");
	ok(cfg.max_unauthenticated_per_address == 3, "max-unauthenticated-per-address");
	ok(cfg.unauthenticated_prefix_v4 == 24, "unauthenticated-prefix-v4");
	ok(cfg.unauthenticated_prefix_v6 == 128, "unauthenticated-prefix-v6");
	ok(strcmp(cfg.libexec_dir, "/opt/gssocks/libexec") == 0, "libexec-dir");
	ok(strcmp(cfg.pid_file, "/run/gssocksd.pid") == 0, "pid-file");
	ok(strcmp(cfg.replay_cache_dir, "/var/cache/gw/rcache") == 0, "replay-cache-dir");
	ok(strcmp(cfg.policy_dir, "/srv/gssocks/policy") == 0, "policy-dir");
	ok(strcmp(cfg.syslog_socket, "/run/test/log") == 0, "syslog-socket");
	ok(strcmp(cfg.control_socket, "/run/gw/ctl.sock") == 0 && cfg.control_socket_given,
	   "control-socket");
	ok(strcmp(cfg.control_group, "gw-admin") == 0, "control-group");
	ok(strcmp(cfg.user, "gw_master") == 0, "user");
	ok(strcmp(cfg.authproc_user, "gw-auth.1") == 0, "authproc-user");
	ok(strcmp(cfg.relay_user, "_relay") == 0, "relay-user");
	ok(cfg.sandbox_without_landlock, "sandbox-without-landlock yes");
	ok(cfg.proxy_from_count == 3 && !cfg.proxy_from[0].v6 && cfg.proxy_from[0].prefix == 32 &&
	   !cfg.proxy_from[1].v6 && cfg.proxy_from[1].prefix == 16 &&
	   cfg.proxy_from[1].addr[0] == 10 && cfg.proxy_from[1].addr[1] == 1 &&
	   cfg.proxy_from[2].v6 && cfg.proxy_from[2].prefix == 64,
	   "proxy-protocol-from: a list, repeated, IPv4 and IPv6");

	ok(load_text("protection-levels selective confidentiality\nallow-clear no\n"
		     "allow-nec no\nselective-wrap confidentiality\nidle-timeout 0\n"
		     "child-timeout 0\n",
		     &cfg, err, sizeof(err)) == 0, "space list, no, confidentiality (%s)", err);
	config_levels_arg(&cfg, levels, sizeof(levels));
	ok(strcmp(levels, "2,3") == 0 && !cfg.allow_clear && !cfg.allow_nec &&
	   !cfg.selective_wrap_integrity && cfg.idle_timeout == 0 && cfg.child_timeout == 0,
	   "values read back");
	ok(load_text("control-socket none\n", &cfg, err, sizeof(err)) == 0 &&
	   cfg.control_socket[0] == '\0' && cfg.control_socket_given,
	   "control-socket none: no socket (%s)", err);
}

struct error_case {
	const char *text;
	const char *expect;     /* after "path:" */
};

static const struct error_case error_cases[] = {
	{ "bogus value\n", "1: unknown keyword \"bogus\"" },
	{ "# c\n\nkeytab /a\nkeytab /b\n", "4: keytab given more than once (first on line 3)" },
	{ "keytab\n", "1: keytab needs a value" },
	{ "keytab /a /b\n", "1: keytab takes one value" },
	{ "keytab relative\n", "1: keytab: not an absolute path: \"relative\"" },
	{ "libexec-dir lib\n", "1: libexec-dir: not an absolute path: \"lib\"" },
	{ "pid-file run.pid\n", "1: pid-file: not an absolute path: \"run.pid\"" },
	{ "replay-cache-dir rcache\n",
	  "1: replay-cache-dir: not an absolute path: \"rcache\"" },
	{ "replay-cache-dir /\n", "1: replay-cache-dir: not the root directory" },
	{ "policy-dir policy\n", "1: policy-dir: not an absolute path: \"policy\"" },
	{ "syslog-socket /" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	  "1: syslog-socket: path too long for a socket address" },
	{ "relay-workers 0\n", "1: relay-workers: expected a number from 1 to 64: \"0\"" },
	{ "relay-workers 65\n", "1: relay-workers: expected a number from 1 to 64: \"65\"" },
	{ "relay-workers two\n", "1: relay-workers: expected a number from 1 to 64: \"two\"" },
	{ "authproc-workers 0\n", "1: authproc-workers: expected a number from 1 to 16: \"0\"" },
	{ "authproc-workers 17\n",
	  "1: authproc-workers: expected a number from 1 to 16: \"17\"" },
	{ "authproc-workers 2 3\n", "1: authproc-workers takes one value" },
	{ "greeting-timeout 0\n", "1: greeting-timeout: expected a number from 1 to 86400: \"0\"" },
	{ "auth-timeout 86401\n", "1: auth-timeout: expected a number from 1 to 86400: \"86401\"" },
	{ "request-timeout -1\n", "1: request-timeout: expected a number from 1 to 86400: \"-1\"" },
	{ "connect-timeout 5s\n", "1: connect-timeout: expected a number from 1 to 86400: \"5s\"" },
	{ "bind-timeout 0\n", "1: bind-timeout: expected a number from 1 to 86400: \"0\"" },
	{ "idle-timeout 604801\n",
	  "1: idle-timeout: expected a number from 0 to 604800: \"604801\"" },
	{ "child-timeout 3601\n",
	  "1: child-timeout: expected a number from 0 to 3600: \"3601\"" },
	{ "child-timeout 2s\n", "1: child-timeout: expected a number from 0 to 3600: \"2s\"" },
	{ "max-sessions 0\n", "1: max-sessions: expected a number from 1 to 1000000: \"0\"" },
	{ "user Root\n", "1: user: not a user name: \"Root\"" },
	{ "control-socket run/control\n",
	  "1: control-socket: not an absolute path: \"run/control\"" },
	{ "control-socket /run/gssocks/\n",
	  "1: control-socket: a socket path, not a directory: \"/run/gssocks/\"" },
	{ "control-socket /" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	  "1: control-socket: path too long for a socket address" },
	{ "control-socket /a b\n", "1: control-socket takes one value" },
	{ "control-group Wheel\n", "1: control-group: not a group name: \"Wheel\"" },
	{ "control-group aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	  "1: control-group: group name of 1 to 32 characters expected" },
	{ "control-group adm\ncontrol-group wheel\n",
	  "2: control-group given more than once (first on line 1)" },
	{ "authproc-user 1auth\n", "1: authproc-user: not a user name: \"1auth\"" },
	{ "relay-user a/b\n", "1: relay-user: not a user name: \"a/b\"" },
	{ "user aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	  "1: user: user name of 1 to 32 characters expected" },
	{ "relay-user a\nrelay-user b\n", "2: relay-user given more than once (first on line 1)" },
	{ "max-unauthenticated 0\n",
	  "1: max-unauthenticated: expected a number from 1 to 1000000: \"0\"" },
	{ "max-unauthenticated many\n",
	  "1: max-unauthenticated: expected a number from 1 to 1000000: \"many\"" },
	{ "max-unauthenticated-per-address 1000001\n",
	  "1: max-unauthenticated-per-address: expected a number from 1 to 1000000: \"1000001\"" },
	{ "max-unauthenticated-per-address 4\nmax-unauthenticated-per-address 5\n",
	  "2: max-unauthenticated-per-address given more than once (first on line 1)" },
	{ "unauthenticated-prefix-v4 0\n",
	  "1: unauthenticated-prefix-v4: expected a number from 1 to 32: \"0\"" },
	{ "unauthenticated-prefix-v4 33\n",
	  "1: unauthenticated-prefix-v4: expected a number from 1 to 32: \"33\"" },
	{ "unauthenticated-prefix-v6 129\n",
	  "1: unauthenticated-prefix-v6: expected a number from 1 to 128: \"129\"" },
	{ "unauthenticated-prefix-v6 /64\n",
	  "1: unauthenticated-prefix-v6: expected a number from 1 to 128: \"/64\"" },
	{ "unauthenticated-prefix-v6 64\nunauthenticated-prefix-v6 56\n",
	  "2: unauthenticated-prefix-v6 given more than once (first on line 1)" },
	{ "protection-levels clear\n",
	  "1: protection-levels: clear is not a protection level (use allow-clear yes)" },
	{ "protection-levels integrity bogus\n",
	  "1: protection-levels: unknown level \"bogus\" (integrity, confidentiality or selective)" },
	{ "protection-levels integrity,integrity\n",
	  "1: protection-levels: \"integrity\" listed twice" },
	{ "protection-levels ,\n", "1: protection-levels needs a value" },
	{ "preferred-level clear\n",
	  "1: preferred-level: clear is not a protection level (use allow-clear yes)" },
	{ "preferred-level 2\n",
	  "1: preferred-level: unknown level \"2\" (integrity, confidentiality or selective)" },
	{ "protection-levels integrity\n",
	  "1: preferred-level confidentiality is not in protection-levels" },
	{ "protection-levels integrity\npreferred-level selective\n",
	  "2: preferred-level selective is not in protection-levels" },
	{ "allow-clear maybe\n", "1: allow-clear: expected yes or no: \"maybe\"" },
	{ "sandbox-without-landlock 1\n",
	  "1: sandbox-without-landlock: expected yes or no: \"1\"" },
	{ "allow-nec 1\n", "1: allow-nec: expected yes or no: \"1\"" },
	{ "selective-wrap none\n",
	  "1: selective-wrap: expected confidentiality or integrity: \"none\"" },
	{ "proxy-protocol-from\n", "1: proxy-protocol-from needs a value" },
	{ "proxy-protocol-from 127.0.0.1 haproxy.example\n",
	  "1: proxy-protocol-from: \"haproxy.example\": not an address or address/prefix" },
	{ "proxy-protocol-from 10.0.0.1/8\n",
	  "1: proxy-protocol-from: \"10.0.0.1/8\": address has bits set after the prefix length" },
	{ "proxy-protocol-from 10.0.0.0/33\n",
	  "1: proxy-protocol-from: \"10.0.0.0/33\": invalid prefix length (0..32)" },
	{ "proxy-protocol-from any\n",
	  "1: proxy-protocol-from: \"any\": not an address or address/prefix" },
	{ "listen localhost:1080\n", "1: listen: not a numeric address or *: \"localhost\"" },
	{ "listen [::1\n", "1: listen: bad address \"[::1\" (ADDRESS[:PORT], [IPV6]:PORT)" },
	{ "listen 127.0.0.1:99999\n",
	  "1: listen: bad address \"127.0.0.1:99999\" (ADDRESS[:PORT], [IPV6]:PORT)" },
	{ "listen 127.0.0.1:0\n", "1: listen: port must be from 1 to 65535: \"127.0.0.1:0\"" },
	{ "listen 127.0.0.1:1\nlisten 127.0.0.1:1\n", "2: listen: \"127.0.0.1:1\" listed twice" },
	{ "protection-levels integrity confidentiality selective integrity confidentiality "
	  "selective integrity confidentiality selective integrity confidentiality selective "
	  "integrity confidentiality selective integrity\n",
	  "1: too many words on the line" },
};

static void test_errors(void)
{
	struct master_config cfg;
	char err[CONFIG_ERROR_MAX];
	char expect[CONFIG_ERROR_MAX + 300];

	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const char *path = write_file(error_cases[i].text, strlen(error_cases[i].text));
		err[0] = '\0';
		int rc = config_load(path, &cfg, err, sizeof(err));
		snprintf(expect, sizeof(expect), "%s:%s", path, error_cases[i].expect);
		ok(rc == -1 && strcmp(err, expect) == 0, "error: %s (got: %s)",
		   error_cases[i].expect, err);
	}
}

static void test_special_errors(void)
{
	struct master_config cfg;
	char err[CONFIG_ERROR_MAX];
	char expect[CONFIG_ERROR_MAX + 300];
	static char big[20000];
	const char *path;
	int rc;

	/* 17 listen lines: one more than the table holds */
	big[0] = '\0';
	for (int i = 0; i < 17; i++) {
		char line[64];
		snprintf(line, sizeof(line), "listen 127.0.0.1:%d\n", 2000 + i);
		strcat(big, line);
	}
	path = write_file(big, strlen(big));
	rc = config_load(path, &cfg, err, sizeof(err));
	snprintf(expect, sizeof(expect), "%s:17: listen: more than 16 addresses", path);
	ok(rc == -1 && strcmp(err, expect) == 0, "17th listen refused (%s)", err);

	/* 65 address blocks: one more than the table holds */
	big[0] = '\0';
	for (int i = 0; i < 65; i++) {
		char line[64];
		snprintf(line, sizeof(line), "proxy-protocol-from 10.0.%d.0/24\n", i);
		strcat(big, line);
	}
	path = write_file(big, strlen(big));
	rc = config_load(path, &cfg, err, sizeof(err));
	snprintf(expect, sizeof(expect), "%s:65: proxy-protocol-from: more than 64 address blocks",
		 path);
	ok(rc == -1 && strcmp(err, expect) == 0, "65th proxy-protocol-from block refused (%s)", err);

	/* a path longer than PATH_MAX */
	strcpy(big, "keytab /");
	memset(big + 8, 'k', 5000);
	strcpy(big + 8 + 5000, "\n");
	path = write_file(big, strlen(big));
	rc = config_load(path, &cfg, err, sizeof(err));
	snprintf(expect, sizeof(expect), "%s:1: keytab: path too long", path);
	ok(rc == -1 && strcmp(err, expect) == 0, "long path refused (%s)", err);

	/* a line longer than the parser takes */
	strcpy(big, "# fine\nkeytab /");
	memset(big + 15, 'x', 9000);
	strcpy(big + 15 + 9000, "\n");
	path = write_file(big, strlen(big));
	rc = config_load(path, &cfg, err, sizeof(err));
	snprintf(expect, sizeof(expect), "%s:2: line too long (more than 8192 characters)", path);
	ok(rc == -1 && strcmp(err, expect) == 0, "long line refused (%s)", err);

	/* a NUL byte hides the rest of a line from a C string parser */
	path = write_file("keytab /a\nkeytab /b\0x\n", 22);
	rc = config_load(path, &cfg, err, sizeof(err));
	snprintf(expect, sizeof(expect), "%s:2: NUL byte in line", path);
	ok(rc == -1 && strcmp(err, expect) == 0, "NUL byte refused (%s)", err);

	/* a file that is not there */
	char missing[PATH_MAX];
	snprintf(missing, sizeof(missing), "%s/missing.conf", tmpdir);
	rc = config_load(missing, &cfg, err, sizeof(err));
	snprintf(expect, sizeof(expect), "%s:0: cannot open: %s", missing, strerror(ENOENT));
	ok(rc == -1 && strcmp(err, expect) == 0, "missing file (%s)", err);

	/* a directory opens but cannot be read */
	rc = config_load(tmpdir, &cfg, err, sizeof(err));
	snprintf(expect, sizeof(expect), "%s:0: read error: %s", tmpdir, strerror(EISDIR));
	ok(rc == -1 && strcmp(err, expect) == 0, "directory (%s)", err);
}

/* Invariant 1: no keytab where the master's Landlock rules let it read. */
static void test_keytab_place(void)
{
	struct master_config cfg;
	char err[CONFIG_ERROR_MAX];
	char text[1200], expect[CONFIG_ERROR_MAX + 300], policy[300], link[300];
	const char *path;
	int rc;

	snprintf(policy, sizeof(policy), "%s/policy", tmpdir);
	snprintf(link, sizeof(link), "%s/policy-link", tmpdir);
	if (mkdir(policy, 0700) < 0 || symlink(policy, link) < 0) {
		printf("Bail out! %s: %s\n", policy, strerror(errno));
		exit(1);
	}
	/* inside, named through a symbolic link and "..": still refused */
	snprintf(text, sizeof(text), "policy-dir %s\n# x\nkeytab %s/../policy-link/k.keytab\n",
		 policy, policy);
	path = write_file(text, strlen(text));
	rc = config_load(path, &cfg, err, sizeof(err));
	snprintf(expect, sizeof(expect),
		 "%s:3: keytab %s/../policy-link/k.keytab lies inside policy-dir %s, "
		 "which the master may read", path, policy, policy);
	ok(rc == -1 && strcmp(err, expect) == 0, "keytab inside policy-dir refused (%s)", err);

	/* the policy-dir itself, given through the link */
	snprintf(text, sizeof(text), "keytab %s\npolicy-dir %s\n", policy, link);
	path = write_file(text, strlen(text));
	rc = config_load(path, &cfg, err, sizeof(err));
	snprintf(expect, sizeof(expect),
		 "%s:1: keytab %s lies inside policy-dir %s, which the master may read",
		 path, policy, link);
	ok(rc == -1 && strcmp(err, expect) == 0, "keytab = policy-dir refused (%s)", err);

	/* the configuration file itself */
	snprintf(text, sizeof(text), "policy-dir %s\nkeytab %s/gssocksd.conf\n", policy, tmpdir);
	path = write_file(text, strlen(text));
	rc = config_load(path, &cfg, err, sizeof(err));
	snprintf(expect, sizeof(expect),
		 "%s:2: keytab %s/gssocksd.conf is the configuration file, "
		 "which the master may read", path, tmpdir);
	ok(rc == -1 && strcmp(err, expect) == 0, "keytab = configuration file refused (%s)", err);

	/* beside it, with a name that starts like it: accepted */
	snprintf(text, sizeof(text), "policy-dir %s\nkeytab %s.keytab\n", policy, policy);
	path = write_file(text, strlen(text));
	rc = config_load(path, &cfg, err, sizeof(err));
	ok(rc == 0, "keytab beside policy-dir accepted (%s)", rc == 0 ? "" : err);

	unlink(link);
	rmdir(policy);
}

int main(void)
{
	char path[300];

	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_defaults();
	test_every_keyword();
	test_errors();
	test_special_errors();
	test_keytab_place();
	printf("1..%d\n", test_number);
	snprintf(path, sizeof(path), "%s/gssocksd.conf", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	return failures == 0 ? 0 : 1;
}
