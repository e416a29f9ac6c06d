/*
 * progress.c - report live byte counts to the master; see progress.h.
 *
 * Trust zone: relay worker.
 *
 * Design: the cheapest report that keeps `gssocksctl sessions` current to
 * the second: nothing per frame, nothing for idle sessions; one batched
 * message per sweep (and per IPC_PROGRESS_MAX moving sessions) on the
 * channel the relay already writes.  The master uses the numbers for
 * display and nothing else: the end record's counts come from
 * RELAY_SESSION_END.
 */

#include "../common/log.h"
#include "../ipc/ipc.h"
#include "progress.h"
#include "session.h"

static struct ipc_relay_progress report;

static void flush(struct relay_loop *loop)
{
	if (report.count == 0)
		return;
	if (ipc_send_relay_progress(loop->master_fd, &report) < 0)
		fatal("master channel: sending RELAY_PROGRESS: %m");
	report.count = 0;
}

void progress_report(struct relay_loop *loop)
{
	if (loop->master_gone)
		return;
	report.count = 0;
	for (struct relay_session *s = loop->sessions; s != NULL; s = s->next) {
		struct ipc_progress_entry *e;

		if (s->state != SESSION_RELAY ||
		    (s->bytes_from_client == s->reported_from_client &&
		     s->bytes_to_client == s->reported_to_client))
			continue;
		e = &report.entry[report.count++];
		e->session_id = s->sid;
		e->bytes_from_client = s->bytes_from_client;
		e->bytes_to_client = s->bytes_to_client;
		s->reported_from_client = s->bytes_from_client;
		s->reported_to_client = s->bytes_to_client;
		if (report.count == IPC_PROGRESS_MAX)
			flush(loop);
	}
	flush(loop);
}
