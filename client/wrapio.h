/*
 * wrapio.h - RFC 1961 frame I/O and GSS-API per-message protection for the
 * client side (gssocks-client, later gssocks-connect).
 *
 * Trust zone: client.  The gateway's bytes are untrusted: frames are parsed
 * only through proto/gssframe.h, tokens only through gss_unwrap, and a token
 * that does not unwrap cleanly (bad MIC, replay, gap, wrong confidentiality
 * for the level) is never turned into plaintext for the caller.
 *
 * Design: blocking helpers for the negotiation phase (one frame at a time
 * is read by common/frameread.h's frame_read_one(): exactly the bytes of
 * that frame, never more) plus the wrap/unwrap
 * primitives that the relay loop in forward.c uses on its own buffers.
 * Once the level is agreed, an AES context is handed to the RFC 4121 fast
 * path (common/rfc4121.h, OpenSSL on the context's keys): from then on
 * every token goes through wrapio_fast_wrap/wrapio_fast_unwrap, which work
 * in the caller's storage (no allocation per token); other contexts keep
 * gss_wrap/gss_unwrap.
 * Return convention: 0 on success, -1 on failure; the GSS helpers print
 * their failure (with GSS status text) on stderr, the frame readers give a
 * static reason in *why for the caller to put in context.
 */
#ifndef GSSOCKS_CLIENT_WRAPIO_H
#define GSSOCKS_CLIENT_WRAPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <gssapi/gssapi.h>

#include "frameread.h"
#include "gssframe.h"
#include "protection.h"
#include "rfc4121.h"

/* Storage that holds any one frame (header + largest token). */
#define WRAPIO_FRAME_MAX FRAME_IN_MAX

/* write(2) all n bytes, retrying on EINTR and short writes. */
int wrapio_write_all(int fd, const void *p, size_t n);
/* Read exactly n bytes; *why: "connection closed" or strerror. */
int wrapio_read_exact(int fd, void *p, size_t n, const char **why);

/* One frame, header and token in a single writev(2). */
int wrapio_send_frame(int fd, uint8_t mtyp, const void *token, size_t len);

/* gss_wrap(conf_req, p[0..n)) into *out (caller releases); what names the step. */
int wrapio_wrap(gss_ctx_id_t ctx, int conf_req, const void *p, size_t n,
		gss_buffer_t out, const char *what);

/*
 * gss_unwrap(token) into *out (caller releases).  Fails unless the major
 * status is exactly GSS_S_COMPLETE (supplementary bits such as
 * DUPLICATE_TOKEN or GAP_TOKEN are failures here) and conf_state is one
 * `level` accepts (proto/protection.h, the relay's rule too); on failure
 * *out is empty.
 */
int wrapio_unwrap(gss_ctx_id_t ctx, enum gss_level level, const void *token,
		  size_t n, gss_buffer_t out, const char *what);

/* Wrap payload and send it as one frame of mtyp (through fast when not
 * NULL, else gss_wrap on ctx). */
int wrapio_send_wrapped(int fd, gss_ctx_id_t ctx, struct rfc4121 *fast, uint8_t mtyp,
			int conf_req, const void *p, size_t n, const char *what);

/*
 * Fast path: wrap p[0..n) into token[0..cap) (cap >= GSSFRAME_MAX_TOKEN
 * is always enough for n <= the session's wrap_limit); *len is the token
 * length.  0 or -1 (printed).
 */
int wrapio_fast_wrap(struct rfc4121 *fast, int conf_req, const void *p, size_t n,
		     uint8_t *token, size_t cap, size_t *len, const char *what);

/*
 * Fast path: check token[0..n) in place; on 0 *plain / *plain_len name the
 * plaintext inside it, conf_state checked against level as wrapio_unwrap
 * does.  -1 (printed) for every token gss_unwrap would not return
 * GSS_S_COMPLETE for.
 */
int wrapio_fast_unwrap(struct rfc4121 *fast, enum gss_level level, uint8_t *token,
		       size_t n, uint8_t **plain, size_t *plain_len, const char *what);

#endif
