/*
 * buf.h - the one bounds-checked buffer API for untrusted bytes.
 *
 * Trust zone: shared by every process, the client and the tests.  Every byte
 * that comes from the network, from another process over IPC or from a
 * configuration or policy file is read through a struct rbuf; every message
 * that is built for the wire is written through a struct wbuf.  No other
 * code does pointer arithmetic on raw input.
 *
 * Design (after OpenSSH's sshbuf and vsftpd's str): the structures are small
 * cursors over storage that the caller owns; nothing here allocates.  A
 * read past the end or a write past the capacity fails, leaves the cursor
 * where it was and sets a sticky error flag, so a codec can issue a run of
 * gets/puts and check once at the end (buf_ok()).
 *
 * Return convention: functions returning int give 0 on success and -1 on
 * failure (short input, overflow, or a value outside the asked range).
 *
 * struct iobuf is the streaming counterpart for non-blocking sockets: a
 * fixed-capacity byte queue filled by read(2) and drained by write(2).
 */
#ifndef GSSOCKS_PROTO_BUF_H
#define GSSOCKS_PROTO_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reading cursor over bytes owned by the caller. */
struct rbuf {
	const uint8_t *data;
	size_t len;
	size_t pos;
	bool error;
};

/* Writing cursor over storage owned by the caller. */
struct wbuf {
	uint8_t *data;
	size_t cap;
	size_t len;
	bool error;
};

void rbuf_init(struct rbuf *rb, const void *data, size_t len);
size_t rbuf_remaining(const struct rbuf *rb);
/* Pointer to the unread bytes (valid while the storage lives). */
const uint8_t *rbuf_current(const struct rbuf *rb);
int rbuf_get_u8(struct rbuf *rb, uint8_t *out);
int rbuf_get_u16(struct rbuf *rb, uint16_t *out);   /* network order */
int rbuf_get_u32(struct rbuf *rb, uint32_t *out);   /* network order */
int rbuf_get_u64(struct rbuf *rb, uint64_t *out);   /* network order */
int rbuf_get_bytes(struct rbuf *rb, void *out, size_t n);
/* Borrow n bytes without copying: *out points into the storage. */
int rbuf_get_view(struct rbuf *rb, const uint8_t **out, size_t n);
int rbuf_skip(struct rbuf *rb, size_t n);
/*
 * A string of at most max-1 bytes, prefixed by a 16-bit length; rejected if
 * it contains a NUL byte or does not fit.  out is NUL-terminated.
 */
int rbuf_get_string(struct rbuf *rb, char *out, size_t max);
/* A blob prefixed by a 32-bit length, borrowed (no copy), at most max bytes. */
int rbuf_get_blob(struct rbuf *rb, const uint8_t **out, size_t *len, size_t max);
/* 0 if no error happened and every byte was consumed, else -1. */
int rbuf_done(const struct rbuf *rb);

void wbuf_init(struct wbuf *wb, void *storage, size_t cap);
int wbuf_put_u8(struct wbuf *wb, uint8_t v);
int wbuf_put_u16(struct wbuf *wb, uint16_t v);      /* network order */
int wbuf_put_u32(struct wbuf *wb, uint32_t v);      /* network order */
int wbuf_put_u64(struct wbuf *wb, uint64_t v);      /* network order */
int wbuf_put_bytes(struct wbuf *wb, const void *p, size_t n);
int wbuf_put_string(struct wbuf *wb, const char *s); /* 16-bit length, no NUL */
int wbuf_put_blob(struct wbuf *wb, const void *p, size_t n); /* 32-bit length */
/* 0 if no put failed, else -1. */
int wbuf_ok(const struct wbuf *wb);

/*
 * Streaming byte queue for non-blocking fds.  Bytes live in data[head, tail);
 * the free room is [tail, cap).  iobuf_compact() moves unread bytes to the
 * front when the caller needs contiguous room.
 */
struct iobuf {
	uint8_t *data;
	size_t cap;
	size_t head;
	size_t tail;
};

void iobuf_init(struct iobuf *io, void *storage, size_t cap);
size_t iobuf_used(const struct iobuf *io);
size_t iobuf_room(const struct iobuf *io);  /* after compaction */
const uint8_t *iobuf_peek(const struct iobuf *io);
void iobuf_consume(struct iobuf *io, size_t n);   /* n <= used */
void iobuf_compact(struct iobuf *io);
int iobuf_append(struct iobuf *io, const void *p, size_t n); /* -1 if no room */
/*
 * read(2) at most max bytes (and at most the room) into the queue.
 * Returns bytes read (> 0), 0 on EOF, -1 with errno set (EAGAIN included).
 */
ssize_t iobuf_read_fd(struct iobuf *io, int fd, size_t max);
/* write(2) queued bytes.  Returns bytes written or -1 with errno set. */
ssize_t iobuf_write_fd(struct iobuf *io, int fd);

#endif
