/*
 * childlog.h - the diagnostics of authproc and the relays, written by the
 * master (IPC_LOG).
 *
 * Trust zone: master.  A sandboxed child neither opens syslog nor has a
 * stderr anyone reads once gssocksd detached (STYLE.md, issue 4): it sends
 * each line over its channel and the master writes it with its own
 * diagnostics (common/log.h: the syslog-socket, facility daemon, and
 * stderr with -e/-d) as
 *
 *     gssocks-authproc[PID]: text
 *     gssocks-relay[PID] slot N: text
 *     gssocks-spawner-authproc[PID]: text    (the spawners, spawner.c)
 *     gssocks-spawner-relay[PID]: text
 *
 * The name, pid and slot are the master's own knowledge of the channel
 * (spawn.c), never anything the child sent.  The text is untrusted: every
 * octet outside printable ASCII (newlines, escapes, NUL cannot arrive) is
 * written \xNN so that one message is one line and cannot forge another
 * record; the level is range-checked by the decoder.  A child may write at
 * most CHILDLOG_RATE lines per second; beyond that its lines are counted
 * and one "N lines suppressed" line is written when the next second's
 * first line arrives or the child's channel goes.
 */
#ifndef GSSOCKS_MASTER_CHILDLOG_H
#define GSSOCKS_MASTER_CHILDLOG_H

#include <stddef.h>
#include <stdint.h>

#include "../ipc/ipc.h"

#define CHILDLOG_RATE 200u

struct child;

/* Per child: the current one-second window. */
struct childlog_rate {
	uint64_t window_start_ms;
	unsigned lines;
	unsigned long suppressed;
};

/* Write the line msg (IPC_LOG) of child c.  0, or -1 if it is malformed. */
int childlog_line(struct child *c, const struct ipc_msg *msg);

/* The child's channel is going: report what was suppressed, reset. */
void childlog_flush(struct child *c);

/*
 * The same for a sender the caller names: label (the master's own name
 * for it, e.g. "gssocks-spawner-relay[PID]", spawner.c) and its window.
 */
int childlog_write(const char *label, struct childlog_rate *rate, const struct ipc_msg *msg);
void childlog_flush_rate(const char *label, struct childlog_rate *rate);

/* text as one printable line into out (always NUL-terminated). */
void childlog_sanitize(const char *text, char *out, size_t outlen);

#endif
