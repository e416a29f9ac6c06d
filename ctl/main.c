/*
 * main.c - gssocksctl(8): ask a running gssocksd what it is doing.
 *
 * Trust zone: an administrator's tool; runs with the caller's rights and
 * no more.  It sends one request line over gssocksd's control socket
 * (master/control.c, protocol in master/control_proto.h) and prints the
 * answer: the master's session table, its counters, its metrics in the
 * Prometheus text format, or the result of ending a session.
 *
 * Design: no state, no library beyond libc; every error names what to do.
 * Exit status: 0 done; 1 gssocksd refused the request (no such session,
 * ...); 2 usage; 3 gssocksd cannot be reached (not running, wrong socket,
 * permission denied).
 */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"        /* generated: GSSOCKS_RUNDIR, GSSOCKS_VERSION */

#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3
#define ANSWER_TIMEOUT_MS 30000

static _Noreturn void usage(void)
{
	fprintf(stderr,
		"usage: gssocksctl [-s SOCKET] sessions | counters | metrics | end ID\n"
		"  -s SOCKET  gssocksd's control-socket (default %s)\n",
		GSSOCKS_RUNDIR "/control");
	exit(EXIT_USAGE);
}

static bool digits(const char *s)
{
	if (*s == '\0' || strlen(s) > 20)
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Who may connect, from the socket file's group (when we may see it). */
static void permission_hint(const char *path)
{
	struct stat st;
	struct group *gr;

	if (stat(path, &st) == 0 && (st.st_mode & 0060) != 0 &&
	    (gr = getgrgid(st.st_gid)) != NULL)
		fprintf(stderr, "gssocksctl: only root, gssocksd's user and members of group "
			"%s may use %s (gssocksctl(8))\n", gr->gr_name, path);
	else
		fprintf(stderr, "gssocksctl: only root, gssocksd's user and members of "
			"gssocksd.conf's control-group may use %s (gssocksctl(8))\n", path);
}

static int connect_to(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "gssocksctl: %s: path too long for a socket\n", path);
		exit(EXIT_USAGE);
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "gssocksctl: socket: %s\n", strerror(errno));
		exit(EXIT_UNREACHABLE);
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	if (errno == ENOENT || errno == ECONNREFUSED || errno == ENOTDIR) {
		fprintf(stderr, "gssocksctl: gssocksd is not running or control-socket is "
			"elsewhere (%s: %s)\n", path, strerror(errno));
	} else if (errno == EACCES || errno == EPERM) {
		fprintf(stderr, "gssocksctl: %s: %s\n", path, strerror(errno));
		permission_hint(path);
	} else {
		fprintf(stderr, "gssocksctl: %s: %s\n", path, strerror(errno));
	}
	exit(EXIT_UNREACHABLE);
}

static void send_all(int fd, const char *text)
{
	size_t off = 0, len = strlen(text);

	while (off < len) {
		ssize_t w = send(fd, text + off, len - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			fprintf(stderr, "gssocksctl: sending the request: %s\n",
				w < 0 ? strerror(errno) : "nothing written");
			exit(EXIT_UNREACHABLE);
		}
		off += (size_t)w;
	}
	(void)shutdown(fd, SHUT_WR);
}

/* Read the whole answer (gssocksd closes after it). */
static char *read_answer(int fd, size_t *lenp)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap + 1);

	if (buf == NULL) {
		fprintf(stderr, "gssocksctl: out of memory\n");
		exit(EXIT_UNREACHABLE);
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;
		int rc = poll(&p, 1, ANSWER_TIMEOUT_MS);

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0) {
			fprintf(stderr, "gssocksctl: no answer from gssocksd within %d s\n",
				ANSWER_TIMEOUT_MS / 1000);
			exit(EXIT_UNREACHABLE);
		}
		if (len == cap) {
			char *grown = realloc(buf, cap * 2 + 1);

			if (grown == NULL) {
				fprintf(stderr, "gssocksctl: out of memory\n");
				exit(EXIT_UNREACHABLE);
			}
			buf = grown;
			cap *= 2;
		}
		r = recv(fd, buf + len, cap - len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "gssocksctl: reading the answer: %s\n", strerror(errno));
			exit(EXIT_UNREACHABLE);
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

/* Print the body of an "ok" answer, or the error; the exit status. */
static int print_answer(const char *path, const char *answer, size_t len)
{
	if (strncmp(answer, "ok\n", 3) == 0) {
		fwrite(answer + 3, 1, len - 3, stdout);
		return fflush(stdout) == 0 ? 0 : EXIT_UNREACHABLE;
	}
	if (strncmp(answer, "error: ", 7) == 0) {
		fprintf(stderr, "gssocksctl: %s", answer + 7);
		if (answer[len - 1] != '\n')
			fputc('\n', stderr);
		return strncmp(answer + 7, "permission denied", 17) == 0 ? EXIT_UNREACHABLE
									 : EXIT_REFUSED;
	}
	fprintf(stderr, "gssocksctl: %s: %s\n", path,
		len == 0 ? "gssocksd closed the connection without an answer"
			 : "not an answer gssocksctl understands");
	return EXIT_UNREACHABLE;
}

int main(int argc, char **argv)
{
	const char *path = GSSOCKS_RUNDIR "/control";
	char request[64];
	size_t len;
	char *answer;
	int opt, fd, status;

	while ((opt = getopt(argc, argv, "s:hV")) != -1) {
		switch (opt) {
		case 's':
			path = optarg;
			break;
		case 'V':
			printf("gssocksctl %s\n", GSSOCKS_VERSION);
			return 0;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 1 && (strcmp(argv[0], "sessions") == 0 || strcmp(argv[0], "counters") == 0 ||
			  strcmp(argv[0], "metrics") == 0))
		snprintf(request, sizeof(request), "%s\n", argv[0]);
	else if (argc == 2 && strcmp(argv[0], "end") == 0 && digits(argv[1]))
		snprintf(request, sizeof(request), "end %s\n", argv[1]);
	else
		usage();

	fd = connect_to(path);
	send_all(fd, request);
	answer = read_answer(fd, &len);
	close(fd);
	status = print_answer(path, answer, len);
	free(answer);
	return status;
}
