/*
 * tap.h - a tiny Test Anything Protocol helper for the C unit tests.
 *
 * Trust zone: tests only.  Header-only (static inline) so that every test is
 * one self-contained executable; Meson runs them with protocol : 'tap'.
 *
 *   plan(n) or nothing (done_testing() then prints the plan at the end);
 *   ok(cond, fmt, ...), is_int(got, want, fmt, ...), is_str, is_mem;
 *   skip(n, reason) for checks that cannot run here, skip_all(reason);
 *   return done_testing();  exit status 1 when any check failed or the
 *   count differs from the plan, so a test can never pass by accident.
 */
#ifndef GSSOCKS_TESTS_TAP_H
#define GSSOCKS_TESTS_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_planned = -1;
static int tap_run;
static int tap_failed;

static inline void plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

static inline void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static inline bool tap_vok(bool cond, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static inline bool tap_vok(bool cond, const char *fmt, va_list ap)
{
	tap_run++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_run);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	return cond;
}

static inline bool ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline bool ok(bool cond, const char *fmt, ...)
{
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = tap_vok(cond, fmt, ap);
	va_end(ap);
	return r;
}

static inline bool is_int(long long got, long long want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline bool is_int(long long got, long long want, const char *fmt, ...)
{
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = tap_vok(got == want, fmt, ap);
	va_end(ap);
	if (!r)
		diag("    got: %lld, expected: %lld", got, want);
	return r;
}

static inline bool is_str(const char *got, const char *want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline bool is_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = tap_vok(got != NULL && want != NULL && strcmp(got, want) == 0, fmt, ap);
	va_end(ap);
	if (!r)
		diag("    got: \"%s\", expected: \"%s\"", got ? got : "(null)",
		     want ? want : "(null)");
	return r;
}

static inline bool is_mem(const void *got, const void *want, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static inline bool is_mem(const void *got, const void *want, size_t n, const char *fmt, ...)
{
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = tap_vok(got != NULL && want != NULL && memcmp(got, want, n) == 0, fmt, ap);
	va_end(ap);
	return r;
}

/* Count n checks as skipped, with the reason printed (never a silent pass). */
static inline void skip(int n, const char *reason)
{
	for (int i = 0; i < n; i++) {
		tap_run++;
		printf("ok %d # SKIP %s\n", tap_run, reason);
	}
	fflush(stdout);
}

static inline void skip_all(const char *reason) __attribute__((noreturn));
static inline void skip_all(const char *reason)
{
	printf("1..0 # SKIP %s\n", reason);
	fflush(stdout);
	exit(0);
}

/* Exit status for main(): 0 only when every planned check ran and passed. */
static inline int done_testing(void)
{
	if (tap_planned < 0) {
		printf("1..%d\n", tap_run);
	} else if (tap_planned != tap_run) {
		diag("planned %d checks but ran %d", tap_planned, tap_run);
		return 1;
	}
	if (tap_failed > 0)
		diag("%d of %d checks failed", tap_failed, tap_run);
	fflush(stdout);
	return tap_failed > 0 ? 1 : 0;
}

#endif
