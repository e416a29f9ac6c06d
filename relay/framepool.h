/*
 * framepool.h - the relay worker's pool of frame buffers.
 *
 * Trust zone: relay worker.  The buffers hold untrusted client frames and
 * the plaintext unwrapped from them (and target bytes being wrapped); the
 * pool only hands out and takes back storage, it never reads it.
 *
 * Design: frame buffers belong to traffic, not to sessions.  A session
 * takes a buffer for a direction when bytes arrive that it must hold (a
 * partial frame, plaintext waiting for the target, a frame waiting for the
 * client) and gives it back as soon as that direction is drained, so an
 * idle session holds none.  Each buffer is its own anonymous mapping of
 * SECWRAP_FRAME_MAX octets rounded up to pages: munmap(2) returns it to the
 * system at once, whatever malloc's heap looks like.  Up to FRAMEPOOL_KEEP
 * given-back buffers stay mapped on a free list for the next frame (a busy
 * session takes and gives one per frame without a system call); the rest
 * are unmapped, and framepool_sweep() unmaps the free list once a whole
 * sweep interval went by without a take.  Memory held is therefore
 * (buffers in use + at most FRAMEPOOL_KEEP) frames, whatever the number
 * of sessions.
 */
#ifndef GSSOCKS_RELAY_FRAMEPOOL_H
#define GSSOCKS_RELAY_FRAMEPOOL_H

#include <stddef.h>
#include <stdint.h>

/* Free buffers kept mapped for reuse (per worker). */
#define FRAMEPOOL_KEEP 8u

struct framepool_stats {
	size_t in_use;          /* taken and not given back */
	size_t free;            /* mapped, on the free list */
	size_t peak;            /* most in use at once so far */
	size_t buffer_size;     /* octets mapped per buffer */
};

/*
 * A buffer of at least SECWRAP_FRAME_MAX octets (contents unspecified), or
 * NULL when the system has no memory for one (logged).
 */
uint8_t *framepool_take(void);

/* Give back a buffer from framepool_take(); NULL is ignored.  Sets *buf
 * to NULL. */
void framepool_give(uint8_t **buf);

/* Once per sweep interval: unmap the free list if nothing was taken
 * since the last call. */
void framepool_sweep(void);

void framepool_stats(struct framepool_stats *st);

#endif
