/*
 * channel_check.c - a relay channel is taken only from a relay; see
 * channel_check.h.
 *
 * Trust zone: authproc.  Every test reads the socket itself (getsockopt,
 * getsockname, getpeername), never a claim of the master's.
 *
 * SECURITY: SO_PEERCRED on an end of a socketpair names the process that
 * called socketpair() (pid and effective uid, fixed at creation; the
 * kernel sets both ends' credentials then).  A connected socket names its
 * listener instead, so the channel must also be unnamed at both ends (no
 * path, no abstract name: a pair, not a connection to some other
 * process's listener) and AF_UNIX SOCK_SEQPACKET, the only kind a relay
 * makes.  What the two credential tests guarantee:
 *   - not the master's pid (both modes): the master's seccomp filter
 *     kills fork, clone and exec, so no other process creates sockets on
 *     its behalf; a pair it makes itself carries its own pid and is
 *     refused.  The only pairs it can pass on are those relays made, of
 *     which it never holds the relay's end: what authproc writes into one
 *     is read by that relay alone.  master_pid is our parent at start
 *     (the spawner starts authproc with clone3 CLONE_PARENT and checks,
 *     before exec, that the parent is the master), so it is not a number
 *     the master could send.
 *   - the relay user's uid (root mode: relay-user; otherwise the one uid
 *     every process has): the master runs as another user without
 *     capabilities and cannot make a process of that uid; only the relay
 *     spawner can, and it only execs gssocks-relay.  The uid comes from
 *     the spawner's command line (--relay-uid), not from the master.
 * The pid the master reports for a slot is not compared: the master
 * could lie about it, and the two tests above already hold without it.
 * A relay that is compromised can still pass another relay's or its own
 * pair; that gives it nothing it does not have (it is a relay).
 */
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "channel_check.h"

/* Both ends of a socketpair are unbound: the name is the family alone. */
static int unnamed(int fd, bool peer_side)
{
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);
	int rc;

	memset(&sun, 0, sizeof(sun));
	if (peer_side)
		rc = getpeername(fd, (struct sockaddr *)&sun, &len);
	else
		rc = getsockname(fd, (struct sockaddr *)&sun, &len);
	if (rc < 0)
		return -1;
	return sun.sun_family == AF_UNIX && len == sizeof(sa_family_t) ? 0 : -1;
}

static int int_option(int fd, int option, int *value)
{
	socklen_t len = sizeof(*value);

	if (getsockopt(fd, SOL_SOCKET, option, value, &len) < 0 || len != sizeof(*value))
		return -1;
	return 0;
}

int channel_check(int fd, const struct channel_trust *t, struct channel_peer *peer,
		  const char **why)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int domain, type;

	peer->pid = -1;
	peer->uid = (uid_t)-1;
	if (int_option(fd, SO_DOMAIN, &domain) < 0 || domain != AF_UNIX ||
	    int_option(fd, SO_TYPE, &type) < 0 || type != SOCK_SEQPACKET) {
		*why = "not an AF_UNIX SOCK_SEQPACKET socket";
		return -1;
	}
	if (unnamed(fd, false) < 0 || unnamed(fd, true) < 0) {
		*why = "not an unnamed socketpair";
		return -1;
	}
	memset(&cred, 0, sizeof(cred));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof(cred)) {
		*why = "its maker's credentials cannot be read";
		return -1;
	}
	peer->pid = cred.pid;
	peer->uid = cred.uid;
	if (cred.pid <= 0) {
		/* 0: made in a pid namespace we cannot see into. */
		*why = "its maker's pid is unknown";
		return -1;
	}
	if (cred.pid == t->master_pid) {
		*why = "the master made it";
		return -1;
	}
	if (cred.pid == t->self_pid) {
		*why = "authproc made it";
		return -1;
	}
	if (cred.uid != t->relay_uid) {
		*why = "its maker is not the relay user";
		return -1;
	}
	return 0;
}
