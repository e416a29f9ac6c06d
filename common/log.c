/*
 * log.c - see log.h.  Trust zone: shared.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static const char *log_ident = "gssocks";
static bool log_stderr = true;
static bool log_syslog;
static bool log_verbose;
static log_sink_fn log_sink;
static bool log_in_sink;        /* a line logged by the sink itself */

void log_init(const char *ident, bool to_stderr, bool use_syslog)
{
	log_ident = ident;
	log_stderr = to_stderr;
	log_syslog = use_syslog;
	log_sink = NULL;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_verbose(bool verbose)
{
	log_verbose = verbose;
}

void log_set_sink(log_sink_fn sink)
{
	log_sink = sink;
}

__attribute__((format(printf, 2, 0)))
static void log_emit(enum log_level level, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char line[2048];
	int saved = errno;
	bool to_stderr = log_stderr;

	if (level == LOG_LEVEL_DEBUG && !log_verbose)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_sink != NULL) {
		if (log_in_sink) {
			to_stderr = true;
		} else {
			log_in_sink = true;
			if (!log_sink(level, line))
				to_stderr = true;
			log_in_sink = false;
		}
	} else if (log_syslog) {
		syslog(prio[level], "%s", line);
	}
	if (to_stderr) {
		/* One write per line so that lines of several processes do not mix. */
		char out[2200];
		int n = snprintf(out, sizeof(out), "%s[%ld]: %s\n", log_ident, (long)getpid(), line);
		if (n > 0) {
			size_t len = (size_t)n < sizeof(out) ? (size_t)n : sizeof(out) - 1;
			ssize_t w = write(STDERR_FILENO, out, len);
			(void)w;
		}
	}
	errno = saved;
}

#define LOG_FN(name, level)                          \
	void name(const char *fmt, ...)              \
	{                                            \
		va_list ap;                          \
		va_start(ap, fmt);                   \
		log_emit(level, fmt, ap);            \
		va_end(ap);                          \
	}

LOG_FN(log_err, LOG_LEVEL_ERR)
LOG_FN(log_warn, LOG_LEVEL_WARN)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_debug, LOG_LEVEL_DEBUG)

void fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERR, fmt, ap);
	va_end(ap);
	exit(EXIT_FAILURE);
}

void bug(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERR, fmt, ap);
	va_end(ap);
	abort();
}
