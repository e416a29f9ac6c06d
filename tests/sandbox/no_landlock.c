/*
 * no_landlock.c - a launcher that makes the kernel look as if it had no
 * Landlock, then execs its arguments:
 *
 *   no_landlock PROGRAM [ARG...]
 *
 * Trust zone: tests only.  The filter (no_landlock.h: Landlock's three
 * calls answer ENOSYS, everything else is allowed) is inherited by
 * PROGRAM and everything it starts.  A kernel with Landlock disabled at
 * boot says EOPNOTSUPP instead; common/landlock.c treats both as "none".
 * Used by test_no_landlock.py.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "no_landlock.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: no_landlock PROGRAM [ARG...]\n");
		return 2;
	}
	if (no_landlock_filter() < 0) {
		fprintf(stderr, "no_landlock: cannot install the seccomp filter\n");
		return 2;
	}
	execv(argv[1], argv + 1);
	fprintf(stderr, "no_landlock: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
