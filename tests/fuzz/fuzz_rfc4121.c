/*
 * fuzz_rfc4121.c - the same Wrap token to both unwrap paths: MIT's
 * gss_unwrap_iov(STREAM) (what common/secwrap.c calls today) and the RFC 4121
 * fast path (common/rfc4121.c); the verdicts must agree, and when both
 * accept, the payload and conf_state too.
 *
 * Trust zone: tests only.  GSS-API is not mocked, but a fuzz run cannot
 * start a KDC: the contexts are real MIT contexts made once in a
 * throwaway realm and committed in tests/fuzz/contexts/<enctype>.ctx
 * (test_rfc4121 --fixtures; gss_import_sec_context needs no KDC, MIT
 * does not check a context's lifetime when wrapping or unwrapping, and the
 * contexts were made with KRB5_CONFIG=/dev/null, the profile their import
 * opens again).  Each
 * file holds both ends, exported after each wrapped one "warm-up" token,
 * and those tokens.
 *
 * Per input, fresh imports (so every input starts from the same state):
 * the receiving end twice (one for MIT, one behind the fast path) and the
 * sending end.  Both receivers first take the peer's warm-up token (the
 * fast path's first token goes through MIT, see rfc4121.c), then the
 * token under test.
 *
 * Input: octet 0 chooses the enctype (bits 0-1), the direction (bit 2),
 * who makes the token (bit 3: fast path, else gss_wrap), conf (bit 4)
 * and raw mode (bit 5: the rest of the input IS the token); octets 1-2
 * the payload length (modulo 4096; payload octets are taken from the
 * input, zero when it runs out); the rest are edits of 3 octets
 * [op, a, b] applied to the made token: op%4 = 0 xor octet (a<<8|b) %
 * len with op|1, 1 truncate to (a<<8|b) % (len+1), 2 rotate the body and
 * set the RRC to a<<8|b (an equivalent token), 3 append b.
 *
 * MIT's side is gss_unwrap_iov(STREAM) for tokens that start 05 04 and
 * plain gss_unwrap for the rest: the IOV path crashes on those (an MIT
 * 1.20.1 bug, see rfc4121.c; this target found it).
 *
 * Checks: same verdict; if both accept, same payload (the made payload
 * when no edit changed it is not required: an edit can make another
 * valid token only by rotation) and same conf_state.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>

#include "../../common/rfc4121.h"
#include "fuzz.h"

#ifndef FUZZ_CONTEXT_DIR
#error "FUZZ_CONTEXT_DIR must name tests/fuzz/contexts"
#endif

#define TOKEN_MAX 8192

struct blob {
	uint8_t *p;
	size_t n;
};

struct fixture {
	struct blob ctx[2];      /* 0 initiator, 1 acceptor */
	struct blob token[2];    /* warm-up token each end made */
};

static struct fixture fixtures[4];

static const char *const names[4] = {
	"aes128-cts-hmac-sha1-96", "aes256-cts-hmac-sha1-96",
	"aes128-cts-hmac-sha256-128", "aes256-cts-hmac-sha384-192",
};

static void load_blob(struct blob *b, const char *hex)
{
	size_t len = strcspn(hex, "\n");

	b->n = len / 2;
	b->p = malloc(b->n > 0 ? b->n : 1);
	FUZZ_CHECK(b->p != NULL);
	for (size_t i = 0; i < b->n; i++) {
		unsigned v;

		FUZZ_CHECK(sscanf(hex + 2 * i, "%2x", &v) == 1);
		b->p[i] = (uint8_t)v;
	}
}

static void load_fixtures(void)
{
	static bool loaded;
	char path[1024], line[16384];

	if (loaded)
		return;
	/* The fixtures were made with this (empty) profile: see test_rfc4121. */
	setenv("KRB5_CONFIG", "/dev/null", 1);
	for (int i = 0; i < 4; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s.ctx", FUZZ_CONTEXT_DIR, names[i]);
		f = fopen(path, "r");
		if (f == NULL)
			fprintf(stderr, "%s: cannot open (make it with test_rfc4121 --fixtures)\n",
				path);
		FUZZ_CHECK(f != NULL);
		while (fgets(line, sizeof(line), f) != NULL) {
			if (strncmp(line, "initiator ", 10) == 0)
				load_blob(&fixtures[i].ctx[0], line + 10);
			else if (strncmp(line, "acceptor ", 9) == 0)
				load_blob(&fixtures[i].ctx[1], line + 9);
			else if (strncmp(line, "initiator-token ", 16) == 0)
				load_blob(&fixtures[i].token[0], line + 16);
			else if (strncmp(line, "acceptor-token ", 15) == 0)
				load_blob(&fixtures[i].token[1], line + 15);
		}
		fclose(f);
		for (int j = 0; j < 2; j++)
			FUZZ_CHECK(fixtures[i].ctx[j].n > 0 && fixtures[i].token[j].n > 0);
	}
	loaded = true;
}

static gss_ctx_id_t import(const struct blob *b)
{
	gss_buffer_desc in = { b->n, b->p };
	gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
	OM_uint32 minor = 0;

	if (gss_import_sec_context(&minor, &in, &ctx) != GSS_S_COMPLETE)
		fprintf(stderr, "fixture context does not import (another MIT version? "
			"remake with test_rfc4121 --fixtures)\n");
	FUZZ_CHECK(ctx != GSS_C_NO_CONTEXT);
	return ctx;
}

static void drop(gss_ctx_id_t *ctx)
{
	OM_uint32 minor;

	if (*ctx != GSS_C_NO_CONTEXT)
		(void)gss_delete_sec_context(&minor, ctx, GSS_C_NO_BUFFER);
}

struct outcome {
	bool accepted;
	int conf;
	size_t len;
	uint8_t *plain;
};

static struct outcome mit_unwrap(gss_ctx_id_t ctx, uint8_t *t, size_t len)
{
	struct outcome o = { false, -1, 0, NULL };
	gss_iov_buffer_desc iov[2];
	OM_uint32 minor = 0;
	gss_qop_t qop = 0;

	memset(iov, 0, sizeof(iov));
	iov[0].type = GSS_IOV_BUFFER_TYPE_STREAM;
	iov[0].buffer.length = len;
	iov[0].buffer.value = t;
	iov[1].type = GSS_IOV_BUFFER_TYPE_DATA;
	if (gss_unwrap_iov(&minor, ctx, &o.conf, &qop, iov, 2) == GSS_S_COMPLETE) {
		o.accepted = true;
		o.plain = iov[1].buffer.value;
		o.len = iov[1].buffer.length;
	}
	return o;
}

static struct outcome mit_unwrap_plain(gss_ctx_id_t ctx, uint8_t *t, size_t len)
{
	static uint8_t plain[TOKEN_MAX];
	struct outcome o = { false, -1, 0, NULL };
	gss_buffer_desc in = { len, t }, out = GSS_C_EMPTY_BUFFER;
	OM_uint32 minor = 0;

	if (gss_unwrap(&minor, ctx, &in, &out, &o.conf, NULL) == GSS_S_COMPLETE) {
		o.accepted = true;
		o.len = out.length <= sizeof(plain) ? out.length : sizeof(plain);
		memcpy(plain, out.value, o.len);
		o.plain = plain;
	}
	(void)gss_release_buffer(&minor, &out);
	return o;
}

static struct outcome fast_unwrap(struct rfc4121 *f, uint8_t *t, size_t len)
{
	struct outcome o = { false, -1, 0, NULL };

	o.accepted = rfc4121_unwrap(f, t, len, &o.plain, &o.len, &o.conf) == RFC4121_ACCEPT;
	return o;
}

static size_t make_token(const uint8_t *data, size_t size, size_t *used, gss_ctx_id_t *sender,
			 bool fast, bool conf, uint8_t *token)
{
	size_t n = 0, len = 0;
	uint8_t payload[4096];
	char err[256];

	if (size >= 3)
		n = ((size_t)data[1] << 8 | data[2]) % sizeof(payload);
	*used = size < 3 ? size : 3;
	for (size_t i = 0; i < n; i++)
		payload[i] = *used < size ? data[(*used)++] : 0;
	if (fast) {
		struct rfc4121 *f = NULL;

		FUZZ_CHECK(rfc4121_new(sender, &f, err, sizeof(err)) == RFC4121_OK);
		memcpy(token + rfc4121_data_offset(f, conf), payload, n);
		FUZZ_CHECK(rfc4121_wrap(f, conf, token, TOKEN_MAX, n, &len) == 0);
		rfc4121_free(f);
	} else {
		gss_buffer_desc in = { n, payload }, out;
		OM_uint32 minor = 0;
		int conf_state;

		FUZZ_CHECK(gss_wrap(&minor, *sender, conf, GSS_C_QOP_DEFAULT, &in, &conf_state,
				    &out) == GSS_S_COMPLETE);
		FUZZ_CHECK(out.length <= TOKEN_MAX);
		memcpy(token, out.value, out.length);
		len = out.length;
		gss_release_buffer(&minor, &out);
	}
	return len;
}

static size_t apply_edits(const uint8_t *e, size_t n, uint8_t *t, size_t len)
{
	for (size_t i = 0; i + 3 <= n; i += 3) {
		size_t v = (size_t)e[i + 1] << 8 | e[i + 2];

		switch (e[i] % 4) {
		case 0:
			if (len > 0)
				t[v % len] ^= (uint8_t)(e[i] | 1);
			break;
		case 1:
			len = v % (len + 1);
			break;
		case 2:
			if (len > 16) {
				size_t body = len - 16, r = v % body;
				uint8_t tmp[TOKEN_MAX];

				for (size_t j = 0; j < body; j++)
					tmp[(j + r) % body] = t[16 + j];
				memcpy(t + 16, tmp, body);
				t[6] = e[i + 1];
				t[7] = e[i + 2];
			}
			break;
		case 3:
			if (len < TOKEN_MAX)
				t[len++] = e[i + 2];
			break;
		}
	}
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t token[TOKEN_MAX], a[TOKEN_MAX], b[TOKEN_MAX];
	gss_ctx_id_t mit, fast_gss, sender = GSS_C_NO_CONTEXT;
	struct rfc4121 *fast = NULL;
	struct outcome om, of;
	const struct fixture *fx;
	int from, to;
	size_t len, used = 1;
	char err[256];

	if (size < 1)
		return 0;
	load_fixtures();
	fx = &fixtures[data[0] & 3];
	from = (data[0] >> 2) & 1;
	to = !from;
	mit = import(&fx->ctx[to]);
	fast_gss = import(&fx->ctx[to]);
	FUZZ_CHECK(rfc4121_new(&fast_gss, &fast, err, sizeof(err)) == RFC4121_OK);

	/* The peer's warm-up token: both accept it (the fast path via MIT). */
	memcpy(a, fx->token[from].p, fx->token[from].n);
	memcpy(b, fx->token[from].p, fx->token[from].n);
	FUZZ_CHECK(mit_unwrap(mit, a, fx->token[from].n).accepted);
	FUZZ_CHECK(fast_unwrap(fast, b, fx->token[from].n).accepted);

	if (data[0] & 0x20) {
		len = size - 1 < TOKEN_MAX ? size - 1 : TOKEN_MAX;
		memcpy(token, data + 1, len);
	} else {
		sender = import(&fx->ctx[from]);
		len = make_token(data, size, &used, &sender, (data[0] & 0x08) != 0,
				 (data[0] & 0x10) != 0, token);
		len = apply_edits(data + used, size - used, token, len);
	}
	memcpy(a, token, len);
	memcpy(b, token, len);
	/* MIT 1.20.1's IOV path crashes on a CFX context given an RFC 1964
	 * token ID (see rfc4121.c): tokens that are not 05 04 go to plain
	 * gss_unwrap, which refuses them cleanly. */
	if (len >= 2 && a[0] == 0x05 && a[1] == 0x04)
		om = mit_unwrap(mit, a, len);
	else
		om = mit_unwrap_plain(mit, a, len);
	of = fast_unwrap(fast, b, len);
	if (om.accepted != of.accepted)
		fprintf(stderr, "gss_unwrap_iov %s, fast path %s a %zu-octet token\n",
			om.accepted ? "accepted" : "refused", of.accepted ? "accepted" : "refused",
			len);
	FUZZ_CHECK(om.accepted == of.accepted);
	if (om.accepted) {
		FUZZ_CHECK(om.conf == of.conf);
		FUZZ_CHECK(om.len == of.len);
		FUZZ_CHECK(om.len == 0 || memcmp(om.plain, of.plain, om.len) == 0);
	}
	rfc4121_free(fast);
	drop(&mit);
	drop(&fast_gss);
	drop(&sender);
	return 0;
}
