/*
 * log_sink.c - the common/log.h sink of a child: each line as IPC_LOG on
 * its master channel; see ipc_log.h.
 *
 * Trust zone: authproc, relay.  Design: the blocking ipc_send (child ->
 * master sends wait, ipc.h), so a burst of lines is not lost while the
 * master is busy; a failed send returns false and log.c writes the line to
 * stderr.  Nothing here calls log_*: log.c also refuses to re-enter a sink.
 */
#include <stdint.h>

#include "../common/log.h"
#include "ipc.h"
#include "ipc_log.h"

static int master_fd = -1;

static bool send_to_master(enum log_level level, const char *line)
{
	if (master_fd < 0)
		return false;
	return ipc_send_log(master_fd, (uint8_t)level, line) == 0;
}

void ipc_log_to_master(int fd)
{
	master_fd = fd;
	log_set_sink(send_to_master);
}
