/*
 * krb5_profile.h - a process's krb5 configuration frozen in sealed
 * memory files, so that no later change to krb5.conf can reach it.
 *
 * Trust zone: shared (authproc and the relay worker, before their
 * sandboxes).
 *
 * Why: MIT krb5's profile library re-stat()s every configuration file at
 * each krb5_init_context (every gss_import_sec_context makes one) and
 * re-reads a file whose mtime changed; inside a sandbox with no open()
 * that re-read fails and so does every import from then on.  Copying each
 * file of KRB5_CONFIG (default /etc/krb5.conf) into a memfd sealed
 * against writes and pointing KRB5_CONFIG at /proc/self/fd/N gives the
 * library files whose mtime can never change: it parses them once,
 * before the sandbox, and never needs open() again.  A new configuration
 * takes effect when the process is replaced (gssocksd replaces authproc
 * and its relay workers on SIGHUP).
 */
#ifndef GSSOCKS_COMMON_KRB5_PROFILE_H
#define GSSOCKS_COMMON_KRB5_PROFILE_H

#include <stddef.h>

/*
 * The frozen files live at these descriptor numbers, in every process that
 * freezes: the names "/proc/self/fd/N" travel inside exported GSS
 * contexts (the profile's file list is part of a serialized krb5
 * context), and must name the importer's own frozen copy.
 */
#define KRB5_PROFILE_FD_BASE 100

/*
 * Copy each file named by KRB5_CONFIG (or /etc/krb5.conf) into a sealed
 * memfd kept open (close-on-exec, at KRB5_PROFILE_FD_BASE + i) for the
 * life of the process and set KRB5_CONFIG to their /proc/self/fd paths;
 * files that do not exist or that this user may not read are left out, as
 * krb5 itself would (none at all: one empty file, an empty profile).  Call before the first krb5 or GSS-API
 * call that reads the profile.  0, or -1 with "file: reason" in err.
 */
int krb5_profile_freeze(char *err, size_t errlen);

#endif
