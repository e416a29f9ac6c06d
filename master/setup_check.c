/*
 * setup_check.c - set-up checks of gssocksd -t and start-up; see
 * setup_check.h.
 *
 * Trust zone: master, before detaching and before any privilege is
 * dropped.  Only metadata of libexec-dir and replay-cache-dir is looked
 * at here; the keytab is opened by gssocks-authproc --check only, run as
 * authproc-user (the master must not be able to read it, invariant 1).
 *
 * Design: every finding is one line "what path: reason", written to
 * stderr and kept (setup_check_error) for the daemon's log.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "setup_check.h"
#include "util.h"

#define CHECK_WAIT_MS 20000    /* authproc --check: krb5 start-up and a keytab read */

static const char *const binaries[] = { "gssocks-authproc", "gssocks-relay" };

static char last_error[PATH_MAX + 256];

const char *setup_check_error(void)
{
	return last_error;
}

static int report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int report(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", last_error);
	return -1;
}

static int check_binaries(const char *dir)
{
	for (size_t i = 0; i < sizeof(binaries) / sizeof(binaries[0]); i++) {
		char path[PATH_MAX + 32];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, binaries[i]);
		if (stat(path, &st) < 0)
			return report("libexec-dir %s: cannot exec %s: %s", dir, path,
				      strerror(errno));
		if (!S_ISREG(st.st_mode))
			return report("libexec-dir %s: cannot exec %s: not a regular file", dir,
				      path);
		if ((st.st_mode & 0111) == 0)
			return report("libexec-dir %s: cannot exec %s: %s", dir, path,
				      strerror(EACCES));
	}
	return 0;
}

/* The directory a missing path would be made in must exist. */
static int check_creatable(const char *dir)
{
	char parent[4096];
	char *slash;
	struct stat st;

	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (slash == NULL)
		return 0;
	if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (stat(parent, &st) < 0)
		return report("replay-cache-dir %s: cannot create: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return report("replay-cache-dir %s: cannot create: %s", dir, strerror(ENOTDIR));
	return 0;
}

/*
 * replay-cache-dir: authproc's only writable place.  It must be a real
 * directory of its own (not a symbolic link), owned by authproc-user in
 * root mode, writable by no one else.  *exists tells whether it is there.
 */
static int check_rcache(const char *dir, const struct run_ids *ids, bool create, bool *exists)
{
	struct stat st;

	*exists = false;
	if (lstat(dir, &st) < 0) {
		if (errno != ENOENT)
			return report("replay-cache-dir %s: %s", dir, strerror(errno));
		if (!create)
			return check_creatable(dir);
		if (mkdir(dir, 0700) < 0)
			return report("replay-cache-dir %s: cannot create: %s", dir,
				      strerror(errno));
		if (ids->root_mode &&
		    chown(dir, ids->uid[RUN_AUTHPROC], ids->gid[RUN_AUTHPROC]) < 0)
			return report("replay-cache-dir %s: cannot give it to authproc-user %s: %s",
				      dir, ids->name[RUN_AUTHPROC], strerror(errno));
		log_info("replay-cache-dir %s created (mode 0700, owner %s)", dir,
			 ids->name[RUN_AUTHPROC]);
		*exists = true;
		return 0;
	}
	if (S_ISLNK(st.st_mode))
		return report("replay-cache-dir %s: is a symbolic link", dir);
	if (!S_ISDIR(st.st_mode))
		return report("replay-cache-dir %s: %s", dir, strerror(ENOTDIR));
	if (ids->root_mode && st.st_uid != ids->uid[RUN_AUTHPROC])
		return report("replay-cache-dir %s: owned by uid %u, not by authproc-user %s",
			      dir, (unsigned)st.st_uid, ids->name[RUN_AUTHPROC]);
	if (st.st_mode & 022)
		return report("replay-cache-dir %s: writable by group or others (mode %04o)",
			      dir, (unsigned)(st.st_mode & 07777));
	*exists = true;
	return 0;
}

/* In the forked child: become authproc-user and exec the check. */
static _Noreturn void run_authproc_check(const struct master_config *cfg,
					 const struct run_ids *ids, bool rcache, bool verbose,
					 int out)
{
	char path[PATH_MAX + 32];
	const char *argv[10];
	size_t n = 0;

	if (dup2(out, STDOUT_FILENO) < 0 || dup2(out, STDERR_FILENO) < 0)
		_exit(126);
	if (close_range(3, ~0u, 0) < 0)
		_exit(126);
	sandbox_become(ids, RUN_AUTHPROC);
	snprintf(path, sizeof(path), "%s/gssocks-authproc", cfg->libexec_dir);
	argv[n++] = path;
	argv[n++] = "--check";
	argv[n++] = "--keytab";
	argv[n++] = cfg->keytab;
	if (rcache) {
		argv[n++] = "--replay-cache-dir";
		argv[n++] = cfg->replay_cache_dir;
	}
	if (verbose)
		argv[n++] = "--verbose";
	argv[n] = NULL;
	execv(path, (char *const *)argv);
	fprintf(stderr, "cannot exec %s: %s\n", path, strerror(errno));
	_exit(127);
}

/*
 * Read the check's output (kept in `output`) until it closes or the
 * deadline passes, then reap it.  Its exit status, or -1.
 */
static int collect_check(pid_t pid, int in, char *output, size_t outlen)
{
	uint64_t deadline = monotonic_ms() + CHECK_WAIT_MS;
	size_t used = 0;
	int status;

	output[0] = '\0';
	for (;;) {
		struct pollfd p = { .fd = in, .events = POLLIN };
		uint64_t now = monotonic_ms();
		char buf[1024];
		ssize_t r;

		if (now >= deadline) {
			kill(pid, SIGKILL);
			snprintf(output, outlen, "keytab check: no answer within %d s\n",
				 CHECK_WAIT_MS / 1000);
			break;
		}
		if (poll(&p, 1, (int)(deadline - now)) <= 0)
			continue;
		r = read(in, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (used + (size_t)r < outlen) {
			memcpy(output + used, buf, (size_t)r);
			used += (size_t)r;
			output[used] = '\0';
		}
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The last non-empty line of text into last_error. */
static void keep_last_line(const char *text)
{
	size_t len = strlen(text);
	const char *start;

	while (len > 0 && text[len - 1] == '\n')
		len--;
	start = text + len;
	while (start > text && start[-1] != '\n')
		start--;
	snprintf(last_error, sizeof(last_error), "%.*s", (int)(text + len - start), start);
}

static int check_keytab(const struct master_config *cfg, const struct run_ids *ids,
			bool rcache, bool verbose)
{
	static char output[8192];
	int pipefd[2];
	pid_t pid;
	int rc;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return report("keytab check: pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return report("keytab check: fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(pipefd[0]);
		run_authproc_check(cfg, ids, rcache, verbose, pipefd[1]);
	}
	close(pipefd[1]);
	rc = collect_check(pid, pipefd[0], output, sizeof(output));
	close(pipefd[0]);
	/* Quiet when all is well (gssocksd -t prints nothing then). */
	if (rc != 0 || verbose)
		fputs(output, stderr);
	if (rc == 0)
		return 0;
	keep_last_line(output);
	if (last_error[0] == '\0')
		snprintf(last_error, sizeof(last_error),
			 "keytab %s: gssocks-authproc --check failed (status %d)", cfg->keytab, rc);
	return -1;
}

int setup_check(const struct master_config *cfg, const struct run_ids *ids, bool create,
		bool verbose)
{
	bool rcache_exists;

	last_error[0] = '\0';
	if (check_binaries(cfg->libexec_dir) < 0 ||
	    check_rcache(cfg->replay_cache_dir, ids, create, &rcache_exists) < 0)
		return -1;
	/* A directory -t found missing is made at start-up: not checked yet. */
	return check_keytab(cfg, ids, rcache_exists, verbose);
}
