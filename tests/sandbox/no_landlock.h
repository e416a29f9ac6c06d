/*
 * no_landlock.h - make this process (and what it execs) see a kernel
 * without Landlock: a seccomp filter, allowing everything else, that
 * answers landlock_create_ruleset, landlock_add_rule and
 * landlock_restrict_self with ENOSYS (what a kernel built without
 * Landlock answers).
 *
 * Trust zone: tests only (no_landlock.c, test_filters.c).
 */
#ifndef GSSOCKS_TESTS_NO_LANDLOCK_H
#define GSSOCKS_TESTS_NO_LANDLOCK_H

#include <errno.h>
#include <seccomp.h>

/* 0, or -1 when the filter cannot be built or loaded. */
static inline int no_landlock_filter(void)
{
	static const int calls[] = {
		SCMP_SYS(landlock_create_ruleset),
		SCMP_SYS(landlock_add_rule),
		SCMP_SYS(landlock_restrict_self),
	};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc = ctx == NULL ? -1 : 0;

	for (size_t i = 0; rc == 0 && i < sizeof(calls) / sizeof(calls[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), calls[i], 0) < 0)
			rc = -1;
	/* libseccomp sets NO_NEW_PRIVS first (SCMP_FLTATR_CTL_NNP). */
	if (rc == 0 && seccomp_load(ctx) < 0)
		rc = -1;
	if (ctx != NULL)
		seccomp_release(ctx);
	return rc;
}

#endif
