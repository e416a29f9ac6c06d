/*
 * bind.c - a local program's BIND through the gateway; see bind.h.
 *
 * Trust zone: client, in the per-connection child.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "bind.h"
#include "diag.h"
#include "util.h"

/*
 * Wait until the gateway has something (the second reply).  0, or -1 when
 * the local program left or poll failed (printed).
 */
static int wait_for_peer(struct local_peer *lp, const struct gateway_session *gs)
{
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = gs->fd, .events = POLLIN },
			{ .fd = lp->fd, .events = POLLRDHUP },
		};

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			diag_fail("BIND: waiting for the peer: %s", strerror(errno));
			return -1;
		}
		if (p[0].revents != 0)
			return 0;
		if (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR)) {
			diag_fail("BIND: the local client left before a peer connected");
			return -1;
		}
	}
}

int bind_serve(struct local_peer *lp, const struct gateway_config *cfg,
	       const struct socks5_request *req)
{
	struct gateway_session gs;
	struct socks5_reply rep;
	char dst[SOCKS5_NAME_MAX * 4 + 16], peer[SOCKS5_NAME_MAX * 4 + 16];

	socks5_addr_format(&req->dst, dst, sizeof(dst));
	if (local_open_request(lp, cfg, req, &gs) < 0)
		return 1;
	/* The gateway's bind-timeout bounds the wait, not the alarm. */
	alarm(0);
	if (wait_for_peer(lp, &gs) < 0) {
		gateway_close(&gs);
		return 1;
	}
	arm_negotiation_timeout();
	if (gateway_read_reply(&gs, &rep) < 0) {
		gateway_close(&gs);
		close_fd_reset(&lp->fd);
		return 1;
	}
	socks5_addr_format(&rep.bnd, peer, sizeof(peer));
	if (rep.rep != SOCKS5_REP_OK) {
		diag_fail("BIND %s: gateway's second reply: %s", dst, socks5_rep_name(rep.rep));
		gateway_close(&gs);
		local_send_reply(lp, rep.rep, &rep.bnd);
		return 1;
	}
	diag_step("BIND %s: peer %s connected", dst, peer);
	if (local_send_reply(lp, SOCKS5_REP_OK, &rep.bnd) < 0) {
		gateway_close(&gs);
		return 1;
	}
	return local_relay(lp, &gs);
}
