/*
 * audit.c - syslog records over an AF_UNIX datagram socket; see audit.h.
 *
 * Trust zone: master.  The values written here come from clients
 * (destination names), from authproc (principals, failure text) and from
 * the daemon itself; audit_value() keeps each untrusted value inside one
 * key=value pair of one line.
 *
 * Design: no syslog(3) (its socket path is fixed at /dev/log and it may
 * block): a non-blocking datagram socket connected to syslog-socket,
 * reconnected when a send fails with anything but EAGAIN.  Datagrams are
 * formatted (time stamp included) when the record is made; those the
 * socket cannot take now wait in a FIFO list of malloc'd datagrams, and
 * while anything waits every new record goes behind it, so syslog sees
 * the records in the order they were made.  Counted events
 * (audit_count) live in a small fixed table of (event, reason) counters
 * that audit_tick() empties into one record each.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "counters.h"
#include "event.h"
#include "util.h"

#define AUDIT_RECORD_MAX 2048
#define AUDIT_DATAGRAM_MAX (AUDIT_RECORD_MAX + 64)
#define AUDIT_QUEUE_RECORDS 8192u
#define AUDIT_QUEUE_BYTES (4u * 1024u * 1024u)
#define AUDIT_RECONNECT_MS 1000u

/* One datagram waiting for the syslog socket, oldest first. */
struct pending {
	struct pending *next;
	size_t len;
	char data[];
};

static char audit_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static bool audit_stderr;
static int audit_fd = -1;
static bool audit_warned;       /* socket trouble reported, until it works */
static bool audit_watched;      /* audit_fd registered for EPOLLOUT */
static uint64_t audit_next_connect;     /* monotonic ms: no connect before */
static struct pending *queue_head, *queue_tail;
static size_t queue_count, queue_bytes;
static unsigned long queue_dropped;     /* newest records lost to a full queue */

/* Events counted for audit_count(), written by audit_tick(). */
#define AUDIT_COUNTERS 16
#define AUDIT_COUNT_DETAIL_MAX 160
struct counter {
	const char *event;           /* NULL: slot free */
	const char *reason;
	int severity;
	unsigned long count;
	char detail[AUDIT_COUNT_DETAIL_MAX];
};
static struct counter counters[AUDIT_COUNTERS];

void audit_init(const char *socket_path, bool to_stderr)
{
	snprintf(audit_path, sizeof(audit_path), "%s", socket_path);
	audit_stderr = to_stderr;
	tzset();                     /* before any sandbox hides the zone file */
}

static void audit_warn(const char *what, int err)
{
	char line[256];
	int n;

	if (audit_warned)
		return;
	audit_warned = true;
	n = snprintf(line, sizeof(line), "gssocksd[%ld]: audit: syslog socket %s: %s: %s\n",
		     (long)getpid(), audit_path, what, strerror(err));
	if (n > 0) {
		ssize_t w = write(STDERR_FILENO, line,
				  (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
		(void)w;
	}
}

static void audit_disconnect(void)
{
	if (audit_watched)
		event_remove(audit_fd);
	audit_watched = false;
	close_fd(&audit_fd);
}

/* Connect unless connected; attempts are at most AUDIT_RECONNECT_MS apart. */
static int audit_connect(void)
{
	struct sockaddr_un sun;
	uint64_t now;

	if (audit_fd >= 0)
		return 0;
	now = monotonic_ms();
	if (now < audit_next_connect)
		return -1;
	audit_next_connect = now + AUDIT_RECONNECT_MS;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, audit_path, strlen(audit_path));
	audit_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (audit_fd < 0) {
		audit_warn("socket", errno);
		return -1;
	}
	if (connect(audit_fd, (const struct sockaddr *)&sun, sizeof(sun)) < 0) {
		audit_warn("connect", errno);
		close_fd(&audit_fd);
		return -1;
	}
	audit_next_connect = 0;
	return 0;
}

enum send_result { SENT, FULL, DOWN };

/* One send on the socket, reconnecting once if syslogd restarted. */
static enum send_result audit_send(const char *datagram, size_t len)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		if (audit_connect() < 0)
			return DOWN;
		if (send(audit_fd, datagram, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
			audit_warned = false;
			return SENT;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
			return FULL;
		/* syslogd restarted or went away: reconnect once, now */
		if (attempt == 1)
			audit_warn("send", errno);
		audit_disconnect();
		audit_next_connect = 0;
	}
	audit_next_connect = monotonic_ms() + AUDIT_RECONNECT_MS;
	return DOWN;
}

static void audit_writable(int fd, uint32_t events, void *ctx);

/* Ask the loop to say when the socket can take the queue's head again. */
static void audit_watch(bool on)
{
	if (audit_fd < 0 || on == audit_watched)
		return;
	if (on) {
		/* not yet possible before event_init(): audit_tick() retries */
		if (event_add(audit_fd, EPOLLOUT, audit_writable, NULL) == 0)
			audit_watched = true;
	} else {
		event_remove(audit_fd);
		audit_watched = false;
	}
}

/* Send queued datagrams in order until the socket is full or down. */
static void queue_drain(void)
{
	while (queue_head != NULL) {
		struct pending *p = queue_head;
		enum send_result r = audit_send(p->data, p->len);

		if (r == FULL) {
			audit_watch(true);
			return;
		}
		if (r == DOWN)
			return;      /* audit_tick() reconnects */
		queue_head = p->next;
		if (queue_head == NULL)
			queue_tail = NULL;
		queue_count--;
		queue_bytes -= p->len;
		free(p);
	}
	audit_watch(false);
}

static void audit_writable(int fd, uint32_t events, void *ctx)
{
	(void)fd;
	(void)events;
	(void)ctx;
	queue_drain();
}

/* Append to the queue; false (and counted) when the queue is full. */
static bool queue_push(const char *datagram, size_t len)
{
	struct pending *p;

	if (queue_count >= AUDIT_QUEUE_RECORDS || queue_bytes + len > AUDIT_QUEUE_BYTES)
		return false;
	p = malloc(sizeof(*p) + len);
	if (p == NULL)
		return false;
	p->next = NULL;
	p->len = len;
	memcpy(p->data, datagram, len);
	if (queue_tail != NULL)
		queue_tail->next = p;
	else
		queue_head = p;
	queue_tail = p;
	queue_count++;
	queue_bytes += len;
	return true;
}

static size_t format_datagram(char *out, size_t outlen, int pri, const char *body)
{
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	int n;

	if (localtime_r(&now, &tm) == NULL || strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S",
						       &tm) == 0)
		snprintf(stamp, sizeof(stamp), "Jan  1 00:00:00");
	n = snprintf(out, outlen, "<%d>%s gssocksd[%ld]: %s", pri, stamp, (long)getpid(), body);
	if (n <= 0)
		return 0;
	return (size_t)n < outlen ? (size_t)n : outlen - 1;
}

/*
 * Where records were lost to a full queue, one record says how many, in
 * their place: queued (room for it and the record after it is kept) or
 * sent, before the next record.  false when there is no room for it yet.
 */
static bool gap_record(void)
{
	char body[64], datagram[AUDIT_DATAGRAM_MAX];
	size_t len;

	if (queue_dropped == 0)
		return true;
	if (queue_count + 2 > AUDIT_QUEUE_RECORDS ||
	    queue_bytes + 2 * AUDIT_DATAGRAM_MAX > AUDIT_QUEUE_BYTES)
		return false;
	snprintf(body, sizeof(body), "event=audit-dropped count=%lu", queue_dropped);
	len = format_datagram(datagram, sizeof(datagram), LOG_AUTHPRIV | LOG_WARNING, body);
	if (len == 0 || !queue_push(datagram, len))
		return false;
	queue_dropped = 0;
	return true;
}

/*
 * One RFC 3164 datagram `<PRI>stamp gssocksd[PID]: body`: sent at once
 * when nothing waits before it, else queued behind the others.  true if
 * sent or queued, false if lost (counted) or the socket is down.
 */
static bool syslog_datagram(int pri, const char *body)
{
	char datagram[AUDIT_DATAGRAM_MAX];
	size_t len;

	if (audit_path[0] == '\0')
		return false;
	len = format_datagram(datagram, sizeof(datagram), pri, body);
	if (len == 0)
		return false;
	if (queue_head == NULL && queue_dropped == 0) {
		enum send_result r = audit_send(datagram, len);

		if (r == SENT)
			return true;
		if (!queue_push(datagram, len)) {
			queue_dropped++;
			return false;
		}
		if (r == FULL)
			audit_watch(true);
		return r == FULL;
	}
	if (!gap_record() || !queue_push(datagram, len)) {
		queue_dropped++;
		return false;
	}
	queue_drain();
	return audit_fd >= 0;
}

static void counter_write(struct counter *c)
{
	if (c->count == 0)
		return;
	audit_record(c->severity, "event=%s reason=%s count=%lu%s%s", c->event, c->reason,
		     c->count, c->detail[0] != '\0' ? " " : "", c->detail);
	c->count = 0;
}

static void counters_write(void)
{
	for (size_t i = 0; i < AUDIT_COUNTERS && counters[i].event != NULL; i++)
		counter_write(&counters[i]);
}

void audit_count(int severity, const char *event, const char *reason, const char *detail)
{
	struct counter *c = NULL;

	counters_audit_count(event, reason);
	for (size_t i = 0; i < AUDIT_COUNTERS; i++) {
		if (counters[i].event == NULL) {
			counters[i].event = event;
			counters[i].reason = reason;
			c = &counters[i];
			break;
		}
		if (strcmp(counters[i].event, event) == 0 &&
		    strcmp(counters[i].reason, reason) == 0) {
			c = &counters[i];
			break;
		}
	}
	if (c == NULL) {
		/* more kinds than slots: a bug, but the event is not lost */
		audit_record(severity, "event=%s reason=%s count=1 %s", event, reason, detail);
		return;
	}
	c->severity = severity;
	c->count++;
	snprintf(c->detail, sizeof(c->detail), "%s", detail);
}

void audit_tick(void)
{
	/* the loop calls this once a second (and no more often) */
	counters_write();
	if (queue_head == NULL && queue_dropped == 0)
		return;
	if (queue_head == NULL)
		(void)gap_record();
	/* after event_init() the loop wakes us on EPOLLOUT; reconnects and
	 * ENOBUFS (which epoll does not signal) are retried from here */
	queue_drain();
}

void audit_flush(unsigned timeout_ms)
{
	uint64_t deadline = monotonic_ms() + timeout_ms;

	counters_write();
	if (queue_head == NULL && queue_dropped != 0)
		(void)gap_record();
	while (queue_head != NULL) {
		uint64_t now = monotonic_ms();
		struct pollfd pfd;
		int wait;

		if (now >= deadline)
			break;
		queue_drain();
		if (queue_head == NULL)
			break;
		wait = (int)(deadline - now < 50 ? deadline - now : 50);
		if (audit_fd >= 0) {
			pfd.fd = audit_fd;
			pfd.events = POLLOUT;
			pfd.revents = 0;
			(void)poll(&pfd, 1, wait);
		} else {
			(void)poll(NULL, 0, wait);
			audit_next_connect = 0;     /* shutting down: try again now */
		}
	}
	audit_watch(false);
}

bool audit_daemon_line(enum log_level level, const char *line)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

	if ((unsigned)level >= sizeof(prio) / sizeof(prio[0]))
		return false;
	return syslog_datagram(LOG_DAEMON | prio[level], line);
}

void audit_record(int severity, const char *fmt, ...)
{
	char body[AUDIT_RECORD_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	(void)syslog_datagram(LOG_AUTHPRIV | (severity & LOG_PRIMASK), body);
	if (audit_stderr) {
		char line[AUDIT_RECORD_MAX + 64];
		int m = snprintf(line, sizeof(line), "gssocksd[%ld]: %s\n", (long)getpid(), body);

		if (m > 0) {
			ssize_t w = write(STDERR_FILENO, line,
					  (size_t)m < sizeof(line) ? (size_t)m : sizeof(line) - 1);
			(void)w;
		}
	}
}

static bool plain_byte(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '=';
}

const char *audit_value(const char *in, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)in;
	bool plain = *p != '\0';
	size_t o = 0;

	if (outlen < 3) {
		if (outlen > 0)
			out[0] = '\0';
		return out;
	}
	for (const unsigned char *q = p; *q != '\0'; q++)
		if (!plain_byte(*q))
			plain = false;
	if (plain) {
		snprintf(out, outlen, "%s", in);
		return out;
	}
	out[o++] = '"';
	for (; *p != '\0'; p++) {
		char esc[4];
		size_t n;

		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			n = 2;
		} else if (*p < 0x20 || *p >= 0x7f) {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[*p >> 4];
			esc[3] = hex[*p & 15];
			n = 4;
		} else {
			esc[0] = (char)*p;
			n = 1;
		}
		if (o + n + 2 > outlen)
			break;           /* keep room for the closing quote and NUL */
		memcpy(out + o, esc, n);
		o += n;
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}
