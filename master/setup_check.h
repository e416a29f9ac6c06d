/*
 * setup_check.h - the set-up gssocksd -t and start-up check before any
 * child runs: child binaries, the replay cache directory, the keytab.
 *
 * Trust zone: master, start-up only (before detaching and before any
 * privilege is dropped), and `gssocksd -t`.  SECURITY: the master never
 * reads the keytab (invariant 1): the keytab is checked by
 * `gssocks-authproc --check` run as authproc-user, which loads it exactly
 * as authproc will at start and exits.
 *
 * Design: each mistake is reported once as "what path: reason" on stderr
 * (and in the daemon's log at start-up), so that a wrong set-up stops
 * `gssocksd -t` and the daemon's start instead of showing up as a child
 * that fails over and over while the daemon looks healthy.
 */
#ifndef GSSOCKS_MASTER_SETUP_CHECK_H
#define GSSOCKS_MASTER_SETUP_CHECK_H

#include <stdbool.h>

#include "config_file.h"
#include "sandbox.h"

/* gssocksd's exit status when a set-up check fails at start-up, or a
 * child keeps failing at start (sysexits EX_CONFIG; the systemd unit
 * does not restart on it). */
#define SETUP_EXIT_STATUS 78

/*
 * Check libexec-dir's two binaries, replay-cache-dir and (through
 * gssocks-authproc --check, as authproc-user) the keytab.  create: make
 * a missing replay-cache-dir (mode 0700, owned by authproc-user in root
 * mode) as start-up does; -t only checks it could be made.  verbose:
 * authproc --check says what it loaded.  0, or -1 after the first
 * problem was reported.
 */
int setup_check(const struct master_config *cfg, const struct run_ids *ids, bool create,
		bool verbose);

/* The last problem setup_check reported, for the daemon's log ("" if none). */
const char *setup_check_error(void);

#endif
