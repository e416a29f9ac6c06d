/*
 * ipc.h - every message between gssocks processes, defined once.
 *
 * Trust zone: shared.  Each receiver treats the sender as possibly
 * compromised: every payload is decoded through proto/buf.h with hard
 * caps, every message type is checked against the receiver's table
 * (ipc_permitted) and an unknown or unpermitted message ends that peer.
 *
 * Transport: AF_UNIX SOCK_SEQPACKET socketpairs made by the master, so one
 * send is one message and message boundaries survive.  A message is
 *
 *     type (u16) | reserved (u16) = 0 | payload length (u32) | payload
 *
 * with at most one file descriptor in an SCM_RIGHTS control message (as
 * OpenSSH's monitor_fdpass: one fd per message, control header checked).
 * Whether a type must, may or must not carry an fd is part of the table.
 *
 * Channels (fd 3 in every child at exec is its channel to the master):
 *
 *   master <-> authproc   AUTH_CLIENT, AUTH_RELAY_CHANNEL, AUTH_LEVEL_ANSWER,
 *                         AUTH_CANCEL / AUTH_LEVEL_QUERY, AUTH_OK, AUTH_FAIL
 *   master <-> relay N    RELAY_MAKE_CHANNEL, RELAY_REQUEST_RESULT,
 *                         RELAY_BIND_LISTENING, RELAY_UDP_DEST_RESULT,
 *                         RELAY_END_SESSION / RELAY_CHANNEL_MADE,
 *                         RELAY_REQUEST, RELAY_UDP_DEST, RELAY_UDP_STATS,
 *                         RELAY_SESSION_END, RELAY_PROGRESS
 *   child -> master       LOG (authproc and relays: their diagnostics, since
 *                         a sandboxed child neither opens syslog nor has a
 *                         stderr anyone reads once gssocksd detached)
 *   master <-> child      PING / PONG (authproc and relays: the master's
 *                         watchdog, master/watchdog.c; a child answers
 *                         each PING from its event loop)
 *   authproc -> relay N   RELAY_SESSION (client fd + exported GSS context)
 *   master <-> spawner    SPAWN_CHILD, SPAWN_SIGNAL / SPAWN_RESULT, LOG (the
 *                         two spawners, master/spawner.c: start and signal
 *                         authproc and the relays on the master's behalf;
 *                         LOG: their own diagnostics, as a child's)
 *
 * The authproc->relay channel is a socketpair the RELAY creates: the master
 * asks for one (RELAY_MAKE_CHANNEL, no fd), the relay keeps one end and
 * sends the other up (RELAY_CHANNEL_MADE, fd), and the master passes that
 * end on to authproc (AUTH_RELAY_CHANNEL, fd) and closes its copy.  The
 * master never holds the relay's end, so it cannot read what authproc
 * writes; and authproc accepts a channel only when SO_PEERCRED names a
 * relay, never the master (authproc/channel_check.c), so a pair the master
 * made itself is refused.  RELAY_SESSION is the only message that carries
 * key material, and it is permitted on that channel only: the master's
 * tables do not accept it (invariant 1).
 *
 * The spawner channels carry no path, argument or key: SPAWN_CHILD names a
 * slot only (the spawner builds the command line from its own copy of the
 * configuration) and SPAWN_SIGNAL names a pid and SIGTERM or SIGKILL, which
 * the spawner sends by pidfd to a child it started, or refuses.  A spawner
 * channel accepts nothing else (no RELAY_SESSION, no AUTH_*); LOG only
 * from a spawner to the master.
 */
#ifndef GSSOCKS_IPC_IPC_H
#define GSSOCKS_IPC_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../proto/buf.h"
#include "../proto/socks5.h"

#define IPC_HEADER_LEN     8
#define IPC_MAX_PAYLOAD    (96 * 1024)   /* caps the exported context too */
#define IPC_CONTEXT_MAX    (80 * 1024)
#define IPC_PRINCIPAL_MAX  512
#define IPC_TEXT_MAX       256
#define IPC_LOG_TEXT_MAX   1024          /* incl. NUL: longer lines are cut */

enum ipc_type {
	IPC_NONE = 0,
	/* master -> authproc */
	IPC_AUTH_CLIENT = 1,          /* fd: client socket */
	IPC_AUTH_RELAY_CHANNEL = 2,   /* fd: authproc's end of the channel to relay slot */
	/* authproc -> master */
	IPC_AUTH_OK = 3,
	IPC_AUTH_FAIL = 4,
	/* authproc -> relay, on the direct channel only */
	IPC_RELAY_SESSION = 5,        /* fd: client socket; payload has the context */
	/* relay -> master */
	IPC_RELAY_REQUEST = 6,
	IPC_RELAY_SESSION_END = 7,
	/* master -> relay */
	IPC_RELAY_REQUEST_RESULT = 8, /* fd: outbound socket when rep == 0 */
	IPC_RELAY_MAKE_CHANNEL = 9,   /* make a channel to authproc (no fd) */
	/* authproc -> master: which level may this principal use? */
	IPC_AUTH_LEVEL_QUERY = 10,
	/* master -> authproc: the answer (a level, or abort) */
	IPC_AUTH_LEVEL_ANSWER = 11,
	/* authproc or relay -> master: one diagnostic line (common/log.h) */
	IPC_LOG = 12,
	/* master -> spawner: start the child of a slot */
	IPC_SPAWN_CHILD = 13,         /* fd: the child's channel (its fd 3) */
	/* spawner -> master: the answer to each SPAWN_CHILD, and only that */
	IPC_SPAWN_RESULT = 14,
	/* master -> spawner: SIGTERM or SIGKILL to a child it started */
	IPC_SPAWN_SIGNAL = 15,
	/* master -> authproc: end a handshake the master dropped (a flood,
	 * master/admission.c); nothing is reported back */
	IPC_AUTH_CANCEL = 16,
	/* master -> authproc or relay: the watchdog's "are you there?" */
	IPC_PING = 17,
	/* authproc or relay -> master: the answer, same sequence number */
	IPC_PONG = 18,
	/* relay -> master: the answer to RELAY_MAKE_CHANNEL */
	IPC_RELAY_CHANNEL_MADE = 19,  /* fd: authproc's end of the pair the relay made */
	/* master -> relay: a BIND's listening socket is bound (first reply) */
	IPC_RELAY_BIND_LISTENING = 20,
	/* relay -> master: a UDP association's datagram names a destination
	 * the relay has no socket for (master/udp.c) */
	IPC_RELAY_UDP_DEST = 21,
	/* master -> relay: the answer; fd: a UDP socket connected to it */
	IPC_RELAY_UDP_DEST_RESULT = 22,
	/* relay -> master: a UDP association's counters, just before its
	 * SESSION_END (the end record carries them) */
	IPC_RELAY_UDP_STATS = 23,
	/* relay -> master: plaintext octets so far of sessions that moved
	 * (once a second at most; for gssocksctl, display and nothing else) */
	IPC_RELAY_PROGRESS = 24,
	/* master -> relay: end this session now (gssocksctl end ID) */
	IPC_RELAY_END_SESSION = 25,
	IPC_TYPE_COUNT
};

/* Who receives, on which channel: the rows of the permission table. */
enum ipc_channel {
	IPC_CHAN_MASTER_FROM_AUTHPROC,
	IPC_CHAN_MASTER_FROM_RELAY,
	IPC_CHAN_AUTHPROC_FROM_MASTER,
	IPC_CHAN_RELAY_FROM_MASTER,
	IPC_CHAN_RELAY_FROM_AUTHPROC,
	IPC_CHAN_SPAWNER_FROM_MASTER,
	IPC_CHAN_MASTER_FROM_SPAWNER,
	IPC_CHAN_COUNT
};

enum ipc_fd_rule { IPC_FD_NEVER, IPC_FD_ALWAYS, IPC_FD_OPTIONAL };

/*
 * True when `type` may arrive on `chan`.  Receivers call this (through
 * ipc_recv's chan argument) before decoding anything.
 */
bool ipc_permitted(enum ipc_channel chan, uint16_t type);
enum ipc_fd_rule ipc_fd_rule(uint16_t type);
const char *ipc_type_name(uint16_t type);

/* Why a relay session ended (RELAY_SESSION_END.reason, audit "reason="). */
enum ipc_end_reason {
	IPC_END_CLIENT_CLOSE = 1,
	IPC_END_TARGET_CLOSE = 2,
	IPC_END_IDLE = 3,
	IPC_END_UNWRAP_FAILURE = 4,
	IPC_END_PROTOCOL_ERROR = 5,
	IPC_END_REQUEST_REFUSED = 6,  /* reply REP != 0 was sent */
	IPC_END_IO_ERROR = 7,
	IPC_END_SHUTDOWN = 8,
	IPC_END_TIMEOUT = 9,
	IPC_END_MAX_DURATION = 10,    /* the policy's max-duration passed */
	IPC_END_ADMIN = 11,           /* RELAY_END_SESSION: gssocksctl end ID */
};
const char *ipc_end_reason_name(uint8_t reason);

/* Payloads.  Strings are NUL-terminated and never contain NUL. */
struct ipc_auth_client {        /* IPC_AUTH_CLIENT */
	uint64_t session_id;
	uint32_t relay_slot;        /* which relay channel gets the session */
	char peer[IPC_TEXT_MAX];    /* client address, for logs */
};

/*
 * IPC_RELAY_MAKE_CHANNEL, IPC_RELAY_CHANNEL_MADE, IPC_AUTH_RELAY_CHANNEL:
 * the same three numbers on each hop (the relay echoes what it was asked).
 */
struct ipc_auth_relay_channel {
	uint32_t relay_slot;
	uint32_t generation;        /* bumps each time the slot is respawned */
	uint32_t authproc_slot;     /* which authproc worker gets the channel */
};

struct ipc_auth_ok {            /* IPC_AUTH_OK */
	uint64_t session_id;
	uint8_t level;              /* enum gss_level agreed */
	uint8_t nec;                /* level octet travelled unwrapped */
	char principal[IPC_PRINCIPAL_MAX];
	char mechanism[IPC_TEXT_MAX];
	char service[IPC_PRINCIPAL_MAX];  /* the acceptor's name the client used */
};

struct ipc_auth_fail {          /* IPC_AUTH_FAIL */
	uint64_t session_id;
	char reason[IPC_TEXT_MAX];  /* GSS major/minor text or protocol reason */
};

struct ipc_auth_cancel {        /* IPC_AUTH_CANCEL */
	uint64_t session_id;        /* a session handed over with AUTH_CLIENT */
};

/*
 * The principal's policy decides the level (DESIGN: level choice): after
 * the context is complete and the client's level message was read,
 * authproc asks, and waits for the answer before it replies to the client.
 */
struct ipc_auth_level_query {   /* IPC_AUTH_LEVEL_QUERY */
	uint64_t session_id;
	uint8_t requested;          /* the octet the client asked (any value) */
	uint8_t nec;                /* it came bare (NEC form) */
	uint8_t flags;              /* the context's ret_flags & IPC_CONTEXT_FLAGS */
	char principal[IPC_PRINCIPAL_MAX];
	char mechanism[IPC_TEXT_MAX];
};

/*
 * AUTH_LEVEL_QUERY.flags: the ret_flags the level choice reads
 * (proto/level.h), with the GSS-API's own bit values (RFC 2744: INTEG 32,
 * CONF 16, SEQUENCE 8, REPLAY 4); any other bit is refused.
 */
#define IPC_CONTEXT_FLAGS 0x3cu

#define IPC_LEVEL_ABORT 0xff    /* AUTH_LEVEL_ANSWER.level: send 01 ff */

struct ipc_auth_level_answer {  /* IPC_AUTH_LEVEL_ANSWER */
	uint64_t session_id;
	uint8_t level;              /* enum gss_level, or IPC_LEVEL_ABORT */
	char reason[IPC_TEXT_MAX];  /* why, when abort */
};

struct ipc_relay_session {      /* IPC_RELAY_SESSION (authproc -> relay only) */
	uint64_t session_id;
	uint8_t level;
	char principal[IPC_PRINCIPAL_MAX];
	const uint8_t *context;     /* exported GSS context, borrowed */
	size_t context_len;         /* 1..IPC_CONTEXT_MAX */
};

struct ipc_relay_request {      /* IPC_RELAY_REQUEST */
	uint64_t session_id;
	struct socks5_request request;
};

struct ipc_relay_request_result { /* IPC_RELAY_REQUEST_RESULT */
	uint64_t session_id;
	uint8_t rep;                /* SOCKS5_REP_*; fd attached iff rep == 0 */
	struct socks5_addr bound;   /* BND.ADDR/BND.PORT for the reply; left zeroed
	                               (atyp 0) it is sent as 0.0.0.0:0 */
	uint32_t idle_timeout;      /* seconds, from the principal's policy; 0: none */
	uint32_t max_duration;      /* seconds since the answer; 0: none */
};

/*
 * BIND (master/bind.c): the master answers a BIND twice.  First
 * RELAY_BIND_LISTENING, no fd: the listening socket is bound, `bound` is
 * the first reply's BND.ADDR/BND.PORT.  Then, as for CONNECT, one
 * RELAY_REQUEST_RESULT: REP 00 with the accepted peer's socket and its
 * address as `bound` (the second reply), or a failure REP (06 when
 * bind-timeout passed with no allowed peer).
 */
struct ipc_relay_bind_listening { /* IPC_RELAY_BIND_LISTENING */
	uint64_t session_id;
	struct socks5_addr bound;   /* IPv4 or IPv6 address, port != 0 */
};

struct ipc_relay_session_end {  /* IPC_RELAY_SESSION_END */
	uint64_t session_id;
	uint64_t bytes_from_client; /* plaintext octets client -> target */
	uint64_t bytes_to_client;   /* plaintext octets target -> client */
	uint8_t reason;             /* enum ipc_end_reason */
};

/*
 * UDP ASSOCIATE (master/udp.c, relay/udp.c).  The association's
 * REQUEST_RESULT carries the client-facing UDP socket (bound by the master
 * to the address the control connection arrived on); each destination a
 * client datagram names is asked for once with RELAY_UDP_DEST, and the
 * master answers with a socket connected to it (rep 0) or a refusal.  At
 * most IPC_UDP_DESTINATIONS_MAX destinations per association, counted by
 * the master (the relay's table has the same size).
 */
#define IPC_UDP_DESTINATIONS_MAX 64

struct ipc_relay_udp_dest {     /* IPC_RELAY_UDP_DEST */
	uint64_t session_id;
	struct socks5_addr dst;     /* as the datagram named it */
};

struct ipc_relay_udp_dest_result { /* IPC_RELAY_UDP_DEST_RESULT */
	uint64_t session_id;
	uint8_t rep;                /* SOCKS5_REP_*; fd attached iff rep == 0 */
	struct socks5_addr dst;     /* the destination asked, to match the answer */
};

/* Why datagrams of an association were dropped: the end record's keys. */
enum ipc_udp_drop {
	IPC_UDP_DROP_SOURCE,        /* from another address than the client's */
	IPC_UDP_DROP_TOKEN,         /* not a frame, or gss_unwrap failed */
	IPC_UDP_DROP_REPLAY,        /* a duplicate or too old to tell */
	IPC_UDP_DROP_FRAGMENT,      /* FRAG != 0 */
	IPC_UDP_DROP_FORBIDDEN,     /* destination refused by the master */
	IPC_UDP_DROP_MALFORMED,     /* SOCKS UDP header does not parse */
	IPC_UDP_DROP_LIMIT,         /* destinations-max reached, or queue full */
	IPC_UDP_DROP_SIZE,          /* a reply too large for one token */
	IPC_UDP_DROP_SEND,          /* send failed (buffer full, error) */
	IPC_UDP_DROP_COUNT
};
/* "source", "token", ... for the record's dropped_<name>= keys. */
const char *ipc_udp_drop_name(unsigned drop);

struct ipc_relay_udp_stats {    /* IPC_RELAY_UDP_STATS */
	uint64_t session_id;
	uint64_t datagrams_from_client;
	uint64_t datagrams_to_client;
	uint64_t bytes_from_client;     /* DATA octets, SOCKS headers excluded */
	uint64_t bytes_to_client;
	uint64_t dropped[IPC_UDP_DROP_COUNT];
};

/*
 * IPC_LOG: one diagnostic line of a child.  The master trusts neither the
 * level beyond the range check nor the text: it names the child itself
 * (role and pid it spawned), replaces control and non-ASCII octets and
 * rate-limits (master/childlog.c).  level is enum log_level (common/log.h)
 * as a number: 0 err, 1 warn, 2 info, 3 debug.
 */
#define IPC_LOG_LEVEL_MAX 3

struct ipc_log {                /* IPC_LOG */
	uint8_t level;              /* 0..IPC_LOG_LEVEL_MAX */
	char text[IPC_LOG_TEXT_MAX];
};

/*
 * The spawners' vocabulary.  A slot is checked against the configuration
 * by the spawner itself (relay-workers); the decoders check the rest.
 */
#define IPC_SPAWN_ERRNO_MAX 4095  /* errno values are below this (MAX_ERRNO) */

struct ipc_spawn_child {        /* IPC_SPAWN_CHILD (fd: the child's channel) */
	uint32_t slot;              /* 0 for authproc; 0..relay-workers-1 */
};

struct ipc_spawn_result {       /* IPC_SPAWN_RESULT */
	uint32_t pid;               /* 1..INT_MAX, or 0: not started */
	uint32_t error;             /* errno when pid is 0 (1..4095), else 0 */
};

struct ipc_spawn_signal {       /* IPC_SPAWN_SIGNAL */
	uint32_t pid;               /* 1..INT_MAX, a child this spawner started */
	uint32_t signal;            /* SIGTERM or SIGKILL, nothing else */
};

/*
 * The watchdog (master/watchdog.c): PING carries a sequence number the
 * PONG echoes, so a late answer to an earlier ping is told from the
 * answer to the one outstanding.  No fd, nothing else.
 */
struct ipc_ping {               /* IPC_PING and IPC_PONG */
	uint32_t seq;
};

/*
 * RELAY_PROGRESS: the plaintext octets each way so far of up to
 * IPC_PROGRESS_MAX sessions (those whose counts changed since the last
 * report).  The master shows them (gssocksctl sessions) and trusts them
 * for nothing else: the end record's counts come from RELAY_SESSION_END.
 */
#define IPC_PROGRESS_MAX 1024

struct ipc_progress_entry {
	uint64_t session_id;        /* not 0 */
	uint64_t bytes_from_client;
	uint64_t bytes_to_client;
};

struct ipc_relay_progress {     /* IPC_RELAY_PROGRESS */
	uint16_t count;             /* 1..IPC_PROGRESS_MAX */
	struct ipc_progress_entry entry[IPC_PROGRESS_MAX];
};

/* RELAY_END_SESSION: the relay ends the session with IPC_END_ADMIN (reset
 * at both ends) and reports it with RELAY_SESSION_END as any other end;
 * an id it does not hold (ended meanwhile) is ignored. */
struct ipc_relay_end_session {  /* IPC_RELAY_END_SESSION */
	uint64_t session_id;        /* not 0 */
};

/*
 * A received message: payload copied into the caller's storage.  The struct
 * is about 96 KiB: keep it static or on the heap, not in a small stack frame.
 */
struct ipc_msg {
	uint16_t type;
	size_t len;
	uint8_t payload[IPC_MAX_PAYLOAD];
	int fd;                     /* -1 when none was attached */
};

/*
 * Send one message (payload may be NULL when len is 0) with pass_fd
 * attached unless it is -1.  Blocking semantics: on a non-blocking socket
 * EAGAIN is waited out with poll() for at most 5 seconds, since a peer that
 * does not drain its channel is broken.  Returns 0 or -1 (errno set).
 */
int ipc_send(int sock, uint16_t type, const void *payload, size_t len, int pass_fd);

/*
 * The same, but a full channel fails at once with EAGAIN, whatever the
 * socket's mode (MSG_DONTWAIT).  For every message the master sends to a
 * child and for authproc's RELAY_SESSION: a receiver that does not drain
 * must not stall the sender's event loop (the sender then kills the child
 * or drops the channel; SEQPACKET buffers far exceed normal traffic).
 * Only child -> master sends wait (ipc_send).
 */
int ipc_send_nowait(int sock, uint16_t type, const void *payload, size_t len, int pass_fd);

/*
 * Receive one message for channel `chan`.  Returns 1 with *msg filled,
 * 0 at end of file, -1 on error with errno set: EAGAIN when nothing is
 * waiting, EPROTO when the message is malformed, not permitted on the
 * channel, truncated, or breaks the type's fd rule (any fd that came with
 * a refused message is closed).  On 1, the caller owns msg->fd.
 */
int ipc_recv(int sock, enum ipc_channel chan, struct ipc_msg *msg);

/*
 * Encoders write a payload into wb; decoders read msg payload through an
 * rbuf, check every field and consume every byte (else -1).  A decoder also
 * refuses a msg whose type is not the one it decodes, so callers need not
 * check msg->type twice.  Errors: -1 with errno EINVAL (encoder given a
 * value the decoder would refuse), EMSGSIZE (wb too small), EPROTO (decode).
 */
int ipc_encode_auth_client(struct wbuf *wb, const struct ipc_auth_client *m);
int ipc_decode_auth_client(const struct ipc_msg *msg, struct ipc_auth_client *m);
int ipc_encode_relay_channel(struct wbuf *wb, const struct ipc_auth_relay_channel *m);
int ipc_decode_relay_channel(const struct ipc_msg *msg, struct ipc_auth_relay_channel *m);
int ipc_encode_auth_ok(struct wbuf *wb, const struct ipc_auth_ok *m);
int ipc_decode_auth_ok(const struct ipc_msg *msg, struct ipc_auth_ok *m);
int ipc_encode_auth_fail(struct wbuf *wb, const struct ipc_auth_fail *m);
int ipc_decode_auth_fail(const struct ipc_msg *msg, struct ipc_auth_fail *m);
int ipc_encode_auth_cancel(struct wbuf *wb, const struct ipc_auth_cancel *m);
int ipc_decode_auth_cancel(const struct ipc_msg *msg, struct ipc_auth_cancel *m);
int ipc_encode_auth_level_query(struct wbuf *wb, const struct ipc_auth_level_query *m);
int ipc_decode_auth_level_query(const struct ipc_msg *msg, struct ipc_auth_level_query *m);
int ipc_encode_auth_level_answer(struct wbuf *wb, const struct ipc_auth_level_answer *m);
int ipc_decode_auth_level_answer(const struct ipc_msg *msg, struct ipc_auth_level_answer *m);
int ipc_encode_relay_session(struct wbuf *wb, const struct ipc_relay_session *m);
/* m->context borrows from msg. */
int ipc_decode_relay_session(const struct ipc_msg *msg, struct ipc_relay_session *m);
int ipc_encode_relay_request(struct wbuf *wb, const struct ipc_relay_request *m);
int ipc_decode_relay_request(const struct ipc_msg *msg, struct ipc_relay_request *m);
int ipc_encode_request_result(struct wbuf *wb, const struct ipc_relay_request_result *m);
/* Also -1 unless msg->fd is attached iff rep == 0. */
int ipc_decode_request_result(const struct ipc_msg *msg, struct ipc_relay_request_result *m);
int ipc_encode_bind_listening(struct wbuf *wb, const struct ipc_relay_bind_listening *m);
int ipc_decode_bind_listening(const struct ipc_msg *msg, struct ipc_relay_bind_listening *m);
int ipc_encode_session_end(struct wbuf *wb, const struct ipc_relay_session_end *m);
int ipc_decode_session_end(const struct ipc_msg *msg, struct ipc_relay_session_end *m);
int ipc_encode_log(struct wbuf *wb, const struct ipc_log *m);
int ipc_decode_log(const struct ipc_msg *msg, struct ipc_log *m);
int ipc_encode_spawn_child(struct wbuf *wb, const struct ipc_spawn_child *m);
/* Also -1 unless msg->fd is attached. */
int ipc_decode_spawn_child(const struct ipc_msg *msg, struct ipc_spawn_child *m);
int ipc_encode_spawn_result(struct wbuf *wb, const struct ipc_spawn_result *m);
int ipc_decode_spawn_result(const struct ipc_msg *msg, struct ipc_spawn_result *m);
int ipc_encode_spawn_signal(struct wbuf *wb, const struct ipc_spawn_signal *m);
int ipc_decode_spawn_signal(const struct ipc_msg *msg, struct ipc_spawn_signal *m);
int ipc_encode_udp_dest(struct wbuf *wb, const struct ipc_relay_udp_dest *m);
int ipc_decode_udp_dest(const struct ipc_msg *msg, struct ipc_relay_udp_dest *m);
int ipc_encode_udp_dest_result(struct wbuf *wb, const struct ipc_relay_udp_dest_result *m);
/* Also -1 unless msg->fd is attached iff rep == 0. */
int ipc_decode_udp_dest_result(const struct ipc_msg *msg, struct ipc_relay_udp_dest_result *m);
int ipc_encode_udp_stats(struct wbuf *wb, const struct ipc_relay_udp_stats *m);
int ipc_decode_udp_stats(const struct ipc_msg *msg, struct ipc_relay_udp_stats *m);
int ipc_encode_relay_progress(struct wbuf *wb, const struct ipc_relay_progress *m);
int ipc_decode_relay_progress(const struct ipc_msg *msg, struct ipc_relay_progress *m);
int ipc_encode_relay_end_session(struct wbuf *wb, const struct ipc_relay_end_session *m);
int ipc_decode_relay_end_session(const struct ipc_msg *msg, struct ipc_relay_end_session *m);
/* PING and PONG share the layout (one encoder), each has its decoder. */
int ipc_encode_ping(struct wbuf *wb, const struct ipc_ping *m);
int ipc_decode_ping(const struct ipc_msg *msg, struct ipc_ping *m);
int ipc_decode_pong(const struct ipc_msg *msg, struct ipc_ping *m);

/*
 * Convenience: encode with `encode` into a stack buffer and send it.
 * Each ipc_send_* below is exactly that for one message type.  Those a
 * child sends to the master (AUTH_OK, AUTH_FAIL, AUTH_LEVEL_QUERY,
 * RELAY_REQUEST, SESSION_END) use ipc_send; the others (master -> child,
 * and RELAY_SESSION from authproc to a relay) use ipc_send_nowait.
 */
int ipc_send_auth_client(int sock, const struct ipc_auth_client *m, int fd);
/*
 * type: IPC_RELAY_MAKE_CHANNEL (fd -1) or IPC_AUTH_RELAY_CHANNEL (fd: the
 * end being passed on), both ipc_send_nowait from the master; or
 * IPC_RELAY_CHANNEL_MADE (fd: authproc's end), ipc_send from a relay.
 */
int ipc_send_relay_channel(int sock, uint16_t type, const struct ipc_auth_relay_channel *m, int fd);
int ipc_send_auth_ok(int sock, const struct ipc_auth_ok *m);
int ipc_send_auth_fail(int sock, const struct ipc_auth_fail *m);
int ipc_send_auth_level_query(int sock, const struct ipc_auth_level_query *m);
int ipc_send_auth_level_answer(int sock, const struct ipc_auth_level_answer *m);
int ipc_send_auth_cancel(int sock, const struct ipc_auth_cancel *m);
int ipc_send_relay_session(int sock, const struct ipc_relay_session *m, int fd);
int ipc_send_relay_request(int sock, const struct ipc_relay_request *m);
int ipc_send_request_result(int sock, const struct ipc_relay_request_result *m, int fd);
int ipc_send_bind_listening(int sock, const struct ipc_relay_bind_listening *m);
int ipc_send_session_end(int sock, const struct ipc_relay_session_end *m);
int ipc_send_udp_dest(int sock, const struct ipc_relay_udp_dest *m);
int ipc_send_udp_dest_result(int sock, const struct ipc_relay_udp_dest_result *m, int fd);
int ipc_send_udp_stats(int sock, const struct ipc_relay_udp_stats *m);
/*
 * A child's log line (ipc_send: waits out a full channel up to 5 s).  A
 * text longer than IPC_LOG_TEXT_MAX - 1 octets is cut there, not refused,
 * so that the start of a long diagnostic still arrives.  Never logs.
 */
int ipc_send_log(int sock, uint8_t level, const char *text);
/*
 * The spawners' messages, all with ipc_send: the master waits for each
 * SPAWN_RESULT anyway (a start is synchronous, bounded by 5 s), and a
 * spawner answers only the master.
 */
int ipc_send_spawn_child(int sock, const struct ipc_spawn_child *m, int fd);
int ipc_send_spawn_result(int sock, const struct ipc_spawn_result *m);
int ipc_send_spawn_signal(int sock, const struct ipc_spawn_signal *m);
/*
 * The watchdog's pair: PING with ipc_send_nowait (the master never waits
 * for a child; a full channel is EAGAIN and the deadline still runs), PONG
 * with ipc_send like every child -> master message.
 */
int ipc_send_ping(int sock, uint32_t seq);
/* RELAY_PROGRESS with ipc_send (a relay's message to the master);
 * RELAY_END_SESSION with ipc_send_nowait (the master never waits). */
int ipc_send_relay_progress(int sock, const struct ipc_relay_progress *m);
int ipc_send_relay_end_session(int sock, uint64_t session_id);
int ipc_send_pong(int sock, uint32_t seq);

/* The fd every child finds its master channel on after exec. */
#define IPC_CHILD_MASTER_FD 3

#endif
