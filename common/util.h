/*
 * util.h - small system helpers shared by every process.  Trust zone: shared.
 * Return convention: 0 on success, -1 with errno set.
 */
#ifndef GSSOCKS_COMMON_UTIL_H
#define GSSOCKS_COMMON_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

int fd_set_nonblock(int fd);
int fd_set_cloexec(int fd, bool on);
/* TCP_NODELAY on (negotiation messages must not wait for Nagle). */
int sock_set_nodelay(int fd);
/*
 * SO_LINGER {1, 0} when `on`, {0, 0} (the default) when not.  While on,
 * the last close of the socket, including the kernel's when the process
 * dies, sends a TCP reset instead of a FIN and drops unsent bytes: a cut
 * session must never look like a complete one at the peer (ARCHITECTURE
 * invariant 7).  Clear it before an orderly close.
 */
int sock_set_reset_on_close(int fd, bool on);
/* Reset (SO_LINGER 0, errors ignored: not a socket) and close *fd. */
void close_fd_reset(int *fd);
/* Milliseconds from CLOCK_MONOTONIC. */
/*
 * Freed memory back to the system: memory_freed() notes that something
 * sizeable was freed (a session); memory_trim(), once per sweep, calls
 * malloc_trim(0) if anything was noted since its last call, so the
 * heap's free pages (fragmented among live allocations, which plain
 * free() keeps) are returned with madvise(MADV_DONTNEED) and brk.
 */
void memory_freed(void);
void memory_trim(void);

uint64_t monotonic_ms(void);
/* Closes *fd if >= 0 and sets it to -1. */
void close_fd(int *fd);

/*
 * Parse "HOST:PORT", "[V6]:PORT", or "HOST" (port = default_port) into
 * host (NUL-terminated, at most hostlen-1) and port.  -1 on bad syntax.
 */
int hostport_parse(const char *s, char *host, size_t hostlen, uint16_t *port,
		   uint16_t default_port);
/* Numeric-only address parse into sockaddr (no DNS).  -1 if not numeric. */
int sockaddr_parse_numeric(const char *host, uint16_t port,
			   struct sockaddr_storage *ss, socklen_t *len);
/* "1.2.3.4:80" / "[::1]:80" for logs. */
void sockaddr_format(const struct sockaddr *sa, char *out, size_t outlen);
/*
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) rewritten in place as the
 * AF_INET address it is (port kept); others are left alone.  Returns the
 * address's length after the rewrite (len when nothing changed).
 */
socklen_t sockaddr_unmap(struct sockaddr_storage *ss, socklen_t len);
/* Same family and address (ports ignored; AF_INET/AF_INET6 only). */
bool sockaddr_same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
/* The port of an AF_INET/AF_INET6 address (host order), else 0. */
uint16_t sockaddr_port(const struct sockaddr_storage *ss);

/* Strict decimal parse within [min, max]; -1 otherwise. */
int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);

#endif
