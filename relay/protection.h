/*
 * protection.h - what each RFC 1961 protection level asks of the data path
 * (pure: no GSS-API calls, no I/O; table-tested by test_relay_rules.c).
 *
 * Trust zone: relay worker.  The level comes from authproc (IPC), the
 * conf_state from gss_unwrap of untrusted client bytes.
 *
 * Rules (DESIGN.md "Data path"): level 1 wraps with conf_req FALSE and
 * accepts only conf_state 0; level 2 wraps with conf_req TRUE and accepts
 * only conf_state 1; level 3 ("selective") wraps with confidentiality
 * unless configured for integrity, and accepts either.  Level 0 ("clear")
 * does not wrap at all.
 */
#ifndef GSSOCKS_RELAY_PROTECTION_H
#define GSSOCKS_RELAY_PROTECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../proto/gssframe.h"

/* True for the levels 0..3 this relay can carry. */
bool protection_level_valid(uint8_t level);

/* True when the level wraps its data in 01 03 frames (every level but clear). */
bool protection_wraps(enum gss_level level);

/* conf_req_flag for what the relay wraps at `level` (0 or 1). */
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
