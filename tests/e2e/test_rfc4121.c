/*
 * test_rfc4121.c - the RFC 4121 fast path (common/rfc4121.c) against MIT's
 * gss_wrap/gss_unwrap, differentially, with real contexts from a
 * throwaway realm (one service principal per AES enctype, the initiator
 * restricted to that enctype so that session key and subkeys have it).
 *
 * Trust zone: tests only.  GSS-API is not mocked.
 *
 * Every context end is copied (gss_export_sec_context, imported twice):
 * one copy stays with MIT (gss_unwrap), the other is handed to the fast
 * path; both copies receive every token, so for each token the two
 * verdicts (and payloads and conf_state) can be compared.  Per enctype,
 * four context pairs: the fast path or MIT as the SENDER, each with and
 * without mutual authentication (with it MIT adds an acceptor subkey),
 * and in each pair both directions, integrity and confidentiality,
 * payload sizes 0, 1, 15, 16, 17, the wrap size limit and random sizes up
 * to it.  Along the way: a copy with one octet changed (refused by both,
 * except an RRC change that rotates by a multiple of the body, which is
 * an equivalent token and is not sent), the token reflected to its
 * sender (wrong direction: refused by both), the token rotated with a
 * matching RRC (accepted by both), and at the end of each direction a
 * replayed token and one from the future (both refused).  Also: the
 * handle rfc4121_new() hands back works with MIT, camellia and contexts
 * without sequence detection are RFC4121_UNSUPPORTED, and the size limits
 * equal gss_wrap_size_limit's.
 *
 * Usage: test_rfc4121 MKREALM_SH  (TAP on stdout).
 *        test_rfc4121 MKREALM_SH --fixtures DIR
 *   writes, per enctype, DIR/<enctype>.ctx for tests/fuzz/fuzz_rfc4121.c:
 *   both ends of a context pair exported after each has wrapped one token
 *   (and before either received one), and those two tokens, all in hex.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>

#include "../../common/rfc4121.h"
#include "../../proto/gssframe.h"
#include "../realm/realm.h"

#define RANDOM_CASES 30
#define MAX_TOKEN GSSFRAME_MAX_TOKEN

struct side {
	const char *name;
	gss_ctx_id_t mit;          /* MIT's copy (receives; sends in MIT pairs) */
	gss_ctx_id_t fast_gss;     /* the copy behind the fast path */
	struct rfc4121 *fast;
};

struct tally {
	unsigned cases, bad;
	unsigned tampered, reflected, rotated;
};

static unsigned seed = 1961;
static uint8_t payload[MAX_TOKEN], token[MAX_TOKEN + 64], copy[MAX_TOKEN + 64];

static uint32_t rnd(void)
{
	return (uint32_t)rand_r(&seed) << 16 ^ (uint32_t)rand_r(&seed);
}

static void copy_context(gss_ctx_id_t *ctx, gss_ctx_id_t *a, gss_ctx_id_t *b)
{
	gss_buffer_desc exported;
	OM_uint32 minor = 0;

	realm_gss_or_bail(gss_export_sec_context(&minor, ctx, &exported), minor,
			  "gss_export_sec_context");
	realm_gss_or_bail(gss_import_sec_context(&minor, &exported, a), minor,
			  "gss_import_sec_context");
	realm_gss_or_bail(gss_import_sec_context(&minor, &exported, b), minor,
			  "gss_import_sec_context");
	gss_release_buffer(&minor, &exported);
}

static void side_init(struct side *s, const char *name, gss_ctx_id_t *ctx)
{
	char err[256];

	s->name = name;
	copy_context(ctx, &s->mit, &s->fast_gss);
	if (rfc4121_new(&s->fast_gss, &s->fast, err, sizeof(err)) != RFC4121_OK) {
		printf("Bail out! rfc4121_new: %s\n", err);
		exit(1);
	}
}

static void side_release(struct side *s)
{
	OM_uint32 minor;

	rfc4121_free(s->fast);
	(void)gss_delete_sec_context(&minor, &s->mit, GSS_C_NO_BUFFER);
	(void)gss_delete_sec_context(&minor, &s->fast_gss, GSS_C_NO_BUFFER);
}

/* One token of n payload octets from `from`; its length. */
static size_t make_token(struct side *from, bool fast, bool conf, size_t n)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++)
		payload[i] = (uint8_t)rnd();
	if (fast) {
		memcpy(token + rfc4121_data_offset(from->fast, conf), payload, n);
		if (rfc4121_wrap(from->fast, conf, token, sizeof(token), n, &len) < 0) {
			printf("Bail out! rfc4121_wrap of %zu octets failed\n", n);
			exit(1);
		}
	} else {
		gss_buffer_desc in = { n, payload }, out;
		OM_uint32 minor = 0;
		int conf_state = 0;

		realm_gss_or_bail(gss_wrap(&minor, from->mit, conf, GSS_C_QOP_DEFAULT, &in,
					   &conf_state, &out),
				  minor, "gss_wrap");
		if (out.length > sizeof(token) || conf_state != conf) {
			printf("Bail out! gss_wrap made %zu octets, conf %d\n", out.length,
			       conf_state);
			exit(1);
		}
		memcpy(token, out.value, out.length);
		len = out.length;
		gss_release_buffer(&minor, &out);
	}
	return len;
}

struct verdicts {
	bool mit, fast;            /* accepted */
	bool mit_same, fast_same;  /* payload and conf_state as sent */
};

/* Offer t[0..len) to both copies of `to`. */
static struct verdicts offer(struct side *to, const uint8_t *t, size_t len, size_t n,
			     bool conf)
{
	gss_buffer_desc in = { len, copy }, out = GSS_C_EMPTY_BUFFER;
	struct verdicts v = { false, false, false, false };
	OM_uint32 major, minor = 0;
	int conf_state = -1;
	uint8_t *plain = NULL;
	size_t plain_len = 0;

	memcpy(copy, t, len);
	major = gss_unwrap(&minor, to->mit, &in, &out, &conf_state, NULL);
	v.mit = major == GSS_S_COMPLETE;
	v.mit_same = v.mit && out.length == n && conf_state == conf &&
		     (n == 0 || memcmp(out.value, payload, n) == 0);
	gss_release_buffer(&minor, &out);
	memcpy(copy, t, len);
	conf_state = -1;
	v.fast = rfc4121_unwrap(to->fast, copy, len, &plain, &plain_len, &conf_state) ==
		 RFC4121_ACCEPT;
	v.fast_same = v.fast && plain_len == n && conf_state == conf &&
		      plain >= copy && plain + plain_len <= copy + len &&
		      (n == 0 || memcmp(plain, payload, n) == 0);
	return v;
}

static void mismatch(struct tally *t, const char *what, size_t n, bool conf, struct verdicts v)
{
	if (t->bad++ < 5)
		diag("%s: %zu octets conf %d: MIT %s%s, fast path %s%s", what, n, conf,
		     v.mit ? "accepted" : "refused", v.mit && !v.mit_same ? " (other payload)" : "",
		     v.fast ? "accepted" : "refused",
		     v.fast && !v.fast_same ? " (other payload)" : "");
}

static void expect_refused(struct tally *t, const char *what, struct side *to,
			   const uint8_t *tok, size_t len, size_t n, bool conf)
{
	struct verdicts v = offer(to, tok, len, n, conf);

	if (v.mit || v.fast)
		mismatch(t, what, n, conf, v);
}

/* Rotate the body right by r and record it as the RRC: an equivalent token. */
static void rotate_token(uint8_t *t, size_t len, size_t r)
{
	size_t body = len - 16;
	uint8_t *tmp = malloc(body);

	if (tmp == NULL)
		exit(1);
	for (size_t i = 0; i < body; i++)
		tmp[(i + r) % body] = t[16 + i];
	memcpy(t + 16, tmp, body);
	free(tmp);
	t[6] = (uint8_t)(r >> 8);
	t[7] = (uint8_t)r;
}

static void one_case(struct tally *t, struct side *from, struct side *to, bool fast_sender,
		     bool conf, size_t n)
{
	size_t len = make_token(from, fast_sender, conf, n);
	struct verdicts v;

	t->cases++;
	/* Small tokens: every header octet changed in turn, and the last. */
	for (size_t pos = 0; n <= 17 && pos <= RFC4121_HEADER_LEN; pos++) {
		static uint8_t tampered[MAX_TOKEN + 64];
		size_t at = pos < RFC4121_HEADER_LEN ? pos : len - 1;

		memcpy(tampered, token, len);
		tampered[at] ^= at == 5 ? 0x01 : 0x80;   /* EC 1: fits, shifts the payload */
		if ((at == 6 || at == 7) &&
		    (((size_t)tampered[6] << 8 | tampered[7]) % (len - 16)) == 0)
			continue;
		t->tampered++;
		expect_refused(t, "header octet changed", to, tampered, len, n, conf);
	}
	if (t->cases % 3 == 0) {
		size_t pos = rnd() % len;
		uint8_t x = (uint8_t)(1 + rnd() % 255);

		memcpy(copy, token, len);
		copy[pos] ^= x;
		/* A changed RRC that rotates by a multiple of the body is the
		 * same token (RFC 4121 allows any RRC); it is not sent. */
		if (!((pos == 6 || pos == 7) &&
		      (((size_t)copy[6] << 8 | copy[7]) % (len - 16)) == 0)) {
			static uint8_t tampered[MAX_TOKEN + 64];

			memcpy(tampered, copy, len);
			t->tampered++;
			expect_refused(t, "one octet changed", to, tampered, len, n, conf);
		}
	}
	if (t->cases % 5 == 1) {
		t->reflected++;
		expect_refused(t, "reflected to its sender", from, token, len, n, conf);
	}
	if (t->cases % 7 == 2 && len > 17) {
		t->rotated++;
		rotate_token(token, len, 1 + rnd() % (len - 17));
	}
	v = offer(to, token, len, n, conf);
	if (!v.mit || !v.fast || !v.mit_same || !v.fast_same)
		mismatch(t, "token", n, conf, v);
}

static size_t limit_of(struct side *s, bool conf, struct tally *t)
{
	OM_uint32 minor = 0, mit_limit = 0;
	size_t fast_limit = rfc4121_size_limit(s->fast, conf, MAX_TOKEN);

	realm_gss_or_bail(gss_wrap_size_limit(&minor, s->mit, conf, GSS_C_QOP_DEFAULT, MAX_TOKEN,
					      &mit_limit),
			  minor, "gss_wrap_size_limit");
	if (fast_limit != mit_limit && t->bad++ < 5)
		diag("size limit conf %d: fast path %zu, gss_wrap_size_limit %u", conf,
		     fast_limit, (unsigned)mit_limit);
	return fast_limit < mit_limit ? fast_limit : mit_limit;
}

static void one_direction(const char *label, struct side *from, struct side *to,
			  bool fast_sender)
{
	static const size_t fixed[] = { 0, 1, 15, 16, 17 };
	struct tally t = { 0 };
	size_t last_len, n;

	for (int conf = 0; conf <= 1; conf++) {
		size_t limit = limit_of(from, conf, &t);

		for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
			one_case(&t, from, to, fast_sender, conf, fixed[i]);
		one_case(&t, from, to, fast_sender, conf, limit);
		for (int i = 0; i < RANDOM_CASES; i++)
			one_case(&t, from, to, fast_sender, conf, rnd() % (limit + 1));
	}
	ok(t.bad == 0, "%s %s->%s: %u tokens from %s accepted by both with the same payload; "
	   "%u with one octet changed and %u reflected refused by both, %u rotated accepted",
	   label, from->name, to->name, t.cases, fast_sender ? "the fast path" : "gss_wrap",
	   t.tampered, t.reflected, t.rotated);
	/* Sequence: the last token again, then one from the future. */
	n = 5;
	last_len = make_token(from, fast_sender, true, n);
	{
		struct verdicts v = offer(to, token, last_len, n, true);

		t.bad = 0;
		if (!v.mit || !v.fast)
			mismatch(&t, "before replay", n, true, v);
		expect_refused(&t, "replayed", to, token, last_len, n, true);
		(void)make_token(from, fast_sender, false, n);   /* never delivered */
		last_len = make_token(from, fast_sender, false, n);
		expect_refused(&t, "one sequence number skipped", to, token, last_len, n, false);
		ok(t.bad == 0, "%s %s->%s: a replayed token and one with a later sequence "
		   "number are refused by both", label, from->name, to->name);
	}
}

static void one_pair(const char *service, int32_t enctype, const char *name, bool fast_sender,
		     bool mutual)
{
	OM_uint32 flags = GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG | GSS_C_INTEG_FLAG |
			  GSS_C_CONF_FLAG | (mutual ? GSS_C_MUTUAL_FLAG : 0);
	gss_ctx_id_t ini, acc;
	struct side si, sa;
	char label[128];

	realm_handshake(service, flags, enctype, &ini, &acc);
	side_init(&si, "initiator", &ini);
	side_init(&sa, "acceptor", &acc);
	snprintf(label, sizeof(label), "%s%s", name, mutual ? " (acceptor subkey)" : "");
	ok(rfc4121_enctype(si.fast) == enctype && rfc4121_enctype(sa.fast) == enctype,
	   "%s: both ends protect with enctype %d (got %d, %d)", label, (int)enctype,
	   (int)rfc4121_enctype(si.fast), (int)rfc4121_enctype(sa.fast));
	one_direction(label, &si, &sa, fast_sender);
	one_direction(label, &sa, &si, fast_sender);
	side_release(&si);
	side_release(&sa);
}

/* The finding in rfc4121.c: MIT's lucid export deletes the context, so
 * rfc4121_new() hands back a live copy; gss_wrap/gss_unwrap work on it. */
static void test_export_keeps_handle(void)
{
	gss_ctx_id_t ini, acc;
	struct rfc4121 *f = NULL;
	char err[256];
	gss_buffer_desc in = { 5, (void *)"hello" }, out, plain;
	OM_uint32 minor = 0, m1, m2, m3, m4;
	int conf = 0;

	realm_handshake("fp-aes256-sha1@localhost", GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG |
			GSS_C_SEQUENCE_FLAG | GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG, 18, &ini, &acc);
	ok(rfc4121_new(&ini, &f, err, sizeof(err)) == RFC4121_OK && ini != GSS_C_NO_CONTEXT,
	   "lucid keys of the initiator, its handle replaced by a live copy");
	rfc4121_free(f);
	f = NULL;
	ok(rfc4121_new(&acc, &f, err, sizeof(err)) == RFC4121_OK && acc != GSS_C_NO_CONTEXT,
	   "lucid keys of the acceptor, its handle replaced by a live copy");
	rfc4121_free(f);
	m1 = gss_wrap(&minor, ini, 1, GSS_C_QOP_DEFAULT, &in, &conf, &out);
	m2 = gss_unwrap(&minor, acc, &out, &plain, &conf, NULL);
	gss_release_buffer(&minor, &out);
	gss_release_buffer(&minor, &plain);
	m3 = gss_wrap(&minor, acc, 0, GSS_C_QOP_DEFAULT, &in, &conf, &out);
	m4 = gss_unwrap(&minor, ini, &out, &plain, &conf, NULL);
	ok(m1 == GSS_S_COMPLETE && m2 == GSS_S_COMPLETE && m3 == GSS_S_COMPLETE &&
	   m4 == GSS_S_COMPLETE && plain.length == 5 && memcmp(plain.value, "hello", 5) == 0,
	   "gss_wrap/gss_unwrap work on the handles rfc4121_new() hands back");
	gss_release_buffer(&minor, &out);
	gss_release_buffer(&minor, &plain);
	(void)gss_delete_sec_context(&minor, &ini, GSS_C_NO_BUFFER);
	(void)gss_delete_sec_context(&minor, &acc, GSS_C_NO_BUFFER);
}

static void test_unsupported(void)
{
	gss_ctx_id_t ini, acc;
	struct rfc4121 *f = NULL;
	OM_uint32 minor = 0;
	char err[256];

	realm_handshake("fp-camellia128@localhost", GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG |
			GSS_C_SEQUENCE_FLAG | GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG, 25, &ini, &acc);
	ok(rfc4121_new(&ini, &f, err, sizeof(err)) == RFC4121_UNSUPPORTED && f == NULL,
	   "camellia128-cts-cmac context stays with gss_wrap (%s)", err);
	(void)gss_delete_sec_context(&minor, &ini, GSS_C_NO_BUFFER);
	(void)gss_delete_sec_context(&minor, &acc, GSS_C_NO_BUFFER);

	realm_handshake("fp-aes128-sha1@localhost", GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG |
			GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG, 17, &ini, &acc);
	ok(rfc4121_new(&acc, &f, err, sizeof(err)) == RFC4121_UNSUPPORTED && f == NULL,
	   "a context without sequence detection stays with gss_unwrap (%s)", err);
	(void)gss_delete_sec_context(&minor, &ini, GSS_C_NO_BUFFER);
	(void)gss_delete_sec_context(&minor, &acc, GSS_C_NO_BUFFER);
}

static void put_hex(FILE *f, const char *label, const void *p, size_t n)
{
	fprintf(f, "%s ", label);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", ((const uint8_t *)p)[i]);
	fputc('\n', f);
}

static void write_fixture(const char *dir, const char *service, int32_t enctype,
			  const char *name)
{
	static const char *const ends[2] = { "initiator", "acceptor" };
	gss_ctx_id_t ctx[2];
	gss_buffer_desc tok[2], exported, in = { 7, (void *)"warm-up" };
	OM_uint32 minor = 0;
	char path[512];
	int conf;
	FILE *f;

	char *config = strdup(getenv("KRB5_CONFIG"));
	OM_uint32 flags = GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG |
			  GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG;

	/* An exported context carries its krb5 profile's file names, and
	 * importing it opens them again: the realm's krb5.conf is gone by the
	 * time the fuzz target runs.  So: one handshake with the realm puts
	 * the service ticket in alice's ccache, the second one needs no KDC
	 * and runs with KRB5_CONFIG=/dev/null, which every machine has. */
	realm_handshake(service, flags, enctype, &ctx[0], &ctx[1]);
	(void)gss_delete_sec_context(&minor, &ctx[0], GSS_C_NO_BUFFER);
	(void)gss_delete_sec_context(&minor, &ctx[1], GSS_C_NO_BUFFER);
	setenv("KRB5_CONFIG", "/dev/null", 1);
	realm_handshake(service, flags, enctype, &ctx[0], &ctx[1]);
	setenv("KRB5_CONFIG", config, 1);
	free(config);
	snprintf(path, sizeof(path), "%s/%s.ctx", dir, name);
	f = fopen(path, "w");
	if (f == NULL) {
		printf("Bail out! %s: %s\n", path, strerror(errno));
		exit(1);
	}
	fprintf(f, "# %s context pair from a throwaway realm (test_rfc4121 --fixtures)\n", name);
	for (int i = 0; i < 2; i++)
		realm_gss_or_bail(gss_wrap(&minor, ctx[i], 1, GSS_C_QOP_DEFAULT, &in, &conf, &tok[i]),
				  minor, "gss_wrap");
	for (int i = 0; i < 2; i++) {
		char label[32];

		realm_gss_or_bail(gss_export_sec_context(&minor, &ctx[i], &exported), minor,
				  "gss_export_sec_context");
		put_hex(f, ends[i], exported.value, exported.length);
		snprintf(label, sizeof(label), "%s-token", ends[i]);
		put_hex(f, label, tok[i].value, tok[i].length);
		gss_release_buffer(&minor, &exported);
		gss_release_buffer(&minor, &tok[i]);
	}
	fclose(f);
	ok(true, "wrote %s", path);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *service;
		int32_t enctype;
		const char *name;
	} enctypes[] = {
		{ "fp-aes128-sha1@localhost", 17, "aes128-cts-hmac-sha1-96" },
		{ "fp-aes256-sha1@localhost", 18, "aes256-cts-hmac-sha1-96" },
		{ "fp-aes128-sha256@localhost", 19, "aes128-cts-hmac-sha256-128" },
		{ "fp-aes256-sha384@localhost", 20, "aes256-cts-hmac-sha384-192" },
	};

	if (argc != 2 && !(argc == 4 && strcmp(argv[2], "--fixtures") == 0)) {
		fprintf(stderr, "usage: %s MKREALM_SH [--fixtures DIR]\n", argv[0]);
		return 2;
	}
	realm_start(argv[1], 170);
	if (getenv("GSSOCKS_FASTPATH_KEYTAB") == NULL) {
		printf("Bail out! realm env has no GSSOCKS_FASTPATH_KEYTAB\n");
		return 1;
	}
	setenv("KRB5_KTNAME", getenv("GSSOCKS_FASTPATH_KEYTAB"), 1);
	if (argc == 4) {
		for (size_t i = 0; i < sizeof(enctypes) / sizeof(enctypes[0]); i++)
			write_fixture(argv[3], enctypes[i].service, enctypes[i].enctype,
				      enctypes[i].name);
		return done_testing();
	}
	test_export_keeps_handle();
	test_unsupported();
	for (size_t i = 0; i < sizeof(enctypes) / sizeof(enctypes[0]); i++)
		for (int fast_sender = 1; fast_sender >= 0; fast_sender--)
			for (int mutual = 1; mutual >= 0; mutual--)
				one_pair(enctypes[i].service, enctypes[i].enctype,
					 enctypes[i].name, fast_sender, mutual);
	return done_testing();
}
