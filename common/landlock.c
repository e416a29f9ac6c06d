/*
 * landlock.c - Landlock rulesets from a table of paths; see landlock.h.
 *
 * Trust zone: any (used during start-up, before untrusted input).
 * Design: handle every file-system right the kernel knows (by ABI
 * version), so that anything not granted by a rule is refused; rights
 * asked on a regular file are cut to the file-only ones.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "landlock.h"

#define FS_RIGHTS_V1 (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
	LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR | \
	LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE | \
	LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | \
	LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK | \
	LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK | \
	LANDLOCK_ACCESS_FS_MAKE_SYM)
#define FS_FILE_RIGHTS (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
	LANDLOCK_ACCESS_FS_READ_FILE)

int landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
			   LANDLOCK_CREATE_RULESET_VERSION);

	return abi < 0 ? 0 : (int)abi;
}

static uint64_t handled_rights(int abi)
{
	uint64_t rights = FS_RIGHTS_V1;

	if (abi >= 2)
		rights |= LANDLOCK_ACCESS_FS_REFER;
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
	if (abi >= 3)
		rights |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
	return rights;
}

static int add_path(int ruleset, const struct landlock_path *p, uint64_t handled)
{
	struct landlock_path_beneath_attr rule = { 0 };
	struct stat st;
	int fd, rc;

	fd = open(p->path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	rule.parent_fd = fd;
	rule.allowed_access = p->access & handled;
	if (!S_ISDIR(st.st_mode))
		rule.allowed_access &= FS_FILE_RIGHTS;
	rc = rule.allowed_access == 0 ? 0 :
	     (int)syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
	close(fd);
	return rc < 0 ? -1 : 0;
}

int landlock_restrict(const struct landlock_path *paths, size_t count)
{
	struct landlock_ruleset_attr attr = { 0 };
	int abi = landlock_abi();
	int ruleset;

	if (abi <= 0)
		return 0;
	attr.handled_access_fs = handled_rights(abi);
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		if (paths[i].path == NULL || paths[i].path[0] == '\0')
			continue;
		if (add_path(ruleset, &paths[i], attr.handled_access_fs) < 0) {
			close(ruleset);
			return -1;
		}
	}
	/* NO_NEW_PRIVS is already set by the caller (hardening.h). */
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0) {
		close(ruleset);
		return -1;
	}
	close(ruleset);
	return 1;
}
