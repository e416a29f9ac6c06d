/*
 * audit.h - the audit trail: one syslog record per decision.
 *
 * Trust zone: master.  Sandboxed children never write syslog: they report
 * over IPC (AUTH_FAIL, AUTH_LEVEL_QUERY, RELAY_SESSION_END...) and the
 * master writes the record, so every record is written by the one process
 * that also holds the session table.
 *
 * Design: records are RFC 3164 datagrams `<PRI>Mmm dd hh:mm:ss
 * gssocksd[PID]: key=value ...` with facility authpriv, sent to the
 * AF_UNIX SOCK_DGRAM socket named by syslog-socket (default /dev/log).
 * Sending never blocks the event loop and loses nothing it can keep: when
 * the socket is full (EAGAIN) or syslogd is away, records wait in order in
 * a bounded queue (8192 records or 4 MiB), drained when epoll says the
 * socket is writable or, after a reconnect (tried at most once a second,
 * audit_tick()), before any newer record.  A full queue drops the newest
 * records and counts them; one `event=audit-dropped count=N` record then
 * stands in their place.  A missing or refusing socket is reported once
 * on stderr until it works again.  With
 * -e or -d each record is also written to stderr as `gssocksd[PID]: ...`.
 * Values that may hold spaces or untrusted bytes go through audit_value(),
 * which quotes them; no record ever carries a token or a key.
 */
#ifndef GSSOCKS_MASTER_AUDIT_H
#define GSSOCKS_MASTER_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"

/* Remember where records go.  socket_path is copied. */
void audit_init(const char *socket_path, bool to_stderr);

/*
 * Write one record; severity is a syslog(3) LOG_* level (LOG_INFO for
 * decisions, LOG_NOTICE for refusals, LOG_WARNING for violations).  The
 * text must be key=value pairs whose values were made safe with
 * audit_value() where they are not the daemon's own words.
 */
void audit_record(int severity, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Count one event instead of writing a record for it, so that a flood of
 * connections is never a flood of records: audit_tick() writes, at most
 * once a second for each (event, reason) counted since the last one,
 * `event=E reason=R count=N DETAIL`, and audit_flush() writes what is
 * still counted at shutdown.  event and reason are the daemon's own words
 * (kept by pointer: static strings); detail (copied, the last one given
 * wins) is key=value pairs made safe by the caller, or "".
 */
void audit_count(int severity, const char *event, const char *reason, const char *detail);

/*
 * The master's own diagnostics (common/log.h sink, installed unless -d):
 * one datagram `<PRI>stamp gssocksd[PID]: line`, facility daemon, to the
 * same syslog-socket, so everything the daemon says takes one path (and
 * the lines of authproc and relays with it, childlog.h).  false when
 * there is no socket yet or the datagram was not sent: log.c then writes
 * the line to stderr.
 */
bool audit_daemon_line(enum log_level level, const char *line);

/*
 * Once a second from the master's loop: reconnect to a socket that was
 * away and send what waits (epoll wakes the loop for a full socket, not
 * for a daemon that came back).
 */
void audit_tick(void);

/* At shutdown: send what waits, giving up after timeout_ms. */
void audit_flush(unsigned timeout_ms);

/*
 * in as one value: unchanged when it is non-empty printable ASCII without
 * space, `"`, `\` or `=`; otherwise in double quotes with `"` and `\`
 * backslash-escaped and every other byte outside printable ASCII written
 * \xNN.  out is always NUL-terminated (long values are cut, quotes kept).
 * Returns out, for use in printf argument lists.
 */
const char *audit_value(const char *in, char *out, size_t outlen);

/* Room for audit_value() of a string of n octets. */
#define AUDIT_VALUE_SIZE(n) (4 * (n) + 3)

#endif
