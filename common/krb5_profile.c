/*
 * krb5_profile.c - krb5.conf frozen in sealed memfds; see krb5_profile.h.
 *
 * Trust zone: shared, start-up only (before the caller's sandbox).  The
 * configuration files are the administrator's; only their contents are
 * copied, nothing is interpreted here.
 *
 * Design: one memfd per file, in KRB5_CONFIG's order, so that the
 * library sees exactly the files (and precedence) it would have seen.
 * Each sits at a fixed descriptor number (KRB5_PROFILE_FD_BASE + i)
 * because the names travel: an exported GSS context carries the file
 * names of the exporter's profile, and the importer builds a profile from
 * them.  authproc and the relays both freeze, so "/proc/self/fd/100" in
 * authproc's export names the relay's own frozen copy in the relay, which
 * it parsed before its sandbox and which can never look changed.
 * Seals F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL: no one,
 * the process included, can change the contents, hence the mtime the
 * profile library compares on every context.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "krb5_profile.h"

#define PROFILE_FILES_MAX 16
#define PROFILE_DEFAULT   "/etc/krb5.conf"

/*
 * Move fd to KRB5_PROFILE_FD_BASE + index (close-on-exec).  The target must
 * be free: these numbers are taken at start-up, before anything else could.
 * The new fd, or -1 (errno).
 */
static int fixed_fd(int fd, unsigned index)
{
	int target = KRB5_PROFILE_FD_BASE + (int)index;

	if (fcntl(target, F_GETFD) >= 0) {
		close(fd);
		errno = EBUSY;
		return -1;
	}
	if (dup3(fd, target, O_CLOEXEC) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	return target;
}

/* Copy in_fd into a new sealed memfd; the memfd, or -1 (errno). */
static int sealed_copy(int in_fd, unsigned index)
{
	char buf[8192];
	int fd = memfd_create("krb5.conf", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t n = read(in_fd, buf, sizeof(buf));

		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(fd, buf, (size_t)n) != n)
			goto fail;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0)
		goto fail;
	return fixed_fd(fd, index);
fail:
	{
		int saved = errno ? errno : EIO;

		close(fd);
		errno = saved;
	}
	return -1;
}

/* Append "/proc/self/fd/N" (with a ':' before it unless first) to out. */
static int list_add(char *out, size_t outlen, size_t *used, int fd)
{
	int n = snprintf(out + *used, outlen - *used, "%s/proc/self/fd/%d",
			 *used ? ":" : "", fd);

	if (n < 0 || (size_t)n >= outlen - *used)
		return -1;
	*used += (size_t)n;
	return 0;
}

int krb5_profile_freeze(char *err, size_t errlen)
{
	const char *env = getenv("KRB5_CONFIG");
	char *files = strdup(env != NULL && env[0] != '\0' ? env : PROFILE_DEFAULT);
	char list[PROFILE_FILES_MAX * 32];
	size_t used = 0, count = 0;
	char *save = NULL;
	int rc = -1;

	if (files == NULL) {
		snprintf(err, errlen, "krb5 configuration: out of memory");
		return -1;
	}
	list[0] = '\0';
	for (char *path = strtok_r(files, ":", &save); path != NULL;
	     path = strtok_r(NULL, ":", &save)) {
		int in, fd;

		if (count == PROFILE_FILES_MAX) {
			snprintf(err, errlen, "KRB5_CONFIG: more than %d files", PROFILE_FILES_MAX);
			goto out;
		}
		in = open(path, O_RDONLY | O_CLOEXEC);
		/* Left out exactly as krb5's profile_init_flags leaves them out:
		 * missing or not readable by this user. */
		if (in < 0 && (errno == ENOENT || errno == EACCES || errno == EPERM))
			continue;
		if (in < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		fd = sealed_copy(in, (unsigned)count);
		if (fd < 0) {
			snprintf(err, errlen, "%s: cannot copy into memory: %s", path,
				 strerror(errno));
			close(in);
			goto out;
		}
		close(in);
		if (list_add(list, sizeof(list), &used, fd) < 0) {
			snprintf(err, errlen, "KRB5_CONFIG: list too long");
			goto out;
		}
		count++;
	}
	if (count == 0) {
		/* No file at all: an empty one, as krb5 uses an empty profile. */
		int fd = memfd_create("krb5.conf", MFD_CLOEXEC | MFD_ALLOW_SEALING);

		if (fd >= 0 && fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW |
				     F_SEAL_SHRINK | F_SEAL_SEAL) == 0)
			fd = fixed_fd(fd, 0);
		if (fd < 0 || list_add(list, sizeof(list), &used, fd) < 0) {
			snprintf(err, errlen, "krb5 configuration: empty memory file: %s",
				 strerror(errno));
			goto out;
		}
	}
	if (setenv("KRB5_CONFIG", list, 1) < 0) {
		snprintf(err, errlen, "KRB5_CONFIG: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(files);
	return rc;
}
