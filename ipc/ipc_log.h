/*
 * ipc_log.h - a sandboxed child's diagnostics go to the master.
 *
 * Trust zone: authproc, relay.  STYLE.md: the sandboxed child sends its
 * log lines to the privileged side over a dedicated fd instead of opening
 * syslog itself.  After ipc_log_to_master(fd) every common/log.h line
 * (fatal() included, before the exit) travels as IPC_LOG on fd, the
 * child's channel to the master, which names the child and writes the
 * line (master/childlog.h).  A line that cannot be sent (the master is
 * gone, the channel stays full for 5 s) is written to stderr instead; the
 * sink never logs, so a failure cannot recurse.
 */
#ifndef GSSOCKS_IPC_IPC_LOG_H
#define GSSOCKS_IPC_IPC_LOG_H

/* Install the sink; stderr is then used only for lines that failed. */
void ipc_log_to_master(int fd);

#endif
