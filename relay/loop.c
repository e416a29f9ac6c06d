/*
 * loop.c - the relay worker's event loop and its two kinds of IPC peers.
 *
 * Trust zone: relay worker.
 *
 *  - fd 3, the master (IPC_CHAN_RELAY_FROM_MASTER): RELAY_MAKE_CHANNEL
 *    asks for a channel from authproc, which this worker makes (a
 *    socketpair: one end kept, the other sent up as RELAY_CHANNEL_MADE for
 *    the master to pass on); RELAY_REQUEST_RESULT answers a session's
 *    request (RELAY_BIND_LISTENING first for a BIND: relay/bind.c);
 *    PING (the watchdog) is answered with PONG at once.  The master is
 *    the more privileged side: a message it is not
 *    permitted to send, or one that does not decode, means the state
 *    machines disagree and this worker cannot go on (fatal; the master
 *    respawns it).  End of file: the master is gone, so is every session.
 *  - authproc channels (IPC_CHAN_RELAY_FROM_AUTHPROC): RELAY_SESSION with
 *    the client fd.  authproc may be compromised or restarting: a bad
 *    message, or end of file, drops that channel only; sessions go on.
 *    But a worker without any authproc channel gets no new session while
 *    the master still hands it some, so losing the LAST one ends the
 *    worker (the master respawns it with a fresh channel): at once when
 *    the channel broke (a malformed message, an fd truncated at EMFILE)
 *    or when no session would be lost; after RELAY_ORPHAN_GRACE_MS of
 *    waiting for a new one when it ended at end of file with sessions
 *    live (authproc died: the master asks for a channel for its
 *    successor well within that time).
 *
 * A timer sweep once a second enforces the request and idle timeouts and
 * reports the byte counts that moved (progress.c).
 */
#include <errno.h>
#include <signal.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/util.h"
#include "../ipc/ipc.h"
#include "bind.h"
#include "framepool.h"
#include "loop.h"
#include "progress.h"
#include "../proto/protection.h"
#include "session.h"
#include "udp.h"

#define MAX_EVENTS 256
#define MESSAGES_PER_WAKEUP 64
#define SWEEP_INTERVAL_MS 1000u
/* Longer than authproc's respawn delay, throttled (5 s) included. */
#define RELAY_ORPHAN_GRACE_MS 10000u

struct authproc_channel {
	struct watch watch;
	uint32_t generation;          /* this relay slot's, when it was made */
	uint32_t authproc;            /* the authproc worker at its other end */
	struct authproc_channel *prev, *next;
	struct authproc_channel *dead_next;
};

/* One message buffer for every receive: the loop handles one at a time. */
static struct ipc_msg ipc_in;

void watch_init(struct watch *w, enum watch_kind kind, int fd, void *owner)
{
	w->kind = kind;
	w->fd = fd;
	w->events = 0;
	w->owner = owner;
}

int watch_interest(struct relay_loop *loop, struct watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };
	int op;

	if (w->fd < 0) {
		w->events = 0;
		return 0;
	}
	if (events == w->events)
		return 0;
	if (events == 0)
		op = EPOLL_CTL_DEL;
	else if (w->events == 0)
		op = EPOLL_CTL_ADD;
	else
		op = EPOLL_CTL_MOD;
	if (epoll_ctl(loop->epfd, op, w->fd, &ev) < 0)
		return -1;
	w->events = events;
	return 0;
}

/* ---- authproc channels -------------------------------------------------- */

static void channel_add(struct relay_loop *loop, int fd, uint32_t generation,
			uint32_t authproc)
{
	struct authproc_channel *ch = calloc(1, sizeof(*ch));

	if (ch == NULL)
		fatal("out of memory for an authproc channel");
	watch_init(&ch->watch, WATCH_AUTHPROC, fd, ch);
	ch->generation = generation;
	ch->authproc = authproc;
	if (fd_set_nonblock(fd) < 0 || fd_set_cloexec(fd, true) < 0 ||
	    watch_interest(loop, &ch->watch, EPOLLIN) < 0)
		fatal("authproc channel: %m");
	ch->next = loop->channels;
	if (loop->channels != NULL)
		loop->channels->prev = ch;
	loop->channels = ch;
	loop->orphaned_at_ms = 0;
	log_info("channel to authproc worker %" PRIu32 " made (relay generation %" PRIu32 ")",
		 authproc, generation);
}

/* Leave (SESSION_END for each session first) so the master respawns us. */
static _Noreturn void orphan_exit(struct relay_loop *loop, const char *why)
{
	log_warn("no authproc channel left (%s): exiting with %zu session(s) so the "
		 "master respawns this worker with a new one", why, loop->session_count);
	while (loop->sessions != NULL)
		session_end(loop->sessions, IPC_END_SHUTDOWN);
	session_reap(loop);
	exit(3);
}

static void channel_drop(struct relay_loop *loop, struct authproc_channel *ch,
			 const char *why, bool eof)
{
	log_info("channel to authproc worker %" PRIu32 " (relay generation %" PRIu32 ") "
		 "dropped: %s; sessions go on", ch->authproc, ch->generation, why);
	(void)watch_interest(loop, &ch->watch, 0);
	close_fd(&ch->watch.fd);
	if (ch->prev != NULL)
		ch->prev->next = ch->next;
	else
		loop->channels = ch->next;
	if (ch->next != NULL)
		ch->next->prev = ch->prev;
	ch->dead_next = loop->dead_channels;
	loop->dead_channels = ch;
	if (loop->channels != NULL)
		return;
	if (!eof || loop->session_count == 0)
		orphan_exit(loop, why);
	loop->orphaned_at_ms = loop->now_ms != 0 ? loop->now_ms : 1;
}

/* Returns 0 to go on reading the channel, -1 when it was dropped. */
static int channel_message(struct relay_loop *loop, struct authproc_channel *ch)
{
	struct ipc_relay_session m;
	int fd = ipc_in.fd;

	/* ipc_recv already held the type to the channel's table and the
	 * fd rule (RELAY_SESSION always carries the client socket). */
	if (ipc_decode_relay_session(&ipc_in, &m) < 0) {
		close_fd(&fd);
		channel_drop(loop, ch, "RELAY_SESSION does not decode", false);
		return -1;
	}
	if (fd < 0 || !protection_level_valid(m.level) || m.context_len == 0) {
		close_fd(&fd);
		channel_drop(loop, ch, "RELAY_SESSION with no socket, bad level or no context",
			     false);
		return -1;
	}
	if (session_find(loop, m.session_id) != NULL) {
		close_fd(&fd);
		log_warn("authproc sent session %" PRIu64 " twice", m.session_id);
		channel_drop(loop, ch, "duplicate session id", false);
		return -1;
	}
	session_start(loop, &m, fd);
	return 0;
}

static void channel_readable(struct relay_loop *loop, struct authproc_channel *ch)
{
	int r;

	for (int i = 0; i < MESSAGES_PER_WAKEUP; i++) {
		r = ipc_recv(ch->watch.fd, IPC_CHAN_RELAY_FROM_AUTHPROC, &ipc_in);
		if (r == 0) {
			channel_drop(loop, ch, "end of file", true);
			return;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			channel_drop(loop, ch, errno == EPROTO ?
				     "malformed or unpermitted message" : strerror(errno), false);
			return;
		}
		if (channel_message(loop, ch) < 0)
			return;
	}
}

/* ---- the master ------------------------------------------------------- */

/*
 * SIGTERM (the master's orderly shutdown): the handler only sets a flag;
 * epoll_wait returns EINTR (no SA_RESTART) and the loop then ends every
 * session with reason "shutdown", so the master can write each session's
 * end record with its byte counts before it stops.
 */
static volatile sig_atomic_t terminate_requested;

static void on_sigterm(int signo)
{
	(void)signo;
	terminate_requested = 1;
}

static void watch_sigterm(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigterm;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0)
		fatal("sigaction(SIGTERM): %m");
}

static _Noreturn void terminate(struct relay_loop *loop)
{
	log_info("SIGTERM: ending %zu session(s)", loop->session_count);
	while (loop->sessions != NULL)
		session_end(loop->sessions, IPC_END_SHUTDOWN);
	session_reap(loop);
	exit(0);
}

static _Noreturn void master_gone(struct relay_loop *loop)
{
	log_info("master channel closed: ending %zu session(s)", loop->session_count);
	loop->master_gone = true;
	while (loop->sessions != NULL)
		session_end(loop->sessions, IPC_END_SHUTDOWN);
	session_reap(loop);
	exit(0);
}

static void master_request_result(struct relay_loop *loop)
{
	struct ipc_relay_request_result r;
	struct relay_session *s;
	int fd = ipc_in.fd;

	if (ipc_decode_request_result(&ipc_in, &r) < 0)
		fatal("master sent a REQUEST_RESULT that does not decode");
	if ((r.rep == SOCKS5_REP_OK) != (fd >= 0))
		fatal("master sent REQUEST_RESULT rep %u %s a socket", r.rep,
		      fd >= 0 ? "with" : "without");
	s = session_find(loop, r.session_id);
	if (s == NULL) {
		/* Ended meanwhile (timeout, client gone): SESSION_END is on
		 * its way to the master already. */
		log_debug("session %" PRIu64 ": answer after the end", r.session_id);
		close_fd(&fd);
		return;
	}
	if (s->state == SESSION_WAIT_PEER) {
		bind_on_result(s, &r, fd);
		return;
	}
	if (s->state != SESSION_WAIT_MASTER)
		fatal("master answered session %" PRIu64 ", which asked nothing", r.session_id);
	session_on_result(s, &r, fd);
}

static void master_bind_listening(struct relay_loop *loop)
{
	struct ipc_relay_bind_listening m;
	struct relay_session *s;

	if (ipc_decode_bind_listening(&ipc_in, &m) < 0)
		fatal("master sent a BIND_LISTENING that does not decode");
	s = session_find(loop, m.session_id);
	if (s == NULL) {
		/* Ended meanwhile: the master drops its listener on our
		 * SESSION_END. */
		log_debug("session %" PRIu64 ": bind listening after the end", m.session_id);
		return;
	}
	if (s->state != SESSION_WAIT_MASTER)
		fatal("master sent BIND_LISTENING for session %" PRIu64 ", which waits for "
		      "nothing", m.session_id);
	bind_on_listening(s, &m);
}

static void master_udp_dest_result(struct relay_loop *loop)
{
	struct ipc_relay_udp_dest_result r;
	int fd = ipc_in.fd;

	if (ipc_decode_udp_dest_result(&ipc_in, &r) < 0)
		fatal("master sent a UDP_DEST_RESULT that does not decode");
	udp_on_dest_result(loop, &r, fd);
}

/*
 * RELAY_MAKE_CHANNEL: this worker makes the pair, keeps one end and sends
 * the other up for authproc.  The master only ever holds authproc's end,
 * so what authproc writes (exported contexts) reaches this worker alone;
 * and authproc accepts the end only because this process made the pair
 * (SO_PEERCRED: a relay's uid, not the master's pid).
 */
static void master_make_channel(struct relay_loop *loop)
{
	struct ipc_auth_relay_channel c;
	int pair[2];

	if (ipc_decode_relay_channel(&ipc_in, &c) < 0)
		fatal("master sent a RELAY_MAKE_CHANNEL that does not decode");
	if (c.relay_slot != loop->cfg->slot)
		fatal("master asked slot %" PRIu32 " for a channel of slot %" PRIu32,
		      loop->cfg->slot, c.relay_slot);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
		log_err("cannot make an authproc channel: %m");
		if (loop->channels == NULL && loop->session_count == 0)
			orphan_exit(loop, "cannot make one");
		return;
	}
	channel_add(loop, pair[0], c.generation, c.authproc_slot);
	if (ipc_send_relay_channel(loop->master_fd, IPC_RELAY_CHANNEL_MADE, &c, pair[1]) < 0) {
		if (errno == EPIPE || errno == ECONNRESET)
			master_gone(loop);
		fatal("cannot send the authproc channel to the master: %m");
	}
	close_fd(&pair[1]);
}

/*
 * The master's watchdog: answer at once (and say, at debug level, how many
 * frame buffers the sessions hold: tests read it).  Every pass of the loop is short
 * (PUMP_READS frames per session and wake-up), so even a worker busy
 * unwrapping 64 KiB frames for many sessions reads its master channel
 * again within milliseconds; one that does not answer within
 * child-timeout is killed and respawned (its sessions end with resets).
 */
static void master_ping(struct relay_loop *loop)
{
	struct framepool_stats fp;
	struct ipc_ping p;

	if (ipc_decode_ping(&ipc_in, &p) < 0)
		fatal("master sent a PING that does not decode");
	framepool_stats(&fp);
	log_debug("%zu session(s); frame buffers: %zu in use, %zu free, peak %zu, "
		  "%zu octets each", loop->session_count, fp.in_use, fp.free, fp.peak,
		  fp.buffer_size);
	if (ipc_send_pong(loop->master_fd, p.seq) < 0)
		fatal("master channel: sending PONG: %m");
}

/* gssocksctl end ID, through the master: a reset at both ends. */
static void master_end_session(struct relay_loop *loop)
{
	struct ipc_relay_end_session e;
	struct relay_session *s;

	if (ipc_decode_relay_end_session(&ipc_in, &e) < 0)
		fatal("master sent a RELAY_END_SESSION that does not decode");
	s = session_find(loop, e.session_id);
	if (s == NULL) {
		log_debug("session %" PRIu64 ": end asked after the end", e.session_id);
		return;
	}
	session_end(s, IPC_END_ADMIN);
}

static void master_readable(struct relay_loop *loop)
{
	int r;

	for (int i = 0; i < MESSAGES_PER_WAKEUP; i++) {
		r = ipc_recv(loop->master_fd, IPC_CHAN_RELAY_FROM_MASTER, &ipc_in);
		if (r == 0)
			master_gone(loop);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EPROTO)
				fatal("master sent a malformed or unpermitted message");
			fatal("master channel: %m");
		}
		switch (ipc_in.type) {
		case IPC_RELAY_MAKE_CHANNEL:
			master_make_channel(loop);
			break;
		case IPC_RELAY_REQUEST_RESULT:
			master_request_result(loop);
			break;
		case IPC_RELAY_BIND_LISTENING:
			master_bind_listening(loop);
			break;
		case IPC_RELAY_END_SESSION:
			master_end_session(loop);
			break;
		case IPC_PING:
			master_ping(loop);
			break;
		case IPC_RELAY_UDP_DEST_RESULT:
			master_udp_dest_result(loop);
			break;
		default:
			fatal("master sent %s, which a relay does not take",
			      ipc_type_name(ipc_in.type));
		}
	}
}

/* ---- the loop --------------------------------------------------------- */

static void reap(struct relay_loop *loop)
{
	struct authproc_channel *ch;

	session_reap(loop);
	while ((ch = loop->dead_channels) != NULL) {
		loop->dead_channels = ch->dead_next;
		free(ch);
	}
}

static void dispatch(struct relay_loop *loop, const struct epoll_event *ev)
{
	struct watch *w = ev->data.ptr;
	struct relay_session *s;
	struct authproc_channel *ch;

	switch (w->kind) {
	case WATCH_MASTER:
		master_readable(loop);
		break;
	case WATCH_AUTHPROC:
		ch = w->owner;
		if (ch->watch.fd >= 0)
			channel_readable(loop, ch);
		break;
	case WATCH_CLIENT:
	case WATCH_TARGET:
	case WATCH_UDP:
	case WATCH_UDP_DEST:
		s = w->owner;
		if (s->state != SESSION_CLOSING)
			session_on_event(s, w, ev->events);
		break;
	}
}

_Noreturn void relay_loop_run(const struct relay_config *cfg, int master_fd)
{
	static struct relay_loop loop;
	struct epoll_event events[MAX_EVENTS];
	struct watch master;
	uint64_t next_sweep;
	int n, timeout;

	loop.cfg = cfg;
	loop.master_fd = master_fd;
	loop.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop.epfd < 0)
		fatal("epoll_create1: %m");
	watch_init(&master, WATCH_MASTER, master_fd, NULL);
	if (watch_interest(&loop, &master, EPOLLIN) < 0)
		fatal("watching the master channel: %m");
	loop.now_ms = monotonic_ms();
	next_sweep = loop.now_ms + SWEEP_INTERVAL_MS;
	watch_sigterm();
	log_info("relay slot %" PRIu32 " ready", cfg->slot);

	for (;;) {
		if (terminate_requested)
			terminate(&loop);
		timeout = next_sweep > loop.now_ms ? (int)(next_sweep - loop.now_ms) : 0;
		n = epoll_wait(loop.epfd, events, MAX_EVENTS, timeout);
		if (n < 0 && errno != EINTR)
			fatal("epoll_wait: %m");
		if (terminate_requested)
			terminate(&loop);
		loop.now_ms = monotonic_ms();
		for (int i = 0; i < n; i++)
			dispatch(&loop, &events[i]);
		reap(&loop);
		if (loop.now_ms >= next_sweep) {
			session_sweep(&loop);
			reap(&loop);
			progress_report(&loop);
			framepool_sweep();
			memory_trim();
			if (loop.orphaned_at_ms != 0 &&
			    loop.now_ms - loop.orphaned_at_ms >= RELAY_ORPHAN_GRACE_MS)
				orphan_exit(&loop, "none came since the last one ended");
			next_sweep = loop.now_ms + SWEEP_INTERVAL_MS;
		}
	}
}
