/*
 * handshake.c - RFC 1961 sections 3 (context establishment) and 4
 * (protection-level subnegotiation), initiator side.
 *
 * Trust zone: client.  Talks to the KDC through the GSS-API library with
 * blocking calls, and to a gateway that is not authenticated until the
 * context completes with mutual authentication.
 *
 * Design decisions:
 *  - Mechanism: raw Kerberos (gss_mech_krb5), not SPNEGO, as every RFC 1961
 *    peer in the field does.  Target name SERVICE@HOST with
 *    GSS_C_NT_HOSTBASED_SERVICE, HOST exactly as the user wrote it.
 *  - Flags MUTUAL|REPLAY|SEQUENCE|INTEG|CONF: the data phase is a TCP
 *    stream, so replays, gaps and reordering are all attacks.  A context
 *    that comes back without mutual authentication is refused: the
 *    gateway must prove it holds the service key.
 *  - Completion: when our context completes on the gateway's token (the
 *    AP-REP), we do not wait for another auth frame (curl behaves the same
 *    and gateways rely on it).  When it completes on our own output token,
 *    the gateway owes us one answer: RFC 1961's "COMPLETE with no output
 *    token", a zero-length mtyp 1 frame, which we consume here so that it
 *    is not mistaken for the level answer.
 *  - Level: the one octet is wrapped with conf_req=FALSE (or bare with
 *    --nec); the answer must come back in the same form, unwrap with
 *    conf_state 0 and be exactly one octet.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gssapi/gssapi_krb5.h>

#include "advice.h"
#include "buf.h"
#include "diag.h"
#include "handshake.h"
#include "kcrypto.h"

#define CONTEXT_FLAGS (GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG | \
		       GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG)

/* Name of a GSS name for messages; "(unknown)" when it cannot be shown. */
static void name_text(gss_name_t name, char *out, size_t outlen)
{
	gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
	OM_uint32 major, minor;

	snprintf(out, outlen, "(unknown)");
	major = gss_display_name(&minor, name, &text, NULL);
	if (major == GSS_S_COMPLETE) {
		snprintf(out, outlen, "%.*s", (int)text.length, (const char *)text.value);
		gss_release_buffer(&minor, &text);
	}
}

static void describe_context(struct gateway_session *s)
{
	gss_name_t source = GSS_C_NO_NAME;
	OM_uint32 major, minor;

	major = gss_inquire_context(&minor, s->prot.ctx, &source, NULL, NULL, NULL, NULL,
				    NULL, NULL);
	if (major == GSS_S_COMPLETE) {
		name_text(source, s->principal, sizeof(s->principal));
		gss_release_name(&minor, &source);
	} else {
		snprintf(s->principal, sizeof(s->principal), "(unknown)");
	}
}

/*
 * Read one frame during authentication.  Returns 0 with *frame set to an
 * mtyp 1 frame, -1 (printed) otherwise.
 */
static int read_auth_frame(struct gateway_session *s, uint8_t *storage, struct gssframe *frame)
{
	const char *why;

	if (frame_read_one(s->fd, storage, WRAPIO_FRAME_MAX, frame, &why) < 0) {
		diag_fail("GSS-API authentication to %s: reading the gateway's token: %s",
			  s->target, why);
		return -1;
	}
	if (frame->mtyp == GSSFRAME_ABORT) {
		advice_context_abort(s->target);
		return -1;
	}
	if (frame->mtyp != GSSFRAME_AUTH) {
		diag_fail("GSS-API authentication to %s: gateway sent message type 0x%02x, expected 0x01",
			  s->target, frame->mtyp);
		return -1;
	}
	return 0;
}

static int check_context_flags(const struct gateway_config *cfg, struct gateway_session *s)
{
	if (!(s->ret_flags & GSS_C_MUTUAL_FLAG)) {
		diag_fail("GSS-API authentication to %s: the gateway was not authenticated "
			  "(no mutual authentication)", s->target);
		return -1;
	}
	if (cfg->level == GSS_LEVEL_INTEGRITY && !(s->ret_flags & GSS_C_INTEG_FLAG)) {
		diag_fail("GSS-API authentication to %s: the context offers no integrity protection",
			  s->target);
		return -1;
	}
	if (cfg->level >= GSS_LEVEL_CONFIDENTIALITY && !(s->ret_flags & GSS_C_CONF_FLAG)) {
		diag_fail("GSS-API authentication to %s: the context offers no confidentiality",
			  s->target);
		return -1;
	}
	return 0;
}

static int context_loop(struct gateway_session *s, gss_name_t target, uint8_t *storage)
{
	gss_buffer_desc input = GSS_C_EMPTY_BUFFER;
	struct gssframe frame;
	OM_uint32 major, minor, release_minor;

	for (;;) {
		gss_buffer_desc output = GSS_C_EMPTY_BUFFER;
		bool sent = false;

		major = gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &s->prot.ctx, target,
					     (gss_OID)gss_mech_krb5, CONTEXT_FLAGS, GSS_C_INDEFINITE,
					     GSS_C_NO_CHANNEL_BINDINGS, &input, NULL, &output,
					     &s->ret_flags, NULL);
		if (output.length > 0 && !GSS_ERROR(major)) {
			int rc = -1;

			if (output.length > GSSFRAME_MAX_TOKEN)
				diag_fail("GSS-API authentication to %s: token of %zu octets "
					  "does not fit a frame", s->target, output.length);
			else if ((rc = wrapio_send_frame(s->fd, GSSFRAME_AUTH, output.value,
							 output.length)) < 0)
				diag_fail("GSS-API authentication to %s: sending a token: %s",
					  s->target, strerror(errno));
			gss_release_buffer(&release_minor, &output);
			if (rc < 0)
				return -1;
			sent = true;
		} else {
			gss_release_buffer(&release_minor, &output);
		}
		if (GSS_ERROR(major)) {
			/* RFC 1961 section 3: the client just closes. */
			char what[GATEWAY_NAME_MAX + 64];
			snprintf(what, sizeof(what), "GSS-API authentication to %s", s->target);
			diag_gss_fail(what, major, minor);
			return -1;
		}
		if (major == GSS_S_COMPLETE) {
			if (!sent)
				return 0;
			/* Our last token completed us; the gateway answers
			 * with COMPLETE and no output token: 01 01 00 00. */
			if (read_auth_frame(s, storage, &frame) < 0)
				return -1;
			if (frame.len != 0) {
				diag_fail("GSS-API authentication to %s: gateway sent a token after "
					  "the context was complete", s->target);
				return -1;
			}
			return 0;
		}
		/* GSS_S_CONTINUE_NEEDED: the gateway's next token. */
		if (read_auth_frame(s, storage, &frame) < 0)
			return -1;
		if (frame.len == 0) {
			diag_fail("GSS-API authentication to %s: gateway sent an empty token "
				  "before the context was complete", s->target);
			return -1;
		}
		input.value = (void *)frame.token;
		input.length = frame.len;
	}
}

int handshake_context(const struct gateway_config *cfg, struct gateway_session *s)
{
	gss_buffer_desc namebuf;
	gss_name_t target = GSS_C_NO_NAME;
	OM_uint32 major, minor;
	uint8_t *storage;
	int rc;

	if ((size_t)snprintf(s->target, sizeof(s->target), "%s@%s", cfg->service, cfg->host) >=
	    sizeof(s->target)) {
		diag_fail("GSS-API target name %s@%s: too long", cfg->service, cfg->host);
		return -1;
	}
	namebuf.value = s->target;
	namebuf.length = strlen(s->target);
	major = gss_import_name(&minor, &namebuf, GSS_C_NT_HOSTBASED_SERVICE, &target);
	if (major != GSS_S_COMPLETE) {
		char what[GATEWAY_NAME_MAX + 64];
		snprintf(what, sizeof(what), "GSS-API target name %s", s->target);
		diag_gss_fail(what, major, minor);
		return -1;
	}
	storage = malloc(WRAPIO_FRAME_MAX);
	if (storage == NULL) {
		diag_fail("GSS-API authentication to %s: out of memory", s->target);
		gss_release_name(&minor, &target);
		return -1;
	}
	rc = context_loop(s, target, storage);
	free(storage);
	gss_release_name(&minor, &target);
	if (rc < 0)
		return -1;
	if (check_context_flags(cfg, s) < 0)
		return -1;
	describe_context(s);
	diag_step("authenticated as %s to %s (mutual authentication done)", s->principal,
		  s->target);
	return 0;
}

/* Read and decode the gateway's level answer into *answer. */
static int read_level_answer(const struct gateway_config *cfg, struct gateway_session *s,
			     uint8_t *answer)
{
	uint8_t *storage = malloc(WRAPIO_FRAME_MAX);
	struct gssframe frame;
	struct rbuf rb;
	const char *why;
	int rc = -1;

	if (storage == NULL) {
		diag_fail("protection-level subnegotiation: out of memory");
		return -1;
	}
	if (frame_read_one(s->fd, storage, WRAPIO_FRAME_MAX, &frame, &why) < 0) {
		diag_fail("protection-level subnegotiation: reading the gateway's answer: %s", why);
	} else if (frame.mtyp == GSSFRAME_ABORT) {
		advice_level_abort(gss_level_name(cfg->level), cfg->nec);
	} else if (frame.mtyp != GSSFRAME_PROT) {
		diag_fail("protection-level subnegotiation: gateway sent message type 0x%02x, "
			  "expected 0x02", frame.mtyp);
	} else if (cfg->nec) {
		rbuf_init(&rb, frame.token, frame.len);
		if (rbuf_get_u8(&rb, answer) < 0 || rbuf_done(&rb) < 0)
			diag_fail("protection-level subnegotiation: gateway answered a %u-octet "
				  "token, expected the bare level octet (--nec)", frame.len);
		else
			rc = 0;
	} else if (frame.len == 1) {
		/* A wrap token is never one octet. */
		diag_fail("protection-level subnegotiation: gateway answered with a bare "
			  "(NEC-style) level octet; try --nec");
	} else {
		gss_buffer_desc plain;
		OM_uint32 minor;

		/* The level message is protected for integrity only
		 * (RFC 1961: conf_req_flag FALSE): conf_state 0, as at level 1. */
		if (wrapio_unwrap(s->prot.ctx, GSS_LEVEL_INTEGRITY, frame.token, frame.len, &plain,
				  "protection-level subnegotiation: unwrapping the gateway's answer") == 0) {
			rbuf_init(&rb, plain.value, plain.length);
			if (rbuf_get_u8(&rb, answer) < 0 || rbuf_done(&rb) < 0)
				diag_fail("protection-level subnegotiation: the gateway's answer "
					  "is %zu octets, expected 1", plain.length);
			else
				rc = 0;
			gss_release_buffer(&minor, &plain);
		}
	}
	free(storage);
	return rc;
}

/*
 * From the agreed level on, the context is the session's per-message
 * protection (common/secwrap.h, as in the relay): an AES context's tokens
 * are made and checked with OpenSSL (common/rfc4121.h), others with
 * gss_*_iov, in place.  Selective: every message we send is wrapped with
 * confidentiality (our per-message choice, explicit here); the gateway may
 * send either (proto/protection.h).  0, or -1 (printed) when the context
 * cannot be used.
 */
static int protection_take(struct gateway_session *s)
{
	gss_ctx_id_t ctx = s->prot.ctx;
	char err[512];

	if (secwrap_adopt(&s->prot, &ctx, s->level, true, err, sizeof(err)) < 0) {
		diag_fail("protection-level subnegotiation: %s", err);
		return -1;
	}
	if (!protection_wraps(s->level))
		return 0;
	if (s->prot.fast != NULL)
		diag_step("per-message protection: OpenSSL on the context's %s keys (RFC 4121)",
			  kcrypto_name(rfc4121_enctype(s->prot.fast)));
	else
		diag_step("per-message protection: gss_wrap/gss_unwrap (%s)", err);
	return 0;
}

/* May we use the level the gateway answered?  0 yes, -1 no (printed). */
static int check_level(const struct gateway_config *cfg, const struct gateway_session *s,
		       uint8_t answer)
{
	enum gss_level agreed = (enum gss_level)answer;

	if (answer > GSS_LEVEL_SELECTIVE) {
		diag_fail("protection-level subnegotiation: gateway answered unknown level 0x%02x",
			  answer);
		return -1;
	}
	if (agreed != cfg->level) {
		if (!cfg->accept_any) {
			diag_fail("protection-level subnegotiation: gateway chose %s, we asked for %s "
				  "(-A accepts the gateway's choice)", gss_level_name(agreed),
				  gss_level_name(cfg->level));
			return -1;
		}
		if (agreed == GSS_LEVEL_CLEAR) {
			diag_fail("protection-level subnegotiation: gateway chose clear (no "
				  "protection), we asked for %s; use -L clear to allow it",
				  gss_level_name(cfg->level));
			return -1;
		}
	}
	if (agreed == GSS_LEVEL_INTEGRITY && !(s->ret_flags & GSS_C_INTEG_FLAG)) {
		diag_fail("protection-level subnegotiation: gateway chose integrity, the context "
			  "offers none");
		return -1;
	}
	if (agreed >= GSS_LEVEL_CONFIDENTIALITY && !(s->ret_flags & GSS_C_CONF_FLAG)) {
		diag_fail("protection-level subnegotiation: gateway chose %s, the context offers "
			  "no confidentiality", gss_level_name(agreed));
		return -1;
	}
	return 0;
}

int handshake_level(const struct gateway_config *cfg, struct gateway_session *s)
{
	uint8_t asked = (uint8_t)cfg->level, answer;

	if (cfg->nec) {
		if (wrapio_send_frame(s->fd, GSSFRAME_PROT, &asked, 1) < 0) {
			diag_fail("protection-level subnegotiation: sending the request: %s",
				  strerror(errno));
			return -1;
		}
	} else if (wrapio_send_wrapped(s->fd, s->prot.ctx, GSSFRAME_PROT, 0, &asked, 1,
				       "protection-level subnegotiation: request") < 0) {
		return -1;
	}
	if (read_level_answer(cfg, s, &answer) < 0 || check_level(cfg, s, answer) < 0)
		return -1;
	s->level = (enum gss_level)answer;
	if (protection_take(s) < 0)
		return -1;
	if (s->level == GSS_LEVEL_CLEAR)
		diag_step("protection level agreed: clear%s (asked %s): request, reply and data "
			  "travel unprotected", cfg->nec ? " (NEC)" : "", gss_level_name(cfg->level));
	else
		diag_step("protection level agreed: %s%s (asked %s), %zu octets per frame",
			  gss_level_name(s->level), cfg->nec ? " (NEC)" : "",
			  gss_level_name(cfg->level), s->prot.chunk_max);
	return 0;
}
