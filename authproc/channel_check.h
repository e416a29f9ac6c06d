/*
 * channel_check.h - whether a socket the master passes on may serve as the
 * channel to a relay worker.
 *
 * Trust zone: authproc.  The master is network-facing: assume it
 * compromised.  Exported contexts (session keys) go out on a relay
 * channel, so a channel whose other end the master holds would hand it
 * every session key (invariant 1).  A relay makes each pair itself and
 * the master only passes authproc's end on; this check is what makes
 * that design hold against a master that makes a pair of its own.
 */
#ifndef GSSOCKS_AUTHPROC_CHANNEL_CHECK_H
#define GSSOCKS_AUTHPROC_CHANNEL_CHECK_H

#include <stddef.h>
#include <sys/types.h>

/* Who may and may not have made a relay channel. */
struct channel_trust {
	pid_t master_pid;     /* our parent at start: never */
	pid_t self_pid;       /* never either (a pair of our own is no relay) */
	uid_t relay_uid;      /* --relay-uid: only a process of this uid */
};

/* What SO_PEERCRED said about the maker (-1 / (uid_t)-1 when unread). */
struct channel_peer {
	pid_t pid;
	uid_t uid;
};

/*
 * 0 when fd is an end of an unnamed AF_UNIX SOCK_SEQPACKET socketpair made
 * by a process of uid t->relay_uid that is neither the master nor
 * authproc; otherwise -1 with why (a fixed string) saying which test
 * failed.  *peer is filled as far as it could be read.
 */
int channel_check(int fd, const struct channel_trust *t, struct channel_peer *peer,
		  const char **why);

#endif
