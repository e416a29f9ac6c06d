/*
 * control.h - the control socket that gssocksctl(8) talks to: list the
 * live sessions, end one, show the counters and the Prometheus metrics.
 *
 * Trust zone: master.  The socket is opened before the master drops to
 * its user and enters its sandbox (bind and listen are killed after);
 * only accept4 and reads/writes of connections happen afterwards.  It
 * answers from the master's own session table and counters: no child
 * gains a capability, and a relay's byte counts (RELAY_PROGRESS) are
 * shown, never trusted.
 *
 * SECURITY: access control is the file: an AF_UNIX stream socket of
 * mode 0660 owned by the master's user and `control-group` (0600 without
 * a group), in a directory the administrator chose.  As a second check
 * every accepted connection's SO_PEERCRED / SO_PEERGROUPS must show uid
 * 0, the master's uid, or the group (primary or supplementary); anyone
 * else gets "error: permission denied" and nothing else.  Requests are
 * one bounded line (control_proto.h); at most CONTROL_CONNECTIONS at
 * once, each with a 10 s deadline of no progress, and answers are
 * written from a bounded buffer as the socket takes them (EPOLLOUT): a
 * slow or stuck reader never stalls the gateway.  `end ID` writes an
 * audit record `event=admin-end session=N by_uid=U phase=P`; the session's
 * end record then says reason=admin.
 *
 * Design: one file with three narrow entry points for master.c (open
 * before the sandbox, watch, sweep and close); the protocol and the text
 * forms are pure (control_proto.c, metrics.c) and unit-tested.
 */
#ifndef GSSOCKS_MASTER_CONTROL_H
#define GSSOCKS_MASTER_CONTROL_H

#include <stdint.h>
#include <sys/types.h>

#include "config_file.h"

#define CONTROL_CONNECTIONS 8

/*
 * Create, bind and listen on cfg->control_socket (nothing when it is
 * empty, or when it is the default and its directory does not exist: a
 * warning).  A stale socket file that nobody answers on is replaced; a
 * live one (another gssocksd) or a file that is not a socket refuses
 * start-up.  owner_uid: the master's user after start-up.  0 or -1
 * (logged).  Root or not, before privileges are dropped.
 */
int control_open(const struct master_config *cfg, uid_t owner_uid);

/* Register the socket with the event loop. */
int control_watch(void);

/* Once a second: end connections past their deadline. */
void control_sweep(uint64_t now_ms);

/* Close everything and remove the socket file (if it is still ours). */
void control_close(void);

/* The socket file to remove at exit (for the sandbox's Landlock rule),
 * "" when there is none. */
const char *control_socket_path(void);

#endif
