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
 * reconnected when a send fails with anything but EAGAIN.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "util.h"

#define AUDIT_RECORD_MAX 2048

static char audit_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static bool audit_stderr;
static int audit_fd = -1;
static bool audit_warned;       /* socket trouble reported, until it works */
static bool audit_drop_warned;  /* a full socket reported once */

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

static int audit_connect(void)
{
	struct sockaddr_un sun;

	if (audit_fd >= 0)
		return 0;
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
	return 0;
}

/* true when the datagram was sent. */
static bool audit_send(const char *datagram, size_t len)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		if (audit_connect() < 0)
			return false;
		if (send(audit_fd, datagram, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
			audit_warned = false;
			audit_drop_warned = false;
			return true;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
			/* the loop never waits for syslog: the record is lost */
			if (!audit_drop_warned) {
				audit_drop_warned = true;
				audit_warn("full, records lost", errno);
				audit_warned = false;
			}
			return false;
		}
		/* syslogd restarted or went away: reconnect once */
		if (attempt == 1)
			audit_warn("send", errno);
		close_fd(&audit_fd);
	}
	return false;
}

/* One RFC 3164 datagram `<PRI>stamp gssocksd[PID]: body`; true if sent. */
static bool syslog_datagram(int pri, const char *body)
{
	char datagram[AUDIT_RECORD_MAX + 64];
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	int n;

	if (audit_path[0] == '\0')
		return false;
	if (localtime_r(&now, &tm) == NULL || strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S",
						       &tm) == 0)
		snprintf(stamp, sizeof(stamp), "Jan  1 00:00:00");
	n = snprintf(datagram, sizeof(datagram), "<%d>%s gssocksd[%ld]: %s", pri, stamp,
		     (long)getpid(), body);
	if (n <= 0)
		return false;
	return audit_send(datagram, (size_t)n < sizeof(datagram) ? (size_t)n : sizeof(datagram) - 1);
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
