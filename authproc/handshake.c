/*
 * handshake.c - per-client RFC 1961 context loop and level subnegotiation.
 *
 * Trust zone: authproc.  Every byte read here comes from an untrusted
 * client.  Frames are read exactly (common/frameread.h: read(2) is never
 * asked for more than the frame in progress still needs), because whatever
 * follows the level message (the SOCKS request) belongs to the relay worker
 * that will own the socket.  All parsing goes through
 * proto/gssframe.h and proto/buf.h.
 *
 * Design: a small state machine (CONTEXT -> LEVEL -> LEVEL_WAIT -> HANDOFF)
 * per client; in LEVEL_WAIT the master decides the level from the
 * principal's policy (IPC_AUTH_LEVEL_QUERY / ANSWER) while the client's fd
 * is watched for nothing but errors; all
 * driven by level-triggered epoll.  Replies are one frame each, written
 * with one send (header and token together, TCP_NODELAY set) so a peer
 * never waits on Nagle; a reply that would block stays in c->out and the
 * fd is watched for EPOLLOUT instead of EPOLLIN, so a slow client never
 * holds up another.  Closed clients are freed after the current batch of
 * epoll events (handshake_free_closed).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/frameread.h"
#include "../common/gsserr.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../proto/buf.h"
#include "handoff.h"
#include "handshake.h"

/* Send 01 ff without waiting: best effort, the connection closes next. */
static void send_abort_frame(int fd)
{
	uint8_t storage[GSSFRAME_ABORT_LEN];
	struct wbuf wb;

	wbuf_init(&wb, storage, sizeof(storage));
	if (gssframe_put_abort(&wb) < 0)
		bug("cannot build an abort frame");
	(void)send(fd, storage, wb.len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void client_unlink(struct authproc *ap, struct auth_client *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		ap->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	ap->nclients--;
}

void handshake_close(struct authproc *ap, struct auth_client *c)
{
	OM_uint32 minor;

	if (c->state == CLIENT_CLOSED)
		return;
	if (c->fd >= 0)
		(void)epoll_ctl(ap->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close_fd(&c->fd);
	if (c->ctx != GSS_C_NO_CONTEXT)
		(void)gss_delete_sec_context(&minor, &c->ctx, GSS_C_NO_BUFFER);
	if (c->src_name != GSS_C_NO_NAME)
		(void)gss_release_name(&minor, &c->src_name);
	frame_in_free(&c->in);
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	client_unlink(ap, c);
	c->state = CLIENT_CLOSED;
	c->next_dead = ap->dead_clients;
	ap->dead_clients = c;
}

void handshake_free_closed(struct authproc *ap)
{
	while (ap->dead_clients != NULL) {
		struct auth_client *c = ap->dead_clients;

		ap->dead_clients = c->next_dead;
		free(c);
	}
}

void handshake_fail(struct authproc *ap, struct auth_client *c, bool send_abort,
		    const char *fmt, ...)
{
	char reason[IPC_TEXT_MAX];
	va_list ap_list;

	if (c->state == CLIENT_CLOSED)
		return;
	va_start(ap_list, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap_list);
	va_end(ap_list);

	/* A half-written frame cannot be followed by a well-formed abort. */
	if (send_abort && c->out == NULL && c->fd >= 0)
		send_abort_frame(c->fd);
	log_info("session %llu from %s: authentication failed: %s",
		 (unsigned long long)c->session_id, c->peer, reason);
	report_auth_fail(ap, c->session_id, reason);
	handshake_close(ap, c);
}

/*
 * Write what is queued.  Returns 1 when everything is written, 0 when the
 * rest waits for EPOLLOUT, -1 on a write error (errno set).
 */
static int client_flush(struct authproc *ap, struct auth_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (loop_watch_client(ap, c, true) < 0)
					return -1;
				return 0;
			}
			return -1;
		}
		c->out_off += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	if (loop_watch_client(ap, c, false) < 0)
		return -1;
	return 1;
}

/* Queue one frame (header and token together) and try to write it. */
static int client_send_frame(struct authproc *ap, struct auth_client *c, uint8_t mtyp,
			     const void *token, size_t token_len)
{
	size_t total = GSSFRAME_HEADER_LEN + token_len;
	struct wbuf wb;

	if (c->out != NULL)
		bug("session %llu: frame queued while another is pending",
		    (unsigned long long)c->session_id);
	if (token_len > GSSFRAME_MAX_TOKEN) {
		errno = EMSGSIZE;
		return -1;
	}
	c->out = malloc(total);
	if (c->out == NULL)
		return -1;
	wbuf_init(&wb, c->out, total);
	if (gssframe_put(&wb, mtyp, token, token_len) < 0)
		bug("cannot build a frame of %zu octets", token_len);
	c->out_len = wb.len;
	c->out_off = 0;
	return client_flush(ap, c);
}

/* After a reply frame was queued: hand off once the level answer is out. */
static void client_after_send(struct authproc *ap, struct auth_client *c, int sent,
			      const char *what)
{
	if (sent < 0) {
		handshake_fail(ap, c, false, "cannot send %s: %s", what, strerror(errno));
		return;
	}
	if (sent == 1 && c->state == CLIENT_HANDOFF)
		handoff_session(ap, c);
}

/* RFC 1961 section 3: one gss_accept_sec_context step. */
static void context_step(struct authproc *ap, struct auth_client *c,
			 const struct gssframe *frame)
{
	gss_buffer_desc input = { frame->len, (void *)(uintptr_t)frame->token };
	gss_buffer_desc output = GSS_C_EMPTY_BUFFER;
	OM_uint32 major, minor, release_minor;
	char text[IPC_TEXT_MAX];
	int sent;

	/* MIT would call an empty token "No credentials were supplied". */
	if (frame->len == 0) {
		handshake_fail(ap, c, true, "the client sent an empty context token (01 01 00 00)");
		return;
	}
	major = gss_accept_sec_context(&minor, &c->ctx, ap->acceptor.cred, &input,
				       GSS_C_NO_CHANNEL_BINDINGS, &c->src_name,
				       &c->mech, &output, &c->ret_flags, NULL, NULL);
	if (GSS_ERROR(major)) {
		(void)gss_release_buffer(&release_minor, &output);
		gss_status_text(major, minor, text, sizeof(text));
		handshake_fail(ap, c, true, "gss_accept_sec_context: %s", text);
		return;
	}
	if (output.length > GSSFRAME_MAX_TOKEN) {
		(void)gss_release_buffer(&release_minor, &output);
		handshake_fail(ap, c, true, "acceptor token of %zu octets does not fit a frame",
			       output.length);
		return;
	}
	if (!(major & GSS_S_CONTINUE_NEEDED)) {
		c->state = CLIENT_LEVEL;
		log_debug("session %llu: context established (flags %#x)",
			  (unsigned long long)c->session_id, (unsigned)c->ret_flags);
	}
	/* COMPLETE without a token still answers, with 01 01 00 00. */
	sent = client_send_frame(ap, c, GSSFRAME_AUTH, output.value, output.length);
	(void)gss_release_buffer(&release_minor, &output);
	client_after_send(ap, c, sent, "an authentication token");
}

/*
 * Read the requested level from a level message: a gss_wrap token with
 * conf_state 0 and exactly one octet inside, or (NEC mode, when allowed)
 * the bare octet.  0 with *requested set, or -1 after failing the client.
 */
static int level_read_request(struct authproc *ap, struct auth_client *c,
			      const struct gssframe *frame, uint8_t *requested)
{
	gss_buffer_desc input = { frame->len, (void *)(uintptr_t)frame->token };
	gss_buffer_desc output = GSS_C_EMPTY_BUFFER;
	OM_uint32 major, minor, release_minor;
	int conf_state = 0;
	char text[IPC_TEXT_MAX];
	struct rbuf rb;
	int ok;

	if (frame->len == 1) {
		/* A wrap token is never one octet: this is the NEC form.
		 * The master refuses it when allow-nec is off, with an
		 * event=level record naming the principal; our own check
		 * of --allow-nec follows its answer. */
		c->nec = true;
		rbuf_init(&rb, frame->token, frame->len);
		ok = rbuf_get_u8(&rb, requested) == 0 && rbuf_done(&rb) == 0;
		if (!ok)
			bug("one-octet level token did not parse");
		return 0;
	}

	/* As in the relay: a supplementary status (DUPLICATE_TOKEN, GAP_TOKEN,
	 * ...) is no GSS_ERROR() but no level message either. */
	major = gss_unwrap(&minor, c->ctx, &input, &output, &conf_state, NULL);
	if (major != GSS_S_COMPLETE) {
		(void)gss_release_buffer(&release_minor, &output);
		gss_status_text(major, minor, text, sizeof(text));
		handshake_fail(ap, c, true, "level message: gss_unwrap: %s", text);
		return -1;
	}
	rbuf_init(&rb, output.value, output.length);
	ok = rbuf_get_u8(&rb, requested) == 0 && rbuf_done(&rb) == 0;
	(void)gss_release_buffer(&release_minor, &output);
	if (conf_state != 0) {
		handshake_fail(ap, c, true, "level message was wrapped with confidentiality");
		return -1;
	}
	if (!ok) {
		handshake_fail(ap, c, true, "level message does not hold exactly one octet");
		return -1;
	}
	return 0;
}

/*
 * RFC 1961 section 4: read the requested level and ask the master, which
 * decides from the principal's policy; level_send_answer() follows.
 */
/* Nothing to read while c waits (for the master or a relay channel):
 * only errors and hang-ups wake us. */
static void client_park(struct authproc *ap, struct auth_client *c, enum client_state state)
{
	struct epoll_event ev;

	c->state = state;
	memset(&ev, 0, sizeof(ev));
	ev.events = 0;
	ev.data.ptr = c;
	if (epoll_ctl(ap->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		handshake_fail(ap, c, false, "cannot watch the client socket: %s", strerror(errno));
}

static void level_step(struct authproc *ap, struct auth_client *c,
		       const struct gssframe *frame)
{
	uint8_t requested;

	if (level_read_request(ap, c, frame, &requested) < 0)
		return;
	if (report_level_query(ap, c, requested) < 0)
		return;
	log_debug("session %llu: asked level %u%s, asking the master",
		  (unsigned long long)c->session_id, (unsigned)requested, c->nec ? " (NEC)" : "");
	client_park(ap, c, CLIENT_LEVEL_WAIT);
}

void handshake_wait_relay(struct authproc *ap, struct auth_client *c)
{
	log_debug("session %llu: waiting for the channel to relay slot %u",
		  (unsigned long long)c->session_id, (unsigned)c->relay_slot);
	client_park(ap, c, CLIENT_RELAY_WAIT);
}

void handshake_relay_ready(struct authproc *ap, uint32_t slot)
{
	struct auth_client *c = ap->clients;

	while (c != NULL) {
		struct auth_client *next = c->next;

		/* handoff_session closes c (unlinked, freed after the batch). */
		if (c->state == CLIENT_RELAY_WAIT && c->relay_slot == slot)
			handoff_session(ap, c);
		c = next;
	}
}

/* Send the agreed level in the form the request used, then hand off. */
static void level_send_answer(struct authproc *ap, struct auth_client *c, enum gss_level answer)
{
	uint8_t answer_octet;
	gss_buffer_desc input = { 1, &answer_octet };
	gss_buffer_desc output = GSS_C_EMPTY_BUFFER;
	OM_uint32 major, minor, release_minor;
	char text[IPC_TEXT_MAX];
	int sent;

	log_debug("session %llu: answering %s", (unsigned long long)c->session_id,
		  gss_level_name(answer));
	c->level = answer;
	c->state = CLIENT_HANDOFF;
	answer_octet = (uint8_t)answer;
	if (c->nec) {
		sent = client_send_frame(ap, c, GSSFRAME_PROT, &answer_octet, 1);
		client_after_send(ap, c, sent, "the level answer");
		return;
	}
	major = gss_wrap(&minor, c->ctx, 0, GSS_C_QOP_DEFAULT, &input, NULL, &output);
	if (GSS_ERROR(major)) {
		(void)gss_release_buffer(&release_minor, &output);
		gss_status_text(major, minor, text, sizeof(text));
		handshake_fail(ap, c, true, "level answer: gss_wrap: %s", text);
		return;
	}
	sent = client_send_frame(ap, c, GSSFRAME_PROT, output.value, output.length);
	(void)gss_release_buffer(&release_minor, &output);
	client_after_send(ap, c, sent, "the level answer");
}

static void client_frame(struct authproc *ap, struct auth_client *c,
			 const struct gssframe *frame)
{
	uint8_t expected = c->state == CLIENT_CONTEXT ? GSSFRAME_AUTH : GSSFRAME_PROT;

	if (frame->mtyp == GSSFRAME_ABORT) {
		handshake_fail(ap, c, false, "client aborted");
		return;
	}
	if (frame->mtyp != expected) {
		handshake_fail(ap, c, true, "unexpected message type %#x (expected %#x)",
			       (unsigned)frame->mtyp, (unsigned)expected);
		return;
	}
	if (c->state == CLIENT_CONTEXT)
		context_step(ap, c, frame);
	else
		level_step(ap, c, frame);
}

/* Read and act on whole frames while the state machine wants input. */
static void client_read(struct authproc *ap, struct auth_client *c)
{
	while (c->state == CLIENT_CONTEXT || c->state == CLIENT_LEVEL) {
		struct gssframe frame;
		const char *why = NULL;

		switch (frame_in_read(&c->in, c->fd, &frame, &why)) {
		case FRAME_IN_READY:
			client_frame(ap, c, &frame);
			frame_in_next(&c->in);
			if (c->out != NULL)
				return;    /* wait for the reply to drain first */
			continue;
		case FRAME_IN_AGAIN:
			return;
		case FRAME_IN_CLOSED:
			handshake_fail(ap, c, false, "client: %s", why);
			return;
		case FRAME_IN_IOERR:
			handshake_fail(ap, c, false, "read: %s", why);
			return;
		case FRAME_IN_BAD:
			handshake_fail(ap, c, true, "%s", why);
			return;
		}
	}
}

void handshake_level_answer(struct authproc *ap, const struct ipc_auth_level_answer *m)
{
	struct auth_client *c;
	bool ceiling;

	for (c = ap->clients; c != NULL; c = c->next)
		if (c->session_id == m->session_id)
			break;
	if (c == NULL || c->state != CLIENT_LEVEL_WAIT)
		return;              /* timed out or gone meanwhile */
	if (m->level == IPC_LEVEL_ABORT) {
		handshake_fail(ap, c, true, "protection level refused: %s", m->reason);
		return;
	}
	if (c->nec && !ap->opt->allow_nec) {
		handshake_fail(ap, c, true, "master allowed the unwrapped level octet (NEC "
			       "mode), which this gateway does not allow");
		return;
	}
	/* The master decides within our own ceiling and the context's means. */
	ceiling = (ap->opt->levels.allowed & LEVEL_BIT(m->level)) != 0;
	if (!ceiling || !level_supported((enum gss_level)m->level, c->ret_flags)) {
		handshake_fail(ap, c, true, "master chose level %u, which this context or "
			       "gateway cannot use", (unsigned)m->level);
		return;
	}
	level_send_answer(ap, c, (enum gss_level)m->level);
}

void handshake_cancel(struct authproc *ap, uint64_t session_id)
{
	struct auth_client *c;

	for (c = ap->clients; c != NULL; c = c->next)
		if (c->session_id == session_id)
			break;
	if (c == NULL || c->state == CLIENT_HANDOFF || c->state == CLIENT_RELAY_WAIT ||
	    c->state == CLIENT_CLOSED)
		return;
	if (c->out == NULL && c->fd >= 0)
		send_abort_frame(c->fd);
	log_debug("session %llu from %s: dropped by the master (flood)",
		  (unsigned long long)c->session_id, c->peer);
	handshake_close(ap, c);
}

void handshake_event(struct authproc *ap, struct auth_client *c, uint32_t events)
{
	int sent;

	if (c->state == CLIENT_CLOSED)
		return;
	if (c->state == CLIENT_LEVEL_WAIT || c->state == CLIENT_RELAY_WAIT) {
		if (events & (EPOLLERR | EPOLLHUP))
			handshake_fail(ap, c, false, "client closed the connection");
		return;
	}
	if (c->out != NULL) {
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		sent = client_flush(ap, c);
		client_after_send(ap, c, sent, "a reply");
		if (sent != 1)
			return;
	}
	if (c->state == CLIENT_CONTEXT || c->state == CLIENT_LEVEL)
		client_read(ap, c);
}

void handshake_sweep(struct authproc *ap, uint64_t now_ms)
{
	struct auth_client *c = ap->clients;

	while (c != NULL) {
		struct auth_client *next = c->next;

		if (now_ms >= c->deadline_ms && c->state == CLIENT_RELAY_WAIT)
			handshake_fail(ap, c, false, "no channel to relay slot %u within %lu s",
				       (unsigned)c->relay_slot, ap->opt->auth_timeout_s);
		else if (now_ms >= c->deadline_ms)
			handshake_fail(ap, c, true, "handshake timed out after %lu s",
				       ap->opt->auth_timeout_s);
		c = next;
	}
}

/* Refuse a client we cannot take: 01 ff, close, report. */
static void handshake_refuse(struct authproc *ap, const struct ipc_auth_client *m,
			     int fd, const char *reason)
{
	send_abort_frame(fd);
	close(fd);
	log_warn("session %llu from %s: refused: %s",
		 (unsigned long long)m->session_id, m->peer, reason);
	report_auth_fail(ap, m->session_id, reason);
}

void handshake_start(struct authproc *ap, const struct ipc_auth_client *m, int fd)
{
	struct auth_client *c;
	struct epoll_event ev;

	if (ap->nclients >= ap->max_clients) {
		handshake_refuse(ap, m, fd, "too many concurrent handshakes");
		return;
	}
	if (fd_set_nonblock(fd) < 0 || fd_set_cloexec(fd, true) < 0) {
		handshake_refuse(ap, m, fd, "cannot set up the client socket");
		return;
	}
	/* Not a TCP socket in some tests (socketpair): nothing to do then. */
	(void)sock_set_nodelay(fd);

	c = calloc(1, sizeof(*c));
	if (c == NULL || frame_in_init_grow(&c->in) < 0) {
		free(c);
		handshake_refuse(ap, m, fd, "out of memory");
		return;
	}
	c->tag.kind = EVENT_CLIENT;
	c->fd = fd;
	c->session_id = m->session_id;
	c->relay_slot = m->relay_slot;
	snprintf(c->peer, sizeof(c->peer), "%s", m->peer);
	c->deadline_ms = monotonic_ms() + ap->opt->auth_timeout_s * 1000u;
	c->state = CLIENT_CONTEXT;
	c->ctx = GSS_C_NO_CONTEXT;
	c->src_name = GSS_C_NO_NAME;
	c->mech = GSS_C_NO_OID;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP;
	ev.data.ptr = c;
	if (epoll_ctl(ap->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		frame_in_free(&c->in);
		free(c);
		handshake_refuse(ap, m, fd, "cannot watch the client socket");
		return;
	}
	c->next = ap->clients;
	if (ap->clients != NULL)
		ap->clients->prev = c;
	ap->clients = c;
	ap->nclients++;
	log_debug("session %llu from %s: handshake started (relay slot %u)",
		  (unsigned long long)c->session_id, c->peer, (unsigned)c->relay_slot);
}
