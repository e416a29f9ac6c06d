/*
 * socks5.h - RFC 1928 wire formats as pure, bounds-checked functions.
 *
 * Trust zone: shared.  Every parser takes untrusted bytes and either fills
 * a fixed-size structure or refuses; nothing allocates, nothing does I/O.
 *
 * Parser return convention: 1 = a whole message was parsed (*used set to
 * its length), 0 = more bytes are needed, -1 = malformed (reason in
 * *why when why is not NULL: a static string for logs).
 * Builders return 0, or -1 when the output does not fit or the structure
 * holds a value the wire cannot carry.
 */
#ifndef GSSOCKS_PROTO_SOCKS5_H
#define GSSOCKS_PROTO_SOCKS5_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "buf.h"

#define SOCKS5_VERSION          0x05

#define SOCKS5_METHOD_NONE      0x00
#define SOCKS5_METHOD_GSSAPI    0x01
#define SOCKS5_METHOD_USERPASS  0x02
#define SOCKS5_METHOD_REFUSED   0xff

/*
 * gssocksd's refusal for load (a limit reached; not RFC 1928): the method
 * answer 05 ff, then these octets, then the gateway closes.  An RFC 1928
 * client reads the two octets and closes; gssocks-client and
 * gssocks-connect read on and tell the user the gateway refuses new
 * connections.
 */
#define SOCKS5_BUSY_TEXT        "gssocksd: limit reached\n"

#define SOCKS5_CMD_CONNECT      0x01
#define SOCKS5_CMD_BIND         0x02
#define SOCKS5_CMD_UDP          0x03

#define SOCKS5_ATYP_IPV4        0x01
#define SOCKS5_ATYP_DOMAIN      0x03
#define SOCKS5_ATYP_IPV6        0x04

#define SOCKS5_REP_OK                 0x00
#define SOCKS5_REP_GENERAL_FAILURE    0x01
#define SOCKS5_REP_NOT_ALLOWED        0x02
#define SOCKS5_REP_NET_UNREACHABLE    0x03
#define SOCKS5_REP_HOST_UNREACHABLE   0x04
#define SOCKS5_REP_REFUSED            0x05
#define SOCKS5_REP_TTL_EXPIRED        0x06
#define SOCKS5_REP_CMD_UNSUPPORTED    0x07
#define SOCKS5_REP_ATYP_UNSUPPORTED   0x08

#define SOCKS5_NAME_MAX 255
/* Longest request/reply: 4 + 1 + 255 + 2. */
#define SOCKS5_MSG_MAX  262

struct socks5_addr {
	uint8_t atyp;                       /* SOCKS5_ATYP_* */
	union {
		uint8_t ipv4[4];
		uint8_t ipv6[16];
		char name[SOCKS5_NAME_MAX + 1]; /* NUL-terminated, 1..255 octets, no NUL */
	} u;
	uint16_t port;                      /* host order */
};

struct socks5_greeting {
	uint8_t nmethods;                   /* 1..255 */
	uint8_t methods[255];
};

struct socks5_request {
	uint8_t cmd;                        /* SOCKS5_CMD_* */
	struct socks5_addr dst;
};

struct socks5_reply {
	uint8_t rep;                        /* SOCKS5_REP_* */
	struct socks5_addr bnd;
};

/* UDP request header (RFC 1928 section 7): RSV(2) FRAG(1) ATYP ADDR PORT. */
struct socks5_udp_header {
	uint8_t frag;
	struct socks5_addr dst;
};

int socks5_greeting_parse(const uint8_t *p, size_t len, struct socks5_greeting *out,
			  size_t *used, const char **why);
bool socks5_greeting_offers(const struct socks5_greeting *g, uint8_t method);
int socks5_greeting_put(struct wbuf *wb, const uint8_t *methods, size_t n);
/* Method selection answer: 05 METHOD. */
int socks5_method_parse(const uint8_t *p, size_t len, uint8_t *method, size_t *used,
			const char **why);
int socks5_method_put(struct wbuf *wb, uint8_t method);

int socks5_request_parse(const uint8_t *p, size_t len, struct socks5_request *out,
			 size_t *used, const char **why);
int socks5_request_put(struct wbuf *wb, const struct socks5_request *req);

int socks5_reply_parse(const uint8_t *p, size_t len, struct socks5_reply *out,
		       size_t *used, const char **why);
int socks5_reply_put(struct wbuf *wb, const struct socks5_reply *rep);

/* *used is the header length; the datagram's data follows it. */
int socks5_udp_header_parse(const uint8_t *p, size_t len, struct socks5_udp_header *out,
			    size_t *used, const char **why);
int socks5_udp_header_put(struct wbuf *wb, const struct socks5_udp_header *h);

/* Address helpers shared by IPC, master, relay and client. */
int socks5_addr_get(struct rbuf *rb, struct socks5_addr *out, const char **why);
int socks5_addr_put(struct wbuf *wb, const struct socks5_addr *a);
/* From an AF_INET / AF_INET6 sockaddr; -1 for other families. */
int socks5_addr_from_sockaddr(struct socks5_addr *out, const struct sockaddr *sa);
/* To a sockaddr for IPv4/IPv6 addresses; -1 for names. */
int socks5_addr_to_sockaddr(const struct socks5_addr *a, struct sockaddr_storage *ss,
			    socklen_t *sslen);
/* "192.0.2.1:80", "[2001:db8::1]:443", "example.com:80" (names printed with
 * unprintable octets escaped as \xNN, safe for logs). */
void socks5_addr_format(const struct socks5_addr *a, char *out, size_t outlen);
const char *socks5_rep_name(uint8_t rep);
const char *socks5_cmd_name(uint8_t cmd);

#endif
