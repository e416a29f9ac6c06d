/*
 * proxy2.h - the PROXY protocol version 2 header (HAProxy's
 * doc/proxy-protocol.txt) as a pure, bounds-checked parser.
 *
 * Trust zone: shared, untrusted bytes.  The master reads this header at
 * the start of a connection from a load balancer listed in
 * `proxy-protocol-from` (master/proxy_header.c); the balancer is trusted
 * to tell the client's address, the bytes are still parsed strictly:
 * anything that is not a well-formed header is refused.
 *
 * Wire format: 12-octet signature, ver/cmd (version 2 in the high nibble;
 * command 0 LOCAL or 1 PROXY), family/protocol, a 16-bit length (network
 * order) of what follows, then the addresses of the family and TLVs
 * (type, 16-bit length, value) up to that length.
 *
 * Design choices:
 *  - Each octet is judged as soon as it is present (signature, version,
 *    command, family, length), so a prefix that can still become a header
 *    is "need more" (0) and one that cannot is malformed (-1) at once;
 *    the caller can read exactly proxy2_length() octets and never one
 *    byte of the protocol that follows.
 *  - A whole header is at most PROXY2_HEADER_MAX octets (the 536 octets
 *    the specification guarantees a sender's header fits in); a longer
 *    length is malformed before anything after it is read.
 *  - PROXY is accepted for TCP over IPv4 (0x11) and TCP over IPv6 (0x21)
 *    only: a gateway has no use for UDP, UNIX or UNSPEC clients, and the
 *    specification lets a receiver refuse them.  LOCAL (the balancer's
 *    own connection, e.g. a health check) takes any family; its
 *    addresses are skipped, as the specification asks.
 *  - The address block must fit the length; the TLVs after it are not
 *    interpreted but must tile the rest exactly (each one's length within
 *    the header), so a truncated or overlong TLV is malformed.
 *
 * Return convention as socks5.h: 1 = a whole header (*used = its length),
 * 0 = more octets are needed, -1 = malformed (*why: a static reason).
 */
#ifndef GSSOCKS_PROTO_PROXY2_H
#define GSSOCKS_PROTO_PROXY2_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PROXY2_SIGNATURE_LEN 12
#define PROXY2_FIXED_LEN     16      /* signature, ver/cmd, family, length */
#define PROXY2_HEADER_MAX    536     /* the whole header, TLVs included */

#define PROXY2_CMD_LOCAL     0x0
#define PROXY2_CMD_PROXY     0x1

struct proxy2_header {
	uint8_t command;                    /* PROXY2_CMD_* */
	/* PROXY: the client's and the balancer's addresses as the balancer
	 * saw them (AF_INET or AF_INET6, port included).  LOCAL: both
	 * ss_family AF_UNSPEC: use the connection's own addresses. */
	struct sockaddr_storage source;
	struct sockaddr_storage destination;
};

/*
 * The length of the whole header that p[0..len) begins: PROXY2_FIXED_LEN
 * until the fixed part is there, then PROXY2_FIXED_LEN plus its length
 * field.  What a reader may read at most (never past the header); it may
 * exceed PROXY2_HEADER_MAX only for a prefix proxy2_parse() refuses.
 */
size_t proxy2_length(const uint8_t *p, size_t len);

/* Parse a header from p[0..len); see the return convention above. */
int proxy2_parse(const uint8_t *p, size_t len, struct proxy2_header *out, size_t *used,
		 const char **why);

#endif
