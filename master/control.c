/*
 * control.c - the control socket: connections, requests, answers; see
 * control.h.
 *
 * Trust zone: master.  Bytes from a connection are untrusted; the peer
 * is checked (SO_PEERCRED, SO_PEERGROUPS) before one byte is read.
 */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "../ipc/ipc.h"
#include "../proto/gssframe.h"
#include "admission.h"
#include "audit.h"
#include "control.h"
#include "control_proto.h"
#include "counters.h"
#include "event.h"
#include "log.h"
#include "metrics.h"
#include "session.h"
#include "spawn.h"
#include "util.h"

#define CONTROL_BACKLOG 16
#define CONTROL_OUT_MAX (64 * 1024)
#define CONTROL_IDLE_MS 10000u
#define CONTROL_PEER_GROUPS 256
/* After the answer, what a client still sends is read and dropped (up to
 * this much) before the close, so that the close is not a reset that
 * loses the answer on the client's side. */
#define CONTROL_DRAIN_MAX (64 * 1024)

struct control_conn {
	bool used;
	int fd;
	uid_t uid;
	uint8_t in[CONTROL_REQUEST_MAX];
	size_t in_len;
	bool answering;               /* the request was read */
	bool draining;                /* all said, write side shut: reading to EOF */
	size_t drained;
	const char *refusal;          /* the peer check failed: the only answer */
	uint8_t out[CONTROL_OUT_MAX];
	size_t out_off, out_len;
	uint64_t *ids;                /* sessions still to list, oldest first */
	size_t id_count, id_next;
	uint64_t deadline_ms;
};

static struct control_conn conns[CONTROL_CONNECTIONS];
static int listen_fd = -1;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static dev_t sock_dev;
static ino_t sock_ino;
static bool have_group;
static gid_t admin_gid;
static char admin_group[CONFIG_USER_MAX];
static uid_t master_uid;
static uint64_t start_time;

const char *control_socket_path(void)
{
	return listen_fd >= 0 ? sock_path : "";
}

/* ---- start-up ----------------------------------------------------------- */

static int sockaddr_of(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -1;
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return 0;
}

/* A socket file left by a gssocksd that is gone: remove it.  A live one,
 * or anything that is not a socket, is not ours to touch. */
static int replace_stale(const char *path, const struct sockaddr_un *sun)
{
	struct stat st;
	int probe, rc;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : (log_err("control-socket %s: %m", path), -1);
	if (!S_ISSOCK(st.st_mode)) {
		log_err("control-socket %s: exists and is not a socket", path);
		return -1;
	}
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (probe < 0) {
		log_err("control-socket %s: socket: %m", path);
		return -1;
	}
	rc = connect(probe, (const struct sockaddr *)sun, sizeof(*sun));
	if (rc == 0 || errno == EAGAIN) {
		close(probe);
		log_err("control-socket %s: another gssocksd answers there", path);
		return -1;
	}
	close(probe);
	if (errno != ECONNREFUSED) {
		log_err("control-socket %s: %m", path);
		return -1;
	}
	if (unlink(path) < 0) {
		log_err("control-socket %s: removing the stale socket: %m", path);
		return -1;
	}
	log_info("control-socket %s: removed a stale socket", path);
	return 0;
}

static bool directory_missing(const char *path)
{
	char dir[sizeof(sock_path)];
	const char *slash = strrchr(path, '/');
	struct stat st;
	size_t len = slash == NULL || slash == path ? 1 : (size_t)(slash - path);

	if (len >= sizeof(dir))
		return false;
	memcpy(dir, path, len);
	dir[len] = '\0';
	return stat(dir, &st) < 0 && errno == ENOENT;
}

int control_open(const struct master_config *cfg, uid_t owner_uid)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old_umask;
	int fd;

	start_time = (uint64_t)time(NULL);
	master_uid = owner_uid;
	if (cfg->control_socket[0] == '\0')
		return 0;
	if (cfg->control_group[0] != '\0') {
		struct group *gr = getgrnam(cfg->control_group);

		if (gr == NULL) {
			log_err("control-group %s: no such group", cfg->control_group);
			return -1;
		}
		admin_gid = gr->gr_gid;
		have_group = true;
		snprintf(admin_group, sizeof(admin_group), "%s", cfg->control_group);
	}
	if (!cfg->control_socket_given && directory_missing(cfg->control_socket)) {
		log_warn("no control socket: the directory of %s does not exist "
			 "(control-socket in gssocksd.conf(5))", cfg->control_socket);
		return 0;
	}
	if (sockaddr_of(cfg->control_socket, &sun) < 0) {
		log_err("control-socket %s: path too long", cfg->control_socket);
		return -1;
	}
	if (replace_stale(cfg->control_socket, &sun) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_err("control-socket: socket: %m");
		return -1;
	}
	/* Created 0600: nobody else can connect before chown and chmod. */
	old_umask = umask(0177);
	if (bind(fd, (const struct sockaddr *)&sun, sizeof(sun)) < 0) {
		umask(old_umask);
		log_err("control-socket %s: bind: %m", cfg->control_socket);
		close(fd);
		return -1;
	}
	umask(old_umask);
	if (chown(cfg->control_socket, owner_uid, have_group ? admin_gid : (gid_t)-1) < 0 ||
	    chmod(cfg->control_socket, have_group ? 0660 : 0600) < 0 ||
	    listen(fd, CONTROL_BACKLOG) < 0 || stat(cfg->control_socket, &st) < 0) {
		log_err("control-socket %s: %m", cfg->control_socket);
		unlink(cfg->control_socket);
		close(fd);
		return -1;
	}
	sock_dev = st.st_dev;
	sock_ino = st.st_ino;
	snprintf(sock_path, sizeof(sock_path), "%s", cfg->control_socket);
	listen_fd = fd;
	log_info("event=control-socket path=%s group=%s", sock_path,
		 have_group ? admin_group : "-");
	return 0;
}

/* ---- connections -------------------------------------------------------- */

static void conn_close(struct control_conn *c)
{
	event_remove(c->fd);
	close_fd(&c->fd);
	free(c->ids);
	c->ids = NULL;
	c->used = false;
}

/* Best effort, for a connection that gets one line and nothing else. */
static void refuse_now(int fd, const char *line)
{
	ssize_t w = send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);

	(void)w;
	close(fd);
}

static bool peer_in_group(int fd)
{
	gid_t groups[CONTROL_PEER_GROUPS];
	socklen_t len = sizeof(groups);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false;      /* ERANGE: more groups than we look at */
	for (size_t i = 0; i < len / sizeof(groups[0]); i++)
		if (groups[i] == admin_gid)
			return true;
	return false;
}

static bool peer_allowed(int fd, uid_t *uid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof(cred))
		return false;
	*uid = cred.uid;
	if (cred.uid == 0 || cred.uid == master_uid)
		return true;
	return have_group && (cred.gid == admin_gid || peer_in_group(fd));
}

static void put(struct control_conn *c, const char *text)
{
	size_t n = strlen(text);

	if (n > sizeof(c->out) - c->out_len)
		n = sizeof(c->out) - c->out_len;
	memcpy(c->out + c->out_len, text, n);
	c->out_len += n;
}

static void put_error(struct control_conn *c, const char *why)
{
	put(c, "error: ");
	put(c, why);
	put(c, "\n");
}

/* ---- commands ----------------------------------------------------------- */

static void list_sessions(struct control_conn *c)
{
	size_t n = session_count(), i = n;

	put(c, "ok\n");
	if (n == 0)
		return;
	c->ids = calloc(n, sizeof(*c->ids));
	if (c->ids == NULL) {
		c->out_len = 0;
		put_error(c, "out of memory");
		return;
	}
	/* The table lists the newest first: fill from the end. */
	for (const struct session *s = session_first(); s != NULL && i > 0; s = s->next)
		c->ids[--i] = s->id;
	c->id_next = i;
	c->id_count = n;
}

static void session_view(const struct session *s, char *destination, size_t destlen,
			 struct control_session_view *v)
{
	bool authenticated = s->phase != SESSION_GREETING && s->phase != SESSION_AUTHENTICATING;

	destination[0] = '\0';
	if (s->requested)
		socks5_addr_format(&s->request.dst, destination, destlen);
	memset(v, 0, sizeof(*v));
	v->id = s->id;
	v->phase = session_phase_name(s->phase);
	v->principal = s->principal;
	v->level = authenticated ? gss_level_name((enum gss_level)s->level) : "";
	v->client = s->peer;
	v->destination = destination;
	v->bytes_from_client = s->progress_from_client;
	v->bytes_to_client = s->progress_to_client;
	v->age_s = (monotonic_ms() - s->started_ms) / 1000u;
	v->slot = s->relay_slot;
}

/* More session lines, while there is room for the longest one. */
static void list_more(struct control_conn *c)
{
	while (c->ids != NULL && c->id_next < c->id_count &&
	       sizeof(c->out) - c->out_len >= CONTROL_SESSION_LINE_MAX) {
		const struct session *s = session_find(c->ids[c->id_next++]);
		char destination[SOCKS5_NAME_MAX + 16];
		struct control_session_view v;
		struct wbuf wb;

		if (s == NULL)
			continue;       /* ended since the list was taken */
		session_view(s, destination, sizeof(destination), &v);
		wbuf_init(&wb, c->out + c->out_len, sizeof(c->out) - c->out_len);
		if (control_format_session(&wb, &v) == 0)
			c->out_len += wb.len;
	}
	if (c->ids != NULL && c->id_next >= c->id_count) {
		free(c->ids);
		c->ids = NULL;
	}
}

static void show_metrics(struct control_conn *c, bool with_help)
{
	struct metric_sample samples[COUNTERS_MAX + 8];
	size_t live[SESSION_RELAYING + 1] = { 0 };
	size_t n = counters_samples(samples, COUNTERS_MAX);
	struct wbuf wb;

	for (const struct session *s = session_first(); s != NULL; s = s->next)
		if ((unsigned)s->phase <= SESSION_RELAYING)
			live[s->phase]++;
	for (unsigned p = 0; p <= SESSION_RELAYING; p++)
		samples[n++] = (struct metric_sample){ METRIC_SESSIONS_LIVE,
						      session_phase_name(p), live[p] };
	samples[n++] = (struct metric_sample){ METRIC_SESSIONS_STARTED, NULL, session_last_id() };
	samples[n++] = (struct metric_sample){ METRIC_START_TIME, NULL, start_time };
	put(c, "ok\n");
	wbuf_init(&wb, c->out + c->out_len, sizeof(c->out) - c->out_len);
	if (metrics_format(&wb, samples, n, with_help) < 0) {
		c->out_len = 0;
		put_error(c, "metrics do not fit the answer buffer");
		return;
	}
	c->out_len += wb.len;
}

static void admin_end_record(const struct session *s, uid_t uid)
{
	audit_record(LOG_NOTICE, "event=admin-end session=%llu by_uid=%u phase=%s",
		     (unsigned long long)s->id, (unsigned)uid, session_phase_name(s->phase));
}

/* gssocksctl end ID: the holder of the client's socket ends it. */
static void end_session(struct control_conn *c, uint64_t id)
{
	struct session *s = session_find(id);
	char line[96];
	struct child *relay;

	if (s == NULL) {
		snprintf(line, sizeof(line), "no session %" PRIu64, id);
		put_error(c, line);
		return;
	}
	switch (s->phase) {
	case SESSION_GREETING:
		admin_end_record(s, c->uid);
		(void)sock_set_reset_on_close(s->client_fd, true);
		session_drop(s, "admin");
		snprintf(line, sizeof(line), "ok\nended session=%" PRIu64 "\n", id);
		break;
	case SESSION_AUTHENTICATING:
		if (!admission_cancel_handshake(s)) {
			put_error(c, "authproc's channel is full; try again");
			return;
		}
		admin_end_record(s, c->uid);
		session_drop(s, "admin");
		snprintf(line, sizeof(line), "ok\nended session=%" PRIu64 "\n", id);
		break;
	default:
		relay = s->relay_slot >= 0 ? child_relay((unsigned)s->relay_slot) : NULL;
		if (relay == NULL || !child_usable(relay)) {
			put_error(c, "the session's relay is restarting (the session ends with it)");
			return;
		}
		if (ipc_send_relay_end_session(relay->channel, id) < 0) {
			put_error(c, errno == EAGAIN ? "the relay's channel is full; try again"
						     : "cannot reach the session's relay");
			return;
		}
		admin_end_record(s, c->uid);
		/* its end record (reason=admin) follows the relay's report; a
		 * relay that did not hold it yet is told again at its request
		 * (ipc_dispatch.c) */
		s->admin_ending = true;
		snprintf(line, sizeof(line), "ok\nending session=%" PRIu64 "\n", id);
		break;
	}
	put(c, line);
}

static void answer(struct control_conn *c)
{
	struct control_request req;
	const char *why = NULL;
	int rc = control_parse(c->in, c->in_len, &req, &why);

	if (rc == 0)
		return;
	c->answering = true;
	if (c->refusal != NULL) {
		put(c, c->refusal);
		return;
	}
	if (rc < 0) {
		put_error(c, why);
		return;
	}
	switch (req.command) {
	case CONTROL_SESSIONS:
		list_sessions(c);
		break;
	case CONTROL_COUNTERS:
		show_metrics(c, false);
		break;
	case CONTROL_METRICS:
		show_metrics(c, true);
		break;
	case CONTROL_END:
		end_session(c, req.session_id);
		break;
	}
}

/* Write what the socket takes; refill a session list.  false: closed. */
static bool flush(struct control_conn *c)
{
	for (;;) {
		if (c->out_off == c->out_len) {
			c->out_off = c->out_len = 0;
			list_more(c);
			if (c->out_len == 0) {
				/* everything was said: drain, then close */
				(void)shutdown(c->fd, SHUT_WR);
				c->draining = true;
				(void)event_modify(c->fd, EPOLLIN);
				return false;
			}
		}
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (w <= 0) {
			conn_close(c);      /* the reader went away */
			return false;
		}
		c->out_off += (size_t)w;
		c->deadline_ms = monotonic_ms() + CONTROL_IDLE_MS;
	}
}

static void conn_event(int fd, uint32_t events, void *ctx)
{
	struct control_conn *c = ctx;

	(void)fd;
	if (c->draining) {
		uint8_t scratch[4096];
		ssize_t r = recv(c->fd, scratch, sizeof(scratch), MSG_DONTWAIT);

		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (r > 0 && (c->drained += (size_t)r) <= CONTROL_DRAIN_MAX)
			return;
		conn_close(c);
		return;
	}
	if (!c->answering) {
		ssize_t r = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len,
				 MSG_DONTWAIT);

		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (r < 0 || (r == 0 && c->in_len == 0)) {
			conn_close(c);      /* gone before saying anything */
			return;
		}
		if (r == 0) {
			/* the client shut its side before a newline */
			c->answering = true;
			put(c, c->refusal != NULL ? c->refusal
						  : "error: request line without a newline\n");
		} else {
			c->in_len += (size_t)r;
			c->deadline_ms = monotonic_ms() + CONTROL_IDLE_MS;
			answer(c);
		}
		if (!c->answering)
			return;
		if (flush(c))
			(void)event_modify(c->fd, EPOLLOUT);
		return;
	}
	if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
		(void)flush(c);
}

static void accept_event(int fd, uint32_t events, void *ctx)
{
	(void)events;
	(void)ctx;
	for (int n = 0; n < CONTROL_BACKLOG; n++) {
		struct control_conn *c = NULL;
		uid_t uid = (uid_t)-1;
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("control socket: accept: %m");
			return;
		}
		for (size_t i = 0; i < CONTROL_CONNECTIONS && c == NULL; i++)
			if (!conns[i].used)
				c = &conns[i];
		if (c == NULL) {
			refuse_now(cfd, "error: too many control connections; try again\n");
			continue;
		}
		memset(c, 0, offsetof(struct control_conn, out));
		c->used = true;
		c->fd = cfd;
		c->out_off = c->out_len = 0;
		c->ids = NULL;
		c->deadline_ms = monotonic_ms() + CONTROL_IDLE_MS;
		/* Refused after its request is read, so the answer is not
		 * lost in a reset; nothing of the request is acted on. */
		if (!peer_allowed(cfd, &uid)) {
			log_warn("event=control result=refused uid=%d reason=not-allowed",
				 uid == (uid_t)-1 ? -1 : (int)uid);
			c->refusal = have_group
				? "error: permission denied: only root, gssocksd's user and "
				  "members of control-group may use this socket\n"
				: "error: permission denied: only root and gssocksd's user may "
				  "use this socket (no control-group)\n";
		}
		c->uid = uid;
		if (event_add(cfd, EPOLLIN, conn_event, c) < 0) {
			log_warn("control socket: epoll: %m");
			c->used = false;
			close(cfd);
		}
	}
}

int control_watch(void)
{
	if (listen_fd < 0)
		return 0;
	if (event_add(listen_fd, EPOLLIN, accept_event, NULL) < 0) {
		log_err("control socket: epoll: %m");
		return -1;
	}
	return 0;
}

void control_sweep(uint64_t now_ms)
{
	for (size_t i = 0; i < CONTROL_CONNECTIONS; i++)
		if (conns[i].used && now_ms >= conns[i].deadline_ms)
			conn_close(&conns[i]);
}

void control_close(void)
{
	struct stat st;

	for (size_t i = 0; i < CONTROL_CONNECTIONS; i++)
		if (conns[i].used)
			conn_close(&conns[i]);
	if (listen_fd < 0)
		return;
	event_remove(listen_fd);
	close_fd(&listen_fd);
	/* Only the file this gssocksd made (a successor may have replaced it). */
	if (stat(sock_path, &st) == 0 && st.st_dev == sock_dev && st.st_ino == sock_ino)
		unlink(sock_path);
}
