/*
 * util.c - see util.h.  Trust zone: shared.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

int fd_set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0)
		return -1;
	if (flags & O_NONBLOCK)
		return 0;
	return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

int fd_set_cloexec(int fd, bool on)
{
	int flags = fcntl(fd, F_GETFD);
	if (flags < 0)
		return -1;
	flags = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
	return fcntl(fd, F_SETFD, flags);
}

int sock_set_nodelay(int fd)
{
	int one = 1;
	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int sock_set_reset_on_close(int fd, bool on)
{
	struct linger l = { .l_onoff = on ? 1 : 0, .l_linger = 0 };

	return setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

void close_fd_reset(int *fd)
{
	if (*fd >= 0)
		(void)sock_set_reset_on_close(*fd, true);
	close_fd(fd);
}

uint64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void close_fd(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
	*fd = -1;
}

int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int hostport_parse(const char *s, char *host, size_t hostlen, uint16_t *port,
		   uint16_t default_port)
{
	const char *h = s, *colon, *portstr = NULL;
	size_t n;
	unsigned long p;

	if (s == NULL || *s == '\0')
		return -1;
	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL)
			return -1;
		h = s + 1;
		n = (size_t)(close - h);
		if (close[1] == ':')
			portstr = close + 2;
		else if (close[1] != '\0')
			return -1;
	} else {
		colon = strrchr(s, ':');
		if (colon != NULL && strchr(s, ':') != colon)
			colon = NULL; /* bare IPv6 without brackets: no port */
		if (colon != NULL) {
			n = (size_t)(colon - s);
			portstr = colon + 1;
		} else {
			n = strlen(s);
		}
	}
	if (n == 0 || n >= hostlen)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	if (portstr == NULL) {
		*port = default_port;
		return 0;
	}
	if (parse_uint(portstr, 0, 65535, &p) < 0)
		return -1;
	*port = (uint16_t)p;
	return 0;
}

int sockaddr_parse_numeric(const char *host, uint16_t port,
			   struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}
	errno = EINVAL;
	return -1;
}

socklen_t sockaddr_unmap(struct sockaddr_storage *ss, socklen_t len)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;

	if (ss->ss_family != AF_INET6)
		return len;
	memcpy(&sin6, ss, sizeof(sin6));
	if (!IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr))
		return len;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = sin6.sin6_port;
	memcpy(&sin.sin_addr, &sin6.sin6_addr.s6_addr[12], 4);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &sin, sizeof(sin));
	return sizeof(sin);
}

bool sockaddr_same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return false;
}

uint16_t sockaddr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

void sockaddr_format(const struct sockaddr *sa, char *out, size_t outlen)
{
	char addr[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
		snprintf(out, outlen, "%s:%u", addr, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
		snprintf(out, outlen, "[%s]:%u", addr, ntohs(sin6->sin6_port));
	} else {
		snprintf(out, outlen, "(family %d)", sa->sa_family);
	}
}

static bool memory_to_trim;

void memory_freed(void)
{
	memory_to_trim = true;
}

void memory_trim(void)
{
	if (!memory_to_trim)
		return;
	memory_to_trim = false;
	(void)malloc_trim(0);
}
