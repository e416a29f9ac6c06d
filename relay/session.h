/*
 * session.h - one relayed SOCKS session: from the exported context and the
 * client socket authproc hands over, through the request and the master's
 * answer, to the data path and the SESSION_END record.
 *
 * Trust zone: relay worker.  Client bytes are untrusted; so is every IPC
 * payload (decoded before it gets here).
 *
 * States:
 *   READ_REQUEST  reading the first frame (or, at level clear, the plain
 *                 RFC 1928 request) from the client
 *   WAIT_MASTER   IPC_RELAY_REQUEST sent; the client is not read meanwhile
 *   WAIT_PEER     BIND: the first reply is queued or sent, the master waits
 *                 for the peer; the client is read only to notice its end
 *                 (relay/bind.c)
 *   SEND_REPLY    flushing a refusal reply; the session ends once it is out
 *   RELAY         reply queued or sent, data flowing both ways
 *   CLOSING       ended; fds closed, waiting to be freed after the batch
 *
 * Memory is bounded per session: at most one frame-sized buffer each way,
 * taken from the worker's pool (relay/framepool.h) when bytes arrive that
 * the direction must hold and given back as soon as it is drained
 * (session_release_buffers): an idle session holds none.
 */
#ifndef GSSOCKS_RELAY_SESSION_H
#define GSSOCKS_RELAY_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../ipc/ipc.h"
#include "../proto/buf.h"
#include "../proto/socks5.h"
#include "loop.h"
#include "../common/secwrap.h"

struct relay_udp;

enum session_state {
	SESSION_READ_REQUEST,
	SESSION_WAIT_MASTER,
	SESSION_WAIT_PEER,
	SESSION_SEND_REPLY,
	SESSION_RELAY,
	SESSION_CLOSING,
};

struct relay_session {
	uint64_t sid;
	uint8_t cmd;                    /* the request's command, once read */
	struct socks5_addr request_dst; /* the request's DST (UDP: the client's) */
	struct relay_udp *udp;          /* a UDP association (udp.c), or NULL */
	enum gss_level level;
	enum session_state state;
	char principal[IPC_PRINCIPAL_MAX];
	struct secwrap gss;
	struct relay_loop *loop;
	struct watch client;
	struct watch target;

	/* client -> target: frames (clear: bytes) read from the client into
	 * from_client_buf (pooled; NULL, and from_client empty with no room,
	 * while nothing is held).  After gss_unwrap the plaintext waiting for
	 * the target lives inside them. */
	uint8_t *from_client_buf;
	struct iobuf from_client;
	uint8_t *to_target;             /* plaintext not yet written, or NULL */
	size_t to_target_len;

	/* target -> client: one outgoing frame at to_client_buf[off, end)
	 * (pooled; NULL while no frame is being built or sent). */
	uint8_t *to_client_buf;
	size_t to_client_off;
	size_t to_client_end;
	bool reply_in_flight;           /* the queued frame is the SOCKS reply */
	uint8_t end_after_reply;        /* SEND_REPLY: reason once it is out */

	uint64_t bytes_from_client;     /* plaintext client -> target */
	uint64_t bytes_to_client;       /* plaintext target -> client */
	uint64_t reported_from_client;  /* what the last RELAY_PROGRESS said */
	uint64_t reported_to_client;    /* (progress.c) */
	bool client_eof;                /* read 0 from the client */
	bool target_eof;                /* read 0 from the target */
	bool target_shut;               /* shutdown(target, SHUT_WR) done */
	bool client_shut;               /* shutdown(client, SHUT_WR) done */
	uint8_t first_close;            /* CLIENT_CLOSE / TARGET_CLOSE, 0 until then */

	/* BIND: the master's second answer, when it came before the first
	 * reply was out (relay/bind.c); pending_fd -1 when none */
	bool result_pending;
	struct ipc_relay_request_result pending_result;
	int pending_fd;

	uint64_t request_deadline_ms;   /* 0 once the reply is out */
	uint64_t last_activity_ms;
	uint64_t idle_ms;               /* the master's per-session idle-timeout,
					 * else --idle-timeout; 0 = none */
	uint64_t end_at_ms;             /* policy max-duration passes; 0 = none */

	struct relay_session *prev, *next;   /* loop->sessions */
	struct relay_session *hash_next;     /* loop->buckets */
	struct relay_session *dead_next;     /* loop->dead */
};

/*
 * Start a session from a decoded IPC_RELAY_SESSION.  Takes client_fd in
 * every case.  A session that cannot start (context import fails) is ended
 * at once with a SESSION_END to the master; only the caller's channel
 * handling decides about the channel.
 */
void session_start(struct relay_loop *loop, const struct ipc_relay_session *m, int client_fd);

/* The live session with this id, or NULL. */
struct relay_session *session_find(struct relay_loop *loop, uint64_t sid);

/*
 * The master's answer for a session in WAIT_MASTER (the caller checks the
 * state).  Takes target_fd (-1 iff rep != 0).
 */
void session_on_result(struct relay_session *s, const struct ipc_relay_request_result *r,
		       int target_fd);

/*
 * The request was granted and its reply queued: the session relays from
 * now on, under the principal's idle timeout and max-duration in R (0:
 * the configured default / none).  CONNECT, BIND and UDP ASSOCIATE alike.
 */
void session_start_relaying(struct relay_session *s, const struct ipc_relay_request_result *r);

/*
 * Queue the (wrapped) RFC 1928 reply as the next frame to the client
 * (the frame buffer must be empty).  0, or -1 (logged).
 */
int session_queue_reply(struct relay_session *s, uint8_t rep, const struct socks5_addr *bound);

/* After a step of work: end the session (reason != 0), or wait for what
 * it needs next. */
void session_progress(struct relay_session *s, uint8_t reason);

/* An epoll event on one of the session's fds. */
void session_on_event(struct relay_session *s, struct watch *w, uint32_t events);

/*
 * End the session: close its fds, delete its context, send SESSION_END to
 * the master (unless it is gone), park it for session_reap().
 */
void session_end(struct relay_session *s, uint8_t reason);

/* Request and idle timeouts, once a second. */
void session_sweep(struct relay_loop *loop);

/* Free the sessions ended since the last call. */
void session_reap(struct relay_loop *loop);

/* Recompute and register what the session waits for on its two fds.
 * Gives back the frame buffers it no longer needs first. */
void session_update_interest(struct relay_session *s);

/*
 * Frame buffers (relay/framepool.h).  session_take_in() makes sure
 * from_client has a buffer, session_take_out() that to_client_buf is
 * one: 0, or -1 when the system has no memory (logged; end the session
 * with IPC_END_IO_ERROR).  session_release_buffers() gives back each that
 * holds nothing: from_client with no octet and no plaintext waiting,
 * to_client_buf with no frame waiting.
 */
int session_take_in(struct relay_session *s);
int session_take_out(struct relay_session *s);
void session_release_buffers(struct relay_session *s);

/*
 * Data path (datapath.c).  Each moves what it can without blocking and
 * returns 0 to go on or the enum ipc_end_reason that ends the session.
 */
uint8_t datapath_client_to_target(struct relay_session *s);
/* datapath_target_to_client also flushes a queued reply (any state). */
uint8_t datapath_target_to_client(struct relay_session *s);

/*
 * Take the next whole frame from from_client and unwrap it in place
 * (clear: take every buffered byte).  Returns 1 with *plain / *plain_len
 * naming bytes inside the session's buffer (valid until the next read
 * into it), 0 when more bytes are needed, -1 with *reason set.
 */
int datapath_open_frame(struct relay_session *s, uint8_t **plain, size_t *plain_len,
			uint8_t *reason);

#endif
