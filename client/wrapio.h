/*
 * wrapio.h - RFC 1961 frame I/O for the client side's negotiation
 * (gssocks-client, gssocks-connect), and the level message's protection.
 *
 * Trust zone: client.  The gateway's bytes are untrusted: frames are parsed
 * only through proto/gssframe.h, tokens only through gss_unwrap, and a token
 * that does not unwrap cleanly (bad MIC, replay, gap, wrong confidentiality
 * for the level) is never turned into plaintext for the caller.
 *
 * Design: blocking helpers for the negotiation phase (one frame at a time
 * is read by common/frameread.h's frame_read_one(): exactly the bytes of
 * that frame, never more), and gss_wrap/gss_unwrap for the one message
 * protected before a level is agreed (RFC 1961 section 4, conf_req FALSE).
 * From the agreed level on, every token (request, reply, data, datagrams)
 * goes through the session's per-message protection, common/secwrap.h,
 * the relay's module: the RFC 4121 fast path or gss_*_iov, in place.
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

/* Wrap payload with gss_wrap on ctx and send it as one frame of mtyp
 * (the level message). */
int wrapio_send_wrapped(int fd, gss_ctx_id_t ctx, uint8_t mtyp, int conf_req, const void *p,
			size_t n, const char *what);

#endif
