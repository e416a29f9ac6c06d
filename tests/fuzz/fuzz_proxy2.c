/*
 * fuzz_proxy2.c - fuzz target for the PROXY protocol v2 header parser
 * (proto/proxy2.c).
 *
 * Trust zone: tests only.  The parser reads the first octets of every
 * connection from a balancer listed in proxy-protocol-from.
 *
 * Invariants checked on arbitrary bytes:
 *  - the result is -1, 0 or 1; -1 always names a reason;
 *  - 1: used equals proxy2_length() of the input, lies within the input
 *    and within PROXY2_HEADER_MAX; a PROXY header carries an AF_INET or
 *    AF_INET6 source and destination, a LOCAL one AF_UNSPEC for both;
 *    octets after the header change nothing (same result, same used);
 *  - prefixes: a shorter prefix of a whole header is "need more" (0) and
 *    proxy2_length() of it lies past the prefix and never past the
 *    header, so a reader that honours it never takes a byte of the
 *    protocol that follows; once a prefix is malformed, every longer one
 *    is malformed too.
 */
#include <string.h>

#include "fuzz.h"
#include "proxy2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy2_header h, h2;
	const char *why = NULL;
	size_t used = 0, used2 = 0;
	uint8_t *copy = fuzz_dup(data, size);
	int r = proxy2_parse(copy, size, &h, &used, &why);
	int worst = 1;
	size_t lim;

	FUZZ_CHECK(r >= -1 && r <= 1);
	if (r == -1)
		FUZZ_CHECK(why != NULL && why[0] != '\0');
	if (r == 1) {
		FUZZ_CHECK(used <= size && used <= PROXY2_HEADER_MAX && used >= PROXY2_FIXED_LEN);
		FUZZ_CHECK(used == proxy2_length(copy, size));
		if (h.command == PROXY2_CMD_PROXY) {
			FUZZ_CHECK(h.source.ss_family == AF_INET || h.source.ss_family == AF_INET6);
			FUZZ_CHECK(h.destination.ss_family == h.source.ss_family);
		} else {
			FUZZ_CHECK(h.command == PROXY2_CMD_LOCAL);
			FUZZ_CHECK(h.source.ss_family == AF_UNSPEC &&
				   h.destination.ss_family == AF_UNSPEC);
		}
		/* only the header's own octets count */
		FUZZ_CHECK(proxy2_parse(copy, used, &h2, &used2, NULL) == 1 && used2 == used);
		FUZZ_CHECK(memcmp(&h, &h2, sizeof(h)) == 0);
	}
	lim = r == 1 ? used : size;
	for (size_t n = 0; n < lim && n <= PROXY2_HEADER_MAX; n++) {
		size_t u = 0;
		int pr = proxy2_parse(copy, n, &h2, &u, NULL);

		if (r == 1 || r == 0) {
			FUZZ_CHECK(pr == 0);
			FUZZ_CHECK(proxy2_length(copy, n) > n);
			if (r == 1)
				FUZZ_CHECK(proxy2_length(copy, n) <= used);
		} else if (worst == -1) {
			FUZZ_CHECK(pr == -1);
		} else {
			FUZZ_CHECK(pr == 0 || pr == -1);
		}
		if (pr == -1)
			worst = -1;
	}
	free(copy);
	return 0;
}
