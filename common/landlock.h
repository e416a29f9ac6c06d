/*
 * landlock.h - file-system confinement with Landlock (Linux >= 5.13).
 *
 * Trust zone: any.  Seccomp cannot look at path names; Landlock can.  A
 * role lists the paths it may still touch after start-up and the rights
 * on each; everything else under the handled rights is refused (EACCES)
 * for the process and everything it will ever exec.
 */
#ifndef GSSOCKS_COMMON_LANDLOCK_H
#define GSSOCKS_COMMON_LANDLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <linux/landlock.h>

/* Rights on regular files only (a rule on a file may hold no others). */
#define LANDLOCK_FILE_READ   (LANDLOCK_ACCESS_FS_READ_FILE)
/* Read a directory tree. */
#define LANDLOCK_TREE_READ   (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
/* Create, read and write regular files in a directory (replay cache). */
#define LANDLOCK_TREE_RW     (LANDLOCK_TREE_READ | LANDLOCK_ACCESS_FS_WRITE_FILE | \
			      LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_REMOVE_FILE)

struct landlock_path {
	const char *path;
	uint64_t access;
};

/*
 * Restrict this process to `paths` (a path that does not exist is left
 * out).  Returns 1 when enforced, 0 when the kernel has no Landlock (the
 * caller logs it: the rest of the sandbox still applies), -1 on error.
 */
int landlock_restrict(const struct landlock_path *paths, size_t count);

/* The Landlock ABI version of the running kernel, 0 when none. */
int landlock_abi(void);

#endif
