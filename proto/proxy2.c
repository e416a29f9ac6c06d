/*
 * proxy2.c - PROXY protocol version 2 header parser (see proxy2.h).
 *
 * Trust zone: shared; reads untrusted bytes (the first octets of a
 * connection from a listed load balancer).  Pure: no I/O, no allocation.
 * Every octet is read through an rbuf (buf.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "buf.h"
#include "proxy2.h"

#define WHY(msg) do { if (why != NULL) *why = (msg); } while (0)

static const uint8_t signature[PROXY2_SIGNATURE_LEN] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};

/* family/protocol octets */
#define FAMILY_UNSPEC 0x0
#define FAMILY_INET   0x1
#define FAMILY_INET6  0x2
#define FAMILY_UNIX   0x3
#define TCP_OVER_IPV4 0x11
#define TCP_OVER_IPV6 0x21

/* Octets of the address block of a family (before the TLVs). */
static size_t address_block_len(uint8_t family)
{
	switch (family >> 4) {
	case FAMILY_INET: return 4 + 4 + 2 + 2;
	case FAMILY_INET6: return 16 + 16 + 2 + 2;
	case FAMILY_UNIX: return 108 + 108;
	default: return 0;
	}
}

size_t proxy2_length(const uint8_t *p, size_t len)
{
	struct rbuf rb;
	uint16_t rest = 0;

	if (len < PROXY2_FIXED_LEN)
		return PROXY2_FIXED_LEN;
	rbuf_init(&rb, p, len);
	(void)rbuf_skip(&rb, PROXY2_FIXED_LEN - 2);
	(void)rbuf_get_u16(&rb, &rest);
	return PROXY2_FIXED_LEN + (size_t)rest;
}

/* The fixed part, judged octet by octet: 0 need more, -1 malformed, 1 whole. */
static int fixed_part(struct rbuf *rb, uint8_t *command, uint8_t *family, uint16_t *rest,
		      const char **why)
{
	const uint8_t *sig;
	size_t have = rbuf_remaining(rb);
	size_t n = have < PROXY2_SIGNATURE_LEN ? have : PROXY2_SIGNATURE_LEN;
	uint8_t vercmd;

	(void)rbuf_get_view(rb, &sig, n);
	if (memcmp(sig, signature, n) != 0) {
		WHY("not a PROXY protocol v2 signature");
		return -1;
	}
	if (n < PROXY2_SIGNATURE_LEN || rbuf_get_u8(rb, &vercmd) < 0)
		return 0;
	if (vercmd >> 4 != 2) {
		WHY("PROXY protocol version is not 2");
		return -1;
	}
	*command = vercmd & 0x0f;
	if (*command != PROXY2_CMD_LOCAL && *command != PROXY2_CMD_PROXY) {
		WHY("PROXY command neither LOCAL nor PROXY");
		return -1;
	}
	if (rbuf_get_u8(rb, family) < 0)
		return 0;
	if (*command == PROXY2_CMD_PROXY && *family != TCP_OVER_IPV4 &&
	    *family != TCP_OVER_IPV6) {
		WHY("PROXY header for other than TCP over IPv4 or IPv6");
		return -1;
	}
	if (*command == PROXY2_CMD_LOCAL &&
	    ((*family >> 4) > FAMILY_UNIX || (*family & 0x0f) > 2)) {
		WHY("PROXY header with an unknown family or protocol");
		return -1;
	}
	if (rbuf_get_u16(rb, rest) < 0)
		return 0;
	if (PROXY2_FIXED_LEN + (size_t)*rest > PROXY2_HEADER_MAX) {
		WHY("PROXY header longer than 536 octets");
		return -1;
	}
	if (*rest < address_block_len(*family)) {
		WHY("PROXY header too short for its addresses");
		return -1;
	}
	return 1;
}

static void get_address(struct rbuf *rb, uint8_t family, struct sockaddr_storage *src,
			struct sockaddr_storage *dst)
{
	memset(src, 0, sizeof(*src));
	memset(dst, 0, sizeof(*dst));
	if (family == TCP_OVER_IPV4) {
		struct sockaddr_in *s = (struct sockaddr_in *)src, *d = (struct sockaddr_in *)dst;
		uint16_t sport = 0, dport = 0;

		s->sin_family = d->sin_family = AF_INET;
		(void)rbuf_get_bytes(rb, &s->sin_addr, 4);
		(void)rbuf_get_bytes(rb, &d->sin_addr, 4);
		(void)rbuf_get_u16(rb, &sport);
		(void)rbuf_get_u16(rb, &dport);
		s->sin_port = htons(sport);
		d->sin_port = htons(dport);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)src, *d = (struct sockaddr_in6 *)dst;
		uint16_t sport = 0, dport = 0;

		s->sin6_family = d->sin6_family = AF_INET6;
		(void)rbuf_get_bytes(rb, &s->sin6_addr, 16);
		(void)rbuf_get_bytes(rb, &d->sin6_addr, 16);
		(void)rbuf_get_u16(rb, &sport);
		(void)rbuf_get_u16(rb, &dport);
		s->sin6_port = htons(sport);
		d->sin6_port = htons(dport);
	}
}

/* The TLVs must tile what is left of the header exactly. */
static int skip_tlvs(struct rbuf *rb)
{
	while (rbuf_remaining(rb) > 0) {
		uint8_t type;
		uint16_t n;

		if (rbuf_get_u8(rb, &type) < 0 || rbuf_get_u16(rb, &n) < 0 ||
		    rbuf_skip(rb, n) < 0)
			return -1;
	}
	return 0;
}

int proxy2_parse(const uint8_t *p, size_t len, struct proxy2_header *out, size_t *used,
		 const char **why)
{
	struct rbuf rb;
	uint8_t command = 0, family = 0;
	uint16_t rest = 0;
	int r;

	rbuf_init(&rb, p, len);
	r = fixed_part(&rb, &command, &family, &rest, why);
	if (r != 1)
		return r;
	if (rbuf_remaining(&rb) < rest)
		return 0;
	/* from here on, only the header's own octets */
	rbuf_init(&rb, p + PROXY2_FIXED_LEN, rest);
	memset(out, 0, sizeof(*out));
	out->command = command;
	if (command == PROXY2_CMD_PROXY)
		get_address(&rb, family, &out->source, &out->destination);
	else
		(void)rbuf_skip(&rb, address_block_len(family));
	if (rb.error || skip_tlvs(&rb) < 0) {
		WHY("PROXY header with a malformed TLV");
		return -1;
	}
	*used = PROXY2_FIXED_LEN + (size_t)rest;
	return 1;
}
