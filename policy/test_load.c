/*
 * test_load.c - tests for policy/principal.c and load.c: principal <->
 * file name encoding (both ways, canonical form only), loading a policy
 * directory, lookup order (own file, @REALM, default, none), every loader
 * error, policy_check_dir() output, and reference counting across a failed
 * and a successful reload.
 *
 * Trust zone: tests.  Works in a fresh mkdtemp() directory under TMPDIR.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy.h"
#include "tap.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

struct name_case {
	const char *principal;
	const char *file;          /* NULL: the principal is refused */
};

static const struct name_case name_cases[] = {
	{ "alice@EXAMPLE.COM", "alice@EXAMPLE.COM" },
	{ "host/gw.example.com@EXAMPLE.COM", "host%2Fgw.example.com@EXAMPLE.COM" },
	{ "a/b/c@R", "a%2Fb%2Fc@R" },
	{ "100%@R", "100%25@R" },
	{ "%2F@R", "%252F@R" },
	{ ".hidden@R", "%2Ehidden@R" },
	{ "a.b@R.", "a.b@R." },
	{ "@EXAMPLE.COM", "@EXAMPLE.COM" },
	{ "a\\@b@R", "a\\@b@R" },
	{ "x@y@R", "x@y@R" },
	{ "caf\xc3\xa9@R", "caf\xc3\xa9@R" },
	{ "alice", NULL },
	{ "alice@", NULL },
	{ "", NULL },
	{ "bad\nname@R", NULL },
	{ "tab\tname@R", NULL },
	{ "del\x7f@R", NULL },
};

struct file_case {
	const char *file;
	const char *principal;     /* NULL: the file name is refused */
};

static const struct file_case file_cases[] = {
	{ "host%2Fx@R", "host/x@R" },
	{ "host%2fx@R", NULL },            /* not canonical */
	{ "a%2Eb@R", NULL },               /* '.' is escaped only in front */
	{ "%2E@R", ".@R" },
	{ "a%41@R", NULL },                /* no other escapes */
	{ "a%2@R", NULL },
	{ "a%2", NULL },
	{ "a%", NULL },
	{ "%", NULL },
	{ "default", NULL },               /* not a principal: the loader knows it */
	{ "README", NULL },
	{ "alice@", NULL },
	{ "", NULL },
};

static void test_names(void)
{
	char out[POLICY_MAX_PRINCIPAL * 3 + 1], back[POLICY_MAX_PRINCIPAL + 1];
	char longname[POLICY_MAX_PRINCIPAL + 2];

	for (size_t i = 0; i < LEN(name_cases); i++) {
		const struct name_case *c = &name_cases[i];
		int r = policy_principal_to_file(c->principal, out, sizeof(out));

		if (c->file == NULL) {
			is_int(r, -1, "principal %zu refused", i);
			continue;
		}
		ok(r == 0 && strcmp(out, c->file) == 0 &&
		   policy_file_to_principal(out, back, sizeof(back)) == 0 &&
		   strcmp(back, c->principal) == 0, "principal %zu <-> %s", i, c->file);
	}
	for (size_t i = 0; i < LEN(file_cases); i++) {
		const struct file_case *c = &file_cases[i];
		int r = policy_file_to_principal(c->file, back, sizeof(back));

		if (c->principal == NULL)
			is_int(r, -1, "file name '%s' refused", c->file);
		else
			ok(r == 0 && strcmp(back, c->principal) == 0, "file name '%s' -> '%s'",
			   c->file, c->principal);
	}
	/* Length limit and output room. */
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	longname[10] = '@';
	is_int(policy_principal_to_file(longname, out, sizeof(out)), -1,
	       "principal longer than %d refused", POLICY_MAX_PRINCIPAL);
	longname[POLICY_MAX_PRINCIPAL] = '\0';
	is_int(policy_principal_to_file(longname, out, sizeof(out)), 0,
	       "principal of exactly %d accepted", POLICY_MAX_PRINCIPAL);
	is_int(policy_principal_to_file("a/b@R", out, 6), -1, "output too small (escape)");
	is_int(policy_principal_to_file("a/b@R", out, 7), -1, "output without room for NUL");
	is_int(policy_principal_to_file("a/b@R", out, 8), 0, "output just large enough");
	is_int(policy_file_to_principal("alice@R", back, 7), -1, "decode: output too small");
	is_int(policy_file_to_principal("alice@R", back, 0), -1, "decode: no output room");
}

static char tmpdir[256];

static void put(const char *name, const char *text)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		printf("Bail out! cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	close(fd);
}

static void drop(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if (unlink(path) < 0 && rmdir(path) < 0) {
		printf("Bail out! cannot remove %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

/* "file:line" of the rule deciding CONNECT to 192.0.2.1:80 for principal. */
static const char *who_decides(const struct policy_set *set, const char *principal)
{
	static char out[600];
	struct socks5_addr dst;
	const struct policy *p = policy_for_principal(set, principal);
	struct policy_decision d;

	memset(&dst, 0, sizeof(dst));
	dst.atyp = SOCKS5_ATYP_IPV4;
	dst.u.ipv4[0] = 192;
	dst.u.ipv4[2] = 2;
	dst.u.ipv4[3] = 1;
	dst.port = 80;
	d = policy_decide(p, SOCKS5_CMD_CONNECT, &dst, NULL, 0);
	snprintf(out, sizeof(out), "%s:%u:%s", d.file + (strncmp(d.file, tmpdir,
		 strlen(tmpdir)) == 0 ? strlen(tmpdir) + 1 : 0), d.line, d.allow ? "allow" : "deny");
	return out;
}

static void test_lookup(void)
{
	struct policy_errors errs;
	struct policy_set *set;
	char path[512];

	put("alice@EXAMPLE.COM", "# alice\nallow connect 192.0.2.0/24 port 80\n");
	put("host%2Fgw@EXAMPLE.COM", "\ndeny connect any\n");
	put("@EXAMPLE.COM", "max-sessions 2\n\n\nallow connect any\n");
	put("default", "deny connect 192.0.2.1\n");
	put(".alice@EXAMPLE.COM.swp", "garbage that is never read\n");
	snprintf(path, sizeof(path), "%s/bob@OTHER.ORG", tmpdir);
	if (symlink("alice@EXAMPLE.COM", path) < 0)
		printf("Bail out! symlink: %s\n", strerror(errno));

	policy_errors_init(&errs);
	set = policy_set_load(tmpdir, &errs);
	ok(set != NULL && errs.count == 0, "directory loads");
	if (set == NULL) {
		policy_errors_print(&errs, stdout);
		exit(1);
	}
	is_int((long long)policy_set_count(set), 5, "five policies (dot file ignored)");
	is_str(who_decides(set, "alice@EXAMPLE.COM"), "alice@EXAMPLE.COM:2:allow", "own file");
	is_str(who_decides(set, "host/gw@EXAMPLE.COM"), "host%2Fgw@EXAMPLE.COM:2:deny",
	       "own file with '/' in the principal");
	is_str(who_decides(set, "carol@EXAMPLE.COM"), "@EXAMPLE.COM:4:allow", "realm default");
	is_str(who_decides(set, "ALICE@EXAMPLE.COM"), "@EXAMPLE.COM:4:allow",
	       "principals are case-sensitive");
	is_str(who_decides(set, "carol@example.com"), "default:1:deny", "realm is case-sensitive");
	is_str(who_decides(set, "bob@OTHER.ORG"), "bob@OTHER.ORG:2:allow", "symlinked file");
	is_str(who_decides(set, "dave@OTHER.ORG"), "default:1:deny", "default file");
	is_str(who_decides(set, "noatsign"), "default:1:deny", "no realm: default file");
	is_str(who_decides(set, "a@EXAMPLE.COM@OTHER.ORG"), "default:1:deny",
	       "realm is after the last '@'");
	ok(policy_get_settings(policy_for_principal(set, "x@EXAMPLE.COM"))->max_sessions == 2,
	   "settings of the realm default");

	/* Reload that fails: the old set stays valid and unchanged. */
	put("alice@EXAMPLE.COM", "allow connect 192.0.2.0/24 port 80\nallow sideways\n");
	struct policy_set *fresh = policy_set_load(tmpdir, &errs);
	/* Two errors: bob@OTHER.ORG is a symbolic link to alice's file. */
	ok(fresh == NULL && errs.count == 2, "broken reload refused");
	snprintf(path, sizeof(path), "%s/alice@EXAMPLE.COM:2: unknown command 'sideways' "
		 "(connect, bind, udp, any)", tmpdir);
	ok(errs.count == 2 && strcmp(errs.lines[0], path) == 0, "  with file:line: reason");
	is_str(who_decides(set, "alice@EXAMPLE.COM"), "alice@EXAMPLE.COM:2:allow",
	       "  old set still decides");
	policy_errors_free(&errs);

	/* A session holds a reference across a good reload. */
	put("alice@EXAMPLE.COM", "deny connect any\n");
	struct policy_set *session_ref = policy_set_ref(set);
	fresh = policy_set_load(tmpdir, &errs);
	ok(fresh != NULL, "fixed reload accepted");
	policy_set_unref(set);              /* the master swaps its pointer */
	set = fresh;
	is_str(who_decides(set, "alice@EXAMPLE.COM"), "alice@EXAMPLE.COM:1:deny", "  new rules");
	is_str(who_decides(session_ref, "alice@EXAMPLE.COM"), "alice@EXAMPLE.COM:2:allow",
	       "  a live session keeps the old rules");
	policy_set_unref(session_ref);      /* the session ends: old set freed */
	policy_set_unref(set);
	policy_errors_free(&errs);

	/* Without a default file, an unknown principal gets no policy at all. */
	drop("default");
	set = policy_set_load(tmpdir, &errs);
	ok(set != NULL && policy_for_principal(set, "dave@OTHER.ORG") == NULL,
	   "no default file: no policy (deny)");
	is_str(who_decides(set, "dave@OTHER.ORG"), "(no policy):0:deny", "  decision");
	policy_set_unref(set);
	policy_errors_free(&errs);

	drop("alice@EXAMPLE.COM");
	drop("host%2Fgw@EXAMPLE.COM");
	drop("@EXAMPLE.COM");
	drop(".alice@EXAMPLE.COM.swp");
	drop("bob@OTHER.ORG");

	set = policy_set_load(tmpdir, &errs);
	ok(set != NULL && policy_set_count(set) == 0 &&
	   policy_for_principal(set, "a@R") == NULL, "empty directory: valid, denies everyone");
	policy_set_unref(set);
	policy_errors_free(&errs);
}

static void test_loader_errors(void)
{
	struct policy_errors errs;
	struct policy_set *set;
	char path[512], want[1024];
	char *big;
	FILE *f;
	char *out = NULL;
	size_t outlen = 0;
	static const char *const reasons[] = {
		"README: file name is not a principal, '@REALM' or 'default' in canonical "
		"form (see gssocks-policy(5))",
		"a%2fb@R: file name is not a principal, '@REALM' or 'default' in canonical "
		"form (see gssocks-policy(5))",
		"bad?name@R: file name is not a principal, '@REALM' or 'default' in canonical "
		"form (see gssocks-policy(5))",
		"big@R: file larger than 1048576 bytes",
		"dangling@R: cannot open: No such file or directory",
		"fifo@R: not a regular file",
		"good@R:1: unknown keyword 'oops'",
		"subdir@R: not a regular file",
	};

	put("good@R", "oops\n");
	put("README", "allow connect any\n");
	put("a%2fb@R", "allow connect any\n");
	put("ok@R", "allow connect any\n");
	put("bad\nname@R", "allow connect any\n");
	snprintf(path, sizeof(path), "%s/dangling@R", tmpdir);
	if (symlink("nowhere", path) < 0)
		printf("Bail out! symlink: %s\n", strerror(errno));
	snprintf(path, sizeof(path), "%s/fifo@R", tmpdir);
	mkfifo(path, 0600);
	snprintf(path, sizeof(path), "%s/subdir@R", tmpdir);
	mkdir(path, 0700);
	big = malloc(POLICY_MAX_FILE_SIZE + 2);
	memset(big, '#', POLICY_MAX_FILE_SIZE + 1);
	big[POLICY_MAX_FILE_SIZE + 1] = '\0';
	put("big@R", big);
	free(big);

	policy_errors_init(&errs);
	set = policy_set_load(tmpdir, &errs);
	ok(set == NULL, "directory with errors refused");
	is_int((long long)errs.count, (long long)LEN(reasons), "every error reported");
	for (size_t i = 0; i < LEN(reasons) && i < errs.count; i++) {
		snprintf(want, sizeof(want), "%s/%s", tmpdir, reasons[i]);
		is_str(errs.lines[i], want, "error %zu, in file name order", i);
	}
	policy_errors_free(&errs);

	f = open_memstream(&out, &outlen);
	is_int(policy_check_dir(tmpdir, f), -1, "policy_check_dir: invalid");
	fclose(f);
	size_t lines = 0;
	for (size_t i = 0; i < outlen; i++)
		lines += out[i] == '\n';
	is_int((long long)lines, (long long)LEN(reasons), "policy_check_dir prints every error");
	free(out);

	drop("good@R");
	drop("README");
	drop("a%2fb@R");
	drop("fifo@R");
	drop("subdir@R");
	drop("bad\nname@R");
	drop("dangling@R");
	drop("big@R");
	out = NULL;
	f = open_memstream(&out, &outlen);
	is_int(policy_check_dir(tmpdir, f), 0, "policy_check_dir: valid");
	fclose(f);
	is_int((long long)outlen, 0, "  prints nothing");
	free(out);
	drop("ok@R");

	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	policy_errors_init(&errs);
	set = policy_set_load(path, &errs);
	snprintf(want, sizeof(want), "%s: cannot open policy directory: %s", path,
		 strerror(ENOENT));
	ok(set == NULL && errs.count == 1 && strcmp(errs.lines[0], want) == 0,
	   "missing directory");
	policy_errors_free(&errs);
}

int main(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/gssocks-policy-XXXXXX",
		 base != NULL && base[0] != '\0' ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_names();
	test_lookup();
	test_loader_errors();
	rmdir(tmpdir);
	return done_testing();
}
