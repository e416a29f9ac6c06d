/*
 * handoff.c - report an authenticated session, export its context and pass
 * it with the client socket to a relay worker (see handoff.h).
 *
 * Trust zone: authproc.  The exported context carries session keys: it
 * goes only to the relay slot's direct channel (never to the master), and
 * our copy is wiped before it is released.  Messages to the master are the
 * only thing it learns about a handshake: principal, the service name the
 * client authenticated to, mechanism, level, or a failure reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gssapi/gssapi_krb5.h>

#include "../common/gsserr.h"
#include "../common/log.h"
#include "handoff.h"
#include "handshake.h"

/* The master channel failed: the master is gone or broken; so are we. */
static _Noreturn void master_lost(const char *what)
{
	if (errno == EPIPE || errno == ECONNRESET) {
		log_info("master went away while sending %s; exiting", what);
		exit(0);
	}
	fatal("cannot send %s to the master: %s", what, strerror(errno));
}

void report_auth_fail(struct authproc *ap, uint64_t session_id, const char *reason)
{
	struct ipc_auth_fail m;

	memset(&m, 0, sizeof(m));
	m.session_id = session_id;
	snprintf(m.reason, sizeof(m.reason), "%s", reason);
	if (ipc_send_auth_fail(ap->master_fd, &m) < 0)
		master_lost("IPC_AUTH_FAIL");
}

/* "krb5" for the Kerberos mechanism, else the OID in dotted form. */
static void mechanism_text(gss_OID mech, char *out, size_t outlen)
{
	gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
	OM_uint32 minor;

	if (mech != GSS_C_NO_OID && mech->length == gss_mech_krb5->length &&
	    memcmp(mech->elements, gss_mech_krb5->elements, mech->length) == 0) {
		snprintf(out, outlen, "krb5");
		return;
	}
	if (mech != GSS_C_NO_OID && !GSS_ERROR(gss_oid_to_str(&minor, mech, &text)) &&
	    text.length < outlen && memchr(text.value, '\0', text.length) == NULL) {
		memcpy(out, text.value, text.length);
		out[text.length] = '\0';
	} else {
		snprintf(out, outlen, "unknown");
	}
	(void)gss_release_buffer(&minor, &text);
}

/* The client's principal as text; 0, or -1 after failing the client. */
static int principal_text(struct authproc *ap, struct auth_client *c, char *out,
			  size_t outlen)
{
	gss_buffer_desc name = GSS_C_EMPTY_BUFFER;
	OM_uint32 major, minor, release_minor;
	char text[IPC_TEXT_MAX];

	major = gss_display_name(&minor, c->src_name, &name, NULL);
	if (GSS_ERROR(major)) {
		gss_status_text(major, minor, text, sizeof(text));
		handshake_fail(ap, c, false, "gss_display_name: %s", text);
		return -1;
	}
	if (name.length == 0 || name.length >= outlen ||
	    memchr(name.value, '\0', name.length) != NULL) {
		(void)gss_release_buffer(&release_minor, &name);
		handshake_fail(ap, c, false, "client principal name is empty, too long or holds NUL");
		return -1;
	}
	memcpy(out, name.value, name.length);
	out[name.length] = '\0';
	(void)gss_release_buffer(&release_minor, &name);
	return 0;
}

int report_level_query(struct authproc *ap, struct auth_client *c, uint8_t requested)
{
	struct ipc_auth_level_query q;

	memset(&q, 0, sizeof(q));
	q.session_id = c->session_id;
	q.requested = requested;
	q.nec = c->nec ? 1 : 0;
	q.flags = (uint8_t)(c->ret_flags & IPC_CONTEXT_FLAGS);
	if (principal_text(ap, c, q.principal, sizeof(q.principal)) < 0)
		return -1;
	mechanism_text(c->mech, q.mechanism, sizeof(q.mechanism));
	if (ipc_send_auth_level_query(ap->master_fd, &q) < 0)
		master_lost("IPC_AUTH_LEVEL_QUERY");
	return 0;
}

/*
 * The acceptor name the client's ticket was for (the context's target,
 * "rcmd/gw.example.com@REALM"), for the auth record; "unknown" when the
 * library cannot say or it does not fit IPC (it is only reported).
 */
static void service_text(const struct auth_client *c, char *out, size_t outlen)
{
	gss_buffer_desc name = GSS_C_EMPTY_BUFFER;
	gss_name_t target = GSS_C_NO_NAME;
	OM_uint32 minor;

	snprintf(out, outlen, "unknown");
	if (GSS_ERROR(gss_inquire_context(&minor, c->ctx, NULL, &target, NULL, NULL, NULL,
					  NULL, NULL)))
		return;
	if (!GSS_ERROR(gss_display_name(&minor, target, &name, NULL)) && name.length > 0 &&
	    name.length < outlen && memchr(name.value, '\0', name.length) == NULL) {
		memcpy(out, name.value, name.length);
		out[name.length] = '\0';
	}
	(void)gss_release_buffer(&minor, &name);
	(void)gss_release_name(&minor, &target);
}

void handoff_session(struct authproc *ap, struct auth_client *c)
{
	struct relay_channel *channel = loop_relay_channel(ap, c->relay_slot);
	struct ipc_auth_ok ok;
	struct ipc_relay_session session;
	gss_buffer_desc exported = GSS_C_EMPTY_BUFFER;
	OM_uint32 major, minor, release_minor;
	char text[IPC_TEXT_MAX];
	int rc;

	/*
	 * Checked before AUTH_OK.  No channel yet: the relay that makes it
	 * may still be starting (it makes the pair itself, once running);
	 * wait for it until the handshake's deadline.
	 */
	if (channel == NULL) {
		handshake_wait_relay(ap, c);
		return;
	}

	memset(&ok, 0, sizeof(ok));
	ok.session_id = c->session_id;
	ok.level = (uint8_t)c->level;
	ok.nec = c->nec ? 1 : 0;
	if (principal_text(ap, c, ok.principal, sizeof(ok.principal)) < 0)
		return;
	mechanism_text(c->mech, ok.mechanism, sizeof(ok.mechanism));
	service_text(c, ok.service, sizeof(ok.service));
	if (ipc_send_auth_ok(ap->master_fd, &ok) < 0)
		master_lost("IPC_AUTH_OK");

	major = gss_export_sec_context(&minor, &c->ctx, &exported);
	if (GSS_ERROR(major)) {
		gss_status_text(major, minor, text, sizeof(text));
		handshake_fail(ap, c, false, "gss_export_sec_context: %s", text);
		return;
	}
	if (exported.length == 0 || exported.length > IPC_CONTEXT_MAX) {
		explicit_bzero(exported.value, exported.length);
		(void)gss_release_buffer(&release_minor, &exported);
		handshake_fail(ap, c, false, "exported context of %zu octets does not fit IPC",
			       exported.length);
		return;
	}

	memset(&session, 0, sizeof(session));
	session.session_id = c->session_id;
	session.level = (uint8_t)c->level;
	memcpy(session.principal, ok.principal, sizeof(session.principal));
	session.context = exported.value;
	session.context_len = exported.length;
	rc = ipc_send_relay_session(channel->fd, &session, c->fd);
	explicit_bzero(exported.value, exported.length);
	(void)gss_release_buffer(&release_minor, &exported);
	if (rc < 0) {
		/*
		 * Never waited out (ipc_send_nowait): a relay that does not
		 * drain its channel must not stall every handshake.  Dropping
		 * the channel closes it; the relay, left without one, exits
		 * and the master respawns it with a fresh channel.
		 */
		snprintf(text, sizeof(text), "cannot send the session to relay slot %u: %s",
			 (unsigned)c->relay_slot, strerror(errno));
		loop_drop_relay_channel(ap, channel, "send failed");
		handshake_fail(ap, c, true, "%s", text);
		return;
	}

	log_debug("session %llu from %s: authenticated %s (%s), level %s%s, to relay slot %u",
		  (unsigned long long)c->session_id, c->peer, ok.principal, ok.mechanism,
		  gss_level_name(c->level), c->nec ? " (NEC)" : "",
		  (unsigned)c->relay_slot);
	handshake_close(ap, c);
}
