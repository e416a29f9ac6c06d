/*
 * rfc4121.h - RFC 4121 Wrap tokens for Kerberos contexts with the AES
 * enctypes, made and checked with OpenSSL from the context's own keys:
 * the fast path of per-message protection.  The design, the key handling
 * and the sequence rule are in the opening comment of rfc4121.c.
 *
 * Trust zone: the processes that hold GSS-API contexts (relay, client).
 * Tokens given to rfc4121_unwrap() are untrusted peer bytes.
 *
 * Use: rfc4121_new() on an established context.  RFC4121_UNSUPPORTED
 * means "keep using gss_wrap/gss_unwrap for this context" (another
 * mechanism or enctype, or a context without both replay and sequence
 * detection).  Once rfc4121_new() succeeded, every token of the session is
 * made and checked here: the caller must not call gss_wrap/gss_unwrap on
 * that context any more (their sequence numbers would diverge).
 */
#ifndef GSSOCKS_COMMON_RFC4121_H
#define GSSOCKS_COMMON_RFC4121_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gssapi/gssapi.h>

#define RFC4121_HEADER_LEN 16

struct rfc4121;

enum rfc4121_status {
	RFC4121_OK = 0,
	RFC4121_UNSUPPORTED = 1,
	RFC4121_ERROR = -1,
};

/*
 * Take over per-message protection of *ctx.  MIT's lucid export deletes
 * the context it is given, so this may replace *ctx by an equivalent
 * context (same keys and sequence state; the old handle is gone): use
 * *ctx afterwards, even on failure (GSS_C_NO_CONTEXT if the copy could
 * not be made; the session must then end).  The context stays the
 * caller's (delete it after rfc4121_free()); this module unwraps at most
 * one token with it, the first one received, see rfc4121.c.  On
 * RFC4121_OK *out is set; on RFC4121_UNSUPPORTED and RFC4121_ERROR err
 * says why and *out is NULL.
 */
enum rfc4121_status rfc4121_new(gss_ctx_id_t *ctx, struct rfc4121 **out,
				char *err, size_t errlen);

/*
 * False when the environment has GSSOCKS_NO_FAST_PATH set (not empty, not
 * "0"): rfc4121_new() then answers RFC4121_UNSUPPORTED for every context
 * and the caller keeps gss_wrap/gss_unwrap (benchmarks, debugging).  Read
 * on the first call; processes call it at start, before any sandbox.
 */
bool rfc4121_enabled(void);

/* Wipes and frees the key schedules; NULL is fine.  Does not delete ctx. */
void rfc4121_free(struct rfc4121 *f);

/* The enctype of the key that protects what we send. */
int32_t rfc4121_enctype(const struct rfc4121 *f);

/* Where the plaintext goes in a token built by rfc4121_wrap() (32 with
 * confidentiality: header and confounder; 16 without). */
size_t rfc4121_data_offset(const struct rfc4121 *f, bool conf);
/* Token octets beyond the plaintext. */
size_t rfc4121_overhead(const struct rfc4121 *f, bool conf);
/* Largest plaintext whose token fits max_token octets (0 if none). */
size_t rfc4121_size_limit(const struct rfc4121 *f, bool conf, size_t max_token);

/*
 * Make a Wrap token in place: the caller has put n octets of plaintext at
 * token[rfc4121_data_offset(conf)]; token has cap octets.  conf is the
 * per-message choice (confidentiality or integrity only; level selective
 * passes what it chose for this message).  Returns 0 with *token_len set
 * (RRC 0, EC 0 with confidentiality), -1 if it does not fit or OpenSSL
 * failed (the sequence number is then not used up).
 */
int rfc4121_wrap(struct rfc4121 *f, bool conf, uint8_t *token, size_t cap, size_t n,
		 size_t *token_len);

enum rfc4121_verdict {
	RFC4121_ACCEPT = 0,
	RFC4121_DEFECTIVE,     /* malformed: length, TOK_ID, filler, EC */
	RFC4121_BAD_MIC,       /* direction, checksum, decryption, header copy */
	RFC4121_BAD_SEQUENCE,  /* not the next sequence number expected */
	RFC4121_FAILURE,       /* OpenSSL or GSS-API failed */
};

/*
 * Check one Wrap token in place (any RRC; the token's bytes are rotated
 * and decrypted where they are).  On RFC4121_ACCEPT *plain / *plain_len
 * name the plaintext inside token[0..len) and *conf_state says whether it
 * was encrypted; otherwise no byte of token may be used and the session
 * must end (a refused token does not advance the receive state, so a
 * caller that goes on regardless still refuses everything but the
 * expected token).
 */
enum rfc4121_verdict rfc4121_unwrap(struct rfc4121 *f, uint8_t *token, size_t len,
				    uint8_t **plain, size_t *plain_len, int *conf_state);

const char *rfc4121_verdict_text(enum rfc4121_verdict v);

#endif
