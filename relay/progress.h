/*
 * progress.h - the relay's byte counts of live sessions, for the master's
 * session list (gssocksctl sessions).
 *
 * Trust zone: relay worker.
 */
#ifndef GSSOCKS_RELAY_PROGRESS_H
#define GSSOCKS_RELAY_PROGRESS_H

#include "loop.h"

/*
 * Once a second from the loop's sweep: one RELAY_PROGRESS per
 * IPC_PROGRESS_MAX sessions whose counts moved since they were last
 * reported; nothing when none did.  A master that is gone gets nothing.
 */
void progress_report(struct relay_loop *loop);

#endif
