/*
 * admission_choice.c - which unauthenticated session makes room, and the
 * prefix a client counts under; see admission.h.
 *
 * Trust zone: master.  Pure functions (no I/O, no session table) so that
 * tests/unit can drive them from a table (master/test_admission.c).
 *
 * Design: one pass counts each prefix group, one more finds the largest
 * group with an evictable session and, in it, the least progress; O(n)
 * with n the unauthenticated sessions, run only when the budget is full.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"

#define RATE_MIN_MS 1000u   /* octets per second over at least this long */

bool admission_less_progress(const struct admission_candidate *a,
			     const struct admission_candidate *b)
{
	if (a->with_authproc != b->with_authproc)
		return !a->with_authproc;
	if (!a->with_authproc) {
		uint64_t ta = a->age_ms > RATE_MIN_MS ? a->age_ms : RATE_MIN_MS;
		uint64_t tb = b->age_ms > RATE_MIN_MS ? b->age_ms : RATE_MIN_MS;
		/* a->octets / ta < b->octets / tb, without division (octets
		 * are at most 257, ages fit in far less than 54 bits) */
		uint64_t ra = a->octets * tb, rb = b->octets * ta;

		if (ra != rb)
			return ra < rb;
	}
	return a->age_ms > b->age_ms;
}

long admission_choose(const struct admission_candidate *c, size_t n, size_t group)
{
	size_t *size;
	long best = -1;

	if (n == 0)
		return -1;
	size = calloc(n, sizeof(*size));
	if (size == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (c[i].group < n)
			size[c[i].group]++;
	for (size_t i = 0; i < n; i++) {
		const struct admission_candidate *b;

		if (!c[i].evictable || c[i].group >= n)
			continue;
		if (group != ADMISSION_ANY_GROUP && c[i].group != group)
			continue;
		if (best < 0) {
			best = (long)i;
			continue;
		}
		b = &c[best];
		if (size[c[i].group] > size[b->group] ||
		    (size[c[i].group] == size[b->group] && admission_less_progress(&c[i], b)))
			best = (long)i;
	}
	free(size);
	return best;
}

/* Keep the first `bits` bits of len octets at p, zero the rest. */
static void mask_bits(uint8_t *p, size_t len, unsigned bits)
{
	for (size_t i = 0; i < len; i++) {
		if (bits >= 8) {
			bits -= 8;
			continue;
		}
		p[i] &= (uint8_t)(0xffu << (8 - bits));
		bits = 0;
	}
}

int admission_prefix(const struct sockaddr *addr, unsigned v4, unsigned v6, char *out,
		     size_t outlen)
{
	char text[INET6_ADDRSTRLEN];
	uint8_t bytes[16];

	if (addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;

		memcpy(bytes, &in6->sin6_addr, 16);
		if (!IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			mask_bits(bytes, 16, v6 > 128 ? 128 : v6);
			if (inet_ntop(AF_INET6, bytes, text, sizeof(text)) == NULL)
				goto unknown;
			snprintf(out, outlen, "%s/%u", text, v6 > 128 ? 128 : v6);
			return 0;
		}
		memmove(bytes, bytes + 12, 4);
	} else if (addr->sa_family == AF_INET) {
		memcpy(bytes, &((const struct sockaddr_in *)addr)->sin_addr, 4);
	} else {
		goto unknown;
	}
	mask_bits(bytes, 4, v4 > 32 ? 32 : v4);
	if (inet_ntop(AF_INET, bytes, text, sizeof(text)) == NULL)
		goto unknown;
	snprintf(out, outlen, "%s/%u", text, v4 > 32 ? 32 : v4);
	return 0;
unknown:
	snprintf(out, outlen, "?");
	return -1;
}

uint64_t admission_deadline_ms(uint64_t timeout_ms, uint64_t floor_ms, size_t used, size_t max)
{
	uint64_t shrunk;

	if (max == 0 || used * 2 <= max)
		return timeout_ms;
	shrunk = used >= max ? 0 : timeout_ms * 2u * (uint64_t)(max - used) / (uint64_t)max;
	if (shrunk < floor_ms)
		shrunk = floor_ms;
	return shrunk < timeout_ms ? shrunk : timeout_ms;
}
