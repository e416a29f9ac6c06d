/*
 * test_gssframe.c - unit tests for proto/gssframe.c: RFC 1961 frame parsing
 * (split headers, truncated tokens, the largest token, the two-octet abort,
 * bad version, unknown mtyp), gssframe_missing, builders and level names.
 *
 * Trust zone: tests.
 */
#include <string.h>

#include "gssframe.h"
#include "tap.h"

struct parse_case {
	const char *name;
	const uint8_t *in;
	size_t len;
	int want;          /* gssframe_parse result */
	uint8_t mtyp;      /* when want == 1 */
	uint16_t tlen;
	size_t used;
	long missing;      /* gssframe_missing result */
};

static void test_parse_table(void)
{
	static const uint8_t auth[] = { 1, 1, 0, 3, 'a', 'b', 'c' };
	static const uint8_t auth_extra[] = { 1, 1, 0, 1, 'a', 5, 1, 0 };
	static const uint8_t empty_auth[] = { 1, 1, 0, 0 };
	static const uint8_t prot[] = { 1, 2, 0, 1, 0x02 };
	static const uint8_t data[] = { 1, 3, 0, 2, 'h', 'i' };
	static const uint8_t abort_frame[] = { 1, 0xff };
	static const uint8_t abort_extra[] = { 1, 0xff, 1, 1 };
	static const uint8_t bad_version[] = { 5, 1, 0, 0 };
	static const uint8_t bad_mtyp0[] = { 1, 0, 0, 0 };
	static const uint8_t bad_mtyp4[] = { 1, 4, 0, 0 };
	static const uint8_t bad_mtypfe[] = { 1, 0xfe };
	static const uint8_t nothing[] = { 0 };
	static const struct parse_case cases[] = {
		{ "auth frame", auth, sizeof(auth), 1, 1, 3, 7, 0 },
		{ "auth frame then next phase bytes", auth_extra, sizeof(auth_extra), 1, 1, 1, 5, 0 },
		{ "zero-length auth token", empty_auth, sizeof(empty_auth), 1, 1, 0, 4, 0 },
		{ "protection frame", prot, sizeof(prot), 1, 2, 1, 5, 0 },
		{ "data frame", data, sizeof(data), 1, 3, 2, 6, 0 },
		{ "abort is two octets", abort_frame, sizeof(abort_frame), 1, 0xff, 0, 2, 0 },
		{ "abort followed by junk", abort_extra, sizeof(abort_extra), 1, 0xff, 0, 2, 0 },
		{ "empty input", nothing, 0, 0, 0, 0, 0, 4 },
		{ "header 1 octet", auth, 1, 0, 0, 0, 0, 3 },
		{ "header 2 octets", auth, 2, 0, 0, 0, 0, 2 },
		{ "header 3 octets", auth, 3, 0, 0, 0, 0, 1 },
		{ "header only, token missing", auth, 4, 0, 0, 0, 0, 3 },
		{ "token truncated by 1", auth, 6, 0, 0, 0, 0, 1 },
		{ "abort first octet only", abort_frame, 1, 0, 0, 0, 0, 3 },
		{ "bad version", bad_version, sizeof(bad_version), -1, 0, 0, 0, -1 },
		{ "bad version, 1 octet", bad_version, 1, -1, 0, 0, 0, -1 },
		{ "mtyp 0", bad_mtyp0, sizeof(bad_mtyp0), -1, 0, 0, 0, -1 },
		{ "mtyp 4", bad_mtyp4, sizeof(bad_mtyp4), -1, 0, 0, 0, -1 },
		{ "mtyp fe, 2 octets", bad_mtypfe, sizeof(bad_mtypfe), -1, 0, 0, 0, -1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct parse_case *c = &cases[i];
		struct gssframe f;
		size_t used = 9999;
		int r;

		memset(&f, 0xaa, sizeof(f));
		r = gssframe_parse(c->in, c->len, &f, &used);
		is_int(r, c->want, "parse: %s", c->name);
		if (c->want == 1)
			ok(f.mtyp == c->mtyp && f.len == c->tlen && used == c->used &&
			   (c->mtyp == 0xff ? f.token == NULL : f.token == c->in + 4),
			   "parse: %s: fields", c->name);
		is_int(gssframe_missing(c->in, c->len), c->missing, "missing: %s", c->name);
	}
}

/* Every split of a header and token: 0 until whole, then 1. */
static void test_every_split(void)
{
	uint8_t frame[4 + 10] = { 1, 3, 0, 10 };
	bool good = true;
	long total = (long)sizeof(frame);

	for (size_t n = 0; n < sizeof(frame); n++) {
		struct gssframe f;
		size_t used;

		if (gssframe_parse(frame, n, &f, &used) != 0)
			good = false;
		if (n >= 4 && gssframe_missing(frame, n) != total - (long)n)
			good = false;
	}
	ok(good, "every prefix of a 14-octet frame needs more, missing is exact");
}

static void test_max_token(void)
{
	static uint8_t big[4 + 65535 + 1];
	static uint8_t out[4 + 65536];
	struct gssframe f;
	struct wbuf wb;
	size_t used;

	big[0] = 1;
	big[1] = 3;
	big[2] = 0xff;
	big[3] = 0xff;
	is_int(gssframe_parse(big, 4 + 65534, &f, &used), 0, "max token minus one octet: need more");
	is_int(gssframe_missing(big, 4 + 65534), 1, "max token: missing 1");
	is_int(gssframe_parse(big, 4 + 65535, &f, &used), 1, "max token 65535 parses");
	ok(f.len == 65535 && used == 4 + 65535, "max token length");

	wbuf_init(&wb, out, sizeof(out));
	ok(gssframe_put(&wb, GSSFRAME_DATA, big + 4, 65535) == 0 && wb.len == 4 + 65535,
	   "put 65535-octet token");
	wbuf_init(&wb, out, sizeof(out));
	ok(gssframe_put(&wb, GSSFRAME_DATA, big + 4, 65536) < 0 && wb.len == 0,
	   "put 65536-octet token refused");
	wbuf_init(&wb, out, sizeof(out));
	ok(gssframe_put_header(&wb, GSSFRAME_DATA, 65536) < 0, "header for 65536 refused");
}

static void test_builders(void)
{
	uint8_t out[16];
	struct wbuf wb;
	struct gssframe f;
	size_t used;

	wbuf_init(&wb, out, sizeof(out));
	ok(gssframe_put(&wb, GSSFRAME_AUTH, "tok", 3) == 0, "put auth frame");
	is_mem(out, "\x01\x01\x00\x03tok", 7, "auth frame bytes");
	ok(gssframe_parse(out, wb.len, &f, &used) == 1 && f.mtyp == 1 && f.len == 3 &&
	   memcmp(f.token, "tok", 3) == 0, "auth frame round trip");

	wbuf_init(&wb, out, sizeof(out));
	ok(gssframe_put(&wb, GSSFRAME_AUTH, NULL, 0) == 0 && wb.len == 4 &&
	   memcmp(out, "\x01\x01\x00\x00", 4) == 0, "zero-length token frame 01 01 00 00");

	wbuf_init(&wb, out, sizeof(out));
	ok(gssframe_put_abort(&wb) == 0 && wb.len == 2 && out[0] == 1 && out[1] == 0xff,
	   "abort is 01 ff");

	wbuf_init(&wb, out, sizeof(out));
	ok(gssframe_put_header(&wb, GSSFRAME_ABORT, 0) < 0, "header with mtyp ff refused");
	wbuf_init(&wb, out, sizeof(out));
	ok(gssframe_put_header(&wb, 7, 0) < 0, "header with mtyp 7 refused");

	wbuf_init(&wb, out, 6);
	ok(gssframe_put(&wb, GSSFRAME_DATA, "abc", 3) < 0 && wb.len == 0,
	   "frame that does not fit: nothing written");
}

static void test_levels(void)
{
	static const struct {
		const char *word;
		int want;
		int level;
	} cases[] = {
		{ "clear", 0, GSS_LEVEL_CLEAR },
		{ "integrity", 0, GSS_LEVEL_INTEGRITY },
		{ "confidentiality", 0, GSS_LEVEL_CONFIDENTIALITY },
		{ "selective", 0, GSS_LEVEL_SELECTIVE },
		{ "1", 0, GSS_LEVEL_INTEGRITY },
		{ "2", 0, GSS_LEVEL_CONFIDENTIALITY },
		{ "3", 0, GSS_LEVEL_SELECTIVE },
		{ "4", -1, 0 },
		{ "", -1, 0 },
		{ "Integrity", -1, 0 },
		{ "integrity ", -1, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum gss_level l = GSS_LEVEL_CLEAR;
		int r = gss_level_parse(cases[i].word, &l);

		ok(r == cases[i].want && (r < 0 || (int)l == cases[i].level),
		   "level parse \"%s\"", cases[i].word);
	}
	ok(gss_level_parse(NULL, &(enum gss_level){ 0 }) < 0, "level parse NULL");
	is_str(gss_level_name(GSS_LEVEL_CONFIDENTIALITY), "confidentiality", "level name 2");
	is_str(gss_level_name(GSS_LEVEL_CLEAR), "clear", "level name 0");
	is_str(gss_level_name((enum gss_level)9), "unknown", "level name 9");
}

int main(void)
{
	test_parse_table();
	test_every_split();
	test_max_token();
	test_builders();
	test_levels();
	return done_testing();
}
