/*
 * relay.h - gssocks-relay: configuration and the entry point of its loop.
 *
 * Trust zone: relay worker (seccomp-confined once the sandbox lands).  It
 * holds imported GSS-API contexts, client sockets handed over by authproc
 * and outbound sockets handed over by the master; it opens nothing itself.
 */
#ifndef GSSOCKS_RELAY_RELAY_H
#define GSSOCKS_RELAY_RELAY_H

#include <stdbool.h>
#include <stdint.h>

struct relay_config {
	uint32_t slot;                  /* --slot: which relay slot this worker is */
	bool selective_conf;            /* level 3 wraps with confidentiality */
	unsigned long request_timeout;  /* seconds from session start to reply sent */
	unsigned long idle_timeout;     /* seconds without traffic; 0 = none */
};

/*
 * Run the event loop on master_fd (IPC_CHAN_RELAY_FROM_MASTER) until the
 * master goes away; then end every session and exit(0).
 */
_Noreturn void relay_loop_run(const struct relay_config *cfg, int master_fd);

#endif
