/*
 * fuzz.h - what every fuzz target shares: the libFuzzer entry point and a
 * check that stops the run loudly.
 *
 * Trust zone: tests only.  Each fuzz_*.c defines LLVMFuzzerTestOneInput()
 * and is linked either with libFuzzer (-Dfuzzing=true, clang) or with
 * replay.c, the standalone driver that `meson test` runs in every build.
 *
 * Design: a broken invariant calls abort() after naming the check, so
 * libFuzzer saves the input as a crash and the replay driver reports it as
 * a failed TAP test point with the input dumped; memory errors are left to
 * AddressSanitizer/UBSan, which both drivers run under in the ASan build.
 */
#ifndef GSSOCKS_TESTS_FUZZ_H
#define GSSOCKS_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void fuzz_fail(const char *file, int line, const char *what)
	__attribute__((noreturn));
static inline void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: fuzz invariant broken: %s\n", file, line, what);
	fflush(stderr);
	abort();
}

#define FUZZ_CHECK(cond) \
	do { if (!(cond)) fuzz_fail(__FILE__, __LINE__, #cond); } while (0)

/* Copy of an input into storage of exactly n bytes (ASan sees any byte read
 * past it); never NULL, even for n == 0.  Free with free(). */
static inline uint8_t *fuzz_dup(const uint8_t *p, size_t n)
{
	uint8_t *q = malloc(n > 0 ? n : 1);

	if (q == NULL)
		fuzz_fail(__FILE__, __LINE__, "out of memory");
	for (size_t i = 0; i < n; i++)
		q[i] = p[i];
	return q;
}

#endif
