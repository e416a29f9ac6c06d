/*
 * secwrap.c - GSS-API per-message protection for one session, in place.
 *
 * Trust zone: whichever process holds the context (the relay worker: the
 * imported context is the only key material it ever holds).  Tokens handed
 * to secwrap_open() are untrusted peer bytes.  See secwrap.h for the frame
 * layout.
 *
 * AES contexts go through rfc4121.c (see secwrap.h); its verdicts are
 * MIT's, and its refusals end the session the same way.
 *
 * Every status other than GSS_S_COMPLETE from gss_unwrap_iov ends the
 * session, including the supplementary replay/sequence bits
 * (GSS_S_DUPLICATE_TOKEN, GSS_S_GAP_TOKEN, ...) that GSS_ERROR() does not
 * count as errors: a replayed or reordered frame on a TCP stream is an
 * attack or a broken peer, never data to forward.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <gssapi/gssapi_ext.h>

#include "../proto/buf.h"
#include "../proto/protection.h"
#include "gsserr.h"
#include "secwrap.h"

enum { IOV_HEADER, IOV_DATA, IOV_PADDING, IOV_TRAILER, IOV_COUNT };

static void iov_layout(gss_iov_buffer_desc iov[IOV_COUNT], size_t data_len)
{
	memset(iov, 0, sizeof(*iov) * IOV_COUNT);
	iov[IOV_HEADER].type = GSS_IOV_BUFFER_TYPE_HEADER;
	iov[IOV_DATA].type = GSS_IOV_BUFFER_TYPE_DATA;
	iov[IOV_DATA].buffer.length = data_len;
	iov[IOV_PADDING].type = GSS_IOV_BUFFER_TYPE_PADDING;
	iov[IOV_TRAILER].type = GSS_IOV_BUFFER_TYPE_TRAILER;
}

static void status_text(const char *what, OM_uint32 major, OM_uint32 minor,
			char *err, size_t errlen)
{
	char text[512];

	gss_status_text(major, minor, text, sizeof(text));
	snprintf(err, errlen, "%s: %s", what, text);
}

int secwrap_import(struct secwrap *w, enum gss_level level, bool selective_conf,
		   const uint8_t *token, size_t len, char *err, size_t errlen)
{
	gss_buffer_desc exported = { .length = len, .value = (void *)token };
	gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
	OM_uint32 major, minor;

	memset(w, 0, sizeof(*w));
	w->ctx = GSS_C_NO_CONTEXT;
	w->level = level;
	major = gss_import_sec_context(&minor, &exported, &ctx);
	if (major != GSS_S_COMPLETE) {
		status_text("gss_import_sec_context", major, minor, err, errlen);
		return -1;
	}
	return secwrap_adopt(w, &ctx, level, selective_conf, err, errlen);
}

int secwrap_adopt(struct secwrap *w, gss_ctx_id_t *ctx, enum gss_level level,
		  bool selective_conf, char *err, size_t errlen)
{
	gss_iov_buffer_desc iov[IOV_COUNT];
	OM_uint32 major, minor, limit = 0;
	size_t header_len;

	memset(w, 0, sizeof(*w));
	w->ctx = *ctx;
	*ctx = GSS_C_NO_CONTEXT;
	w->level = level;
	if (!protection_wraps(level)) {
		w->data_offset = 0;
		w->chunk_max = SECWRAP_FRAME_MAX;
		return 0;
	}
	w->seal_conf = protection_wrap_conf(level, selective_conf);
	switch (rfc4121_new(&w->ctx, &w->fast, err, errlen)) {
	case RFC4121_OK:
		header_len = rfc4121_data_offset(w->fast, w->seal_conf);
		w->chunk_max = protection_chunk_size(
			(uint32_t)rfc4121_size_limit(w->fast, w->seal_conf, GSSFRAME_MAX_TOKEN),
			header_len);
		w->data_offset = GSSFRAME_HEADER_LEN + header_len;
		return 0;
	case RFC4121_UNSUPPORTED:
		break;            /* MIT's gss_*_iov below; err says why */
	case RFC4121_ERROR:
		goto fail;
	}
	major = gss_wrap_size_limit(&minor, w->ctx, w->seal_conf, GSS_C_QOP_DEFAULT,
				    GSSFRAME_MAX_TOKEN, &limit);
	if (major != GSS_S_COMPLETE) {
		status_text("gss_wrap_size_limit", major, minor, err, errlen);
		goto fail;
	}
	iov_layout(iov, limit);
	major = gss_wrap_iov_length(&minor, w->ctx, w->seal_conf, GSS_C_QOP_DEFAULT,
				    NULL, iov, IOV_COUNT);
	if (major != GSS_S_COMPLETE) {
		status_text("gss_wrap_iov_length", major, minor, err, errlen);
		goto fail;
	}
	header_len = iov[IOV_HEADER].buffer.length;
	/* An RFC 4121 (CFX) header is 16 octets, plus a 16-octet confounder
	 * with confidentiality; an RFC 1964 one has the 0x60 framing, the
	 * sequence number and a checksum, never under 40. */
	w->cfx_only = header_len <= 32;
	w->chunk_max = protection_chunk_size(limit, header_len);
	if (w->chunk_max == 0) {
		snprintf(err, errlen, "context leaves no room for data (limit %u, header %zu)",
			 (unsigned)limit, header_len);
		goto fail;
	}
	w->data_offset = GSSFRAME_HEADER_LEN + header_len;
	return 0;
fail:
	secwrap_release(w);
	return -1;
}

int secwrap_seal(struct secwrap *w, uint8_t *buf, size_t cap, size_t n,
		 size_t *out_len, char *err, size_t errlen)
{
	gss_iov_buffer_desc iov[IOV_COUNT];
	OM_uint32 major, minor;
	size_t start, token_len;
	int conf_state = 0;
	struct wbuf wb;

	if (!protection_wraps(w->level)) {
		*out_len = n;
		return 0;
	}
	if (n > w->chunk_max || w->data_offset > cap || n > cap - w->data_offset) {
		snprintf(err, errlen, "chunk of %zu octets does not fit a frame", n);
		return -1;
	}
	if (w->fast != NULL) {
		if (rfc4121_wrap(w->fast, w->seal_conf, buf + GSSFRAME_HEADER_LEN,
				 cap - GSSFRAME_HEADER_LEN, n, &token_len) < 0 ||
		    token_len > GSSFRAME_MAX_TOKEN) {
			snprintf(err, errlen, "wrapping %zu octets failed", n);
			return -1;
		}
		goto frame;
	}
	/* Sizes per frame: some enctypes pad, and an RFC 1964 header's DER
	 * length varies with the data length. */
	iov_layout(iov, n);
	major = gss_wrap_iov_length(&minor, w->ctx, w->seal_conf, GSS_C_QOP_DEFAULT,
				    NULL, iov, IOV_COUNT);
	if (major != GSS_S_COMPLETE) {
		status_text("gss_wrap_iov_length", major, minor, err, errlen);
		return -1;
	}
	token_len = iov[IOV_HEADER].buffer.length;
	if (token_len > GSSFRAME_MAX_TOKEN ||
	    n > GSSFRAME_MAX_TOKEN - token_len ||
	    iov[IOV_PADDING].buffer.length > GSSFRAME_MAX_TOKEN - token_len - n ||
	    iov[IOV_TRAILER].buffer.length >
		    GSSFRAME_MAX_TOKEN - token_len - n - iov[IOV_PADDING].buffer.length) {
		snprintf(err, errlen, "wrapped chunk of %zu octets exceeds a frame", n);
		return -1;
	}
	start = GSSFRAME_HEADER_LEN + iov[IOV_HEADER].buffer.length;
	token_len += n + iov[IOV_PADDING].buffer.length + iov[IOV_TRAILER].buffer.length;
	if (GSSFRAME_HEADER_LEN + token_len > cap) {
		snprintf(err, errlen, "wrapped chunk of %zu octets exceeds the buffer", n);
		return -1;
	}
	if (start != w->data_offset)
		memmove(buf + start, buf + w->data_offset, n);
	iov[IOV_HEADER].buffer.value = buf + GSSFRAME_HEADER_LEN;
	iov[IOV_DATA].buffer.value = buf + start;
	iov[IOV_PADDING].buffer.value = buf + start + n;
	iov[IOV_TRAILER].buffer.value = buf + start + n + iov[IOV_PADDING].buffer.length;
	major = gss_wrap_iov(&minor, w->ctx, w->seal_conf, GSS_C_QOP_DEFAULT, &conf_state,
			     iov, IOV_COUNT);
	if (major != GSS_S_COMPLETE) {
		status_text("gss_wrap_iov", major, minor, err, errlen);
		return -1;
	}
	if (w->seal_conf && !conf_state) {
		snprintf(err, errlen, "gss_wrap_iov did not provide confidentiality");
		return -1;
	}
frame:
	wbuf_init(&wb, buf, GSSFRAME_HEADER_LEN);
	if (gssframe_put_header(&wb, GSSFRAME_DATA, token_len) < 0) {
		snprintf(err, errlen, "frame header for %zu octets", token_len);
		return -1;
	}
	*out_len = GSSFRAME_HEADER_LEN + token_len;
	return 0;
}

static enum secwrap_open_result open_token(struct secwrap *w, uint8_t *token, size_t len,
					   uint8_t **plain, size_t *plain_len,
					   OM_uint32 accept, OM_uint32 *supplementary,
					   char *err, size_t errlen);

enum secwrap_open_result secwrap_open(struct secwrap *w, uint8_t *token, size_t len,
				      uint8_t **plain, size_t *plain_len,
				      char *err, size_t errlen)
{
	OM_uint32 supplementary;

	return open_token(w, token, len, plain, plain_len, 0, &supplementary, err, errlen);
}

enum secwrap_open_result secwrap_open_datagram(struct secwrap *w, uint8_t *token, size_t len,
					       uint8_t **plain, size_t *plain_len,
					       uint32_t *supplementary, char *err, size_t errlen)
{
	const OM_uint32 accept = GSS_S_DUPLICATE_TOKEN | GSS_S_OLD_TOKEN | GSS_S_UNSEQ_TOKEN |
				 GSS_S_GAP_TOKEN;
	gss_buffer_desc in = { .length = len, .value = token };
	gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
	OM_uint32 major, minor, supp;
	int conf_state = 0;
	gss_qop_t qop = 0;

	/* gss_unwrap, not gss_unwrap_iov(STREAM): MIT's STREAM unwrap hands
	 * back no data when a supplementary bit is set, while gss_unwrap
	 * sets the output before its sequence check.  Nor the RFC 4121 fast
	 * path, which accepts only the next sequence number (TCP): datagrams
	 * are checked by MIT's own replay window on the session's context,
	 * which the fast path never used for receiving after the request
	 * (its first datagram is then a gap, which is accepted).  Sending
	 * stays with wrap_seal.  One allocation per datagram; the plaintext
	 * is copied back into the token's bytes (it is shorter). */
	/* As on the stream path: a CFX context takes 05 04 Wrap tokens only,
	 * and MIT's older token code is not handed anything else. */
	if ((w->cfx_only || w->fast != NULL) &&
	    (len < 2 || token[0] != 0x05 || token[1] != 0x04)) {
		snprintf(err, errlen, "not an RFC 4121 Wrap token (%02x %02x)",
			 len > 0 ? token[0] : 0, len > 1 ? token[1] : 0);
		*supplementary = 0;
		return SECWRAP_OPEN_BAD_TOKEN;
	}
	major = gss_unwrap(&minor, w->ctx, &in, &out, &conf_state, &qop);
	supp = GSS_SUPPLEMENTARY_INFO(major);
	*supplementary = (uint32_t)supp;
	if (GSS_ERROR(major) || (supp & ~accept) != 0) {
		status_text("gss_unwrap", major, minor, err, errlen);
		(void)gss_release_buffer(&minor, &out);
		return SECWRAP_OPEN_BAD_TOKEN;
	}
	if (!protection_accepts(w->level, conf_state)) {
		snprintf(err, errlen, "conf_state %d not allowed at level %s", conf_state,
			 gss_level_name(w->level));
		(void)gss_release_buffer(&minor, &out);
		return SECWRAP_OPEN_BAD_CONF;
	}
	if (out.length > len) {
		snprintf(err, errlen, "gss_unwrap output longer than its token");
		(void)gss_release_buffer(&minor, &out);
		return SECWRAP_OPEN_BAD_TOKEN;
	}
	if (out.length > 0)
		memcpy(token, out.value, out.length);
	*plain = token;
	*plain_len = out.length;
	(void)gss_release_buffer(&minor, &out);
	return SECWRAP_OPEN_OK;
}

int secwrap_size_limit(struct secwrap *w, size_t token_max, size_t *limit,
		       char *err, size_t errlen)
{
	OM_uint32 major, minor, out = 0;

	if (!protection_wraps(w->level)) {
		*limit = token_max;
		return 0;
	}
	if (w->fast != NULL) {
		/* wrap_seal makes the tokens: size them by the same rule */
		*limit = rfc4121_size_limit(w->fast, w->seal_conf, token_max);
		return 0;
	}
	major = gss_wrap_size_limit(&minor, w->ctx, w->seal_conf, GSS_C_QOP_DEFAULT,
				    (OM_uint32)token_max, &out);
	if (major != GSS_S_COMPLETE) {
		status_text("gss_wrap_size_limit", major, minor, err, errlen);
		return -1;
	}
	*limit = out;
	return 0;
}

static enum secwrap_open_result open_token(struct secwrap *w, uint8_t *token, size_t len,
					   uint8_t **plain, size_t *plain_len,
					   OM_uint32 accept, OM_uint32 *supplementary,
					   char *err, size_t errlen)
{
	gss_iov_buffer_desc iov[2];
	OM_uint32 major, minor;
	int conf_state = 0;
	gss_qop_t qop = 0;
	uintptr_t lo = (uintptr_t)token, hi = lo + len, p;

	if (w->fast != NULL) {
		enum rfc4121_verdict v = rfc4121_unwrap(w->fast, token, len, plain, plain_len,
							&conf_state);

		if (v != RFC4121_ACCEPT) {
			snprintf(err, errlen, "unwrap: %s", rfc4121_verdict_text(v));
			return SECWRAP_OPEN_BAD_TOKEN;
		}
		if (!protection_accepts(w->level, conf_state)) {
			snprintf(err, errlen, "conf_state %d not allowed at level %s", conf_state,
				 gss_level_name(w->level));
			return SECWRAP_OPEN_BAD_CONF;
		}
		return SECWRAP_OPEN_OK;
	}
	/* MIT 1.20.1's gss_unwrap_iov(STREAM) crashes on a CFX context given
	 * an RFC 1964 token ID (see common/rfc4121.c); a CFX context accepts
	 * nothing but 05 04 Wrap tokens anyway. */
	if (w->cfx_only && (len < 2 || token[0] != 0x05 || token[1] != 0x04)) {
		snprintf(err, errlen, "not an RFC 4121 Wrap token (%02x %02x)",
			 len > 0 ? token[0] : 0, len > 1 ? token[1] : 0);
		return SECWRAP_OPEN_BAD_TOKEN;
	}
	memset(iov, 0, sizeof(iov));
	iov[0].type = GSS_IOV_BUFFER_TYPE_STREAM;
	iov[0].buffer.length = len;
	iov[0].buffer.value = token;
	iov[1].type = GSS_IOV_BUFFER_TYPE_DATA;
	major = gss_unwrap_iov(&minor, w->ctx, &conf_state, &qop, iov, 2);
	/* Supplementary bits the caller accepts leave the token good; a
	 * routine or calling error, or any other bit, does not. */
	*supplementary = GSS_SUPPLEMENTARY_INFO(major);
	if (GSS_ERROR(major) || (*supplementary & ~accept) != 0) {
		status_text("gss_unwrap_iov", major, minor, err, errlen);
		return SECWRAP_OPEN_BAD_TOKEN;
	}
	if (!protection_accepts(w->level, conf_state)) {
		snprintf(err, errlen, "conf_state %d not allowed at level %s", conf_state,
			 gss_level_name(w->level));
		return SECWRAP_OPEN_BAD_CONF;
	}
	/* The mechanism promises DATA points into the STREAM; hold it to that
	 * before a byte of it is forwarded. */
	p = (uintptr_t)iov[1].buffer.value;
	if (iov[1].buffer.length > 0 &&
	    (p < lo || p > hi || iov[1].buffer.length > hi - p)) {
		snprintf(err, errlen, "gss_unwrap_iov data outside the token");
		return SECWRAP_OPEN_BAD_TOKEN;
	}
	*plain = iov[1].buffer.value;
	*plain_len = iov[1].buffer.length;
	return SECWRAP_OPEN_OK;
}

void secwrap_release(struct secwrap *w)
{
	OM_uint32 minor;

	rfc4121_free(w->fast);
	w->fast = NULL;
	if (w->ctx != GSS_C_NO_CONTEXT)
		(void)gss_delete_sec_context(&minor, &w->ctx, GSS_C_NO_BUFFER);
	w->ctx = GSS_C_NO_CONTEXT;
}
