/*
 * session.h - the master's table of client sessions.
 *
 * Trust zone: master.  The table is the master's own record of who a
 * session is: the principal and level in it come only from authproc's
 * IPC_AUTH_OK, never from a relay worker (invariant 4), and every message
 * a child sends about a session is checked against it.
 *
 * Design: sessions are numbered by a 64-bit counter from 1, kept in a hash
 * by id and in a list for the timeout sweep.  Each phase has at most one
 * deadline.  Per-relay-slot counts give the least loaded relay; the
 * handshakes each authproc worker holds (sessions authenticating there,
 * its retired predecessor's included) give the least loaded authproc,
 * ties taken in turn.  Dropping a
 * session writes its one `event=end` record and releases what the master
 * still holds for it (client socket during the greeting, outbound attempt).
 */
#ifndef GSSOCKS_MASTER_SESSION_H
#define GSSOCKS_MASTER_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../ipc/ipc.h"
#include "../proto/socks5.h"

enum session_phase {
	SESSION_GREETING,        /* master reads the RFC 1928 greeting */
	SESSION_AUTHENTICATING,  /* client fd is with authproc */
	SESSION_AUTHENTICATED,   /* authproc sent AUTH_OK; relay owns the client */
	SESSION_REQUESTED,       /* relay asked; master decides / resolves / connects */
	SESSION_RELAYING,        /* relay has the outbound socket */
};

struct bind_wait;
struct outbound;
struct udp_association;
struct policy;
struct policy_set;

#define SESSION_PEER_MAX 64
#define SESSION_GREETING_MAX (2 + 255)
#define SESSION_NO_SLOT (-1)

struct session {
	uint64_t id;
	enum session_phase phase;
	char peer[SESSION_PEER_MAX];      /* client address, for logs */
	char addr[SESSION_PEER_MAX];      /* client's prefix, e.g. 192.0.2.7/32
					     (admission.c: per-prefix limit) */
	int client_fd;                    /* only during SESSION_GREETING */
	uint8_t greeting[SESSION_GREETING_MAX];
	size_t greeting_len;
	int relay_slot;                   /* SESSION_NO_SLOT until handed off */
	int authproc_slot;                /* authproc worker it was handed to, or
					     SESSION_NO_SLOT */
	uint32_t authproc_generation;     /* the authproc process it was handed to
					     (spawn.h: unique among authprocs) */
	bool authproc_counted;            /* in that worker's handshake count */
	char principal[IPC_PRINCIPAL_MAX];/* from IPC_AUTH_OK only */
	uint8_t level;                    /* enum gss_level, from IPC_AUTH_OK */
	/* From the level decision (AUTH_LEVEL_QUERY) to the end: the policy
	 * set in force then (one reference) and the principal's policy in
	 * it (NULL: no file applies, everything is denied). */
	struct policy_set *policy_set;
	const struct policy *policy;
	bool level_decided;
	bool datagram_only;               /* no sequence detection: UDP only
					     (proto/level.h level_datagram_only) */
	uint8_t level_answered;           /* what the master told authproc */
	const char *decision_file;        /* the allowing rule, while connecting */
	unsigned decision_line;
	char resolved[512];               /* every address decided on, for records */
	bool requested;                   /* the relay's one request arrived */
	struct socks5_request request;
	struct outbound *outbound;        /* while SESSION_REQUESTED */
	struct bind_wait *bind;           /* BIND listening (master/bind.c) */
	struct sockaddr_storage gateway_addr; /* our end of the client's
					     connection (getsockname; BIND) */
	struct udp_association *udp;      /* a granted UDP ASSOCIATE (udp.c) */
	/* The relay's RELAY_PROGRESS (for gssocksctl sessions, nothing else):
	 * plaintext octets each way so far. */
	uint64_t progress_from_client;
	uint64_t progress_to_client;
	bool admin_ending;                /* gssocksctl end sent RELAY_END_SESSION */
	uint64_t started_ms;
	uint64_t phase_ms;                /* when the current phase began */
	uint64_t deadline_ms;             /* 0: none */
	struct session *hash_next;
	struct session *prev, *next;
};

/* Size the table: max sessions, relay slots, authproc workers.  0 or -1. */
int session_table_init(unsigned max_sessions, unsigned relay_slots, unsigned authprocs);

/* A new session in SESSION_GREETING, or NULL when the table is full. */
struct session *session_new(const char *peer, int client_fd);
struct session *session_find(uint64_t id);
size_t session_count(void);
/* Highest id handed out so far (0 before the first). */
uint64_t session_last_id(void);

/* The first session of the table; the rest follow s->next (any order). */
struct session *session_first(void);

/*
 * Sessions not authenticated yet (greeting or authenticating): all of
 * them, and those whose client prefix (s->addr) is `addr`.
 */
size_t session_count_unauthenticated(void);
size_t session_count_unauthenticated_from(const char *addr);

/* Change the phase (and its deadline: 0 for none). */
void session_set_phase(struct session *s, enum session_phase phase, uint64_t deadline_ms);
/* Assign the relay slot (keeps the per-slot counts). */
void session_set_slot(struct session *s, int slot);
const char *session_phase_name(enum session_phase phase);

/* Record the authproc (worker, process generation) that takes s. */
void session_set_authproc(struct session *s, unsigned worker, uint32_t generation);
/* Handshakes authproc worker `worker` holds (sessions authenticating). */
unsigned session_authproc_load(unsigned worker);
/*
 * The authproc worker with usable[worker] true that holds the fewest
 * handshakes (equal ones in turn), or SESSION_NO_SLOT when none is usable.
 */
int session_least_loaded_authproc(const bool *usable, unsigned workers);

/*
 * Least loaded slot among those with usable[slot] true, or
 * SESSION_NO_SLOT when there is none.
 */
int session_least_loaded_slot(const bool *usable, unsigned slots);

/*
 * Write `event=end session=N reason=R duration_ms=D` (plus the byte counts
 * when with_bytes) and free the session.
 */
void session_drop(struct session *s, const char *reason);
/*
 * Free the session without a record of its own: for those a counted
 * record (audit_count) stands for, such as evictions under a flood.
 */
void session_discard(struct session *s);
void session_end(struct session *s, const char *reason, uint64_t bytes_from_client,
		 uint64_t bytes_to_client);

/* Sessions of principal past the level decision, other than except. */
size_t session_count_principal(const char *principal, const struct session *except);

/* Drop every session for which match(s, arg) is true, with `reason`. */
void session_drop_matching(bool (*match)(const struct session *s, const void *arg),
			   const void *arg, const char *reason);

/* Run the deadline of every session whose deadline is <= now_ms. */
void session_sweep(uint64_t now_ms);
/* How many sessions match. */
size_t session_count_matching(bool (*match)(const struct session *s, const void *arg),
			      const void *arg);

#endif
