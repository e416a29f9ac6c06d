/*
 * secwrap.h - one session's GSS-API per-message protection (RFC 1961
 * data frames): the context and what the level makes of it, and per-frame
 * wrap and unwrap done in place on the caller's own buffers.
 *
 * Trust zone: whichever process holds the context.  In the relay worker
 * the exported context comes from authproc (trusted to have authenticated
 * the client, but decoded defensively: secwrap_import); a context the
 * caller established itself is taken over by secwrap_adopt.  Tokens to
 * unwrap are untrusted peer bytes.
 *
 * The caller owns the buffers (the relay's come from its per-worker frame
 * pool, relay/framepool.h); this module never allocates on the stream
 * path.
 *
 * Design (PROTOCOL.md section 7): gss_wrap_iov / gss_unwrap_iov work on the
 * caller's storage, so the hot path allocates nothing of ours.  Outgoing
 * data is read straight into the DATA slot of a frame laid out as
 *
 *     01 03 len | token header | DATA | padding | trailer
 *
 * and wrapped there; the resulting token (header|data|padding|trailer,
 * RRC 0) is what gss_unwrap expects, so peers using plain gss_unwrap read
 * it.  Incoming tokens are unwrapped as a STREAM: the plaintext ends up
 * inside the token's own bytes.  The data slot offset and the chunk size
 * are computed once per session (each end wraps with one conf value per
 * session).
 *
 * Contexts with the AES enctypes and replay+sequence detection (all that
 * MIT makes by default) are protected by common/rfc4121.c instead (OpenSSL
 * on the context's own keys, in place, same frame layout: header |
 * [confounder] | DATA | trailer): it accepts exactly what gss_unwrap_iov
 * accepts (tests/e2e/test_rfc4121.c, tests/fuzz/fuzz_rfc4121.c) and never
 * hands MIT a token that crashes it.  Other contexts keep gss_*_iov.
 */
#ifndef GSSOCKS_COMMON_SECWRAP_H
#define GSSOCKS_COMMON_SECWRAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gssapi/gssapi.h>

#include "../proto/gssframe.h"
#include "../proto/protection.h"
#include "rfc4121.h"

/* A frame: 4-octet header plus the largest token. */
#define SECWRAP_FRAME_MAX (GSSFRAME_HEADER_LEN + GSSFRAME_MAX_TOKEN)

struct secwrap {
	gss_ctx_id_t ctx;
	struct rfc4121 *fast;    /* NULL: gss_wrap_iov/gss_unwrap_iov */
	enum gss_level level;
	int seal_conf;           /* conf_req_flag of what this end wraps */
	size_t data_offset;      /* where plaintext goes in an outgoing frame */
	size_t chunk_max;        /* plaintext octets per outgoing frame */
	bool cfx_only;           /* MIT path, RFC 4121 context: only 05 04 tokens */
};

/*
 * Import an exported context for a session at `level`, then as
 * secwrap_adopt.  Returns 0, or -1 with a reason in err (the context is
 * then released).
 */
int secwrap_import(struct secwrap *w, enum gss_level level, bool selective_conf,
		   const uint8_t *token, size_t len, char *err, size_t errlen);

/*
 * Take over the established context *ctx for a session at `level`
 * (*ctx is GSS_C_NO_CONTEXT afterwards, whatever the outcome: w owns it,
 * or it was deleted).  Returns 0, or -1 with a reason in err (the context
 * is then released).  On 0 at a level that wraps, w->fast says which path
 * protects the session; when it is NULL (gss_*_iov), err says why the
 * fast path was not taken.  The module logs nothing itself: each caller
 * says it in its own voice (relay: syslog; client: stderr).
 */
int secwrap_adopt(struct secwrap *w, gss_ctx_id_t *ctx, enum gss_level level,
		  bool selective_conf, char *err, size_t errlen);

/*
 * Turn n octets of plaintext placed at buf[data_offset..] into a whole
 * frame starting at buf[0] (level clear: the plaintext is the output and
 * starts at 0).  buf has cap octets.  Returns 0 with *out_len set, or -1
 * with a reason in err.
 */
int secwrap_seal(struct secwrap *w, uint8_t *buf, size_t cap, size_t n,
		 size_t *out_len, char *err, size_t errlen);

enum secwrap_open_result {
	SECWRAP_OPEN_OK = 0,
	SECWRAP_OPEN_BAD_TOKEN = -1,     /* gss_unwrap_iov / rfc4121_unwrap refused it */
	SECWRAP_OPEN_BAD_CONF = -2,      /* conf_state not allowed at the level */
};

/*
 * Unwrap one token in place.  On SECWRAP_OPEN_OK *plain / *plain_len name the
 * plaintext inside token[0..len).  Otherwise err holds the reason and no
 * byte of the token may be used.
 */
enum secwrap_open_result secwrap_open(struct secwrap *w, uint8_t *token, size_t len,
				      uint8_t **plain, size_t *plain_len,
				      char *err, size_t errlen);

/*
 * wrap_open for a UDP datagram: the same, except that the replay and
 * order bits (GSS_S_DUPLICATE_TOKEN, GSS_S_OLD_TOKEN, GSS_S_UNSEQ_TOKEN,
 * GSS_S_GAP_TOKEN) do not fail it; they are returned in *supplementary
 * and the caller decides (relay/udp.c: reordering and loss are normal on
 * UDP, a duplicate is never forwarded).
 */
enum secwrap_open_result secwrap_open_datagram(struct secwrap *w, uint8_t *token, size_t len,
					       uint8_t **plain, size_t *plain_len,
					       uint32_t *supplementary, char *err, size_t errlen);

/*
 * The largest plaintext whose token is at most token_max octets, at the
 * session's wrap conf (level clear: token_max).  0, or -1 with err.
 */
int secwrap_size_limit(struct secwrap *w, size_t token_max, size_t *limit,
		       char *err, size_t errlen);

/* Wipes the fast path's keys, gss_delete_sec_context(GSS_C_NO_BUFFER)
 * (RFC 1961 section 6). */
void secwrap_release(struct secwrap *w);

#endif
