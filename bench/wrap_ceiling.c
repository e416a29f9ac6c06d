/*
 * wrap_ceiling.c - the in-process ceilings of per-message protection for
 * gssocks-bench: MIT's gss_wrap/gss_unwrap against the RFC 4121 fast path
 * (common/rfc4121.c) on contexts of the enctype a gssocks session
 * negotiates, at integrity and confidentiality.
 *
 * Trust zone: developer tooling (built by meson, never installed, not a
 * test).  Usage: gssocks-wrap-ceiling MKREALM [MiB]
 *
 * Design: one throwaway realm (tests/realm/realm.h, the same mkrealm.sh
 * the gateway's realm comes from), context pairs for rcmd@localhost with
 * the flags gssocks-client asks for, made in this process.  Per level and
 * path a fresh pair; tokens of 65,000 plaintext octets (a full RFC 1961
 * frame's worth) are wrapped by the initiator and unwrapped by the
 * acceptor, every one checked (length, conf_state, verdict).  Each call is
 * timed with the thread's CPU clock (CLOCK_THREAD_CPUTIME_ID): the
 * machine's load does not count.  The fast path works in place (as the
 * relay does); gss_wrap/gss_unwrap allocate their output (the plain API).
 * Output, one line each, for bench/gssocks-bench to read:
 *   enctype NAME
 *   ceiling PATH LEVEL OP MiB/s      (PATH mit|fast, OP wrap|unwrap)
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gssapi/gssapi.h>

#include "../common/kcrypto.h"
#include "../common/rfc4121.h"
#include "../tests/realm/realm.h"

#define PAYLOAD 65000
#define FLAGS (GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG | \
	       GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG)

static uint8_t payload[PAYLOAD];
static uint8_t token[PAYLOAD + 256];

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bail(const char *what)
{
	printf("Bail out! %s\n", what);
	exit(1);
}

static void report(const char *path, bool conf, double wrap_s, double unwrap_s, size_t tokens)
{
	double mib = (double)tokens * PAYLOAD / (1024.0 * 1024.0);
	const char *level = conf ? "confidentiality" : "integrity";

	printf("ceiling %s %s wrap %.1f\n", path, level, mib / wrap_s);
	printf("ceiling %s %s unwrap %.1f\n", path, level, mib / unwrap_s);
}

static void run_mit(bool conf, size_t tokens)
{
	gss_ctx_id_t ini, acc;
	double wrap_s = 0, unwrap_s = 0, t;
	OM_uint32 major, minor = 0;

	realm_handshake("rcmd@localhost", FLAGS, 0, &ini, &acc);
	for (size_t i = 0; i < tokens; i++) {
		gss_buffer_desc in = { PAYLOAD, payload }, out, plain;
		int conf_state = 0;

		t = cpu_now();
		major = gss_wrap(&minor, ini, conf, GSS_C_QOP_DEFAULT, &in, &conf_state, &out);
		wrap_s += cpu_now() - t;
		if (major != GSS_S_COMPLETE || conf_state != conf)
			bail("gss_wrap");
		t = cpu_now();
		major = gss_unwrap(&minor, acc, &out, &plain, &conf_state, NULL);
		unwrap_s += cpu_now() - t;
		if (major != GSS_S_COMPLETE || plain.length != PAYLOAD || conf_state != conf)
			bail("gss_unwrap");
		gss_release_buffer(&minor, &out);
		gss_release_buffer(&minor, &plain);
	}
	report("mit", conf, wrap_s, unwrap_s, tokens);
	gss_delete_sec_context(&minor, &ini, GSS_C_NO_BUFFER);
	gss_delete_sec_context(&minor, &acc, GSS_C_NO_BUFFER);
}

static void run_fast(bool conf, size_t tokens)
{
	gss_ctx_id_t ini, acc;
	struct rfc4121 *fi, *fa;
	double wrap_s = 0, unwrap_s = 0, t;
	OM_uint32 minor = 0;
	char err[256];
	size_t offset;

	realm_handshake("rcmd@localhost", FLAGS, 0, &ini, &acc);
	if (rfc4121_new(&ini, &fi, err, sizeof(err)) != RFC4121_OK ||
	    rfc4121_new(&acc, &fa, err, sizeof(err)) != RFC4121_OK) {
		printf("enctype %s\n", err);
		bail("rfc4121_new: the negotiated context is not one the fast path takes");
	}
	printf("enctype %s\n", kcrypto_name(rfc4121_enctype(fi)));
	offset = rfc4121_data_offset(fi, conf);
	for (size_t i = 0; i < tokens; i++) {
		uint8_t *plain;
		size_t len, plain_len;
		int conf_state = 0;
		enum rfc4121_verdict v;

		memcpy(token + offset, payload, PAYLOAD);   /* the relay reads it there */
		t = cpu_now();
		if (rfc4121_wrap(fi, conf, token, sizeof(token), PAYLOAD, &len) < 0)
			bail("rfc4121_wrap");
		wrap_s += cpu_now() - t;
		t = cpu_now();
		v = rfc4121_unwrap(fa, token, len, &plain, &plain_len, &conf_state);
		unwrap_s += cpu_now() - t;
		if (v != RFC4121_ACCEPT || plain_len != PAYLOAD || conf_state != conf ||
		    memcmp(plain, payload, PAYLOAD) != 0)
			bail("rfc4121_unwrap");
	}
	report("fast", conf, wrap_s, unwrap_s, tokens);
	rfc4121_free(fi);
	rfc4121_free(fa);
	gss_delete_sec_context(&minor, &ini, GSS_C_NO_BUFFER);
	gss_delete_sec_context(&minor, &acc, GSS_C_NO_BUFFER);
}

int main(int argc, char **argv)
{
	long mib = 64;
	size_t tokens;

	if (argc < 2 || argc > 3 || (argc == 3 && (mib = strtol(argv[2], NULL, 10)) < 1)) {
		fprintf(stderr, "usage: gssocks-wrap-ceiling MKREALM [MiB]\n");
		return 2;
	}
	tokens = (size_t)(mib * 1024 * 1024 + PAYLOAD - 1) / PAYLOAD;
	for (size_t i = 0; i < PAYLOAD; i++)
		payload[i] = (uint8_t)(i * 2654435761u >> 24);
	realm_start(argv[1], 600);
	if (getenv("GSSOCKS_KEYTAB") == NULL)
		bail("mkrealm.sh gave no GSSOCKS_KEYTAB");
	setenv("KRB5_KTNAME", getenv("GSSOCKS_KEYTAB"), 1);
	if (kcrypto_preload() < 0)
		bail("OpenSSL lacks an algorithm of the fast path");
	for (int conf = 0; conf <= 1; conf++) {
		run_fast(conf != 0, tokens);
		run_mit(conf != 0, tokens);
	}
	fflush(stdout);
	return 0;
}
