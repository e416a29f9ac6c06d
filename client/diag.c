/*
 * diag.c - see diag.h.  Trust zone: client.
 *
 * Each line goes out in one write(2) so that the lines of several
 * per-connection children do not interleave mid-line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "gsserr.h"

#include "diag.h"

static const char *diag_program_name = "gssocks-client";
static bool diag_is_verbose;

void diag_init(const char *program, bool verbose)
{
	diag_program_name = program;
	diag_is_verbose = verbose;
}

const char *diag_program(void)
{
	return diag_program_name;
}

bool diag_verbose(void)
{
	return diag_is_verbose;
}

__attribute__((format(printf, 1, 0)))
static void diag_emit(const char *fmt, va_list ap)
{
	char line[1024];
	char out[1200];
	int n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = snprintf(out, sizeof(out), "%s: %s\n", diag_program_name, line);
	if (n > 0) {
		size_t len = (size_t)n < sizeof(out) ? (size_t)n : sizeof(out) - 1;
		ssize_t w = write(STDERR_FILENO, out, len);
		(void)w;
	}
}

void diag_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_emit(fmt, ap);
	va_end(ap);
}

void diag_step(const char *fmt, ...)
{
	va_list ap;

	if (!diag_is_verbose)
		return;
	va_start(ap, fmt);
	diag_emit(fmt, ap);
	va_end(ap);
}

void diag_gss_fail(const char *what, OM_uint32 major, OM_uint32 minor)
{
	char text[768];

	gss_status_text(major, minor, text, sizeof(text));
	diag_fail("%s: %s", what, text);
}
