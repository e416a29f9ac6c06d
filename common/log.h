/*
 * log.h - diagnostics for every gssocks process.
 *
 * Trust zone: shared.  Lines go to stderr (prefixed "ident[pid]: ") and,
 * when log_init() was asked to, to syslog; or, once log_set_sink() named
 * one, to that sink instead of syslog(3): the master's sink writes its
 * syslog-socket, a sandboxed child's sends each line to the master over
 * fd 3 (IPC_LOG) rather than opening syslog itself (STYLE.md).  Three kinds of trouble stay
 * distinct (STYLE.md): fatal() - this process cannot go on; bug() - an
 * internal inconsistency; a peer's bad input is only ever log_warn()ed by
 * the code that then ends that peer's session.
 */
#ifndef GSSOCKS_COMMON_LOG_H
#define GSSOCKS_COMMON_LOG_H

#include <stdbool.h>

enum log_level { LOG_LEVEL_ERR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* ident is kept by pointer.  use_syslog opens syslog (facility daemon). */
void log_init(const char *ident, bool to_stderr, bool use_syslog);
void log_set_verbose(bool verbose);   /* enables LOG_LEVEL_DEBUG lines */

/*
 * A sink receives each line (without the "ident[pid]: " prefix, at most
 * about 2 KiB, no newline added) in place of syslog(3).  It returns false
 * when it could not deliver the line; log.c then writes the line to stderr
 * even when log_init() said not to, so nothing is silently lost.  A line
 * logged from inside the sink (directly or by a function it calls) goes
 * to stderr only: a sink never recurses.  fatal() and bug() deliver
 * through the sink before they end the process.  NULL removes the sink;
 * log_init() removes it too (a forked process starts its own logging).
 */
typedef bool (*log_sink_fn)(enum log_level level, const char *line);
void log_set_sink(log_sink_fn sink);

void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void bug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
