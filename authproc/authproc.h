/*
 * authproc.h - the state every part of gssocks-authproc shares.
 *
 * Trust zone: authproc.  This process holds the long-term service keys
 * (the keytab, copied into a MEMORY: keytab at start-up), runs the
 * RFC 1961 section 3 context loop and the section 4 protection-level
 * subnegotiation for clients the master hands it, and passes each
 * established context (exported) with the client socket straight to a
 * relay worker.  Every client is untrusted; the master is trusted to hand
 * over sockets but its messages are still checked (ipc_recv's table), a
 * relay channel it passes on is taken only when a relay made it
 * (channel_check.c: the master is network-facing and may be compromised,
 * and must never receive a context), and a relay channel is write-only
 * from here.
 *
 * Design: one epoll loop (loop.c) over the master channel (fd 3), the relay
 * channels and the client sockets; a per-client state machine
 * (handshake.c) that reads exactly one frame at a time; a pure level choice
 * (proto/level.c, shared with the master); the hand-off (handoff.c).  Objects that epoll may still name
 * in the current batch of events are freed only after the batch
 * ("graveyard" lists), so a stale event finds a closed object, never freed
 * memory.
 */
#ifndef GSSOCKS_AUTHPROC_AUTHPROC_H
#define GSSOCKS_AUTHPROC_AUTHPROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gssapi/gssapi.h>

#include "../ipc/ipc.h"
#include "../common/frameread.h"
#include "../proto/gssframe.h"
#include "../proto/level.h"
#include "channel_check.h"
#include "keytab.h"

/*
 * Concurrent handshakes; a client beyond this gets 01 ff at once.  Lowered
 * at start-up when RLIMIT_NOFILE is too small for it (AUTHPROC_SPARE_FDS
 * stay free for fd 3, epoll, relay channels and the fd in flight), so that
 * receiving a client fd never fails for want of a descriptor.
 */
#define AUTHPROC_MAX_CLIENTS 4096
#define AUTHPROC_SPARE_FDS (AUTHPROC_MAX_SLOTS + 32)
/* Relay slots the master may name (DESIGN.md: relay-workers 1..64). */
#define AUTHPROC_MAX_SLOTS 64

struct authproc_options {
	const char *keytab_path;
	uid_t relay_uid;               /* --relay-uid: whose pairs are relay channels */
	struct level_policy levels;
	bool allow_nec;
	unsigned long auth_timeout_s;
	bool verbose;
	const char *replay_cache_dir;   /* NULL: KRB5RCACHEDIR or /var/tmp */
};

/* What an epoll event's data.ptr points at: the first member of each. */
enum event_kind { EVENT_MASTER, EVENT_RELAY_CHANNEL, EVENT_CLIENT };

struct event_tag {
	enum event_kind kind;
};

/* authproc's end of the direct channel to one relay slot (write-only). */
struct relay_channel {
	struct event_tag tag;          /* EVENT_RELAY_CHANNEL */
	int fd;                        /* -1 once dropped */
	uint32_t slot;
	uint32_t generation;
	struct relay_channel *next_dead;
};

enum client_state {
	CLIENT_CONTEXT,                /* reading mtyp 1 frames */
	CLIENT_LEVEL,                  /* context complete, reading mtyp 2 */
	CLIENT_LEVEL_WAIT,             /* level asked of the master (policy) */
	CLIENT_HANDOFF,                /* level answer queued; hand off once sent */
	CLIENT_RELAY_WAIT,             /* answered; its relay slot has no channel yet */
	CLIENT_CLOSED,                 /* waiting to be freed after the batch */
};

struct auth_client {
	struct event_tag tag;          /* EVENT_CLIENT */
	int fd;
	uint64_t session_id;
	uint32_t relay_slot;
	char peer[IPC_TEXT_MAX];
	uint64_t deadline_ms;          /* monotonic_ms() after which we give up */
	enum client_state state;

	/* Input: the frame being read, never more (common/frameread.h). */
	struct frame_in in;

	/* Output: one frame not yet fully written (EPOLLOUT while pending). */
	uint8_t *out;
	size_t out_len;
	size_t out_off;

	gss_ctx_id_t ctx;
	gss_name_t src_name;
	gss_OID mech;                  /* owned by the mechanism, not freed */
	OM_uint32 ret_flags;
	enum gss_level level;          /* answered level (CLIENT_HANDOFF) */
	bool nec;                      /* level octet travelled unwrapped */

	struct auth_client *prev, *next;
	struct auth_client *next_dead;
};

struct authproc {
	const struct authproc_options *opt;
	struct acceptor acceptor;
	int epfd;
	struct event_tag master_tag;   /* EVENT_MASTER */
	int master_fd;
	struct channel_trust trust;    /* who may have made a relay channel */

	struct auth_client *clients;   /* live handshakes */
	size_t nclients;
	size_t max_clients;            /* AUTHPROC_MAX_CLIENTS or less (fd limit) */
	struct auth_client *dead_clients;

	struct relay_channel *slots[AUTHPROC_MAX_SLOTS];
	struct relay_channel *dead_channels;
};

/*
 * The start-up sequence (startup.c): logging, core dumps off, keytab into
 * memory, acceptor credentials, then the loop.  Returns only on a clean
 * exit (the master closed fd 3); fatal() otherwise.
 */
int authproc_main(const struct authproc_options *opt);
/*
 * --check (gssocksd -t and gssocksd's start-up, as the auth user): what
 * start-up would do with the keytab and the replay cache directory, then
 * exit: 0, or a fatal "keytab PATH: reason" / "replay cache directory
 * PATH: reason" on stderr and status 1.
 */
int authproc_check(const struct authproc_options *opt);

/* loop.c: run the epoll loop until the master goes away. */
void loop_run(struct authproc *ap);
/* loop.c: set the epoll interest of a client's fd (EPOLLIN or EPOLLOUT). */
int loop_watch_client(struct authproc *ap, struct auth_client *c, bool want_write);
/* loop.c: the current channel of a relay slot, or NULL. */
struct relay_channel *loop_relay_channel(struct authproc *ap, uint32_t slot);
/* loop.c: close a relay channel (e.g. after a failed send); freed later. */
void loop_drop_relay_channel(struct authproc *ap, struct relay_channel *ch, const char *why);

#endif
