/*
 * frameread.h - reading RFC 1961 frames (proto/gssframe.h) from a socket,
 * exactly and incrementally: the one frame reader of the handshake phase
 * (authproc's context and level messages, gssocks-client's and
 * gssocks-connect's negotiation).
 *
 * Trust zone: shared; the bytes read are untrusted peer bytes, parsed only
 * through gssframe_missing()/gssframe_parse().
 *
 * Design: read(2) is only ever asked for what the frame in progress still
 * lacks (gssframe_missing()), so nothing that follows the frame is
 * consumed: after the level message the socket's next bytes belong to
 * another process (authproc hands the fd to a relay) or another phase.
 * The same call serves blocking sockets (it returns once the frame is
 * whole) and non-blocking ones (FRAME_IN_AGAIN, call again on the next
 * readiness; the bytes so far are kept).  Storage is the caller's (fixed,
 * frame_in_init) or the reader's own, grown with realloc to what the
 * current frame needs (frame_in_init_grow, freed by frame_in_free), so a
 * reader that waits for a small frame holds a small buffer.  The texts in
 * *why are static and name the problem without the peer's bytes.
 */
#ifndef GSSOCKS_COMMON_FRAMEREAD_H
#define GSSOCKS_COMMON_FRAMEREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../proto/gssframe.h"

/* Storage that holds any one frame (header + largest token). */
#define FRAME_IN_MAX (GSSFRAME_HEADER_LEN + GSSFRAME_MAX_TOKEN)

struct frame_in {
	uint8_t *buf;
	size_t cap;
	size_t have;      /* octets of the frame in progress */
	bool grow;        /* buf is ours: realloc'd as needed, up to FRAME_IN_MAX */
};

enum frame_in_status {
	FRAME_IN_READY,   /* *frame is whole, borrowed from the storage */
	FRAME_IN_AGAIN,   /* non-blocking fd: nothing more to read now */
	FRAME_IN_CLOSED,  /* end of file (*why: before or inside a frame) */
	FRAME_IN_IOERR,   /* read(2) failed (errno kept); *why is strerror */
	FRAME_IN_BAD,     /* not a frame, too large, out of memory; *why */
};

/* Caller storage of cap octets (FRAME_IN_MAX holds any frame). */
void frame_in_init(struct frame_in *in, uint8_t *buf, size_t cap);
/* Own storage grown on demand; 0, or -1 if the first allocation failed. */
int frame_in_init_grow(struct frame_in *in);
/* Frees grown storage (not caller storage); idempotent. */
void frame_in_free(struct frame_in *in);

/*
 * Read on fd until the frame in progress is whole (FRAME_IN_READY, *frame
 * set), the fd would block, the peer closed or something failed.  EINTR
 * is retried.  An abort (01 ff) is a frame of mtyp GSSFRAME_ABORT.  After
 * FRAME_IN_READY the frame stays valid until frame_in_next().
 */
enum frame_in_status frame_in_read(struct frame_in *in, int fd, struct gssframe *frame,
				   const char **why);

/* Done with the frame returned last: the next read starts a new one. */
void frame_in_next(struct frame_in *in);

/*
 * Blocking sockets: read exactly one frame into storage[0..cap) (*frame
 * borrows from it).  0, or -1 with *why (end of file, read error, not a
 * frame, too large, or a non-blocking fd that had nothing).
 */
int frame_read_one(int fd, uint8_t *storage, size_t cap, struct gssframe *frame,
		   const char **why);

#endif
