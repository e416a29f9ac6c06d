/*
 * handshake.h - one client's RFC 1961 sections 3-4 state machine.
 *
 * Trust zone: authproc; every byte a client sends is untrusted.  A client's
 * bad input ends that client only: `01 ff` where the protocol allows it,
 * close, IPC_AUTH_FAIL to the master.
 */
#ifndef GSSOCKS_AUTHPROC_HANDSHAKE_H
#define GSSOCKS_AUTHPROC_HANDSHAKE_H

#include <stdbool.h>
#include <stdint.h>

#include "authproc.h"

/*
 * Take over a client socket the master handed us (fd is ours from now on).
 * When it cannot be taken (too many handshakes, no memory) the client gets
 * 01 ff, the fd is closed and the master gets IPC_AUTH_FAIL.
 */
void handshake_start(struct authproc *ap, const struct ipc_auth_client *m, int fd);

/* epoll reported events on the client's fd. */
void handshake_event(struct authproc *ap, struct auth_client *c, uint32_t events);

/*
 * The master's answer to a level query (IPC_AUTH_LEVEL_ANSWER): send the
 * level to the client in the form it asked, or 01 ff on abort.  An answer
 * for a client no longer waiting (timed out, gone) is ignored.
 */
void handshake_level_answer(struct authproc *ap, const struct ipc_auth_level_answer *m);

/*
 * The master dropped this session to make room under a flood
 * (IPC_AUTH_CANCEL): 01 ff where no frame is half-written, close, and
 * report nothing (the master already counted it).  A session past the
 * level answer (being handed off, or waiting for its relay channel) or
 * unknown here is left alone.
 */
void handshake_cancel(struct authproc *ap, uint64_t session_id);

/*
 * The level answer is out but c's relay slot has no channel yet (the
 * relay that makes it is starting): c waits, watched for hang-ups only,
 * until handshake_relay_ready() or its deadline.
 */
void handshake_wait_relay(struct authproc *ap, struct auth_client *c);

/* A channel for `slot` was installed: hand off every client waiting for it. */
void handshake_relay_ready(struct authproc *ap, uint32_t slot);

/* Fail every handshake whose deadline has passed. */
void handshake_sweep(struct authproc *ap, uint64_t now_ms);

/*
 * End a handshake that failed: send 01 ff first when send_abort (and no
 * frame is half-written), log, report IPC_AUTH_FAIL with the reason, close.
 */
void handshake_fail(struct authproc *ap, struct auth_client *c, bool send_abort,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Close a client without reporting anything (after a hand-off). */
void handshake_close(struct authproc *ap, struct auth_client *c);

/* Free clients closed during the last batch of events. */
void handshake_free_closed(struct authproc *ap);

#endif
