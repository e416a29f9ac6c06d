/*
 * errors.c - collection of "file:line: reason" lines for the policy loader.
 *
 * Trust zone: master and `gssocksd -t`.  Every error found while loading is
 * kept (up to POLICY_MAX_ERRORS) so an administrator sees them all at once.
 * An error line quotes file names and words from files; any control
 * character in it (a file named "a\nb") is replaced by '?' so one error is
 * always one log line.
 */
#include "policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void policy_errors_init(struct policy_errors *errs)
{
	memset(errs, 0, sizeof(*errs));
}

void policy_errors_free(struct policy_errors *errs)
{
	for (size_t i = 0; i < errs->count; i++)
		free(errs->lines[i]);
	free(errs->lines);
	memset(errs, 0, sizeof(*errs));
}

static void errors_push(struct policy_errors *errs, char *line)
{
	if (errs->count == errs->cap) {
		size_t cap = errs->cap == 0 ? 8 : errs->cap * 2;
		char **lines = realloc(errs->lines, cap * sizeof(*lines));

		if (lines == NULL) {
			fputs("policy: out of memory\n", stderr);
			abort();
		}
		errs->lines = lines;
		errs->cap = cap;
	}
	errs->lines[errs->count++] = line;
}

void policy_errors_add(struct policy_errors *errs, const char *file, unsigned line,
		       const char *fmt, ...)
{
	char reason[512];
	char *text;
	va_list ap;
	int n;

	if (errs->truncated)
		return;
	if (errs->count == POLICY_MAX_ERRORS) {
		/* Name the file that overflowed: a reload reads many files and
		 * an operator must know which one to look at. */
		errs->truncated = true;
		if (asprintf(&text, "%s:%u: too many errors (more than %d), the rest are not shown",
			     file, line, POLICY_MAX_ERRORS) < 0)
			text = NULL;
	} else {
		va_start(ap, fmt);
		vsnprintf(reason, sizeof(reason), fmt, ap);
		va_end(ap);
		if (line > 0)
			n = asprintf(&text, "%s:%u: %s", file, line, reason);
		else
			n = asprintf(&text, "%s: %s", file, reason);
		if (n < 0)
			text = NULL;
	}
	if (text == NULL) {
		fputs("policy: out of memory\n", stderr);
		abort();
	}
	for (size_t i = 0; text[i] != '\0'; i++) {
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
			text[i] = '?';
	}
	errors_push(errs, text);
}

void policy_errors_print(const struct policy_errors *errs, FILE *out)
{
	for (size_t i = 0; i < errs->count; i++)
		fprintf(out, "%s\n", errs->lines[i]);
}
