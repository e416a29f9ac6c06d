/*
 * rfc4121.c - RFC 4121 section 4.2 Wrap tokens with OpenSSL for contexts
 * whose keys are aes128/aes256-cts-hmac-sha1-96 (RFC 3962) or
 * aes128-cts-hmac-sha256-128 / aes256-cts-hmac-sha384-192 (RFC 8009).
 *
 * Trust zone: the processes that hold GSS-API contexts (relay, client).
 * Tokens handed to rfc4121_unwrap() are untrusted peer bytes.
 *
 * DESIGN
 * The keys come from MIT's lucid-context interface
 * (gss_krb5_export_lucid_sec_context, version 1).  Checked against MIT
 * krb5 1.20.1 (lib/gssapi/krb5/krb5_gss_glue.c): the export is a
 * gss_inquire_sec_context_by_oid() that copies the keys out, followed by
 * gss_delete_sec_context() on the caller's handle, which is set to
 * GSS_C_NO_CONTEXT ("it is an error for someone to attempt to use this
 * context again"); a copy of the handle would dangle (gss_wrap on it
 * crashed in test_rfc4121).  So rfc4121_new() serialises the context
 * (gss_export_sec_context), imports it twice, lets the lucid export
 * consume one import and hands the other back to the caller in place of
 * the original; the serialisation preserves the sequence state.  The
 * serialised bytes are wiped before release.  The lucid context gives:
 * initiate, send_seq (the next
 * sequence number to send, current), recv_seq (only the context's INITIAL
 * receive number, not how many tokens it has accepted), protocol (1 =
 * CFX), the context key (MIT's ctx->subkey) and the acceptor subkey.
 * Contexts whose keys are not one of the four AES enctypes, RFC 1964
 * contexts and other mechanisms are refused with RFC4121_UNSUPPORTED and
 * stay with gss_wrap/gss_unwrap.
 *
 * Key use mirrors MIT's k5sealv3.c: a sender uses the acceptor subkey
 * when the context has one (and sets the AcceptorSubkey flag), else the
 * context key; a receiver uses the acceptor subkey when the context has
 * one AND the token's flag is set, else the context key.  Key usage is
 * 24 (initiator seal) or 22 (acceptor seal) for both conf and integrity
 * Wrap tokens.  Per (key, usage) the schedules Ke, Ki, Kc are derived once
 * (kcrypto.c: KRB5KDF for RFC 3961/3962, KBKDF for RFC 8009): one set to
 * send, one or two (context key, acceptor subkey) to receive.
 *
 * WHERE KEYS ARE DERIVED
 * Where the context already is: this module runs in the process that
 * imported the context (the relay after gss_import_sec_context, the
 * client after its handshake).  authproc keeps handing over the exported
 * context as today: a lucid context on the IPC channel would be a second
 * key format crossing a trust boundary for no gain (the exported context
 * already carries the same keys), and every fallback (other enctypes) and
 * the first-token synchronisation below need the real context anyway.
 *
 * SEQUENCE / REPLAY RULE
 * MIT's g_seqstate (util_seqstate.c) with both replay and sequence
 * detection answers GSS_S_COMPLETE only for exactly the next expected
 * number; a later one is GSS_S_GAP_TOKEN, an earlier one
 * GSS_S_UNSEQ_TOKEN / GSS_S_DUPLICATE_TOKEN / GSS_S_OLD_TOKEN, and the
 * relay (common/secwrap.c) and the client end the session on anything but
 * GSS_S_COMPLETE.  So the fast path accepts exactly the next number and
 * refuses every other (RFC4121_BAD_SEQUENCE).  Contexts without both
 * GSS_C_REPLAY_FLAG and GSS_C_SEQUENCE_FLAG (MIT then accepts gaps or
 * reordering) are RFC4121_UNSUPPORTED: their window state cannot be
 * reproduced exactly.  The number expected next is not in the lucid
 * context (recv_seq is the initial number, and authproc has already
 * unwrapped the RFC 1961 level message): so the FIRST token received is
 * unwrapped by gss_unwrap_iov on the real context, exactly as common/secwrap.c
 * does today, and when MIT accepts it (which under the rule above means
 * it carried exactly the expected number) the next expected number is
 * that token's plus one.  From then on MIT's context is never used for
 * messages again.  Sequence numbers are 64 bits and wrap modulo 2^64
 * like MIT's (seqmask UINT64_MAX for CFX).
 *
 * Unwrap follows MIT's gss_unwrap_iov(STREAM) path (k5unsealiov.c
 * kg_unseal_stream_iov + k5sealv3iov.c gss_krb5int_unseal_v3_iov, with
 * the CVE-2024-37370/37371 fixes Debian carries): direction flag, TOK_ID
 * 05 04, filler FF, any RRC (rotation modulo the body length, done in
 * place), conf: EC octets of filler before the encrypted header copy,
 * whose TOK_ID, flags, filler, EC and sequence number must equal the
 * outer header (its RRC is ignored, as MIT does); integrity: EC must equal
 * the checksum length and the checksum covers data | header with EC and
 * RRC zero.  Checksums are compared in constant time (CRYPTO_memcmp).
 * A token in the generic 0x60 framing is refused (MIT's IOV path refuses
 * it too; plain gss_unwrap would accept one, no peer sends it).
 *
 * MIT BUG NOTED HERE: krb5 1.20.1's gss_unwrap_iov(STREAM) - what
 * common/secwrap.c calls on every client frame - crashes (NULL ctx->enc) on a
 * CFX context when the token starts with an RFC 1964 token ID (01 01,
 * 01 02, 02 01): one frame from an authenticated client kills the relay
 * worker and every session in it.  This module never hands such a token
 * to MIT (sync_unwrap); fuzz_rfc4121 found it.
 *
 * KEY WIPING
 * The lucid context is freed with gss_krb5_free_lucid_sec_context right
 * after the usages are made (MIT zaps its key copies); derived keys
 * pass through stack buffers cleansed with OPENSSL_cleanse and are kept
 * in each usage until its schedules are built on first use (kcrypto.c);
 * the schedules live in OpenSSL contexts whose free functions cleanse
 * them, and rfc4121_free() (called when the session ends) frees them and
 * clears the usages and the structure with OPENSSL_clear_free.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "kcrypto.h"
#include "rfc4121.h"

#define TOK_WRAP_HI 0x05
#define TOK_WRAP_LO 0x04
#define FLAG_SENT_BY_ACCEPTOR 0x01
#define FLAG_SEALED 0x02
#define FLAG_ACCEPTOR_SUBKEY 0x04
#define FILLER 0xFF

#define USAGE_ACCEPTOR_SEAL 22
#define USAGE_INITIATOR_SEAL 24

struct rfc4121 {
	gss_ctx_id_t gss;              /* borrowed; used for the first unwrap only */
	bool initiator;
	bool have_acceptor_subkey;
	bool recv_synced;
	int32_t send_enctype;
	size_t send_mac_len;
	uint64_t send_seq;
	uint64_t recv_next;
	struct kcrypto_usage *send;
	struct kcrypto_usage *recv_context_key;
	struct kcrypto_usage *recv_acceptor_subkey;   /* NULL without one */
};

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void reverse(uint8_t *p, size_t n)
{
	for (size_t i = 0, j = n; i + 1 < j; i++, j--) {
		uint8_t t = p[i];

		p[i] = p[j - 1];
		p[j - 1] = t;
	}
}

/* MIT's gss_krb5int_rotate_left, in place without a buffer. */
static void rotate_left(uint8_t *p, size_t n, size_t rc)
{
	if (n == 0)
		return;
	rc %= n;
	if (rc == 0)
		return;
	reverse(p, rc);
	reverse(p + rc, n - rc);
	reverse(p, n);
}

static bool is_krb5(const gss_OID mech)
{
	return mech != GSS_C_NO_OID && mech->length == gss_mech_krb5->length &&
	       memcmp(mech->elements, gss_mech_krb5->elements, mech->length) == 0;
}

static enum rfc4121_status from_lucid(struct rfc4121 *f,
				      const gss_krb5_lucid_context_v1_t *l,
				      char *err, size_t errlen)
{
	const gss_krb5_lucid_key_t *ck = &l->cfx_kd.ctx_key, *ak = &l->cfx_kd.acceptor_subkey;
	const gss_krb5_lucid_key_t *send_key;
	uint32_t own_usage, peer_usage;

	if (l->version != 1 || l->protocol != 1) {
		snprintf(err, errlen, "lucid context version %u protocol %u (not CFX)",
			 (unsigned)l->version, (unsigned)l->protocol);
		return RFC4121_UNSUPPORTED;
	}
	if (!kcrypto_supported((int32_t)ck->type) || ck->length != kcrypto_key_len((int32_t)ck->type) ||
	    (l->cfx_kd.have_acceptor_subkey &&
	     (!kcrypto_supported((int32_t)ak->type) ||
	      ak->length != kcrypto_key_len((int32_t)ak->type)))) {
		snprintf(err, errlen, "enctype %u/%u not handled by the fast path",
			 (unsigned)ck->type,
			 l->cfx_kd.have_acceptor_subkey ? (unsigned)ak->type : 0u);
		return RFC4121_UNSUPPORTED;
	}
	f->initiator = l->initiate != 0;
	f->have_acceptor_subkey = l->cfx_kd.have_acceptor_subkey != 0;
	f->send_seq = l->send_seq;
	own_usage = f->initiator ? USAGE_INITIATOR_SEAL : USAGE_ACCEPTOR_SEAL;
	peer_usage = f->initiator ? USAGE_ACCEPTOR_SEAL : USAGE_INITIATOR_SEAL;
	send_key = f->have_acceptor_subkey ? ak : ck;
	f->send_enctype = (int32_t)send_key->type;
	f->send_mac_len = kcrypto_mac_len(f->send_enctype);
	f->send = kcrypto_usage_new((int32_t)send_key->type, send_key->data, send_key->length,
				    own_usage);
	f->recv_context_key = kcrypto_usage_new((int32_t)ck->type, ck->data, ck->length,
						peer_usage);
	if (f->have_acceptor_subkey)
		f->recv_acceptor_subkey = kcrypto_usage_new((int32_t)ak->type, ak->data,
							    ak->length, peer_usage);
	if (f->send == NULL || f->recv_context_key == NULL ||
	    (f->have_acceptor_subkey && f->recv_acceptor_subkey == NULL)) {
		snprintf(err, errlen, "OpenSSL could not build the %s key schedules",
			 kcrypto_name(f->send_enctype));
		return RFC4121_ERROR;
	}
	return RFC4121_OK;
}

/*
 * The lucid export deletes the context it is given, so it gets a copy:
 * export the caller's context and import it twice, one import for the
 * export to consume, the other handed back to the caller in *ctx.  The
 * serialised context holds the keys: it is wiped before it is released.
 */
static enum rfc4121_status lucid_of_copy(gss_ctx_id_t *ctx, void **lucid,
					 char *err, size_t errlen)
{
	gss_buffer_desc serial = GSS_C_EMPTY_BUFFER;
	gss_ctx_id_t live = GSS_C_NO_CONTEXT, sacrificed = GSS_C_NO_CONTEXT;
	OM_uint32 major, minor = 0;
	enum rfc4121_status rc = RFC4121_ERROR;

	major = gss_export_sec_context(&minor, ctx, &serial);
	if (major != GSS_S_COMPLETE) {
		snprintf(err, errlen, "gss_export_sec_context failed (major 0x%x)", (unsigned)major);
		return RFC4121_ERROR;   /* *ctx is untouched */
	}
	*ctx = GSS_C_NO_CONTEXT;
	major = gss_import_sec_context(&minor, &serial, &live);
	if (major == GSS_S_COMPLETE)
		major = gss_import_sec_context(&minor, &serial, &sacrificed);
	if (major != GSS_S_COMPLETE) {
		snprintf(err, errlen, "gss_import_sec_context failed (major 0x%x)", (unsigned)major);
		goto out;
	}
	major = gss_krb5_export_lucid_sec_context(&minor, &sacrificed, 1, lucid);
	if (major != GSS_S_COMPLETE || *lucid == NULL) {
		snprintf(err, errlen, "gss_krb5_export_lucid_sec_context failed (major 0x%x)",
			 (unsigned)major);
		goto out;
	}
	rc = RFC4121_OK;
out:
	if (sacrificed != GSS_C_NO_CONTEXT)
		(void)gss_delete_sec_context(&minor, &sacrificed, GSS_C_NO_BUFFER);
	*ctx = live;
	OPENSSL_cleanse(serial.value, serial.length);
	(void)gss_release_buffer(&minor, &serial);
	return rc;
}

/*
 * GSSOCKS_NO_FAST_PATH (debug/operator switch, read once): a non-empty
 * value other than "0" makes every context stay with gss_wrap/gss_unwrap,
 * as contexts of other enctypes always do.  It cannot weaken anything:
 * the MIT path enforces the same rules (common/secwrap.c, client/wrapio.c),
 * it is the path the fast path's verdicts were made to match.
 */
bool rfc4121_enabled(void)
{
	static int enabled = -1;

	if (enabled < 0) {
		const char *v = getenv("GSSOCKS_NO_FAST_PATH");

		enabled = v == NULL || v[0] == '\0' || strcmp(v, "0") == 0;
	}
	return enabled != 0;
}

enum rfc4121_status rfc4121_new(gss_ctx_id_t *ctx, struct rfc4121 **out,
				char *err, size_t errlen)
{
	OM_uint32 major, minor = 0, flags = 0;
	gss_OID mech = GSS_C_NO_OID;
	enum rfc4121_status rc;
	struct rfc4121 *f;
	void *lucid = NULL;
	int open = 0;

	*out = NULL;
	if (!rfc4121_enabled()) {
		snprintf(err, errlen, "the fast path is off (GSSOCKS_NO_FAST_PATH)");
		return RFC4121_UNSUPPORTED;
	}
	major = gss_inquire_context(&minor, *ctx, NULL, NULL, NULL, &mech, &flags, NULL, &open);
	if (GSS_ERROR(major) || !open) {
		snprintf(err, errlen, "gss_inquire_context failed (major 0x%x)", (unsigned)major);
		return RFC4121_ERROR;
	}
	if (!is_krb5(mech)) {
		snprintf(err, errlen, "mechanism is not Kerberos V5");
		return RFC4121_UNSUPPORTED;
	}
	if ((flags & (GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG)) !=
	    (GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG)) {
		snprintf(err, errlen, "context lacks replay or sequence detection (flags 0x%x)",
			 (unsigned)flags);
		return RFC4121_UNSUPPORTED;
	}
	rc = lucid_of_copy(ctx, &lucid, err, errlen);
	if (rc != RFC4121_OK)
		return rc;
	f = OPENSSL_zalloc(sizeof(*f));
	if (f == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = RFC4121_ERROR;
	} else {
		f->gss = *ctx;
		rc = from_lucid(f, lucid, err, errlen);
	}
	(void)gss_krb5_free_lucid_sec_context(&minor, lucid);
	if (rc != RFC4121_OK) {
		rfc4121_free(f);
		return rc;
	}
	*out = f;
	return RFC4121_OK;
}

void rfc4121_free(struct rfc4121 *f)
{
	if (f == NULL)
		return;
	kcrypto_usage_free(f->send);
	kcrypto_usage_free(f->recv_context_key);
	kcrypto_usage_free(f->recv_acceptor_subkey);
	OPENSSL_clear_free(f, sizeof(*f));
}

int32_t rfc4121_enctype(const struct rfc4121 *f)
{
	return f->send_enctype;
}

size_t rfc4121_data_offset(const struct rfc4121 *f, bool conf)
{
	(void)f;
	return RFC4121_HEADER_LEN + (conf ? KCRYPTO_CONFOUNDER_LEN : 0);
}

size_t rfc4121_overhead(const struct rfc4121 *f, bool conf)
{
	/* conf: header | E(confounder | data | header) | HMAC; else header |
	 * data | checksum. */
	if (conf)
		return RFC4121_HEADER_LEN + KCRYPTO_CONFOUNDER_LEN + RFC4121_HEADER_LEN +
		       f->send_mac_len;
	return RFC4121_HEADER_LEN + f->send_mac_len;
}

size_t rfc4121_size_limit(const struct rfc4121 *f, bool conf, size_t max_token)
{
	size_t overhead = rfc4121_overhead(f, conf);

	return max_token > overhead ? max_token - overhead : 0;
}

static void put_header(const struct rfc4121 *f, uint8_t *h, bool conf, uint16_t ec)
{
	h[0] = TOK_WRAP_HI;
	h[1] = TOK_WRAP_LO;
	h[2] = (uint8_t)((f->initiator ? 0 : FLAG_SENT_BY_ACCEPTOR) |
			 (conf ? FLAG_SEALED : 0) |
			 (f->have_acceptor_subkey ? FLAG_ACCEPTOR_SUBKEY : 0));
	h[3] = FILLER;
	put_be16(h + 4, ec);
	put_be16(h + 6, 0);     /* RRC */
	put_be64(h + 8, f->send_seq);
}

int rfc4121_wrap(struct rfc4121 *f, bool conf, uint8_t *token, size_t cap, size_t n,
		 size_t *token_len)
{
	size_t overhead = rfc4121_overhead(f, conf);
	uint8_t *h = token;

	if (n > cap || overhead > cap - n)
		return -1;
	if (conf) {
		uint8_t *body = token + RFC4121_HEADER_LEN;     /* confounder | data | header */
		size_t body_len = KCRYPTO_CONFOUNDER_LEN + n + RFC4121_HEADER_LEN;

		put_header(f, h, true, 0);
		if (RAND_bytes(body, KCRYPTO_CONFOUNDER_LEN) != 1)
			return -1;
		memcpy(body + KCRYPTO_CONFOUNDER_LEN + n, h, RFC4121_HEADER_LEN);
		if (kcrypto_encrypt(f->send, body, body_len, body + body_len) < 0)
			return -1;
	} else {
		uint8_t *data = token + RFC4121_HEADER_LEN;

		/* The checksum covers data | header with EC and RRC zero. */
		put_header(f, h, false, 0);
		if (kcrypto_checksum(f->send, data, n, h, RFC4121_HEADER_LEN, data + n) < 0)
			return -1;
		put_be16(h + 4, (uint16_t)f->send_mac_len);
	}
	f->send_seq++;
	*token_len = n + overhead;
	return 0;
}

static enum rfc4121_verdict from_gss(OM_uint32 major)
{
	if (GSS_ROUTINE_ERROR(major) == GSS_S_DEFECTIVE_TOKEN)
		return RFC4121_DEFECTIVE;
	if (GSS_ROUTINE_ERROR(major) == GSS_S_BAD_SIG)
		return RFC4121_BAD_MIC;
	if (!GSS_ERROR(major))
		return RFC4121_BAD_SEQUENCE;   /* only supplementary bits set */
	return RFC4121_FAILURE;
}

/* The first token received: MIT's own unwrap, as common/secwrap.c does; see
 * SEQUENCE / REPLAY RULE above. */
static enum rfc4121_verdict sync_unwrap(struct rfc4121 *f, uint8_t *token, size_t len,
					uint8_t **plain, size_t *plain_len, int *conf_state)
{
	gss_iov_buffer_desc iov[2];
	OM_uint32 major, minor = 0;
	uintptr_t lo = (uintptr_t)token, hi = lo + len, p;
	gss_qop_t qop = 0;
	int conf = 0;

	/* Only a CFX Wrap token can be valid here, and MIT 1.20.1's
	 * gss_unwrap_iov(STREAM) dereferences NULL (ctx->enc) on a CFX context
	 * given a token that starts like an RFC 1964 one (01 01, 01 02, 02 01,
	 * also inside 0x60 framing): so nothing else reaches it. */
	if (len < RFC4121_HEADER_LEN || token[0] != TOK_WRAP_HI || token[1] != TOK_WRAP_LO)
		return RFC4121_DEFECTIVE;
	memset(iov, 0, sizeof(iov));
	iov[0].type = GSS_IOV_BUFFER_TYPE_STREAM;
	iov[0].buffer.length = len;
	iov[0].buffer.value = token;
	iov[1].type = GSS_IOV_BUFFER_TYPE_DATA;
	major = gss_unwrap_iov(&minor, f->gss, &conf, &qop, iov, 2);
	if (major != GSS_S_COMPLETE)
		return from_gss(major);
	p = (uintptr_t)iov[1].buffer.value;
	if (iov[1].buffer.length > 0 && (p < lo || p > hi || iov[1].buffer.length > hi - p))
		return RFC4121_FAILURE;
	f->recv_next = get_be64(token + 8) + 1;
	f->recv_synced = true;
	*plain = iov[1].buffer.value;
	*plain_len = iov[1].buffer.length;
	*conf_state = conf;
	return RFC4121_ACCEPT;
}

static enum rfc4121_verdict open_sealed(struct kcrypto_usage *k, uint8_t *token, size_t len,
					uint8_t **plain, size_t *plain_len)
{
	size_t mac_len = kcrypto_usage_mac_len(k);
	size_t ec = get_be16(token + 4), body_len;
	uint8_t *body = token + RFC4121_HEADER_LEN, *copy;

	/* header | E(confounder | data | EC filler | header) | HMAC */
	if (len < RFC4121_HEADER_LEN + KCRYPTO_CONFOUNDER_LEN + RFC4121_HEADER_LEN + mac_len ||
	    ec > len - (RFC4121_HEADER_LEN + KCRYPTO_CONFOUNDER_LEN + RFC4121_HEADER_LEN +
			mac_len))
		return RFC4121_DEFECTIVE;
	body_len = len - RFC4121_HEADER_LEN - mac_len;
	if (kcrypto_decrypt(k, body, body_len, body + body_len) < 0)
		return RFC4121_BAD_MIC;
	copy = body + body_len - RFC4121_HEADER_LEN;
	if (copy[0] != TOK_WRAP_HI || copy[1] != TOK_WRAP_LO || copy[2] != token[2] ||
	    copy[3] != token[3] || get_be16(copy + 4) != ec ||
	    memcmp(copy + 8, token + 8, 8) != 0)
		return RFC4121_DEFECTIVE;
	*plain = body + KCRYPTO_CONFOUNDER_LEN;
	*plain_len = body_len - KCRYPTO_CONFOUNDER_LEN - ec - RFC4121_HEADER_LEN;
	return RFC4121_ACCEPT;
}

static enum rfc4121_verdict open_signed(struct kcrypto_usage *k, uint8_t *token, size_t len,
					uint8_t **plain, size_t *plain_len)
{
	size_t mac_len = kcrypto_usage_mac_len(k);
	uint8_t header[RFC4121_HEADER_LEN];
	size_t data_len;

	/* header | data | checksum */
	if (len < RFC4121_HEADER_LEN + mac_len || get_be16(token + 4) != mac_len)
		return RFC4121_DEFECTIVE;
	data_len = len - RFC4121_HEADER_LEN - mac_len;
	memcpy(header, token, sizeof(header));
	put_be16(header + 4, 0);
	put_be16(header + 6, 0);
	if (kcrypto_verify(k, token + RFC4121_HEADER_LEN, data_len, header, sizeof(header),
			   token + RFC4121_HEADER_LEN + data_len) < 0)
		return RFC4121_BAD_MIC;
	*plain = token + RFC4121_HEADER_LEN;
	*plain_len = data_len;
	return RFC4121_ACCEPT;
}

enum rfc4121_verdict rfc4121_unwrap(struct rfc4121 *f, uint8_t *token, size_t len,
				    uint8_t **plain, size_t *plain_len, int *conf_state)
{
	uint8_t want_direction = f->initiator ? FLAG_SENT_BY_ACCEPTOR : 0;
	struct kcrypto_usage *k;
	enum rfc4121_verdict v;
	bool sealed;

	if (!f->recv_synced)
		return sync_unwrap(f, token, len, plain, plain_len, conf_state);
	if (len < RFC4121_HEADER_LEN)
		return RFC4121_DEFECTIVE;
	if ((token[2] & FLAG_SENT_BY_ACCEPTOR) != want_direction)
		return RFC4121_BAD_MIC;
	if (token[0] != TOK_WRAP_HI || token[1] != TOK_WRAP_LO || token[3] != FILLER)
		return RFC4121_DEFECTIVE;
	k = f->have_acceptor_subkey && (token[2] & FLAG_ACCEPTOR_SUBKEY) ?
		    f->recv_acceptor_subkey : f->recv_context_key;
	sealed = (token[2] & FLAG_SEALED) != 0;
	rotate_left(token + RFC4121_HEADER_LEN, len - RFC4121_HEADER_LEN, get_be16(token + 6));
	v = sealed ? open_sealed(k, token, len, plain, plain_len)
		   : open_signed(k, token, len, plain, plain_len);
	if (v != RFC4121_ACCEPT)
		return v;
	if (get_be64(token + 8) != f->recv_next)
		return RFC4121_BAD_SEQUENCE;
	f->recv_next++;
	*conf_state = sealed;
	return RFC4121_ACCEPT;
}

const char *rfc4121_verdict_text(enum rfc4121_verdict v)
{
	switch (v) {
	case RFC4121_ACCEPT:
		return "accepted";
	case RFC4121_DEFECTIVE:
		return "defective token";
	case RFC4121_BAD_MIC:
		return "integrity check failed";
	case RFC4121_BAD_SEQUENCE:
		return "sequence number out of order or replayed";
	case RFC4121_FAILURE:
		break;
	}
	return "failure";
}
