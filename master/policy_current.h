/*
 * policy_current.h - the policy set in force in the master, and its reload.
 *
 * Trust zone: master.  The policy directory is the administrator's; it is
 * parsed by policy/ with hard caps.  Start-up refuses a broken policy; a
 * SIGHUP reload is atomic: a reload that fails keeps the set in force and
 * writes every error to the log and one `event=reload result=failed`
 * record.  Sessions hold their own reference (policy_set_ref) from the
 * level decision to their end, so a reload never changes or drops a live
 * session: only sessions authenticated after it see the new set.
 */
#ifndef GSSOCKS_MASTER_POLICY_CURRENT_H
#define GSSOCKS_MASTER_POLICY_CURRENT_H

#include "../policy/policy.h"

/* Load dir at start-up; every error goes to stderr.  0 or -1. */
int policy_current_load(const char *dir);
/* The set in force (never NULL after a successful load). */
struct policy_set *policy_current(void);
/* SIGHUP: load dir again, swap on success, keep the old set on failure. */
void policy_current_reload(const char *dir);
/* Drop the master's reference at exit. */
void policy_current_free(void);

#endif
