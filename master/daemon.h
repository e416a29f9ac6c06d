/*
 * daemon.h - detaching from the terminal and the pid-file.
 *
 * Trust zone: master, start-up.  Done after the listeners are bound (so
 * bind errors reach the terminal) and before any child is spawned (so the
 * children belong to the detached daemon).
 */
#ifndef GSSOCKS_MASTER_DAEMON_H
#define GSSOCKS_MASTER_DAEMON_H

/* fork (parent exits 0), setsid, chdir /, stdio to /dev/null.  0 or -1. */
int daemon_detach(void);
/* Write our pid to path (mode 0644, replaced atomically).  0 or -1 (logged). */
int pidfile_write(const char *path);
/* Remove it again at exit (only if it still holds our pid). */
void pidfile_remove(const char *path);

#endif
