/*
 * signals.h - the master's signals, delivered through the event loop.
 *
 * Trust zone: master.  SIGCHLD, SIGHUP, SIGTERM and SIGINT are blocked and read
 * from a signalfd, so their handling runs in the loop like any other event
 * (no work in asynchronous handlers).  SIGPIPE is ignored (a peer closing
 * is an error return).  SIGHUP reloads the policy directory (atomically:
 * a failed reload keeps the policy in force; see policy_current.h).
 * Children get an empty mask and default dispositions back before exec.
 */
#ifndef GSSOCKS_MASTER_SIGNALS_H
#define GSSOCKS_MASTER_SIGNALS_H

/* Block, ignore and register as above.  0 or -1 (logged). */
int signals_init(void);

#endif
