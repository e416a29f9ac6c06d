/*
 * log.h - diagnostics for every gssocks process.
 *
 * Trust zone: shared.  Lines go to stderr (prefixed "ident[pid]: ") and,
 * when log_init() was asked to, to syslog.  Three kinds of trouble stay
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

void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void bug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
