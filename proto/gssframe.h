/*
 * gssframe.h - RFC 1961 message framing (pure codec, no I/O, no GSS calls).
 *
 * Trust zone: shared.  Parses frames that arrive from untrusted peers.
 *
 *   ver (1) = 0x01 | mtyp (1) | len (2, network order) | token (len octets)
 *   mtyp 0x01 authentication, 0x02 protection-level negotiation,
 *        0x03 encapsulated user data, 0xff abort (no len, no token).
 *
 * Protection levels (RFC 1961 section 4.2) and the non-standard "clear"
 * level 0 that curl and Dante use are defined here too.
 */
#ifndef GSSOCKS_PROTO_GSSFRAME_H
#define GSSOCKS_PROTO_GSSFRAME_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define GSSFRAME_VERSION   0x01
#define GSSFRAME_AUTH      0x01
#define GSSFRAME_PROT      0x02
#define GSSFRAME_DATA      0x03
#define GSSFRAME_ABORT     0xff

#define GSSFRAME_HEADER_LEN 4
#define GSSFRAME_ABORT_LEN  2
#define GSSFRAME_MAX_TOKEN  65535u

enum gss_level {
	GSS_LEVEL_CLEAR = 0,      /* non-standard: no per-message protection */
	GSS_LEVEL_INTEGRITY = 1,
	GSS_LEVEL_CONFIDENTIALITY = 2,
	GSS_LEVEL_SELECTIVE = 3,
};

struct gssframe {
	uint8_t mtyp;
	uint16_t len;             /* token length; 0 for an abort */
	const uint8_t *token;     /* borrowed from the input */
};

/*
 * Parse one frame from the start of p[0..len).
 * Returns 1 with *frame and *used (bytes the frame occupies) set when a
 * whole frame is present, 0 when more bytes are needed (a header may arrive
 * in a TCP segment of its own), -1 when the bytes cannot be a frame
 * (version other than 1, unknown mtyp).
 */
int gssframe_parse(const uint8_t *p, size_t len, struct gssframe *frame, size_t *used);

/*
 * How many more bytes the frame starting at p[0..len) needs before
 * gssframe_parse() can return 1: lets a reader ask read(2) for exactly the
 * rest of one frame and never consume bytes that belong to a later phase.
 * Returns 0 when the frame is complete, -1 when the header is invalid.
 */
long gssframe_missing(const uint8_t *p, size_t len);

/* Write the 4-octet header for a token of token_len (<= 65535). */
int gssframe_put_header(struct wbuf *wb, uint8_t mtyp, size_t token_len);
/* Write a whole frame (header + token). */
int gssframe_put(struct wbuf *wb, uint8_t mtyp, const void *token, size_t token_len);
/* Write the two-octet abort 01 ff. */
int gssframe_put_abort(struct wbuf *wb);

const char *gss_level_name(enum gss_level level);
/* "clear", "integrity", "confidentiality", "selective" (also "1".."3"); -1 if unknown. */
int gss_level_parse(const char *s, enum gss_level *out);

#endif
