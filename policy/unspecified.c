/*
 * unspecified.c - destinations the master never connects to, whatever the
 * policy says (ARCHITECTURE.md invariant 8); see policy.h.
 *
 * Trust zone: master.  The address is what a client asked for or what the
 * master's DNS lookup returned for a client's name, so anything.
 *
 * Design: Linux connects 0.0.0.0 and :: to the local host, so a policy
 * that denies 127.0.0.0/8 and ::1 would still let a client reach services
 * bound to loopback on the gateway through them.  The set is exactly the
 * unspecified destinations: 0.0.0.0/8 (RFC 1122 "this network"), :: and
 * the IPv4-mapped form of 0.0.0.0/8 (::ffff:0.0.0.0/104, which an AF_INET6
 * socket connects over IPv4).  The IPv4-compatible ::0.0.0.0 is :: itself;
 * other embeddings (NAT64, 6to4) are routed, not local, and stay the
 * policy's business.  Pure: no I/O.
 */
#include <netinet/in.h>
#include <string.h>

#include "policy.h"

static const uint8_t v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
};

bool policy_unspecified_destination(const struct sockaddr_storage *ss)
{
	static const uint8_t zero[16];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
		const uint8_t *a = (const uint8_t *)&sin->sin_addr;

		return a[0] == 0;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
		const uint8_t *a = sin6->sin6_addr.s6_addr;

		if (memcmp(a, zero, sizeof(zero)) == 0)
			return true;
		return memcmp(a, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0 && a[12] == 0;
	}
	return false;
}
