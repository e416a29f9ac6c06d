/*
 * test_ipc.c - unit tests for ipc/: every message round-trips through a real
 * socketpair(AF_UNIX, SOCK_SEQPACKET) with its fd; the permission table
 * (including invariant 1: the master's channels never accept
 * IPC_RELAY_SESSION); fd rules; header checks (reserved, length, oversize,
 * several fds); every decoder refuses every truncation and trailing bytes;
 * range checks (level, REP, reason, context length, NUL in principal).
 * Refused messages must not leak the fd they carried.  The spawners'
 * messages (SPAWN_CHILD, SPAWN_RESULT, SPAWN_SIGNAL) likewise, and their
 * channels accept nothing else.  The watchdog's PING (master -> authproc
 * and relays) and PONG (back), with no fd, on those rows only.
 *
 * Trust zone: tests.  Raw messages are built by hand (raw_send) because the
 * real ipc_send refuses to break the rules.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gssframe.h"
#include "ipc.h"
#include "tap.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static struct ipc_msg msg;    /* ~96 KiB: static, as ipc.h asks */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;   /* the directory's own fd */
}

static void seqpair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("socketpair");
		exit(1);
	}
}

/* sendmsg a hand-made message with nfds copies of fd attached. */
static int raw_send(int sock, uint16_t type, uint16_t reserved, uint32_t len_field,
		    const void *payload, size_t len, int fd, int nfds)
{
	uint8_t header[IPC_HEADER_LEN];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} control;
	struct iovec iov[2];
	struct msghdr mh;
	struct wbuf wb;

	wbuf_init(&wb, header, sizeof(header));
	wbuf_put_u16(&wb, type);
	wbuf_put_u16(&wb, reserved);
	wbuf_put_u32(&wb, len_field);
	memset(&mh, 0, sizeof(mh));
	iov[0].iov_base = header;
	iov[0].iov_len = sizeof(header);
	iov[1].iov_base = (void *)(uintptr_t)payload;
	iov[1].iov_len = len;
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	if (nfds > 0) {
		struct cmsghdr *cm;

		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		for (int i = 0; i < nfds; i++)
			memcpy(CMSG_DATA(cm) + i * sizeof(int), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* The fd received is a live copy: bytes written to it reach `peer`. */
static bool fd_usable(int received, int peer)
{
	char c = 0;

	if (received < 0)
		return false;
	if (write(received, "z", 1) != 1)
		return false;
	if (read(peer, &c, 1) != 1)
		return false;
	return c == 'z' && (fcntl(received, F_GETFD) & FD_CLOEXEC) != 0;
}

/* Expect a refusal: -1/EPROTO, msg.fd -1, and no new fd left open. */
static void expect_refused(int sock, enum ipc_channel chan, int fds_before, const char *what)
{
	int r;

	errno = 0;
	r = ipc_recv(sock, chan, &msg);
	ok(r == -1 && errno == EPROTO && msg.fd == -1, "%s: refused with EPROTO", what);
	is_int(count_fds(), fds_before, "%s: no fd leaked", what);
}

/* ---- sample messages -------------------------------------------------- */

static const uint8_t context_bytes[] = "exported-context\x00\x01\x02";

static const struct ipc_auth_client s_auth_client = {
	.session_id = 0x0102030405060708ull, .relay_slot = 3, .peer = "192.0.2.1:40000",
};
static const struct ipc_auth_relay_channel s_channel = { .relay_slot = 7, .generation = 0xfffffffe,
							  .authproc_slot = 3 };
static const struct ipc_auth_ok s_auth_ok = {
	.session_id = 42, .level = GSS_LEVEL_CONFIDENTIALITY, .nec = 1,
	.principal = "alice@GSSOCKS.TEST", .mechanism = "krb5",
	.service = "rcmd/localhost@GSSOCKS.TEST",
};
static const struct ipc_auth_fail s_auth_fail = { .session_id = 43, .reason = "gss_accept_sec_context: bad" };
static const struct ipc_auth_level_query s_level_query = {
	.session_id = 49, .requested = GSS_LEVEL_CONFIDENTIALITY, .nec = 1,
	.flags = 0x3c, .principal = "carol@GSSOCKS.TEST", .mechanism = "krb5",
};
static const struct ipc_auth_level_answer s_level_answer = {
	.session_id = 50, .level = IPC_LEVEL_ABORT, .reason = "session-limit",
};
static const struct ipc_relay_session s_session = {
	.session_id = 44, .level = GSS_LEVEL_INTEGRITY, .principal = "bob@GSSOCKS.TEST",
	.context = context_bytes, .context_len = sizeof(context_bytes),
};
static const struct ipc_relay_request s_request = {
	.session_id = 45,
	.request = { .cmd = SOCKS5_CMD_CONNECT,
		     .dst = { .atyp = SOCKS5_ATYP_DOMAIN, .u.name = "example.com", .port = 443 } },
};
static const struct ipc_relay_request_result s_result_ok = {
	.session_id = 46, .rep = 0, .idle_timeout = 300, .max_duration = 0xfffffff0u,
	.bound = { .atyp = SOCKS5_ATYP_IPV6, .u.ipv6 = { 0x20, 1, [15] = 7 }, .port = 5555 },
};
static const struct ipc_relay_request_result s_result_fail = { .session_id = 47, .rep = SOCKS5_REP_REFUSED };
static const struct ipc_relay_session_end s_end = {
	.session_id = 48, .bytes_from_client = 1ull << 40, .bytes_to_client = 12345,
	.reason = IPC_END_TARGET_CLOSE,
};

static const struct ipc_spawn_child s_spawn_child = { .slot = 5 };
static const struct ipc_spawn_result s_spawn_ok = { .pid = 4242, .error = 0 };
static const struct ipc_spawn_result s_spawn_failed = { .pid = 0, .error = EAGAIN };
static const struct ipc_spawn_signal s_spawn_signal = { .pid = 4242, .signal = SIGTERM };

/* ---- round trips ------------------------------------------------------ */

static void test_round_trips(void)
{
	int sv[2], carried[2];
	struct ipc_auth_client ac;
	struct ipc_auth_relay_channel ch;
	struct ipc_auth_ok ao;
	struct ipc_auth_fail af;
	struct ipc_relay_session rs;
	struct ipc_relay_request rq;
	struct ipc_relay_request_result rr;
	struct ipc_relay_session_end se;
	struct ipc_auth_level_query lq;
	struct ipc_auth_level_answer la;

	seqpair(sv);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, carried) < 0)
		exit(1);

	ok(ipc_send_auth_client(sv[0], &s_auth_client, carried[0]) == 0, "send AUTH_CLIENT");
	ok(ipc_recv(sv[1], IPC_CHAN_AUTHPROC_FROM_MASTER, &msg) == 1 && msg.type == IPC_AUTH_CLIENT,
	   "recv AUTH_CLIENT");
	ok(ipc_decode_auth_client(&msg, &ac) == 0 && ac.session_id == s_auth_client.session_id &&
	   ac.relay_slot == 3 && strcmp(ac.peer, s_auth_client.peer) == 0, "AUTH_CLIENT fields");
	ok(fd_usable(msg.fd, carried[1]), "AUTH_CLIENT fd usable and close-on-exec");
	close(msg.fd);

	ok(ipc_send_relay_channel(sv[0], IPC_AUTH_RELAY_CHANNEL, &s_channel, carried[0]) == 0,
	   "send AUTH_RELAY_CHANNEL");
	ok(ipc_recv(sv[1], IPC_CHAN_AUTHPROC_FROM_MASTER, &msg) == 1 &&
	   ipc_decode_relay_channel(&msg, &ch) == 0 && ch.relay_slot == 7 &&
	   ch.generation == 0xfffffffe && ch.authproc_slot == 3, "AUTH_RELAY_CHANNEL fields");
	ok(fd_usable(msg.fd, carried[1]), "AUTH_RELAY_CHANNEL fd usable");
	close(msg.fd);

	ok(ipc_send_relay_channel(sv[0], IPC_RELAY_MAKE_CHANNEL, &s_channel, -1) == 0,
	   "send RELAY_MAKE_CHANNEL");
	ok(ipc_recv(sv[1], IPC_CHAN_RELAY_FROM_MASTER, &msg) == 1 && msg.fd == -1 &&
	   msg.type == IPC_RELAY_MAKE_CHANNEL && ipc_decode_relay_channel(&msg, &ch) == 0 &&
	   ch.relay_slot == 7 && ch.generation == 0xfffffffe && ch.authproc_slot == 3,
	   "RELAY_MAKE_CHANNEL fields, no fd");
	ok(ipc_send_relay_channel(sv[0], IPC_RELAY_MAKE_CHANNEL, &s_channel, carried[0]) < 0 &&
	   errno == EINVAL, "send RELAY_MAKE_CHANNEL with an fd refused");

	ok(ipc_send_relay_channel(sv[0], IPC_RELAY_CHANNEL_MADE, &s_channel, carried[0]) == 0,
	   "send RELAY_CHANNEL_MADE");
	ok(ipc_recv(sv[1], IPC_CHAN_MASTER_FROM_RELAY, &msg) == 1 &&
	   msg.type == IPC_RELAY_CHANNEL_MADE && ipc_decode_relay_channel(&msg, &ch) == 0 &&
	   ch.relay_slot == 7 && ch.generation == 0xfffffffe && ch.authproc_slot == 3,
	   "RELAY_CHANNEL_MADE fields");
	ok(fd_usable(msg.fd, carried[1]), "RELAY_CHANNEL_MADE fd usable");
	close(msg.fd);
	ok(ipc_send_relay_channel(sv[0], IPC_RELAY_CHANNEL_MADE, &s_channel, -1) < 0 &&
	   errno == EINVAL, "send RELAY_CHANNEL_MADE without an fd refused");
	ok(ipc_send_relay_channel(sv[0], IPC_AUTH_OK, &s_channel, carried[0]) < 0 && errno == EINVAL,
	   "send_relay_channel refuses another type");

	ok(ipc_send_auth_ok(sv[0], &s_auth_ok) == 0, "send AUTH_OK");
	ok(ipc_recv(sv[1], IPC_CHAN_MASTER_FROM_AUTHPROC, &msg) == 1 && msg.fd == -1 &&
	   ipc_decode_auth_ok(&msg, &ao) == 0 && ao.session_id == 42 && ao.level == 2 &&
	   ao.nec == 1 && strcmp(ao.principal, "alice@GSSOCKS.TEST") == 0 &&
	   strcmp(ao.mechanism, "krb5") == 0 &&
	   strcmp(ao.service, "rcmd/localhost@GSSOCKS.TEST") == 0, "AUTH_OK fields");

	ok(ipc_send_auth_fail(sv[0], &s_auth_fail) == 0, "send AUTH_FAIL");
	ok(ipc_recv(sv[1], IPC_CHAN_MASTER_FROM_AUTHPROC, &msg) == 1 &&
	   ipc_decode_auth_fail(&msg, &af) == 0 && af.session_id == 43 &&
	   strcmp(af.reason, s_auth_fail.reason) == 0, "AUTH_FAIL fields");

	ok(ipc_send_auth_level_query(sv[0], &s_level_query) == 0, "send AUTH_LEVEL_QUERY");
	ok(ipc_recv(sv[1], IPC_CHAN_MASTER_FROM_AUTHPROC, &msg) == 1 && msg.fd == -1 &&
	   ipc_decode_auth_level_query(&msg, &lq) == 0 && lq.session_id == 49 &&
	   lq.requested == 2 && lq.nec == 1 && lq.flags == 0x3c &&
	   strcmp(lq.principal, "carol@GSSOCKS.TEST") == 0 && strcmp(lq.mechanism, "krb5") == 0,
	   "AUTH_LEVEL_QUERY fields");

	ok(ipc_send_auth_level_answer(sv[0], &s_level_answer) == 0, "send AUTH_LEVEL_ANSWER");
	ok(ipc_recv(sv[1], IPC_CHAN_AUTHPROC_FROM_MASTER, &msg) == 1 && msg.fd == -1 &&
	   ipc_decode_auth_level_answer(&msg, &la) == 0 && la.session_id == 50 &&
	   la.level == IPC_LEVEL_ABORT && strcmp(la.reason, "session-limit") == 0,
	   "AUTH_LEVEL_ANSWER fields");

	ok(ipc_send_relay_session(sv[0], &s_session, carried[0]) == 0, "send RELAY_SESSION");
	ok(ipc_recv(sv[1], IPC_CHAN_RELAY_FROM_AUTHPROC, &msg) == 1 &&
	   ipc_decode_relay_session(&msg, &rs) == 0 && rs.session_id == 44 && rs.level == 1 &&
	   strcmp(rs.principal, "bob@GSSOCKS.TEST") == 0 &&
	   rs.context_len == sizeof(context_bytes) &&
	   memcmp(rs.context, context_bytes, sizeof(context_bytes)) == 0 &&
	   rs.context >= msg.payload && rs.context < msg.payload + msg.len,
	   "RELAY_SESSION fields, context borrowed from msg");
	ok(fd_usable(msg.fd, carried[1]), "RELAY_SESSION fd usable");
	close(msg.fd);

	ok(ipc_send_relay_request(sv[0], &s_request) == 0, "send RELAY_REQUEST");
	ok(ipc_recv(sv[1], IPC_CHAN_MASTER_FROM_RELAY, &msg) == 1 &&
	   ipc_decode_relay_request(&msg, &rq) == 0 && rq.session_id == 45 &&
	   rq.request.cmd == 1 && rq.request.dst.atyp == SOCKS5_ATYP_DOMAIN &&
	   strcmp(rq.request.dst.u.name, "example.com") == 0 && rq.request.dst.port == 443,
	   "RELAY_REQUEST fields");

	ok(ipc_send_request_result(sv[0], &s_result_ok, carried[0]) == 0, "send REQUEST_RESULT ok");
	ok(ipc_recv(sv[1], IPC_CHAN_RELAY_FROM_MASTER, &msg) == 1 &&
	   ipc_decode_request_result(&msg, &rr) == 0 && rr.session_id == 46 && rr.rep == 0 &&
	   memcmp(&rr.bound, &s_result_ok.bound, sizeof(rr.bound)) == 0 &&
	   rr.idle_timeout == 300 && rr.max_duration == 0xfffffff0u,
	   "REQUEST_RESULT ok fields (with the session limits)");
	ok(fd_usable(msg.fd, carried[1]), "REQUEST_RESULT outbound fd usable");
	close(msg.fd);

	ok(ipc_send_request_result(sv[0], &s_result_fail, -1) == 0, "send REQUEST_RESULT refused");
	ok(ipc_recv(sv[1], IPC_CHAN_RELAY_FROM_MASTER, &msg) == 1 && msg.fd == -1 &&
	   ipc_decode_request_result(&msg, &rr) == 0 && rr.rep == 5 &&
	   rr.bound.atyp == SOCKS5_ATYP_IPV4 && rr.bound.port == 0,
	   "REQUEST_RESULT failure, zeroed bound sent as 0.0.0.0:0");
	ok(ipc_send_request_result(sv[0], &s_result_fail, carried[0]) < 0 && errno == EINVAL,
	   "send REQUEST_RESULT failure with fd refused");
	ok(ipc_send_request_result(sv[0], &s_result_ok, -1) < 0 && errno == EINVAL,
	   "send REQUEST_RESULT success without fd refused");

	ok(ipc_send_session_end(sv[0], &s_end) == 0, "send SESSION_END");
	ok(ipc_recv(sv[1], IPC_CHAN_MASTER_FROM_RELAY, &msg) == 1 &&
	   ipc_decode_session_end(&msg, &se) == 0 && se.session_id == 48 &&
	   se.bytes_from_client == 1ull << 40 && se.bytes_to_client == 12345 &&
	   se.reason == IPC_END_TARGET_CLOSE, "SESSION_END fields");

	/* EAGAIN on an empty non-blocking channel, 0 at end of file. */
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	errno = 0;
	ok(ipc_recv(sv[1], IPC_CHAN_MASTER_FROM_RELAY, &msg) == -1 && errno == EAGAIN,
	   "nothing waiting: EAGAIN");
	close(sv[0]);
	is_int(ipc_recv(sv[1], IPC_CHAN_MASTER_FROM_RELAY, &msg), 0, "peer closed: 0");
	close(sv[1]);
	close(carried[0]);
	close(carried[1]);
}

/* ---- permission table ------------------------------------------------- */

static void test_permissions(void)
{
	static const struct {
		enum ipc_channel chan;
		const char *name;
		uint16_t allowed[8];
	} rows[] = {
		{ IPC_CHAN_MASTER_FROM_AUTHPROC, "master<-authproc",
		  { IPC_AUTH_OK, IPC_AUTH_FAIL, IPC_AUTH_LEVEL_QUERY, IPC_LOG, IPC_PONG, IPC_PONG, IPC_PONG,
		    IPC_PONG } },
		{ IPC_CHAN_MASTER_FROM_RELAY, "master<-relay",
		  { IPC_RELAY_REQUEST, IPC_RELAY_SESSION_END, IPC_LOG, IPC_PONG,
		    IPC_RELAY_CHANNEL_MADE, IPC_RELAY_UDP_DEST, IPC_RELAY_UDP_STATS,
		    IPC_RELAY_PROGRESS } },
		{ IPC_CHAN_AUTHPROC_FROM_MASTER, "authproc<-master",
		  { IPC_AUTH_CLIENT, IPC_AUTH_RELAY_CHANNEL, IPC_AUTH_LEVEL_ANSWER,
		    IPC_AUTH_CANCEL, IPC_PING, IPC_PING, IPC_PING, IPC_PING } },
		{ IPC_CHAN_RELAY_FROM_MASTER, "relay<-master",
		  { IPC_RELAY_REQUEST_RESULT, IPC_RELAY_MAKE_CHANNEL, IPC_PING,
		    IPC_RELAY_BIND_LISTENING, IPC_RELAY_UDP_DEST_RESULT, IPC_RELAY_END_SESSION,
		    IPC_PING, IPC_PING } },
		{ IPC_CHAN_RELAY_FROM_AUTHPROC, "relay<-authproc",
		  { IPC_RELAY_SESSION, IPC_RELAY_SESSION, IPC_RELAY_SESSION, IPC_RELAY_SESSION,
		    IPC_RELAY_SESSION, IPC_RELAY_SESSION, IPC_RELAY_SESSION, IPC_RELAY_SESSION } },
		{ IPC_CHAN_SPAWNER_FROM_MASTER, "spawner<-master",
		  { IPC_SPAWN_CHILD, IPC_SPAWN_SIGNAL, IPC_SPAWN_SIGNAL, IPC_SPAWN_SIGNAL,
		    IPC_SPAWN_SIGNAL, IPC_SPAWN_SIGNAL, IPC_SPAWN_SIGNAL, IPC_SPAWN_SIGNAL } },
		{ IPC_CHAN_MASTER_FROM_SPAWNER, "master<-spawner",
		  { IPC_SPAWN_RESULT, IPC_LOG, IPC_LOG, IPC_LOG, IPC_LOG, IPC_LOG, IPC_LOG, IPC_LOG } },
	};

	for (size_t i = 0; i < LEN(rows); i++) {
		bool good = true;

		for (unsigned t = 0; t < 300; t++) {
			bool want = false;

			for (size_t k = 0; k < LEN(rows[i].allowed); k++)
				want = want || t == rows[i].allowed[k];

			if (ipc_permitted(rows[i].chan, (uint16_t)t) != want)
				good = false;
		}
		ok(good && !ipc_permitted(rows[i].chan, 0xffff), "permission row %s exact", rows[i].name);
	}
	ok(!ipc_permitted(IPC_CHAN_MASTER_FROM_AUTHPROC, IPC_RELAY_SESSION),
	   "invariant 1: master<-authproc refuses RELAY_SESSION");
	ok(!ipc_permitted(IPC_CHAN_MASTER_FROM_RELAY, IPC_RELAY_SESSION),
	   "invariant 1: master<-relay refuses RELAY_SESSION");
	ok(!ipc_permitted(IPC_CHAN_AUTHPROC_FROM_MASTER, IPC_RELAY_CHANNEL_MADE) &&
	   !ipc_permitted(IPC_CHAN_RELAY_FROM_MASTER, IPC_RELAY_CHANNEL_MADE) &&
	   !ipc_permitted(IPC_CHAN_MASTER_FROM_AUTHPROC, IPC_RELAY_CHANNEL_MADE),
	   "RELAY_CHANNEL_MADE only from a relay to the master");
	is_int(ipc_fd_rule(IPC_RELAY_MAKE_CHANNEL), IPC_FD_NEVER, "fd rule RELAY_MAKE_CHANNEL never");
	is_int(ipc_fd_rule(IPC_RELAY_CHANNEL_MADE), IPC_FD_ALWAYS,
	       "fd rule RELAY_CHANNEL_MADE always");
	is_int(ipc_fd_rule(IPC_AUTH_RELAY_CHANNEL), IPC_FD_ALWAYS,
	       "fd rule AUTH_RELAY_CHANNEL always");
	is_str(ipc_type_name(IPC_RELAY_MAKE_CHANNEL), "relay-make-channel",
	       "RELAY_MAKE_CHANNEL type name");
	is_str(ipc_type_name(IPC_RELAY_CHANNEL_MADE), "relay-channel-made",
	       "RELAY_CHANNEL_MADE type name");
	ok(!ipc_permitted((enum ipc_channel)99, IPC_AUTH_OK), "unknown channel refuses all");
	ok(!ipc_permitted(IPC_CHAN_COUNT, IPC_SPAWN_RESULT), "IPC_CHAN_COUNT is no channel");
	is_int(ipc_fd_rule(IPC_SPAWN_CHILD), IPC_FD_ALWAYS, "fd rule SPAWN_CHILD always");
	is_int(ipc_fd_rule(IPC_SPAWN_RESULT), IPC_FD_NEVER, "fd rule SPAWN_RESULT never");
	is_int(ipc_fd_rule(IPC_SPAWN_SIGNAL), IPC_FD_NEVER, "fd rule SPAWN_SIGNAL never");
	is_str(ipc_type_name(IPC_SPAWN_CHILD), "spawn-child", "SPAWN_CHILD type name");
	is_str(ipc_type_name(IPC_SPAWN_RESULT), "spawn-result", "SPAWN_RESULT type name");
	is_str(ipc_type_name(IPC_SPAWN_SIGNAL), "spawn-signal", "SPAWN_SIGNAL type name");
	{
		bool only_spawners = true;

		for (int c = 0; c < IPC_CHAN_COUNT; c++) {
			if (c == IPC_CHAN_SPAWNER_FROM_MASTER || c == IPC_CHAN_MASTER_FROM_SPAWNER)
				continue;
			for (uint16_t t = IPC_SPAWN_CHILD; t <= IPC_SPAWN_SIGNAL; t++)
				if (ipc_permitted((enum ipc_channel)c, t))
					only_spawners = false;
		}
		ok(only_spawners, "no child channel accepts a SPAWN_* message");
		ok(!ipc_permitted(IPC_CHAN_SPAWNER_FROM_MASTER, IPC_LOG),
		   "spawner<-master refuses LOG (the master sends a spawner no text)");
	}

	is_int(ipc_fd_rule(IPC_AUTH_CLIENT), IPC_FD_ALWAYS, "fd rule AUTH_CLIENT always");
	is_int(ipc_fd_rule(IPC_RELAY_SESSION), IPC_FD_ALWAYS, "fd rule RELAY_SESSION always");
	is_int(ipc_fd_rule(IPC_AUTH_OK), IPC_FD_NEVER, "fd rule AUTH_OK never");
	is_int(ipc_fd_rule(IPC_RELAY_REQUEST_RESULT), IPC_FD_OPTIONAL, "fd rule REQUEST_RESULT optional");
	is_str(ipc_type_name(IPC_RELAY_SESSION), "relay-session", "type name");
	is_str(ipc_type_name(999), "unknown", "unknown type name");
	is_str(ipc_end_reason_name(IPC_END_UNWRAP_FAILURE), "unwrap-failure", "end reason name");
	is_str(ipc_end_reason_name(0), "unknown", "end reason 0 name");
	is_str(ipc_end_reason_name(IPC_END_MAX_DURATION), "max-duration", "end reason max-duration");
	is_int(ipc_fd_rule(IPC_AUTH_LEVEL_QUERY), IPC_FD_NEVER, "fd rule AUTH_LEVEL_QUERY never");
	is_int(ipc_fd_rule(IPC_AUTH_LEVEL_ANSWER), IPC_FD_NEVER, "fd rule AUTH_LEVEL_ANSWER never");
	is_int(ipc_fd_rule(IPC_LOG), IPC_FD_NEVER, "fd rule LOG never");
	is_str(ipc_type_name(IPC_LOG), "log", "LOG type name");
	ok(!ipc_permitted(IPC_CHAN_AUTHPROC_FROM_MASTER, IPC_LOG) &&
	   !ipc_permitted(IPC_CHAN_RELAY_FROM_MASTER, IPC_LOG) &&
	   !ipc_permitted(IPC_CHAN_RELAY_FROM_AUTHPROC, IPC_LOG),
	   "LOG only travels child -> master");
	is_int(ipc_fd_rule(IPC_PING), IPC_FD_NEVER, "fd rule PING never");
	is_int(ipc_fd_rule(IPC_PONG), IPC_FD_NEVER, "fd rule PONG never");
	is_str(ipc_type_name(IPC_PING), "ping", "PING type name");
	is_str(ipc_type_name(IPC_PONG), "pong", "PONG type name");
	ok(!ipc_permitted(IPC_CHAN_RELAY_FROM_AUTHPROC, IPC_PING) &&
	   !ipc_permitted(IPC_CHAN_SPAWNER_FROM_MASTER, IPC_PING) &&
	   !ipc_permitted(IPC_CHAN_MASTER_FROM_SPAWNER, IPC_PONG),
	   "PING/PONG only between the master and authproc or a relay");
	is_int(ipc_fd_rule(IPC_RELAY_PROGRESS), IPC_FD_NEVER, "fd rule RELAY_PROGRESS never");
	is_int(ipc_fd_rule(IPC_RELAY_END_SESSION), IPC_FD_NEVER, "fd rule RELAY_END_SESSION never");
	is_str(ipc_type_name(IPC_RELAY_PROGRESS), "relay-progress", "RELAY_PROGRESS type name");
	is_str(ipc_type_name(IPC_RELAY_END_SESSION), "relay-end-session",
	       "RELAY_END_SESSION type name");
	is_str(ipc_end_reason_name(IPC_END_ADMIN), "admin", "end reason admin");
	ok(!ipc_permitted(IPC_CHAN_MASTER_FROM_AUTHPROC, IPC_RELAY_PROGRESS) &&
	   !ipc_permitted(IPC_CHAN_AUTHPROC_FROM_MASTER, IPC_RELAY_END_SESSION) &&
	   !ipc_permitted(IPC_CHAN_RELAY_FROM_AUTHPROC, IPC_RELAY_END_SESSION) &&
	   !ipc_permitted(IPC_CHAN_MASTER_FROM_RELAY, IPC_RELAY_END_SESSION),
	   "RELAY_PROGRESS only relay -> master, RELAY_END_SESSION only master -> relay");
}

/* ---- transport refusals ----------------------------------------------- */

static void test_refusals(void)
{
	uint8_t payload[64];
	struct wbuf wb;
	int sv[2], carried[2];
	int before;

	seqpair(sv);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, carried) < 0)
		exit(1);
	before = count_fds();

	/* invariant 1 through the real transport: context + fd at the master */
	ok(ipc_send_relay_session(sv[0], &s_session, carried[0]) == 0, "authproc sends RELAY_SESSION");
	expect_refused(sv[1], IPC_CHAN_MASTER_FROM_AUTHPROC, before,
		       "RELAY_SESSION on master<-authproc");
	ok(ipc_send_relay_session(sv[0], &s_session, carried[0]) == 0, "relay-side sends RELAY_SESSION");
	expect_refused(sv[1], IPC_CHAN_MASTER_FROM_RELAY, before, "RELAY_SESSION on master<-relay");

	ok(ipc_send_auth_client(sv[0], &s_auth_client, carried[0]) == 0, "send AUTH_CLIENT");
	expect_refused(sv[1], IPC_CHAN_RELAY_FROM_MASTER, before, "AUTH_CLIENT on relay<-master");

	/* fd rules, with hand-made messages */
	wbuf_init(&wb, payload, sizeof(payload));
	ipc_encode_auth_ok(&wb, &s_auth_ok);
	ok(ipc_send(sv[0], IPC_AUTH_OK, payload, wb.len, carried[0]) < 0 && errno == EINVAL,
	   "ipc_send itself refuses an fd on AUTH_OK");
	raw_send(sv[0], IPC_AUTH_OK, 0, (uint32_t)wb.len, payload, wb.len, carried[0], 1);
	expect_refused(sv[1], IPC_CHAN_MASTER_FROM_AUTHPROC, before, "fd on AUTH_OK");

	wbuf_init(&wb, payload, sizeof(payload));
	ipc_encode_auth_client(&wb, &s_auth_client);
	ok(ipc_send(sv[0], IPC_AUTH_CLIENT, payload, wb.len, -1) < 0 && errno == EINVAL,
	   "ipc_send itself refuses AUTH_CLIENT without fd");
	raw_send(sv[0], IPC_AUTH_CLIENT, 0, (uint32_t)wb.len, payload, wb.len, -1, 0);
	expect_refused(sv[1], IPC_CHAN_AUTHPROC_FROM_MASTER, before, "AUTH_CLIENT without fd");

	raw_send(sv[0], IPC_AUTH_CLIENT, 0, (uint32_t)wb.len, payload, wb.len, carried[0], 2);
	expect_refused(sv[1], IPC_CHAN_AUTHPROC_FROM_MASTER, before, "AUTH_CLIENT with two fds");

	/* header checks */
	raw_send(sv[0], IPC_AUTH_CLIENT, 1, (uint32_t)wb.len, payload, wb.len, carried[0], 1);
	expect_refused(sv[1], IPC_CHAN_AUTHPROC_FROM_MASTER, before, "reserved field not zero");
	raw_send(sv[0], IPC_AUTH_CLIENT, 0, (uint32_t)wb.len + 1, payload, wb.len, carried[0], 1);
	expect_refused(sv[1], IPC_CHAN_AUTHPROC_FROM_MASTER, before, "length field one too large");
	raw_send(sv[0], IPC_AUTH_CLIENT, 0, (uint32_t)wb.len - 1, payload, wb.len, carried[0], 1);
	expect_refused(sv[1], IPC_CHAN_AUTHPROC_FROM_MASTER, before, "length field one too small");
	raw_send(sv[0], IPC_AUTH_CLIENT, 0, 0xffffffffu, payload, wb.len, carried[0], 1);
	expect_refused(sv[1], IPC_CHAN_AUTHPROC_FROM_MASTER, before, "length field 4 GiB");
	raw_send(sv[0], 0, 0, 0, NULL, 0, -1, 0);
	expect_refused(sv[1], IPC_CHAN_AUTHPROC_FROM_MASTER, before, "type 0");
	raw_send(sv[0], IPC_TYPE_COUNT, 0, 0, NULL, 0, -1, 0);
	expect_refused(sv[1], IPC_CHAN_AUTHPROC_FROM_MASTER, before, "type IPC_TYPE_COUNT");
	raw_send(sv[0], 0xffff, 0, 0, NULL, 0, carried[0], 1);
	expect_refused(sv[1], IPC_CHAN_AUTHPROC_FROM_MASTER, before, "type 0xffff with fd");

	/* shorter than a header: a bare 3-octet record */
	ok(send(sv[0], "\x00\x03\x00", 3, 0) == 3, "send 3-octet record");
	expect_refused(sv[1], IPC_CHAN_MASTER_FROM_AUTHPROC, before, "record shorter than header");

	/* a record bigger than header + IPC_MAX_PAYLOAD is truncated by recvmsg */
	{
		static uint8_t huge[IPC_MAX_PAYLOAD + 1];
		int sndbuf = 4 * IPC_MAX_PAYLOAD;

		setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
		ok(raw_send(sv[0], IPC_AUTH_CLIENT, 0, sizeof(huge), huge, sizeof(huge),
			    carried[0], 1) == 0, "send oversized record");
		expect_refused(sv[1], IPC_CHAN_AUTHPROC_FROM_MASTER, before, "oversized record");
		/* only MSG_TRUNC can tell: the header matches what fits */
		ok(raw_send(sv[0], IPC_AUTH_CLIENT, 0, IPC_MAX_PAYLOAD, huge, sizeof(huge),
			    carried[0], 1) == 0, "send oversized record with a lying length");
		expect_refused(sv[1], IPC_CHAN_AUTHPROC_FROM_MASTER, before,
			       "oversized record whose length field matches the truncation");
		ok(ipc_send(sv[0], IPC_AUTH_CLIENT, huge, sizeof(huge), carried[0]) < 0 &&
		   errno == EMSGSIZE, "ipc_send refuses payload > IPC_MAX_PAYLOAD");
	}

	/* the channel still works after all that */
	ok(ipc_send_auth_client(sv[0], &s_auth_client, carried[0]) == 0 &&
	   ipc_recv(sv[1], IPC_CHAN_AUTHPROC_FROM_MASTER, &msg) == 1, "channel usable after refusals");
	close(msg.fd);
	close(sv[0]);
	close(sv[1]);
	close(carried[0]);
	close(carried[1]);
}

/* ---- decoders: every truncation, trailing bytes, ranges --------------- */

typedef int (*decode_fn)(const struct ipc_msg *m);

static int dec_auth_client(const struct ipc_msg *m) { struct ipc_auth_client x; return ipc_decode_auth_client(m, &x); }
static int dec_channel(const struct ipc_msg *m) { struct ipc_auth_relay_channel x; return ipc_decode_relay_channel(m, &x); }
static int dec_auth_ok(const struct ipc_msg *m) { struct ipc_auth_ok x; return ipc_decode_auth_ok(m, &x); }
static int dec_auth_fail(const struct ipc_msg *m) { struct ipc_auth_fail x; return ipc_decode_auth_fail(m, &x); }
static int dec_session(const struct ipc_msg *m) { struct ipc_relay_session x; return ipc_decode_relay_session(m, &x); }
static int dec_request(const struct ipc_msg *m) { struct ipc_relay_request x; return ipc_decode_relay_request(m, &x); }
static int dec_result(const struct ipc_msg *m) { struct ipc_relay_request_result x; return ipc_decode_request_result(m, &x); }
static int dec_end(const struct ipc_msg *m) { struct ipc_relay_session_end x; return ipc_decode_session_end(m, &x); }
static int dec_level_query(const struct ipc_msg *m) { struct ipc_auth_level_query x; return ipc_decode_auth_level_query(m, &x); }
static int dec_level_answer(const struct ipc_msg *m) { struct ipc_auth_level_answer x; return ipc_decode_auth_level_answer(m, &x); }
static int dec_auth_cancel(const struct ipc_msg *m) { struct ipc_auth_cancel x; return ipc_decode_auth_cancel(m, &x); }
static const struct ipc_auth_cancel s_auth_cancel = { .session_id = 77 };
static int dec_log(const struct ipc_msg *m) { static struct ipc_log x; return ipc_decode_log(m, &x); }
static const struct ipc_log s_log = { .level = 1, .text = "unwrap failed: bad token" };
static int dec_spawn_child(const struct ipc_msg *m) { struct ipc_spawn_child x; return ipc_decode_spawn_child(m, &x); }
static int dec_spawn_result(const struct ipc_msg *m) { struct ipc_spawn_result x; return ipc_decode_spawn_result(m, &x); }
static int dec_spawn_signal(const struct ipc_msg *m) { struct ipc_spawn_signal x; return ipc_decode_spawn_signal(m, &x); }
static int dec_ping(const struct ipc_msg *m) { struct ipc_ping x; return ipc_decode_ping(m, &x); }
static int dec_pong(const struct ipc_msg *m) { struct ipc_ping x; return ipc_decode_pong(m, &x); }
static const struct ipc_ping s_ping = { .seq = 0xfedcba98u };
static int dec_bind_listening(const struct ipc_msg *m) { struct ipc_relay_bind_listening x; return ipc_decode_bind_listening(m, &x); }
static const struct ipc_relay_bind_listening s_bind_listening = {
	.session_id = 77, .bound = { .atyp = SOCKS5_ATYP_IPV6, .port = 40001,
				     .u.ipv6 = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 } } };
static int dec_progress(const struct ipc_msg *m) { static struct ipc_relay_progress x; return ipc_decode_relay_progress(m, &x); }
static int dec_end_session(const struct ipc_msg *m) { struct ipc_relay_end_session x; return ipc_decode_relay_end_session(m, &x); }
static const struct ipc_relay_progress s_progress = { .count = 2, .entry = {
	{ 5, 100, 200 }, { 0xffffffffffffffffull, 0, 0xffffffffffffffffull } } };
static const struct ipc_relay_end_session s_end_session = { .session_id = 42 };

static void test_decoder_truncation(void)
{
	static uint8_t enc[IPC_MAX_PAYLOAD];
	struct {
		const char *name;
		uint16_t type;
		decode_fn decode;
		int fd;
	} rows[] = {
		{ "AUTH_CLIENT", IPC_AUTH_CLIENT, dec_auth_client, 99 },
		{ "AUTH_RELAY_CHANNEL", IPC_AUTH_RELAY_CHANNEL, dec_channel, 99 },
		{ "RELAY_MAKE_CHANNEL", IPC_RELAY_MAKE_CHANNEL, dec_channel, -1 },
		{ "RELAY_CHANNEL_MADE", IPC_RELAY_CHANNEL_MADE, dec_channel, 99 },
		{ "AUTH_OK", IPC_AUTH_OK, dec_auth_ok, -1 },
		{ "AUTH_FAIL", IPC_AUTH_FAIL, dec_auth_fail, -1 },
		{ "RELAY_SESSION", IPC_RELAY_SESSION, dec_session, 99 },
		{ "RELAY_REQUEST", IPC_RELAY_REQUEST, dec_request, -1 },
		{ "REQUEST_RESULT", IPC_RELAY_REQUEST_RESULT, dec_result, 99 },
		{ "SESSION_END", IPC_RELAY_SESSION_END, dec_end, -1 },
		{ "AUTH_LEVEL_QUERY", IPC_AUTH_LEVEL_QUERY, dec_level_query, -1 },
		{ "AUTH_LEVEL_ANSWER", IPC_AUTH_LEVEL_ANSWER, dec_level_answer, -1 },
		{ "AUTH_CANCEL", IPC_AUTH_CANCEL, dec_auth_cancel, -1 },
		{ "LOG", IPC_LOG, dec_log, -1 },
		{ "SPAWN_CHILD", IPC_SPAWN_CHILD, dec_spawn_child, 99 },
		{ "SPAWN_RESULT", IPC_SPAWN_RESULT, dec_spawn_result, -1 },
		{ "SPAWN_SIGNAL", IPC_SPAWN_SIGNAL, dec_spawn_signal, -1 },
		{ "PING", IPC_PING, dec_ping, -1 },
		{ "PONG", IPC_PONG, dec_pong, -1 },
		{ "BIND_LISTENING", IPC_RELAY_BIND_LISTENING, dec_bind_listening, -1 },
		{ "RELAY_PROGRESS", IPC_RELAY_PROGRESS, dec_progress, -1 },
		{ "RELAY_END_SESSION", IPC_RELAY_END_SESSION, dec_end_session, -1 },
	};

	for (size_t i = 0; i < LEN(rows); i++) {
		struct wbuf wb;
		size_t full;
		bool good = true;
		size_t bad_at = 0;

		wbuf_init(&wb, enc, sizeof(enc));
		switch (rows[i].type) {
		case IPC_AUTH_CLIENT: ipc_encode_auth_client(&wb, &s_auth_client); break;
		case IPC_AUTH_RELAY_CHANNEL:
		case IPC_RELAY_MAKE_CHANNEL:
		case IPC_RELAY_CHANNEL_MADE: ipc_encode_relay_channel(&wb, &s_channel); break;
		case IPC_AUTH_OK: ipc_encode_auth_ok(&wb, &s_auth_ok); break;
		case IPC_AUTH_FAIL: ipc_encode_auth_fail(&wb, &s_auth_fail); break;
		case IPC_RELAY_SESSION: ipc_encode_relay_session(&wb, &s_session); break;
		case IPC_RELAY_REQUEST: ipc_encode_relay_request(&wb, &s_request); break;
		case IPC_RELAY_REQUEST_RESULT: ipc_encode_request_result(&wb, &s_result_ok); break;
		case IPC_RELAY_SESSION_END: ipc_encode_session_end(&wb, &s_end); break;
		case IPC_AUTH_LEVEL_QUERY: ipc_encode_auth_level_query(&wb, &s_level_query); break;
		case IPC_AUTH_LEVEL_ANSWER: ipc_encode_auth_level_answer(&wb, &s_level_answer); break;
		case IPC_AUTH_CANCEL: ipc_encode_auth_cancel(&wb, &s_auth_cancel); break;
		case IPC_LOG: ipc_encode_log(&wb, &s_log); break;
		case IPC_SPAWN_CHILD: ipc_encode_spawn_child(&wb, &s_spawn_child); break;
		case IPC_SPAWN_RESULT: ipc_encode_spawn_result(&wb, &s_spawn_ok); break;
		case IPC_SPAWN_SIGNAL: ipc_encode_spawn_signal(&wb, &s_spawn_signal); break;
		case IPC_PING: ipc_encode_ping(&wb, &s_ping); break;
		case IPC_PONG: ipc_encode_ping(&wb, &s_ping); break;
		case IPC_RELAY_BIND_LISTENING: ipc_encode_bind_listening(&wb, &s_bind_listening); break;
		case IPC_RELAY_PROGRESS: ipc_encode_relay_progress(&wb, &s_progress); break;
		case IPC_RELAY_END_SESSION: ipc_encode_relay_end_session(&wb, &s_end_session); break;
		}
		full = wb.len;
		memcpy(msg.payload, enc, full);
		msg.type = rows[i].type;
		msg.fd = rows[i].fd;
		msg.len = full;
		ok(wbuf_ok(&wb) == 0 && rows[i].decode(&msg) == 0, "%s: whole payload decodes", rows[i].name);
		for (size_t n = 0; n < full; n++) {
			msg.len = n;
			if (rows[i].decode(&msg) != -1) {
				good = false;
				bad_at = n;
				break;
			}
		}
		ok(good, "%s: every truncation refused (first bad at %zu)", rows[i].name, bad_at);
		msg.payload[full] = 0;
		msg.len = full + 1;
		ok(rows[i].decode(&msg) == -1, "%s: a trailing byte refused", rows[i].name);
		msg.len = full;
		msg.type = rows[i].type == IPC_AUTH_OK ? IPC_AUTH_FAIL : IPC_AUTH_OK;
		ok(rows[i].decode(&msg) == -1, "%s: decoder refuses another type", rows[i].name);
		msg.type = rows[i].type;
		msg.len = sizeof(msg.payload) + 1;
		ok(rows[i].decode(&msg) == -1, "%s: len beyond payload storage refused", rows[i].name);
	}
}

/* Build a payload by hand, decode it, expect `want`. */
static void decode_case(const char *name, uint16_t type, decode_fn decode, int fd,
			const uint8_t *p, size_t len, int want)
{
	memcpy(msg.payload, p, len);
	msg.type = type;
	msg.len = len;
	msg.fd = fd;
	is_int(decode(&msg), want, "%s", name);
}

static void test_decoder_ranges(void)
{
	static uint8_t buf[IPC_MAX_PAYLOAD];
	struct wbuf wb;

#define SID() wbuf_put_u64(&wb, 1)
#define RESET() wbuf_init(&wb, buf, sizeof(buf))
#define LIMITS() (wbuf_put_u32(&wb, 0), wbuf_put_u32(&wb, 0))
	/* AUTH_OK: level, nec, principal */
	RESET(); SID(); wbuf_put_u8(&wb, 3); wbuf_put_u8(&wb, 0);
	wbuf_put_string(&wb, "p@R"); wbuf_put_string(&wb, ""); wbuf_put_string(&wb, "s@R");
	decode_case("AUTH_OK level 3, empty mechanism accepted", IPC_AUTH_OK, dec_auth_ok, -1, buf, wb.len, 0);
	RESET(); SID(); wbuf_put_u8(&wb, 4); wbuf_put_u8(&wb, 0);
	wbuf_put_string(&wb, "p@R"); wbuf_put_string(&wb, "krb5"); wbuf_put_string(&wb, "s@R");
	decode_case("AUTH_OK level 4 refused", IPC_AUTH_OK, dec_auth_ok, -1, buf, wb.len, -1);
	RESET(); SID(); wbuf_put_u8(&wb, 2); wbuf_put_u8(&wb, 2);
	wbuf_put_string(&wb, "p@R"); wbuf_put_string(&wb, "krb5"); wbuf_put_string(&wb, "s@R");
	decode_case("AUTH_OK nec 2 refused", IPC_AUTH_OK, dec_auth_ok, -1, buf, wb.len, -1);
	RESET(); SID(); wbuf_put_u8(&wb, 2); wbuf_put_u8(&wb, 0);
	wbuf_put_string(&wb, ""); wbuf_put_string(&wb, "krb5"); wbuf_put_string(&wb, "s@R");
	decode_case("AUTH_OK empty principal refused", IPC_AUTH_OK, dec_auth_ok, -1, buf, wb.len, -1);
	RESET(); SID(); wbuf_put_u8(&wb, 2); wbuf_put_u8(&wb, 0);
	wbuf_put_u16(&wb, 9); wbuf_put_bytes(&wb, "alice\0@RX", 9); wbuf_put_string(&wb, "krb5"); wbuf_put_string(&wb, "s@R");
	decode_case("AUTH_OK principal with NUL refused", IPC_AUTH_OK, dec_auth_ok, -1, buf, wb.len, -1);
	RESET(); SID(); wbuf_put_u8(&wb, 2); wbuf_put_u8(&wb, 0);
	wbuf_put_u16(&wb, IPC_PRINCIPAL_MAX); memset(wb.data + wb.len, 'p', IPC_PRINCIPAL_MAX);
	wb.len += IPC_PRINCIPAL_MAX; wbuf_put_string(&wb, "krb5"); wbuf_put_string(&wb, "s@R");
	decode_case("AUTH_OK principal of IPC_PRINCIPAL_MAX octets refused (no NUL room)",
		    IPC_AUTH_OK, dec_auth_ok, -1, buf, wb.len, -1);
	RESET(); SID(); wbuf_put_u8(&wb, 2); wbuf_put_u8(&wb, 0);
	wbuf_put_u16(&wb, IPC_PRINCIPAL_MAX - 1); memset(wb.data + wb.len, 'p', IPC_PRINCIPAL_MAX - 1);
	wb.len += IPC_PRINCIPAL_MAX - 1; wbuf_put_string(&wb, "krb5"); wbuf_put_string(&wb, "s@R");
	decode_case("AUTH_OK principal of IPC_PRINCIPAL_MAX-1 octets accepted",
		    IPC_AUTH_OK, dec_auth_ok, -1, buf, wb.len, 0);

	/* AUTH_OK: the service name (bounded like a principal, never empty) */
	RESET(); SID(); wbuf_put_u8(&wb, 2); wbuf_put_u8(&wb, 0);
	wbuf_put_string(&wb, "p@R"); wbuf_put_string(&wb, "krb5");
	decode_case("AUTH_OK without a service name refused", IPC_AUTH_OK, dec_auth_ok, -1, buf, wb.len, -1);
	RESET(); SID(); wbuf_put_u8(&wb, 2); wbuf_put_u8(&wb, 0);
	wbuf_put_string(&wb, "p@R"); wbuf_put_string(&wb, "krb5"); wbuf_put_string(&wb, "");
	decode_case("AUTH_OK empty service refused", IPC_AUTH_OK, dec_auth_ok, -1, buf, wb.len, -1);
	RESET(); SID(); wbuf_put_u8(&wb, 2); wbuf_put_u8(&wb, 0);
	wbuf_put_string(&wb, "p@R"); wbuf_put_string(&wb, "krb5");
	wbuf_put_u16(&wb, 8); wbuf_put_bytes(&wb, "rcmd\0h@R", 8);
	decode_case("AUTH_OK service with NUL refused", IPC_AUTH_OK, dec_auth_ok, -1, buf, wb.len, -1);
	RESET(); SID(); wbuf_put_u8(&wb, 2); wbuf_put_u8(&wb, 0);
	wbuf_put_string(&wb, "p@R"); wbuf_put_string(&wb, "krb5");
	wbuf_put_u16(&wb, IPC_PRINCIPAL_MAX); memset(wb.data + wb.len, 's', IPC_PRINCIPAL_MAX);
	wb.len += IPC_PRINCIPAL_MAX;
	decode_case("AUTH_OK service of IPC_PRINCIPAL_MAX octets refused (no NUL room)",
		    IPC_AUTH_OK, dec_auth_ok, -1, buf, wb.len, -1);
	RESET(); SID(); wbuf_put_u8(&wb, 2); wbuf_put_u8(&wb, 0);
	wbuf_put_string(&wb, "p@R"); wbuf_put_string(&wb, "krb5");
	wbuf_put_u16(&wb, IPC_PRINCIPAL_MAX - 1); memset(wb.data + wb.len, 's', IPC_PRINCIPAL_MAX - 1);
	wb.len += IPC_PRINCIPAL_MAX - 1;
	decode_case("AUTH_OK service of IPC_PRINCIPAL_MAX-1 octets accepted",
		    IPC_AUTH_OK, dec_auth_ok, -1, buf, wb.len, 0);
	RESET(); SID(); wbuf_put_u8(&wb, 2); wbuf_put_u8(&wb, 0);
	wbuf_put_string(&wb, "p@R"); wbuf_put_string(&wb, "krb5"); wbuf_put_string(&wb, "s@R");
	wbuf_put_u8(&wb, 0);
	decode_case("AUTH_OK with an octet after the service refused", IPC_AUTH_OK, dec_auth_ok, -1, buf, wb.len, -1);

	/* RELAY_SESSION: level, principal, context length */
	RESET(); SID(); wbuf_put_u8(&wb, 1); wbuf_put_string(&wb, "p@R"); wbuf_put_blob(&wb, "c", 1);
	decode_case("RELAY_SESSION 1-octet context accepted", IPC_RELAY_SESSION, dec_session, 99, buf, wb.len, 0);
	RESET(); SID(); wbuf_put_u8(&wb, 1); wbuf_put_string(&wb, "p@R"); wbuf_put_blob(&wb, "", 0);
	decode_case("RELAY_SESSION empty context refused", IPC_RELAY_SESSION, dec_session, 99, buf, wb.len, -1);
	RESET(); SID(); wbuf_put_u8(&wb, 1); wbuf_put_string(&wb, "p@R");
	wbuf_put_u32(&wb, IPC_CONTEXT_MAX + 1); wb.len += IPC_CONTEXT_MAX + 1;
	decode_case("RELAY_SESSION context over IPC_CONTEXT_MAX refused", IPC_RELAY_SESSION, dec_session, 99, buf, wb.len, -1);
	RESET(); SID(); wbuf_put_u8(&wb, 1); wbuf_put_string(&wb, "p@R");
	wbuf_put_u32(&wb, IPC_CONTEXT_MAX); wb.len += IPC_CONTEXT_MAX;
	decode_case("RELAY_SESSION context of IPC_CONTEXT_MAX accepted", IPC_RELAY_SESSION, dec_session, 99, buf, wb.len, 0);
	RESET(); SID(); wbuf_put_u8(&wb, 1); wbuf_put_string(&wb, ""); wbuf_put_blob(&wb, "c", 1);
	decode_case("RELAY_SESSION empty principal refused", IPC_RELAY_SESSION, dec_session, 99, buf, wb.len, -1);
	RESET(); SID(); wbuf_put_u8(&wb, 1); wbuf_put_u16(&wb, 3); wbuf_put_bytes(&wb, "a\0b", 3);
	wbuf_put_blob(&wb, "c", 1);
	decode_case("RELAY_SESSION principal with NUL refused", IPC_RELAY_SESSION, dec_session, 99, buf, wb.len, -1);
	RESET(); SID(); wbuf_put_u8(&wb, 7); wbuf_put_string(&wb, "p@R"); wbuf_put_blob(&wb, "c", 1);
	decode_case("RELAY_SESSION level 7 refused", IPC_RELAY_SESSION, dec_session, 99, buf, wb.len, -1);

	/* REQUEST_RESULT: rep range and fd iff rep == 0 */
	RESET(); SID(); wbuf_put_u8(&wb, 9); wbuf_put_bytes(&wb, "\x01\x00\x00\x00\x00\x00\x00", 7); LIMITS();
	decode_case("REQUEST_RESULT rep 9 refused", IPC_RELAY_REQUEST_RESULT, dec_result, -1, buf, wb.len, -1);
	RESET(); SID(); wbuf_put_u8(&wb, 8); wbuf_put_bytes(&wb, "\x01\x00\x00\x00\x00\x00\x00", 7); LIMITS();
	decode_case("REQUEST_RESULT rep 8 accepted", IPC_RELAY_REQUEST_RESULT, dec_result, -1, buf, wb.len, 0);
	decode_case("REQUEST_RESULT rep 8 with fd refused", IPC_RELAY_REQUEST_RESULT, dec_result, 99, buf, wb.len, -1);
	RESET(); SID(); wbuf_put_u8(&wb, 0); wbuf_put_bytes(&wb, "\x01\x00\x00\x00\x00\x00\x00", 7); LIMITS();
	decode_case("REQUEST_RESULT rep 0 without fd refused", IPC_RELAY_REQUEST_RESULT, dec_result, -1, buf, wb.len, -1);
	RESET(); SID(); wbuf_put_u8(&wb, 0); wbuf_put_bytes(&wb, "\x02\x00\x00\x00\x00\x00\x00", 7); LIMITS();
	decode_case("REQUEST_RESULT ATYP 2 refused", IPC_RELAY_REQUEST_RESULT, dec_result, 99, buf, wb.len, -1);

	/* BIND_LISTENING: an IPv4/IPv6 address with a port, no fd */
	RESET(); SID(); wbuf_put_bytes(&wb, "\x01\x7f\x00\x00\x01\x9c\x41", 7);
	decode_case("BIND_LISTENING 127.0.0.1:40001 accepted", IPC_RELAY_BIND_LISTENING, dec_bind_listening, -1, buf, wb.len, 0);
	RESET(); SID(); wbuf_put_bytes(&wb, "\x01\x7f\x00\x00\x01\x00\x00", 7);
	decode_case("BIND_LISTENING port 0 refused", IPC_RELAY_BIND_LISTENING, dec_bind_listening, -1, buf, wb.len, -1);
	RESET(); SID(); wbuf_put_bytes(&wb, "\x03\x01h\x9c\x41", 5);
	decode_case("BIND_LISTENING a name refused", IPC_RELAY_BIND_LISTENING, dec_bind_listening, -1, buf, wb.len, -1);

	/* RELAY_REQUEST: address checks come from the SOCKS codec */
	RESET(); SID(); wbuf_put_u8(&wb, 1); wbuf_put_bytes(&wb, "\x03\x00\x00\x50", 4);
	decode_case("RELAY_REQUEST empty name refused", IPC_RELAY_REQUEST, dec_request, -1, buf, wb.len, -1);
	RESET(); SID(); wbuf_put_u8(&wb, 1); wbuf_put_bytes(&wb, "\x03\x03" "a\0b" "\x00\x50", 7);
	decode_case("RELAY_REQUEST name with NUL refused", IPC_RELAY_REQUEST, dec_request, -1, buf, wb.len, -1);
	RESET(); SID(); wbuf_put_u8(&wb, 7); wbuf_put_bytes(&wb, "\x03\x01" "a" "\x00\x50", 5);
	decode_case("RELAY_REQUEST cmd 7 carried (master answers 07)", IPC_RELAY_REQUEST, dec_request, -1, buf, wb.len, 0);

	/* SESSION_END: reason within the enum */
	/* AUTH_LEVEL_QUERY: nec 0/1, flags INTEG|CONF|SEQUENCE|REPLAY only, principal */
	RESET(); SID(); wbuf_put_u8(&wb, 0xee); wbuf_put_u8(&wb, 0); wbuf_put_u8(&wb, 0x3c);
	wbuf_put_string(&wb, "p@R"); wbuf_put_string(&wb, "");
	decode_case("AUTH_LEVEL_QUERY any requested octet, all four flags accepted",
		    IPC_AUTH_LEVEL_QUERY, dec_level_query, -1, buf, wb.len, 0);
	RESET(); SID(); wbuf_put_u8(&wb, 0); wbuf_put_u8(&wb, 0); wbuf_put_u8(&wb, 0);
	wbuf_put_string(&wb, "p@R"); wbuf_put_string(&wb, "");
	decode_case("AUTH_LEVEL_QUERY no flags accepted", IPC_AUTH_LEVEL_QUERY,
		    dec_level_query, -1, buf, wb.len, 0);
	RESET(); SID(); wbuf_put_u8(&wb, 1); wbuf_put_u8(&wb, 0); wbuf_put_u8(&wb, 0x3e);
	wbuf_put_string(&wb, "p@R"); wbuf_put_string(&wb, "");
	decode_case("AUTH_LEVEL_QUERY flag 0x02 (MUTUAL) refused", IPC_AUTH_LEVEL_QUERY,
		    dec_level_query, -1, buf, wb.len, -1);
	RESET(); SID(); wbuf_put_u8(&wb, 1); wbuf_put_u8(&wb, 0); wbuf_put_u8(&wb, 0x7c);
	wbuf_put_string(&wb, "p@R"); wbuf_put_string(&wb, "");
	decode_case("AUTH_LEVEL_QUERY flag 0x40 refused", IPC_AUTH_LEVEL_QUERY,
		    dec_level_query, -1, buf, wb.len, -1);
	RESET(); SID(); wbuf_put_u8(&wb, 1); wbuf_put_u8(&wb, 2); wbuf_put_u8(&wb, 0x20);
	wbuf_put_string(&wb, "p@R"); wbuf_put_string(&wb, "");
	decode_case("AUTH_LEVEL_QUERY nec 2 refused", IPC_AUTH_LEVEL_QUERY, dec_level_query, -1,
		    buf, wb.len, -1);
	RESET(); SID(); wbuf_put_u8(&wb, 1); wbuf_put_u8(&wb, 0); wbuf_put_u8(&wb, 0x20);
	wbuf_put_string(&wb, ""); wbuf_put_string(&wb, "");
	decode_case("AUTH_LEVEL_QUERY empty principal refused", IPC_AUTH_LEVEL_QUERY,
		    dec_level_query, -1, buf, wb.len, -1);
	/* AUTH_LEVEL_ANSWER: level 0..3 or 0xff */
	for (unsigned level = 0; level <= 0xff; level++) {
		bool want = level <= 3 || level == IPC_LEVEL_ABORT;
		bool good;

		RESET(); SID(); wbuf_put_u8(&wb, (uint8_t)level); wbuf_put_string(&wb, "");
		memcpy(msg.payload, buf, wb.len);
		msg.type = IPC_AUTH_LEVEL_ANSWER;
		msg.len = wb.len;
		msg.fd = -1;
		good = dec_level_answer(&msg) == (want ? 0 : -1);
		if (!good || level == 4 || level == 0xff)
			ok(good, "AUTH_LEVEL_ANSWER level %u %s", level, want ? "accepted" : "refused");
	}

	for (unsigned reason = 0; reason <= 12; reason++) {
		char name[64];

		RESET(); SID(); wbuf_put_u64(&wb, 0); wbuf_put_u64(&wb, 0); wbuf_put_u8(&wb, (uint8_t)reason);
		snprintf(name, sizeof(name), "SESSION_END reason %u", reason);
		decode_case(name, IPC_RELAY_SESSION_END, dec_end, -1, buf, wb.len,
			    reason >= IPC_END_CLIENT_CLOSE && reason <= IPC_END_ADMIN ? 0 : -1);
	}
#undef SID
#undef RESET
#undef LIMITS
}

static void test_encoder_refusals(void)
{
	static uint8_t buf[IPC_MAX_PAYLOAD];
	struct ipc_auth_ok ao = s_auth_ok;
	struct ipc_relay_session rs = s_session;
	struct ipc_relay_session_end se = s_end;
	struct ipc_relay_request_result rr = s_result_fail;
	struct wbuf wb;

	ao.principal[0] = '\0';
	wbuf_init(&wb, buf, sizeof(buf));
	ok(ipc_encode_auth_ok(&wb, &ao) < 0 && errno == EINVAL, "encoder refuses empty principal");
	ao = s_auth_ok;
	memset(ao.principal, 'p', sizeof(ao.principal));
	wbuf_init(&wb, buf, sizeof(buf));
	ok(ipc_encode_auth_ok(&wb, &ao) < 0, "encoder refuses unterminated principal");
	ao = s_auth_ok;
	ao.level = 4;
	wbuf_init(&wb, buf, sizeof(buf));
	ok(ipc_encode_auth_ok(&wb, &ao) < 0, "encoder refuses level 4");
	rs.context_len = IPC_CONTEXT_MAX + 1;
	wbuf_init(&wb, buf, sizeof(buf));
	ok(ipc_encode_relay_session(&wb, &rs) < 0, "encoder refuses oversized context");
	rs.context_len = 0;
	wbuf_init(&wb, buf, sizeof(buf));
	ok(ipc_encode_relay_session(&wb, &rs) < 0, "encoder refuses empty context");
	se.reason = 0;
	wbuf_init(&wb, buf, sizeof(buf));
	ok(ipc_encode_session_end(&wb, &se) < 0, "encoder refuses reason 0");
	rr.rep = 9;
	wbuf_init(&wb, buf, sizeof(buf));
	ok(ipc_encode_request_result(&wb, &rr) < 0, "encoder refuses rep 9");
	wbuf_init(&wb, buf, 10);
	ok(ipc_encode_auth_ok(&wb, &s_auth_ok) < 0 && errno == EMSGSIZE, "encoder into small buffer: EMSGSIZE");
}

/* A full non-blocking channel is waited out (the peer drains it later). */
static void test_send_waits(void)
{
	static uint8_t chunk[16 * 1024];
	int sv[2], status = 0;
	int sndbuf = 32 * 1024;
	int sent = 0;
	pid_t pid;

	seqpair(sv);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	while (send(sv[0], chunk, sizeof(chunk), MSG_DONTWAIT) > 0)
		sent++;
	if (errno != EAGAIN) {
		skip(2, "could not fill the channel");
		return;
	}
	pid = fork();
	if (pid == 0) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		for (int i = 0; i < sent + 1; i++)
			if (recv(sv[1], chunk, sizeof(chunk), 0) < 0)
				_exit(1);
		_exit(0);
	}
	ok(ipc_send_session_end(sv[0], &s_end) == 0, "send on a full channel waits for the reader");
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "reader drained every message");
	close(sv[0]);
	close(sv[1]);
}

static int64_t elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (int64_t)(t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * A full channel fails at once with EAGAIN for every message sent to a
 * child (and RELAY_SESSION), even on a blocking socket; nothing is queued.
 */
static void test_send_nowait(void)
{
	static uint8_t chunk[16 * 1024];
	struct timespec t0;
	int sv[2], carried[2];
	int sndbuf = 32 * 1024;
	int sent = 0, got = 0;

	seqpair(sv);
	seqpair(carried);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	while (send(sv[0], chunk, sizeof(chunk), MSG_DONTWAIT) > 0)
		sent++;
	if (errno != EAGAIN) {
		skip(10, "could not fill the channel");
		return;
	}
	/* sv[0] stays blocking: the helpers must not wait all the same. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	errno = 0;
	ok(ipc_send_nowait(sv[0], IPC_AUTH_LEVEL_ANSWER, "x", 1, -1) < 0 && errno == EAGAIN,
	   "ipc_send_nowait on a full channel: EAGAIN");
	errno = 0;
	ok(ipc_send_auth_client(sv[0], &s_auth_client, carried[0]) < 0 && errno == EAGAIN,
	   "AUTH_CLIENT on a full channel: EAGAIN");
	errno = 0;
	ok(ipc_send_relay_channel(sv[0], IPC_AUTH_RELAY_CHANNEL, &s_channel, carried[0]) < 0 &&
	   errno == EAGAIN, "AUTH_RELAY_CHANNEL on a full channel: EAGAIN");
	errno = 0;
	ok(ipc_send_relay_channel(sv[0], IPC_RELAY_MAKE_CHANNEL, &s_channel, -1) < 0 &&
	   errno == EAGAIN, "RELAY_MAKE_CHANNEL on a full channel: EAGAIN");
	errno = 0;
	ok(ipc_send_auth_level_answer(sv[0], &s_level_answer) < 0 && errno == EAGAIN,
	   "AUTH_LEVEL_ANSWER on a full channel: EAGAIN");
	errno = 0;
	ok(ipc_send_request_result(sv[0], &s_result_ok, carried[0]) < 0 && errno == EAGAIN,
	   "REQUEST_RESULT on a full channel: EAGAIN");
	errno = 0;
	ok(ipc_send_relay_session(sv[0], &s_session, carried[0]) < 0 && errno == EAGAIN,
	   "RELAY_SESSION on a full channel: EAGAIN");
	ok(elapsed_ms(&t0) < 1000, "none of them waited");
	/* Only the filler is queued: the refused messages left no trace. */
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	while (recv(sv[1], chunk, sizeof(chunk), 0) > 0)
		got++;
	is_int(got, sent, "nothing but the filler was queued");
	/* With room again, the same send goes through. */
	ok(ipc_send_auth_level_answer(sv[0], &s_level_answer) == 0 &&
	   ipc_recv(sv[1], IPC_CHAN_AUTHPROC_FROM_MASTER, &msg) == 1 &&
	   msg.type == IPC_AUTH_LEVEL_ANSWER, "after draining, AUTH_LEVEL_ANSWER is sent");
	close(sv[0]);
	close(sv[1]);
	close(carried[0]);
	close(carried[1]);
}

/* ---- LOG: a child's diagnostic line ---------------------------------- */

static void test_log(void)
{
	static struct ipc_log lg;
	static char long_text[3 * IPC_LOG_TEXT_MAX];
	static const uint8_t lvl4[] = { 4, 0, 2, 'a', 'b' };
	static const uint8_t lvl3[] = { 3, 0, 2, 'a', 'b' };
	static const uint8_t nul[] = { 1, 0, 3, 'a', 0, 'b' };
	struct wbuf wb;
	int sv[2];

	seqpair(sv);
	ok(ipc_send_log(sv[0], 2, "gss_accept_sec_context: no key") == 0, "send LOG");
	ok(ipc_recv(sv[1], IPC_CHAN_MASTER_FROM_AUTHPROC, &msg) == 1 && msg.fd == -1 &&
	   ipc_decode_log(&msg, &lg) == 0 && lg.level == 2 &&
	   strcmp(lg.text, "gss_accept_sec_context: no key") == 0, "LOG round trip (authproc)");
	ok(ipc_send_log(sv[0], 0, "") == 0 &&
	   ipc_recv(sv[1], IPC_CHAN_MASTER_FROM_RELAY, &msg) == 1 &&
	   ipc_decode_log(&msg, &lg) == 0 && lg.level == 0 && lg.text[0] == '\0',
	   "LOG with empty text, relay channel");

	/* A long line is cut to IPC_LOG_TEXT_MAX - 1 octets, not refused. */
	memset(long_text, 'x', sizeof(long_text) - 1);
	ok(ipc_send_log(sv[0], 1, long_text) == 0 &&
	   ipc_recv(sv[1], IPC_CHAN_MASTER_FROM_RELAY, &msg) == 1 &&
	   ipc_decode_log(&msg, &lg) == 0 && strlen(lg.text) == IPC_LOG_TEXT_MAX - 1 &&
	   strncmp(lg.text, long_text, IPC_LOG_TEXT_MAX - 1) == 0,
	   "LOG text longer than the cap arrives cut to %d octets", IPC_LOG_TEXT_MAX - 1);

	/* Encoder refusals: bad level, text without room for its NUL. */
	lg.level = IPC_LOG_LEVEL_MAX + 1;
	snprintf(lg.text, sizeof(lg.text), "x");
	wbuf_init(&wb, msg.payload, sizeof(msg.payload));
	ok(ipc_encode_log(&wb, &lg) < 0 && errno == EINVAL, "LOG encoder refuses level 4");
	ok(ipc_send_log(sv[0], 200, "x") < 0 && errno == EINVAL, "ipc_send_log refuses level 200");
	lg.level = 0;
	memset(lg.text, 'y', sizeof(lg.text));
	wbuf_init(&wb, msg.payload, sizeof(msg.payload));
	ok(ipc_encode_log(&wb, &lg) < 0, "LOG encoder refuses an unterminated text");
	close(sv[0]);
	close(sv[1]);

	/* Decoder refusals built by hand: level, embedded NUL, over-long text. */
	msg.type = IPC_LOG;
	msg.fd = -1;
	memcpy(msg.payload, lvl4, sizeof(lvl4));
	msg.len = 5;
	ok(ipc_decode_log(&msg, &lg) == -1 && errno == EPROTO, "LOG level 4 refused");
	msg.payload[0] = 0xff;
	ok(ipc_decode_log(&msg, &lg) == -1, "LOG level 255 refused");
	memcpy(msg.payload, lvl3, sizeof(lvl3));
	ok(ipc_decode_log(&msg, &lg) == 0 && lg.level == 3 && strcmp(lg.text, "ab") == 0,
	   "LOG level 3 (debug) accepted");
	memcpy(msg.payload, nul, sizeof(nul));
	msg.len = 6;
	ok(ipc_decode_log(&msg, &lg) == -1, "LOG text with an embedded NUL refused");
	msg.payload[0] = 1;
	msg.payload[1] = (uint8_t)(IPC_LOG_TEXT_MAX >> 8);
	msg.payload[2] = (uint8_t)(IPC_LOG_TEXT_MAX & 0xff);
	memset(msg.payload + 3, 'z', IPC_LOG_TEXT_MAX);
	msg.len = 3 + IPC_LOG_TEXT_MAX;
	ok(ipc_decode_log(&msg, &lg) == -1, "LOG text of %d octets (no room for NUL) refused",
	   IPC_LOG_TEXT_MAX);
	msg.payload[2] = (uint8_t)((IPC_LOG_TEXT_MAX - 1) & 0xff);
	msg.payload[1] = (uint8_t)((IPC_LOG_TEXT_MAX - 1) >> 8);
	msg.len = 3 + IPC_LOG_TEXT_MAX - 1;
	ok(ipc_decode_log(&msg, &lg) == 0 && strlen(lg.text) == IPC_LOG_TEXT_MAX - 1,
	   "LOG text of %d octets accepted", IPC_LOG_TEXT_MAX - 1);
}

/* ---- the spawners' messages ------------------------------------------ */

static void spawn_u32_pair(uint16_t type, decode_fn decode, uint32_t a, uint32_t b, int want,
			   const char *name)
{
	uint8_t buf[8];
	struct wbuf wb;

	wbuf_init(&wb, buf, sizeof(buf));
	wbuf_put_u32(&wb, a);
	wbuf_put_u32(&wb, b);
	decode_case(name, type, decode, -1, buf, wb.len, want);
}

static void test_spawner(void)
{
	struct ipc_spawn_child sc;
	struct ipc_spawn_result sr;
	struct ipc_spawn_signal sg;
	uint8_t payload[64];
	struct wbuf wb;
	int sv[2], carried[2];
	int before;

	seqpair(sv);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, carried) < 0)
		exit(1);

	/* Round trips on the spawner rows. */
	ok(ipc_send_spawn_child(sv[0], &s_spawn_child, carried[0]) == 0, "send SPAWN_CHILD");
	ok(ipc_recv(sv[1], IPC_CHAN_SPAWNER_FROM_MASTER, &msg) == 1 &&
	   msg.type == IPC_SPAWN_CHILD && ipc_decode_spawn_child(&msg, &sc) == 0 && sc.slot == 5,
	   "SPAWN_CHILD fields");
	ok(fd_usable(msg.fd, carried[1]), "SPAWN_CHILD channel fd usable and close-on-exec");
	close(msg.fd);
	ok(ipc_send_spawn_signal(sv[0], &s_spawn_signal) == 0, "send SPAWN_SIGNAL");
	ok(ipc_recv(sv[1], IPC_CHAN_SPAWNER_FROM_MASTER, &msg) == 1 && msg.fd == -1 &&
	   ipc_decode_spawn_signal(&msg, &sg) == 0 && sg.pid == 4242 && sg.signal == SIGTERM,
	   "SPAWN_SIGNAL fields");
	ok(ipc_send_spawn_result(sv[1], &s_spawn_ok) == 0, "send SPAWN_RESULT (started)");
	ok(ipc_recv(sv[0], IPC_CHAN_MASTER_FROM_SPAWNER, &msg) == 1 && msg.fd == -1 &&
	   ipc_decode_spawn_result(&msg, &sr) == 0 && sr.pid == 4242 && sr.error == 0,
	   "SPAWN_RESULT started fields");
	ok(ipc_send_spawn_result(sv[1], &s_spawn_failed) == 0, "send SPAWN_RESULT (failed)");
	ok(ipc_recv(sv[0], IPC_CHAN_MASTER_FROM_SPAWNER, &msg) == 1 &&
	   ipc_decode_spawn_result(&msg, &sr) == 0 && sr.pid == 0 && sr.error == EAGAIN,
	   "SPAWN_RESULT failure fields");

	/* Encoders refuse what the decoders refuse. */
	sg = s_spawn_signal;
	sg.signal = SIGHUP;
	errno = 0;
	ok(ipc_send_spawn_signal(sv[0], &sg) < 0 && errno == EINVAL, "SPAWN_SIGNAL SIGHUP refused by sender");
	sg.signal = SIGSTOP;
	wbuf_init(&wb, payload, sizeof(payload));
	ok(ipc_encode_spawn_signal(&wb, &sg) < 0 && errno == EINVAL, "SPAWN_SIGNAL SIGSTOP not encoded");
	sg = s_spawn_signal;
	sg.pid = 0;
	wbuf_init(&wb, payload, sizeof(payload));
	ok(ipc_encode_spawn_signal(&wb, &sg) < 0, "SPAWN_SIGNAL pid 0 not encoded");
	sg.pid = (uint32_t)INT_MAX + 1u;
	wbuf_init(&wb, payload, sizeof(payload));
	ok(ipc_encode_spawn_signal(&wb, &sg) < 0, "SPAWN_SIGNAL pid beyond INT_MAX not encoded");
	sr = s_spawn_ok;
	sr.error = EIO;
	wbuf_init(&wb, payload, sizeof(payload));
	ok(ipc_encode_spawn_result(&wb, &sr) < 0, "SPAWN_RESULT pid with an errno not encoded");
	sr = s_spawn_failed;
	sr.error = 0;
	ok(ipc_send_spawn_result(sv[1], &sr) < 0 && errno == EINVAL,
	   "SPAWN_RESULT pid 0 without errno refused by sender");
	wbuf_init(&wb, payload, 3);
	ok(ipc_encode_spawn_child(&wb, &s_spawn_child) < 0 && errno == EMSGSIZE,
	   "SPAWN_CHILD into a 3-octet buffer: EMSGSIZE");

	/* Decoder ranges, built by hand. */
	spawn_u32_pair(IPC_SPAWN_SIGNAL, dec_spawn_signal, 7, SIGKILL, 0, "SPAWN_SIGNAL SIGKILL accepted");
	spawn_u32_pair(IPC_SPAWN_SIGNAL, dec_spawn_signal, 7, SIGHUP, -1, "SPAWN_SIGNAL SIGHUP refused");
	spawn_u32_pair(IPC_SPAWN_SIGNAL, dec_spawn_signal, 7, 0, -1, "SPAWN_SIGNAL signal 0 refused");
	spawn_u32_pair(IPC_SPAWN_SIGNAL, dec_spawn_signal, 0, SIGTERM, -1, "SPAWN_SIGNAL pid 0 refused");
	spawn_u32_pair(IPC_SPAWN_SIGNAL, dec_spawn_signal, 0xffffffffu, SIGKILL, -1,
		       "SPAWN_SIGNAL pid -1 (every process) refused");
	spawn_u32_pair(IPC_SPAWN_SIGNAL, dec_spawn_signal, (uint32_t)INT_MAX, SIGTERM, 0,
		       "SPAWN_SIGNAL pid INT_MAX accepted");
	spawn_u32_pair(IPC_SPAWN_RESULT, dec_spawn_result, (uint32_t)INT_MAX + 1u, 0, -1,
		       "SPAWN_RESULT pid beyond INT_MAX refused");
	spawn_u32_pair(IPC_SPAWN_RESULT, dec_spawn_result, 0, 0, -1,
		       "SPAWN_RESULT pid 0 without errno refused");
	spawn_u32_pair(IPC_SPAWN_RESULT, dec_spawn_result, 0, IPC_SPAWN_ERRNO_MAX + 1, -1,
		       "SPAWN_RESULT errno beyond MAX_ERRNO refused");
	spawn_u32_pair(IPC_SPAWN_RESULT, dec_spawn_result, 0, IPC_SPAWN_ERRNO_MAX, 0,
		       "SPAWN_RESULT errno MAX_ERRNO accepted");
	spawn_u32_pair(IPC_SPAWN_RESULT, dec_spawn_result, 99, EINVAL, -1,
		       "SPAWN_RESULT pid with errno refused");
	decode_case("SPAWN_CHILD decoded without its fd refused", IPC_SPAWN_CHILD,
		    dec_spawn_child, -1, (const uint8_t *)"\0\0\0\1", 4, -1);

	/* fd rules through the transport. */
	before = count_fds();
	wbuf_init(&wb, payload, sizeof(payload));
	ipc_encode_spawn_child(&wb, &s_spawn_child);
	errno = 0;
	ok(ipc_send(sv[0], IPC_SPAWN_CHILD, payload, wb.len, -1) < 0 && errno == EINVAL,
	   "ipc_send refuses SPAWN_CHILD without fd");
	raw_send(sv[0], IPC_SPAWN_CHILD, 0, (uint32_t)wb.len, payload, wb.len, -1, 0);
	expect_refused(sv[1], IPC_CHAN_SPAWNER_FROM_MASTER, before, "SPAWN_CHILD without fd");
	raw_send(sv[0], IPC_SPAWN_CHILD, 0, (uint32_t)wb.len, payload, wb.len, carried[0], 2);
	expect_refused(sv[1], IPC_CHAN_SPAWNER_FROM_MASTER, before, "SPAWN_CHILD with two fds");
	wbuf_init(&wb, payload, sizeof(payload));
	ipc_encode_spawn_signal(&wb, &s_spawn_signal);
	ok(ipc_send(sv[0], IPC_SPAWN_SIGNAL, payload, wb.len, carried[0]) < 0 && errno == EINVAL,
	   "ipc_send refuses an fd on SPAWN_SIGNAL");
	raw_send(sv[0], IPC_SPAWN_SIGNAL, 0, (uint32_t)wb.len, payload, wb.len, carried[0], 1);
	expect_refused(sv[1], IPC_CHAN_SPAWNER_FROM_MASTER, before, "fd on SPAWN_SIGNAL");
	wbuf_init(&wb, payload, sizeof(payload));
	ipc_encode_spawn_result(&wb, &s_spawn_ok);
	raw_send(sv[1], IPC_SPAWN_RESULT, 0, (uint32_t)wb.len, payload, wb.len, carried[0], 1);
	expect_refused(sv[0], IPC_CHAN_MASTER_FROM_SPAWNER, before, "fd on SPAWN_RESULT");

	/* A spawner channel accepts nothing but its own two orders. */
	ok(ipc_send_relay_session(sv[0], &s_session, carried[0]) == 0, "send RELAY_SESSION to a spawner");
	expect_refused(sv[1], IPC_CHAN_SPAWNER_FROM_MASTER, before, "RELAY_SESSION on spawner<-master");
	ok(ipc_send_auth_client(sv[0], &s_auth_client, carried[0]) == 0, "send AUTH_CLIENT to a spawner");
	expect_refused(sv[1], IPC_CHAN_SPAWNER_FROM_MASTER, before, "AUTH_CLIENT on spawner<-master");
	ok(ipc_send_relay_channel(sv[0], IPC_AUTH_RELAY_CHANNEL, &s_channel, carried[0]) == 0,
	   "send AUTH_RELAY_CHANNEL to a spawner");
	expect_refused(sv[1], IPC_CHAN_SPAWNER_FROM_MASTER, before,
		       "AUTH_RELAY_CHANNEL on spawner<-master");
	ok(ipc_send_relay_channel(sv[0], IPC_RELAY_MAKE_CHANNEL, &s_channel, -1) == 0,
	   "send RELAY_MAKE_CHANNEL to a spawner");
	expect_refused(sv[1], IPC_CHAN_SPAWNER_FROM_MASTER, before,
		       "RELAY_MAKE_CHANNEL on spawner<-master");
	ok(ipc_send_auth_level_answer(sv[0], &s_level_answer) == 0, "send AUTH_LEVEL_ANSWER to a spawner");
	expect_refused(sv[1], IPC_CHAN_SPAWNER_FROM_MASTER, before,
		       "AUTH_LEVEL_ANSWER on spawner<-master");
	ok(ipc_send_spawn_result(sv[0], &s_spawn_ok) == 0, "send SPAWN_RESULT to a spawner");
	expect_refused(sv[1], IPC_CHAN_SPAWNER_FROM_MASTER, before, "SPAWN_RESULT on spawner<-master");
	ok(ipc_send_log(sv[0], 1, "x") == 0, "send LOG to a spawner");
	expect_refused(sv[1], IPC_CHAN_SPAWNER_FROM_MASTER, before, "LOG on spawner<-master");

	/* And the master's row for a spawner takes only SPAWN_RESULT and LOG. */
	ok(ipc_send_relay_session(sv[1], &s_session, carried[0]) == 0, "spawner sends RELAY_SESSION");
	expect_refused(sv[0], IPC_CHAN_MASTER_FROM_SPAWNER, before, "RELAY_SESSION on master<-spawner");
	ok(ipc_send_auth_ok(sv[1], &s_auth_ok) == 0, "spawner sends AUTH_OK");
	expect_refused(sv[0], IPC_CHAN_MASTER_FROM_SPAWNER, before, "AUTH_OK on master<-spawner");
	ok(ipc_send_log(sv[1], 0, "spawner line") == 0, "spawner sends LOG");
	{
		struct ipc_log lg;

		ok(ipc_recv(sv[0], IPC_CHAN_MASTER_FROM_SPAWNER, &msg) == 1 &&
		   msg.type == IPC_LOG && msg.fd == -1 && ipc_decode_log(&msg, &lg) == 0 &&
		   lg.level == 0 && strcmp(lg.text, "spawner line") == 0,
		   "LOG on master<-spawner: accepted (a spawner's diagnostics)");
		is_int(count_fds(), before, "LOG on master<-spawner: no fd");
	}
	ok(ipc_send_spawn_signal(sv[1], &s_spawn_signal) == 0, "spawner sends SPAWN_SIGNAL");
	expect_refused(sv[0], IPC_CHAN_MASTER_FROM_SPAWNER, before, "SPAWN_SIGNAL on master<-spawner");
	ok(ipc_send_spawn_child(sv[1], &s_spawn_child, carried[0]) == 0, "spawner sends SPAWN_CHILD");
	expect_refused(sv[0], IPC_CHAN_MASTER_FROM_SPAWNER, before, "SPAWN_CHILD on master<-spawner");

	/* Nor do the children's rows take a spawner's orders. */
	ok(ipc_send_spawn_child(sv[0], &s_spawn_child, carried[0]) == 0, "send SPAWN_CHILD to a relay");
	expect_refused(sv[1], IPC_CHAN_RELAY_FROM_MASTER, before, "SPAWN_CHILD on relay<-master");
	ok(ipc_send_spawn_result(sv[1], &s_spawn_ok) == 0, "authproc sends SPAWN_RESULT");
	expect_refused(sv[0], IPC_CHAN_MASTER_FROM_AUTHPROC, before, "SPAWN_RESULT on master<-authproc");

	ok(ipc_send_spawn_signal(sv[0], &s_spawn_signal) == 0 &&
	   ipc_recv(sv[1], IPC_CHAN_SPAWNER_FROM_MASTER, &msg) == 1, "spawner channel usable after refusals");
	close(sv[0]);
	close(sv[1]);
	close(carried[0]);
	close(carried[1]);
}

/* AUTH_CANCEL: a round trip over a real pair, and session 0 refused both ways. */
static void test_auth_cancel(void)
{
	static const uint8_t zero[8] = { 0 };
	struct ipc_auth_cancel c = { .session_id = 0 };
	uint8_t buf[16];
	struct wbuf wb;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0) {
		ok(0, "socketpair for AUTH_CANCEL");
		return;
	}
	ok(ipc_send_auth_cancel(sv[0], &s_auth_cancel) == 0, "send AUTH_CANCEL");
	ok(ipc_recv(sv[1], IPC_CHAN_AUTHPROC_FROM_MASTER, &msg) == 1 && msg.fd == -1 &&
	   ipc_decode_auth_cancel(&msg, &c) == 0 && c.session_id == 77, "AUTH_CANCEL fields");
	ok(!ipc_permitted(IPC_CHAN_MASTER_FROM_AUTHPROC, IPC_AUTH_CANCEL) &&
	   !ipc_permitted(IPC_CHAN_RELAY_FROM_MASTER, IPC_AUTH_CANCEL),
	   "AUTH_CANCEL only from the master to authproc");
	is_int(ipc_fd_rule(IPC_AUTH_CANCEL), IPC_FD_NEVER, "fd rule AUTH_CANCEL never");
	is_str(ipc_type_name(IPC_AUTH_CANCEL), "auth-cancel", "AUTH_CANCEL type name");
	c.session_id = 0;
	wbuf_init(&wb, buf, sizeof(buf));
	ok(ipc_encode_auth_cancel(&wb, &c) < 0 && errno == EINVAL, "AUTH_CANCEL session 0 not encoded");
	decode_case("AUTH_CANCEL session 0 refused", IPC_AUTH_CANCEL, dec_auth_cancel, -1,
		    zero, sizeof(zero), -1);
	close(sv[0]);
	close(sv[1]);
}

/* The watchdog's pair: round trips on their rows, refused elsewhere and with an fd. */
static void test_ping(void)
{
	struct ipc_ping p;
	int sv[2], carried[2];
	int before;

	seqpair(sv);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, carried) < 0)
		exit(1);
	ok(ipc_send_ping(sv[0], 7) == 0, "send PING");
	ok(ipc_recv(sv[1], IPC_CHAN_RELAY_FROM_MASTER, &msg) == 1 && msg.fd == -1 &&
	   ipc_decode_ping(&msg, &p) == 0 && p.seq == 7, "PING to a relay: seq 7");
	ok(ipc_send_ping(sv[0], 0xffffffffu) == 0 &&
	   ipc_recv(sv[1], IPC_CHAN_AUTHPROC_FROM_MASTER, &msg) == 1 &&
	   ipc_decode_ping(&msg, &p) == 0 && p.seq == 0xffffffffu, "PING to authproc: seq 2^32-1");
	ok(ipc_decode_pong(&msg, &p) == -1 && errno == EPROTO, "a PING does not decode as PONG");
	ok(ipc_send_pong(sv[1], 7) == 0, "send PONG");
	ok(ipc_recv(sv[0], IPC_CHAN_MASTER_FROM_RELAY, &msg) == 1 && msg.fd == -1 &&
	   ipc_decode_pong(&msg, &p) == 0 && p.seq == 7, "PONG from a relay: seq 7");
	ok(ipc_send_pong(sv[1], 8) == 0 &&
	   ipc_recv(sv[0], IPC_CHAN_MASTER_FROM_AUTHPROC, &msg) == 1 &&
	   ipc_decode_pong(&msg, &p) == 0 && p.seq == 8, "PONG from authproc: seq 8");
	ok(ipc_decode_ping(&msg, &p) == -1, "a PONG does not decode as PING");

	before = count_fds();
	ok(ipc_send_pong(sv[1], 9) == 0, "send PONG towards a child's row");
	expect_refused(sv[0], IPC_CHAN_RELAY_FROM_MASTER, before, "PONG on relay<-master");
	ok(ipc_send_ping(sv[0], 9) == 0, "send PING from authproc's side");
	expect_refused(sv[1], IPC_CHAN_RELAY_FROM_AUTHPROC, before, "PING on relay<-authproc");
	ok(ipc_send_ping(sv[0], 10) == 0, "send PING to a spawner");
	expect_refused(sv[1], IPC_CHAN_SPAWNER_FROM_MASTER, before, "PING on spawner<-master");
	errno = 0;
	ok(ipc_send(sv[0], IPC_PING, "\0\0\0\1", 4, carried[0]) < 0 && errno == EINVAL,
	   "PING with an fd refused by the sender");
	close(carried[0]);
	close(carried[1]);
	close(sv[0]);
	close(sv[1]);
}

/* RELAY_PROGRESS and RELAY_END_SESSION: fields, ranges, the send path. */
static void test_progress(void)
{
	static struct ipc_relay_progress p, got;
	struct ipc_relay_end_session e;
	static uint8_t buf[2 + IPC_PROGRESS_MAX * 24 + 8];
	struct wbuf wb;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("socketpair");
		exit(1);
	}
	ok(ipc_send_relay_progress(sv[0], &s_progress) == 0, "send RELAY_PROGRESS");
	ok(ipc_recv(sv[1], IPC_CHAN_MASTER_FROM_RELAY, &msg) == 1 &&
	   ipc_decode_relay_progress(&msg, &got) == 0 && got.count == 2 &&
	   got.entry[0].session_id == 5 && got.entry[0].bytes_from_client == 100 &&
	   got.entry[0].bytes_to_client == 200 &&
	   got.entry[1].session_id == 0xffffffffffffffffull &&
	   got.entry[1].bytes_to_client == 0xffffffffffffffffull, "RELAY_PROGRESS fields");
	ok(ipc_send_relay_end_session(sv[0], 42) == 0, "send RELAY_END_SESSION");
	ok(ipc_recv(sv[1], IPC_CHAN_RELAY_FROM_MASTER, &msg) == 1 &&
	   ipc_decode_relay_end_session(&msg, &e) == 0 && e.session_id == 42,
	   "RELAY_END_SESSION to a relay: session 42");
	ok(ipc_send_relay_end_session(sv[0], 0) == -1 && errno == EINVAL,
	   "RELAY_END_SESSION of session 0 refused by the encoder");
	close(sv[0]);
	close(sv[1]);

	/* encoder: count 0, count beyond the cap, an entry with id 0 */
	memset(&p, 0, sizeof(p));
	wbuf_init(&wb, buf, sizeof(buf));
	ok(ipc_encode_relay_progress(&wb, &p) == -1, "progress: count 0 refused by the encoder");
	p.count = IPC_PROGRESS_MAX + 1;
	wbuf_init(&wb, buf, sizeof(buf));
	ok(ipc_encode_relay_progress(&wb, &p) == -1, "progress: count above the cap refused");
	p.count = 1;
	wbuf_init(&wb, buf, sizeof(buf));
	ok(ipc_encode_relay_progress(&wb, &p) == -1, "progress: session 0 refused by the encoder");
	/* the full batch fits the message */
	p.count = IPC_PROGRESS_MAX;
	for (size_t i = 0; i < IPC_PROGRESS_MAX; i++)
		p.entry[i].session_id = i + 1;
	wbuf_init(&wb, buf, sizeof(buf));
	ok(ipc_encode_relay_progress(&wb, &p) == 0 && wb.len == 2 + IPC_PROGRESS_MAX * 24 &&
	   wb.len <= IPC_MAX_PAYLOAD, "progress: a full batch of %d encodes", IPC_PROGRESS_MAX);
	/* decoder: count 0, count above the cap (with the bytes there), id 0 */
	{
		static const uint8_t zero_count[] = { 0, 0 };
		static const uint8_t zero_id[] = { 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
			0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 };
		static const uint8_t zero_end[] = { 0, 0, 0, 0, 0, 0, 0, 0 };

		decode_case("progress count 0", IPC_RELAY_PROGRESS, dec_progress, -1,
			    zero_count, sizeof(zero_count), -1);
		decode_case("progress session 0", IPC_RELAY_PROGRESS, dec_progress, -1,
			    zero_id, sizeof(zero_id), -1);
		decode_case("end session 0", IPC_RELAY_END_SESSION, dec_end_session, -1,
			    zero_end, sizeof(zero_end), -1);
		buf[0] = (uint8_t)((IPC_PROGRESS_MAX + 1) >> 8);
		buf[1] = (uint8_t)((IPC_PROGRESS_MAX + 1) & 0xff);
		memset(buf + 2, 1, (IPC_PROGRESS_MAX + 1) * 24 > sizeof(buf) - 2
				   ? sizeof(buf) - 2 : (IPC_PROGRESS_MAX + 1) * 24);
		decode_case("progress count above the cap", IPC_RELAY_PROGRESS, dec_progress, -1,
			    buf, sizeof(buf), -1);
	}
}

int main(void)
{
	test_round_trips();
	test_auth_cancel();
	test_permissions();
	test_refusals();
	test_decoder_truncation();
	test_decoder_ranges();
	test_encoder_refusals();
	test_send_waits();
	test_send_nowait();
	test_log();
	test_spawner();
	test_ping();
	test_progress();
	return done_testing();
}
