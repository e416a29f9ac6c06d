/*
 * ipc.c - IPC transport: one message per SOCK_SEQPACKET record, at most one
 * fd per message (SCM_RIGHTS), and the per-receiver permission table.
 *
 * Trust zone: shared.  ipc_recv() is the first code that touches bytes from
 * another process, which may be compromised: it refuses (EPROTO) anything
 * that is not exactly one well-formed, permitted message, and closes any fd
 * that came with a refused message so a hostile peer cannot make us leak
 * descriptors.
 *
 * Design (after OpenSSH monitor_fdpass.c and vsftpd privsock.c):
 *  - The permission table is the state machine's first gate: a row per
 *    receiving channel, a column per type.  The master's rows never list
 *    IPC_RELAY_SESSION (invariant 1: the master accepts no message that
 *    carries a GSS context); the fd of RELAY_CHANNEL_MADE is authproc's end
 *    of a relay's pair, which only lets the master write to the relay,
 *    never read what authproc sends.  The spawner rows list the SPAWN_* types and,
 *    from a spawner, LOG; no other row lists a SPAWN_* type.
 *  - The fd rule per type (never / always / optional) is checked on send
 *    (a caller bug) and on receive (a hostile peer).
 *  - The control buffer has room for several fds so that a peer sending
 *    more than one is seen and all of them are closed, instead of relying
 *    on the kernel's truncation.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "ipc.h"

#define IPC_SEND_WAIT_MS 5000
/* Room to notice (and close) up to this many fds sent by a broken peer. */
#define IPC_CMSG_FDS_MAX 8

/* ---- tables ----------------------------------------------------------- */

static const struct {
	const char *name;
	enum ipc_fd_rule fd_rule;
} type_table[IPC_TYPE_COUNT] = {
	[IPC_NONE] = { "none", IPC_FD_NEVER },
	[IPC_AUTH_CLIENT] = { "auth-client", IPC_FD_ALWAYS },
	[IPC_AUTH_RELAY_CHANNEL] = { "auth-relay-channel", IPC_FD_ALWAYS },
	[IPC_AUTH_OK] = { "auth-ok", IPC_FD_NEVER },
	[IPC_AUTH_FAIL] = { "auth-fail", IPC_FD_NEVER },
	[IPC_RELAY_SESSION] = { "relay-session", IPC_FD_ALWAYS },
	[IPC_RELAY_REQUEST] = { "relay-request", IPC_FD_NEVER },
	[IPC_RELAY_SESSION_END] = { "relay-session-end", IPC_FD_NEVER },
	[IPC_RELAY_REQUEST_RESULT] = { "relay-request-result", IPC_FD_OPTIONAL },
	[IPC_RELAY_MAKE_CHANNEL] = { "relay-make-channel", IPC_FD_NEVER },
	[IPC_AUTH_LEVEL_QUERY] = { "auth-level-query", IPC_FD_NEVER },
	[IPC_AUTH_LEVEL_ANSWER] = { "auth-level-answer", IPC_FD_NEVER },
	[IPC_LOG] = { "log", IPC_FD_NEVER },
	[IPC_SPAWN_CHILD] = { "spawn-child", IPC_FD_ALWAYS },
	[IPC_SPAWN_RESULT] = { "spawn-result", IPC_FD_NEVER },
	[IPC_SPAWN_SIGNAL] = { "spawn-signal", IPC_FD_NEVER },
	[IPC_AUTH_CANCEL] = { "auth-cancel", IPC_FD_NEVER },
	[IPC_PING] = { "ping", IPC_FD_NEVER },
	[IPC_PONG] = { "pong", IPC_FD_NEVER },
	[IPC_RELAY_CHANNEL_MADE] = { "relay-channel-made", IPC_FD_ALWAYS },
	[IPC_RELAY_BIND_LISTENING] = { "relay-bind-listening", IPC_FD_NEVER },
	[IPC_RELAY_UDP_DEST] = { "relay-udp-dest", IPC_FD_NEVER },
	[IPC_RELAY_UDP_DEST_RESULT] = { "relay-udp-dest-result", IPC_FD_OPTIONAL },
	[IPC_RELAY_UDP_STATS] = { "relay-udp-stats", IPC_FD_NEVER },
	[IPC_RELAY_PROGRESS] = { "relay-progress", IPC_FD_NEVER },
	[IPC_RELAY_END_SESSION] = { "relay-end-session", IPC_FD_NEVER },
};

/* Which types each receiver accepts on which channel. */
static const bool permitted[IPC_CHAN_COUNT][IPC_TYPE_COUNT] = {
	[IPC_CHAN_MASTER_FROM_AUTHPROC] = {
		[IPC_AUTH_OK] = true,
		[IPC_AUTH_FAIL] = true,
		[IPC_AUTH_LEVEL_QUERY] = true,
		[IPC_LOG] = true,
		[IPC_PONG] = true,
	},
	[IPC_CHAN_MASTER_FROM_RELAY] = {
		[IPC_RELAY_REQUEST] = true,
		[IPC_RELAY_SESSION_END] = true,
		[IPC_RELAY_CHANNEL_MADE] = true,
		[IPC_RELAY_UDP_DEST] = true,
		[IPC_RELAY_UDP_STATS] = true,
		[IPC_RELAY_PROGRESS] = true,
		[IPC_LOG] = true,
		[IPC_PONG] = true,
	},
	[IPC_CHAN_AUTHPROC_FROM_MASTER] = {
		[IPC_AUTH_CLIENT] = true,
		[IPC_AUTH_RELAY_CHANNEL] = true,
		[IPC_AUTH_LEVEL_ANSWER] = true,
		[IPC_AUTH_CANCEL] = true,
		[IPC_PING] = true,
	},
	[IPC_CHAN_RELAY_FROM_MASTER] = {
		[IPC_RELAY_REQUEST_RESULT] = true,
		[IPC_RELAY_MAKE_CHANNEL] = true,
		[IPC_RELAY_BIND_LISTENING] = true,
		[IPC_RELAY_UDP_DEST_RESULT] = true,
		[IPC_RELAY_END_SESSION] = true,
		[IPC_PING] = true,
	},
	[IPC_CHAN_RELAY_FROM_AUTHPROC] = {
		[IPC_RELAY_SESSION] = true,
	},
	/* A spawner takes orders from the master only, and only these two. */
	[IPC_CHAN_SPAWNER_FROM_MASTER] = {
		[IPC_SPAWN_CHILD] = true,
		[IPC_SPAWN_SIGNAL] = true,
	},
	/* LOG: a spawner's own diagnostics (its stderr is /dev/null once
	 * gssocksd detached), written by the master as the children's. */
	[IPC_CHAN_MASTER_FROM_SPAWNER] = {
		[IPC_SPAWN_RESULT] = true,
		[IPC_LOG] = true,
	},
};

bool ipc_permitted(enum ipc_channel chan, uint16_t type)
{
	if ((unsigned)chan >= IPC_CHAN_COUNT)
		return false;
	if (type == IPC_NONE || type >= IPC_TYPE_COUNT)
		return false;
	return permitted[chan][type];
}

enum ipc_fd_rule ipc_fd_rule(uint16_t type)
{
	if (type >= IPC_TYPE_COUNT)
		return IPC_FD_NEVER;
	return type_table[type].fd_rule;
}

const char *ipc_type_name(uint16_t type)
{
	if (type >= IPC_TYPE_COUNT)
		return "unknown";
	return type_table[type].name;
}

const char *ipc_end_reason_name(uint8_t reason)
{
	switch ((enum ipc_end_reason)reason) {
	case IPC_END_CLIENT_CLOSE:
		return "client-close";
	case IPC_END_TARGET_CLOSE:
		return "target-close";
	case IPC_END_IDLE:
		return "idle";
	case IPC_END_UNWRAP_FAILURE:
		return "unwrap-failure";
	case IPC_END_PROTOCOL_ERROR:
		return "protocol-error";
	case IPC_END_REQUEST_REFUSED:
		return "request-refused";
	case IPC_END_IO_ERROR:
		return "io-error";
	case IPC_END_SHUTDOWN:
		return "shutdown";
	case IPC_END_TIMEOUT:
		return "timeout";
	case IPC_END_MAX_DURATION:
		return "max-duration";
	case IPC_END_ADMIN:
		return "admin";
	}
	return "unknown";
}

const char *ipc_udp_drop_name(unsigned drop)
{
	static const char *const names[IPC_UDP_DROP_COUNT] = {
		[IPC_UDP_DROP_SOURCE] = "source",
		[IPC_UDP_DROP_TOKEN] = "token",
		[IPC_UDP_DROP_REPLAY] = "replay",
		[IPC_UDP_DROP_FRAGMENT] = "fragment",
		[IPC_UDP_DROP_FORBIDDEN] = "forbidden",
		[IPC_UDP_DROP_MALFORMED] = "malformed",
		[IPC_UDP_DROP_LIMIT] = "limit",
		[IPC_UDP_DROP_SIZE] = "size",
		[IPC_UDP_DROP_SEND] = "send",
	};

	return drop < IPC_UDP_DROP_COUNT ? names[drop] : "unknown";
}

static bool fd_rule_holds(uint16_t type, bool has_fd)
{
	switch (ipc_fd_rule(type)) {
	case IPC_FD_NEVER:
		return !has_fd;
	case IPC_FD_ALWAYS:
		return has_fd;
	case IPC_FD_OPTIONAL:
		return true;
	}
	return false;
}

/* ---- send ------------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int send_message(int sock, uint16_t type, const void *payload, size_t len, int pass_fd,
			bool wait)
{
	uint8_t header[IPC_HEADER_LEN];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov[2];
	struct msghdr mh;
	struct wbuf wb;
	int64_t deadline = -1;
	ssize_t n;

	if (type == IPC_NONE || type >= IPC_TYPE_COUNT || !fd_rule_holds(type, pass_fd >= 0) ||
	    (len > 0 && payload == NULL)) {
		errno = EINVAL;
		return -1;
	}
	if (len > IPC_MAX_PAYLOAD) {
		errno = EMSGSIZE;
		return -1;
	}
	wbuf_init(&wb, header, sizeof(header));
	(void)wbuf_put_u16(&wb, type);
	(void)wbuf_put_u16(&wb, 0);
	(void)wbuf_put_u32(&wb, (uint32_t)len);

	memset(&mh, 0, sizeof(mh));
	iov[0].iov_base = header;
	iov[0].iov_len = sizeof(header);
	iov[1].iov_base = (void *)(uintptr_t)payload;
	iov[1].iov_len = len;
	mh.msg_iov = iov;
	mh.msg_iovlen = len > 0 ? 2 : 1;
	if (pass_fd >= 0) {
		struct cmsghdr *cm;

		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = sizeof(control.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
	}

	for (;;) {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL | (wait ? 0 : MSG_DONTWAIT));
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (!wait) {
			errno = EAGAIN;
			return -1;
		}
		/* A peer that does not drain its channel within 5 s is broken. */
		if (deadline < 0)
			deadline = now_ms() + IPC_SEND_WAIT_MS;
		for (;;) {
			struct pollfd pfd = { .fd = sock, .events = POLLOUT };
			int64_t left = deadline - now_ms();
			int r;

			if (left <= 0) {
				errno = ETIMEDOUT;
				return -1;
			}
			r = poll(&pfd, 1, (int)left);
			if (r > 0)
				break;
			if (r < 0 && errno != EINTR)
				return -1;
		}
	}
	if ((size_t)n != sizeof(header) + len) {
		/* SOCK_SEQPACKET sends are atomic; anything else is not our transport. */
		errno = EPROTO;
		return -1;
	}
	return 0;
}

int ipc_send(int sock, uint16_t type, const void *payload, size_t len, int pass_fd)
{
	return send_message(sock, type, payload, len, pass_fd, true);
}

int ipc_send_nowait(int sock, uint16_t type, const void *payload, size_t len, int pass_fd)
{
	return send_message(sock, type, payload, len, pass_fd, false);
}

/* ---- receive ---------------------------------------------------------- */

/*
 * Walk the control messages: close every fd that arrived and return the
 * single fd of a well-formed message through *fd_out.  Returns 0 when the
 * control data is acceptable (no cmsg, or exactly one SCM_RIGHTS with one
 * int), -1 otherwise (every received fd is then closed).
 */
static int take_control(struct msghdr *mh, int *fd_out)
{
	struct cmsghdr *cm;
	int count = 0;
	bool bad = false;
	int fd = -1;

	*fd_out = -1;
	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len >= CMSG_LEN(0)) {
			size_t nfds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (size_t i = 0; i < nfds; i++) {
				int one;

				memcpy(&one, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
				if (count++ == 0 && cm->cmsg_len == CMSG_LEN(sizeof(int))) {
					fd = one;
				} else {
					bad = true;
					if (one >= 0)
						close(one);
				}
			}
			if (cm->cmsg_len != CMSG_LEN(sizeof(int)))
				bad = true;
		} else {
			bad = true;
		}
	}
	if (bad) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*fd_out = fd;
	return 0;
}

static int refuse(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	errno = EPROTO;
	return -1;
}

int ipc_recv(int sock, enum ipc_channel chan, struct ipc_msg *msg)
{
	uint8_t header[IPC_HEADER_LEN];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * IPC_CMSG_FDS_MAX)];
	} control;
	struct iovec iov[2];
	struct msghdr mh;
	struct rbuf rb;
	uint16_t type, reserved;
	uint32_t len;
	ssize_t n;
	int fd;

	msg->type = IPC_NONE;
	msg->len = 0;
	msg->fd = -1;

	memset(&mh, 0, sizeof(mh));
	iov[0].iov_base = header;
	iov[0].iov_len = sizeof(header);
	iov[1].iov_base = msg->payload;
	iov[1].iov_len = sizeof(msg->payload);
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	mh.msg_control = control.buf;
	mh.msg_controllen = sizeof(control.buf);

	do {
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;

	if (take_control(&mh, &fd) < 0)
		return refuse(&fd);
	if (n == 0 && fd < 0)
		return 0;
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 || (size_t)n < IPC_HEADER_LEN)
		return refuse(&fd);

	rbuf_init(&rb, header, sizeof(header));
	(void)rbuf_get_u16(&rb, &type);
	(void)rbuf_get_u16(&rb, &reserved);
	(void)rbuf_get_u32(&rb, &len);
	if (rbuf_done(&rb) < 0 || reserved != 0 || len > IPC_MAX_PAYLOAD ||
	    (size_t)len != (size_t)n - IPC_HEADER_LEN)
		return refuse(&fd);
	if (!ipc_permitted(chan, type) || !fd_rule_holds(type, fd >= 0))
		return refuse(&fd);

	msg->type = type;
	msg->len = len;
	msg->fd = fd;
	return 1;
}
