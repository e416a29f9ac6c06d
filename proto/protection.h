/*
 * protection.h - what each RFC 1961 protection level asks of the data path
 * (pure: no GSS-API calls, no I/O; table-tested by test_relay_rules.c).
 *
 * Trust zone: shared by the two ends of the data path, the relay worker
 * (the level comes from authproc over IPC) and gssocks-client /
 * gssocks-connect (the level the gateway agreed); conf_state comes from
 * unwrapping the peer's untrusted bytes.  One rule for both ends.
 *
 * Rules (DESIGN.md "Data path"): level 1 wraps with conf_req FALSE and
 * accepts only conf_state 0; level 2 wraps with conf_req TRUE and accepts
 * only conf_state 1; level 3 ("selective") accepts either, and what a
 * sender wraps with is its explicit per-message choice, selective_conf
 * below (the relay: its selective-wrap setting; gssocks-client: always
 * confidentiality).  Level 0 ("clear")
 * does not wrap at all.
 */
#ifndef GSSOCKS_PROTO_PROTECTION_H
#define GSSOCKS_PROTO_PROTECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gssframe.h"

/* True for the levels 0..3 the data path can carry. */
bool protection_level_valid(uint8_t level);

/* True when the level wraps its data in 01 03 frames (every level but clear). */
bool protection_wraps(enum gss_level level);

/* conf_req_flag for what a sender wraps at `level` (0 or 1); at selective,
 * selective_conf is the sender's choice for the message. */
int protection_wrap_conf(enum gss_level level, bool selective_conf);

/* True when a frame unwrapped with conf_state is acceptable at `level`. */
bool protection_accepts(enum gss_level level, int conf_state);

/*
 * Plaintext octets per frame: gss_wrap_size_limit's answer for a 65535-octet
 * token, never more than what fits after the token header in one frame.
 * 0 means the context cannot carry data (the session must end).
 */
size_t protection_chunk_size(uint32_t size_limit, size_t header_len);

#endif
