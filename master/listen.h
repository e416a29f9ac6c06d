/*
 * listen.h - the master's listening sockets (`listen` in gssocksd.conf).
 *
 * Trust zone: master.  Opened before the daemon detaches so that a bad
 * address is reported on the terminal and start-up fails.
 *
 * Design: one socket per configured address; "*" means 0.0.0.0 and ::
 * (two sockets).  IPv6 sockets set IPV6_V6ONLY so both families can share
 * a port; all are SO_REUSEADDR, non-blocking, close-on-exec, backlog 512.
 */
#ifndef GSSOCKS_MASTER_LISTEN_H
#define GSSOCKS_MASTER_LISTEN_H

#include <stdint.h>

#include "config_file.h"

/* Bind and listen on every configured address.  0, or -1 (logged). */
int listen_open(const struct master_config *cfg);
/* Register the listeners with the event loop (accepting starts). */
int listen_watch(void);
/* Re-enable accepting after a pause for lack of fds (sweep, once a second). */
void listen_resume(uint64_t now_ms);
/* Close every listener (shutdown). */
void listen_close(void);

#endif
