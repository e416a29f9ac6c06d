/*
 * diag.h - the client's messages on stderr.
 *
 * Trust zone: client (runs as the user, on the user's machine).
 *
 * A user tool speaks to a person, not to syslog: every failure is one line
 * "PROGRAM: <what failed>: <reason>" and -v adds one line per protocol step.
 * common/log.h prefixes "ident[pid]:" for daemons; the client keeps the
 * short form that users and scripts grep for.
 */
#ifndef GSSOCKS_CLIENT_DIAG_H
#define GSSOCKS_CLIENT_DIAG_H

#include <stdbool.h>
#include <gssapi/gssapi.h>

/* program is kept by pointer ("gssocks-client"). */
void diag_init(const char *program, bool verbose);
bool diag_verbose(void);
/* The program name given to diag_init(). */
const char *diag_program(void);

/* "PROGRAM: <formatted>" on stderr, always. */
void diag_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "PROGRAM: <what>: <GSS major text; minor text>" on stderr, always. */
void diag_gss_fail(const char *what, OM_uint32 major, OM_uint32 minor);
/* "PROGRAM: <formatted>" on stderr, only with -v. */
void diag_step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
