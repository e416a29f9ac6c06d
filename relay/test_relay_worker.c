/*
 * test_relay_worker.c - gssocks-relay on its own, against real GSS-API
 * contexts from a throwaway realm: this program plays the master, authproc,
 * the client and the target over socketpairs, and checks what the relay
 * forwards, replies and reports (SESSION_END reason and byte counts).
 *
 * Trust zone: tests only.  GSS-API is not mocked: every context comes from
 * an MIT krb5 handshake (alice -> rcmd/localhost) in this process, exported
 * the way authproc exports it; the client side uses plain gss_wrap and
 * gss_unwrap, so the relay's in-place IOV tokens are checked against the
 * ordinary API.
 *
 * Usage: test_relay_worker RELAY_BINARY MKREALM_SH  (TAP on stdout).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>

#include "../common/krb5_profile.h"

#include "../ipc/ipc.h"
#include "../proto/gssframe.h"
#include "../tests/realm/realm.h"
#include "../tests/unit/tap.h"

#define BULK_OCTETS (16u << 20)

static volatile pid_t relay_pid = -1;
static int master_fd = -1, channel_fd = -1;
static struct ipc_msg msg;
static gss_ctx_id_t initiators[16];   /* deleted at the end */
static size_t initiator_count;

static const uint8_t request_ipv4[] = { 5, 1, 0, 1, 192, 0, 2, 1, 0, 80 };
static const uint8_t reply_ok[] = { 5, 0, 0, 1, 10, 0, 0, 1, 0x10, 0xe1 };

static _Noreturn void bail(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

static void stop_relay(void)
{
	if (relay_pid > 0)
		kill(relay_pid, SIGTERM);
}

/* Killed by meson's timeout or the watchdog: the relay too, not only the
 * KDC (tests/realm/realm.h), with async-signal-safe calls only. */
static void on_signal(int sig)
{
	if (relay_pid > 0)
		kill(relay_pid, SIGTERM);
	realm_on_signal(sig);
}

/* The realm (tests/realm/realm.h), its keytab the acceptor's. */
static void realm_up(const char *mkrealm)
{
	realm_start(mkrealm, 150);
	atexit(stop_relay);          /* runs before the realm's own cleanup */
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGALRM, on_signal);
	if (getenv("GSSOCKS_KEYTAB") == NULL)
		bail("realm env has no GSSOCKS_KEYTAB");
	setenv("KRB5_KTNAME", getenv("GSSOCKS_KEYTAB"), 1);
}

static void gss_or_bail(OM_uint32 major, const char *what)
{
	if (GSS_ERROR(major)) {
		printf("Bail out! %s failed (major 0x%x)\n", what, (unsigned)major);
		exit(1);
	}
}

/* A fresh context pair: *initiator stays here, the acceptor is exported. */
static void handshake(gss_ctx_id_t *initiator, gss_buffer_desc *exported)
{
	gss_ctx_id_t acceptor;
	OM_uint32 minor = 0;

	realm_handshake("rcmd@localhost", GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG |
			GSS_C_SEQUENCE_FLAG | GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG, 0,
			initiator, &acceptor);
	gss_or_bail(gss_export_sec_context(&minor, &acceptor, exported),
		    "gss_export_sec_context");
}

/* A relay that stops answering must fail the test, not hang it. */
static void set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = 10 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		bail("setsockopt");
}

static void write_all(int fd, const void *p, size_t n)
{
	const uint8_t *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			bail("write");
		c += w;
		n -= (size_t)w;
	}
}

/* 1 when n octets were read, 0 at end of file, -1 on error. */
static int read_all(int fd, void *p, size_t n)
{
	uint8_t *c = p;

	while (n > 0) {
		ssize_t r = read(fd, c, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 ? 0 : -1;
		c += r;
		n -= (size_t)r;
	}
	return 1;
}

static void send_wrapped(int fd, gss_ctx_id_t ctx, int conf, const void *p, size_t n,
			 bool tamper)
{
	static uint8_t frame[(GSSFRAME_HEADER_LEN + GSSFRAME_MAX_TOKEN)];
	gss_buffer_desc in = { n, (void *)(uintptr_t)p }, out;
	OM_uint32 minor = 0;
	int conf_state;

	gss_or_bail(gss_wrap(&minor, ctx, conf, GSS_C_QOP_DEFAULT, &in, &conf_state, &out),
		    "gss_wrap");
	frame[0] = GSSFRAME_VERSION;
	frame[1] = GSSFRAME_DATA;
	frame[2] = (uint8_t)(out.length >> 8);
	frame[3] = (uint8_t)out.length;
	memcpy(frame + 4, out.value, out.length);
	if (tamper)
		frame[4 + out.length / 2] ^= 0x40;
	write_all(fd, frame, 4 + out.length);
	gss_release_buffer(&minor, &out);
}

/* Payload length, -1 at end of file, -2 for a bad frame or unwrap failure. */
static long recv_unwrapped(int fd, gss_ctx_id_t ctx, uint8_t *out, int *conf_state)
{
	static uint8_t token[GSSFRAME_MAX_TOKEN];
	gss_buffer_desc in, plain;
	OM_uint32 minor = 0;
	uint8_t h[4];
	size_t len;
	long n;

	if (read_all(fd, h, 4) <= 0)
		return -1;
	if (h[0] != GSSFRAME_VERSION || h[1] != GSSFRAME_DATA)
		return -2;
	len = (size_t)h[2] << 8 | h[3];
	if (read_all(fd, token, len) <= 0)
		return -1;
	in.length = len;
	in.value = token;
	if (gss_unwrap(&minor, ctx, &in, &plain, conf_state, NULL) != GSS_S_COMPLETE)
		return -2;
	memcpy(out, plain.value, plain.length);
	n = (long)plain.length;
	gss_release_buffer(&minor, &plain);
	return n;
}

/* Hand a new session to the relay as authproc does; returns the client end. */
static int new_session(uint64_t sid, uint8_t level, gss_ctx_id_t *ctx)
{
	struct ipc_relay_session m = { .session_id = sid, .level = level };
	gss_buffer_desc exported;
	OM_uint32 minor;
	int sp[2];

	handshake(ctx, &exported);
	if (initiator_count < sizeof(initiators) / sizeof(initiators[0]))
		initiators[initiator_count++] = *ctx;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
		bail("socketpair");
	set_timeouts(sp[0]);
	m.context = exported.value;
	m.context_len = exported.length;
	snprintf(m.principal, sizeof(m.principal), "alice@GSSOCKS.TEST");
	if (ipc_send_relay_session(channel_fd, &m, sp[1]) < 0)
		bail("sending RELAY_SESSION");
	close(sp[1]);
	gss_release_buffer(&minor, &exported);
	return sp[0];
}

/*
 * The next message of `type`.  The worker's diagnostics (IPC_LOG, it runs
 * with --verbose) arrive on the same channel: each is echoed to stderr as
 * the master would write it, and skipped; so are its byte counts
 * (RELAY_PROGRESS, once a second for sessions that moved), counted in
 * progress_seen after they decode.
 */
static unsigned progress_seen;

static bool master_expect(uint16_t type)
{
	struct pollfd p = { .fd = master_fd, .events = POLLIN };
	static struct ipc_log lg;

	for (;;) {
		if (poll(&p, 1, 5000) <= 0)
			return false;
		if (ipc_recv(master_fd, IPC_CHAN_MASTER_FROM_RELAY, &msg) != 1)
			return false;
		if (msg.type == IPC_RELAY_PROGRESS && type != IPC_RELAY_PROGRESS) {
			static struct ipc_relay_progress pr;

			if (ipc_decode_relay_progress(&msg, &pr) < 0)
				return false;
			progress_seen++;
			continue;
		}
		if (msg.type != IPC_LOG)
			return msg.type == type;
		if (ipc_decode_log(&msg, &lg) < 0)
			return false;
		fprintf(stderr, "gssocks-relay: %s\n", lg.text);
	}
}

static void expect_end(uint64_t sid, uint8_t reason, long long from, long long to)
{
	struct ipc_relay_session_end e;

	if (!master_expect(IPC_RELAY_SESSION_END) || ipc_decode_session_end(&msg, &e) < 0) {
		ok(false, "session %llu: SESSION_END arrives", (unsigned long long)sid);
		return;
	}
	is_int((long long)e.session_id, (long long)sid, "SESSION_END names session %llu",
	       (unsigned long long)sid);
	is_str(ipc_end_reason_name(e.reason), ipc_end_reason_name(reason),
	       "session %llu ends with %s", (unsigned long long)sid, ipc_end_reason_name(reason));
	if (from >= 0) {
		is_int((long long)e.bytes_from_client, from, "session %llu: octets from client",
		       (unsigned long long)sid);
		is_int((long long)e.bytes_to_client, to, "session %llu: octets to client",
		       (unsigned long long)sid);
	}
}

static bool expect_request(uint64_t sid)
{
	struct ipc_relay_request r;

	if (!master_expect(IPC_RELAY_REQUEST) || ipc_decode_relay_request(&msg, &r) < 0)
		return ok(false, "session %llu: RELAY_REQUEST arrives", (unsigned long long)sid);
	return ok(r.session_id == sid && r.request.cmd == SOCKS5_CMD_CONNECT &&
		  r.request.dst.atyp == SOCKS5_ATYP_IPV4 && r.request.dst.port == 80,
		  "session %llu: CONNECT 192.0.2.1:80 forwarded to the master",
		  (unsigned long long)sid);
}

/* Answer as the master; returns the target end when rep is 0. */
static int answer(uint64_t sid, uint8_t rep)
{
	struct ipc_relay_request_result r = { .session_id = sid, .rep = rep };
	int sp[2] = { -1, -1 };

	r.bound.atyp = SOCKS5_ATYP_IPV4;
	r.bound.u.ipv4[0] = 10;
	r.bound.u.ipv4[3] = 1;
	r.bound.port = 4321;
	if (rep == SOCKS5_REP_OK) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
			bail("socketpair");
		set_timeouts(sp[0]);
	}
	if (ipc_send_request_result(master_fd, &r, sp[1]) < 0)
		bail("sending REQUEST_RESULT");
	if (sp[1] >= 0)
		close(sp[1]);
	return sp[0];
}

static uint8_t pattern(uint64_t i, unsigned k)
{
	return (uint8_t)(i * (k ? 13u : 7u) + (i >> 9) + k);
}

struct bulk {
	size_t sent_a, got_a, sent_b, got_b;
	bool client_shut, target_shut, client_eof, target_eof;
	bool bad_a, bad_b, bad_conf;
};

/* Client -> target and target -> client at once; the client closes first. */
static void bulk_transfer(int client, int target, gss_ctx_id_t ctx, int conf, struct bulk *b)
{
	static uint8_t from_relay[1 << 18], frame[(GSSFRAME_HEADER_LEN + GSSFRAME_MAX_TOKEN)], chunk[1 << 16];
	size_t held = 0, frame_off = 0, frame_len = 0;
	OM_uint32 minor = 0, limit = 0;
	time_t start = time(NULL);

	gss_or_bail(gss_wrap_size_limit(&minor, ctx, conf, GSS_C_QOP_DEFAULT, 65535, &limit),
		    "gss_wrap_size_limit");
	fcntl(client, F_SETFL, O_NONBLOCK);
	fcntl(target, F_SETFL, O_NONBLOCK);
	srand(1961);
	while (!(b->client_eof && b->target_eof) && time(NULL) - start < 40) {
		struct pollfd p[2] = { { .fd = client, .events = POLLIN },
				       { .fd = target, .events = POLLIN } };
		if (!b->client_shut)
			p[0].events |= POLLOUT;
		if (b->sent_b < BULK_OCTETS)
			p[1].events |= POLLOUT;
		(void)poll(p, 2, 1000);
		if (!b->client_shut && (p[0].revents & POLLOUT)) {
			if (frame_off == frame_len && b->sent_a == BULK_OCTETS) {
				shutdown(client, SHUT_WR);
				b->client_shut = true;
			} else if (frame_off == frame_len) {
				size_t n = 1 + (size_t)rand() % limit;
				gss_buffer_desc in, out;
				int cs;

				if (n > BULK_OCTETS - b->sent_a)
					n = BULK_OCTETS - b->sent_a;
				for (size_t i = 0; i < n; i++)
					chunk[i] = pattern(b->sent_a + i, 0);
				in.length = n;
				in.value = chunk;
				gss_or_bail(gss_wrap(&minor, ctx, conf, GSS_C_QOP_DEFAULT, &in, &cs,
						     &out), "gss_wrap");
				frame[0] = 1;
				frame[1] = 3;
				frame[2] = (uint8_t)(out.length >> 8);
				frame[3] = (uint8_t)out.length;
				memcpy(frame + 4, out.value, out.length);
				frame_len = 4 + out.length;
				frame_off = 0;
				gss_release_buffer(&minor, &out);
				b->sent_a += n;
			}
			if (frame_off < frame_len) {
				ssize_t w = write(client, frame + frame_off, frame_len - frame_off);
				if (w > 0)
					frame_off += (size_t)w;
			}
		}
		if (b->sent_b < BULK_OCTETS && (p[1].revents & POLLOUT)) {
			size_t n = sizeof(chunk);
			ssize_t w;

			if (n > BULK_OCTETS - b->sent_b)
				n = BULK_OCTETS - b->sent_b;
			for (size_t i = 0; i < n; i++)
				chunk[i] = pattern(b->sent_b + i, 1);
			w = write(target, chunk, n);
			if (w > 0)
				b->sent_b += (size_t)w;
		}
		if (p[1].revents & (POLLIN | POLLHUP)) {
			ssize_t r = read(target, chunk, sizeof(chunk));
			for (ssize_t i = 0; i < r; i++)
				if (chunk[i] != pattern(b->got_a + (size_t)i, 0))
					b->bad_a = true;
			if (r > 0)
				b->got_a += (size_t)r;
			else if (r == 0)
				b->target_eof = true;
		}
		if (b->target_eof && b->sent_b == BULK_OCTETS && !b->target_shut) {
			shutdown(target, SHUT_WR);
			b->target_shut = true;
		}
		if (p[0].revents & (POLLIN | POLLHUP)) {
			ssize_t r = read(client, from_relay + held, sizeof(from_relay) - held);
			if (r > 0)
				held += (size_t)r;
			else if (r == 0)
				b->client_eof = true;
			while (held >= 4) {
				size_t len = (size_t)from_relay[2] << 8 | from_relay[3];
				gss_buffer_desc in = { len, from_relay + 4 }, plain;
				int cs = -1;

				if (from_relay[0] != 1 || from_relay[1] != 3) {
					b->bad_b = true;
					held = 0;
					break;
				}
				if (held < 4 + len)
					break;
				if (gss_unwrap(&minor, ctx, &in, &plain, &cs, NULL) != GSS_S_COMPLETE) {
					b->bad_b = true;
				} else {
					const uint8_t *q = plain.value;
					if (cs != conf)
						b->bad_conf = true;
					for (size_t i = 0; i < plain.length; i++)
						if (q[i] != pattern(b->got_b + i, 1))
							b->bad_b = true;
					b->got_b += plain.length;
					gss_release_buffer(&minor, &plain);
				}
				memmove(from_relay, from_relay + 4 + len, held - 4 - len);
				held -= 4 + len;
			}
		}
	}
}

static void test_bulk(void)
{
	struct bulk b = { 0 };
	gss_ctx_id_t ctx;
	uint8_t buf[64];
	int conf = -1, client, target;
	long n;

	client = new_session(1, GSS_LEVEL_CONFIDENTIALITY, &ctx);
	send_wrapped(client, ctx, 1, request_ipv4, sizeof(request_ipv4), false);
	if (expect_request(1)) {
		target = answer(1, SOCKS5_REP_OK);
		n = recv_unwrapped(client, ctx, buf, &conf);
		ok(n == (long)sizeof(reply_ok) && memcmp(buf, reply_ok, sizeof(reply_ok)) == 0 &&
		   conf == 1, "confidentiality: reply 05 00 10.0.0.1:4321, wrapped with conf");
		bulk_transfer(client, target, ctx, 1, &b);
		ok(b.got_a == BULK_OCTETS && !b.bad_a, "target got %zu of %u client octets intact",
		   b.got_a, BULK_OCTETS);
		ok(b.got_b == BULK_OCTETS && !b.bad_b, "client got %zu of %u target octets intact",
		   b.got_b, BULK_OCTETS);
		ok(!b.bad_conf, "every frame to the client carried confidentiality");
		expect_end(1, IPC_END_CLIENT_CLOSE, BULK_OCTETS, BULK_OCTETS);
		close(target);
	}
	close(client);
}

static void test_integrity_refuses_conf(void)
{
	gss_ctx_id_t ctx;
	uint8_t buf[64];
	int conf = -1, client, target;
	long n;

	client = new_session(2, GSS_LEVEL_INTEGRITY, &ctx);
	send_wrapped(client, ctx, 0, request_ipv4, sizeof(request_ipv4), false);
	if (expect_request(2)) {
		target = answer(2, SOCKS5_REP_OK);
		n = recv_unwrapped(client, ctx, buf, &conf);
		ok(n == (long)sizeof(reply_ok) && conf == 0, "integrity: reply wrapped without conf");
		send_wrapped(client, ctx, 0, "good", 4, false);
		send_wrapped(client, ctx, 1, "secret", 6, false);
		expect_end(2, IPC_END_UNWRAP_FAILURE, 4, 0);
		n = read(target, buf, sizeof(buf));
		ok(n == 4 && memcmp(buf, "good", 4) == 0, "integrity: only the good frame reached the target");
		ok(read(target, buf, sizeof(buf)) == 0, "integrity: then the target sees end of file");
		close(target);
	}
	close(client);
}

static void test_tampered(void)
{
	gss_ctx_id_t ctx;
	uint8_t buf[64];
	int conf, client, target;

	client = new_session(3, GSS_LEVEL_CONFIDENTIALITY, &ctx);
	send_wrapped(client, ctx, 1, request_ipv4, sizeof(request_ipv4), false);
	if (expect_request(3)) {
		target = answer(3, SOCKS5_REP_OK);
		(void)recv_unwrapped(client, ctx, buf, &conf);
		send_wrapped(client, ctx, 1, "tampered data here", 18, true);
		expect_end(3, IPC_END_UNWRAP_FAILURE, 0, 0);
		ok(read(target, buf, sizeof(buf)) == 0, "tampered frame: the target got nothing");
		close(target);
	}
	close(client);
}

/*
 * A frame whose token starts with an RFC 1964 token ID (01 02: Wrap, 01 01:
 * MIC) on an AES (CFX) context: MIT 1.20.1's gss_unwrap_iov(STREAM)
 * dereferences NULL on it, which killed the worker and every session in
 * it.  It must end only its own session.
 */
static void test_rfc1964_token_id(void)
{
	static const uint8_t ids[2][2] = { { 0x01, 0x02 }, { 0x01, 0x01 } };

	for (int i = 0; i < 2; i++) {
		uint64_t sid = 20 + (uint64_t)i;
		uint8_t frame[4 + 64], buf[64];
		gss_ctx_id_t ctx;
		int conf, client, target, status;

		client = new_session(sid, GSS_LEVEL_CONFIDENTIALITY, &ctx);
		send_wrapped(client, ctx, 1, request_ipv4, sizeof(request_ipv4), false);
		if (!expect_request(sid)) {
			close(client);
			continue;
		}
		target = answer(sid, SOCKS5_REP_OK);
		(void)recv_unwrapped(client, ctx, buf, &conf);
		memset(frame, 0xff, sizeof(frame));
		frame[0] = GSSFRAME_VERSION;
		frame[1] = GSSFRAME_DATA;
		frame[2] = 0;
		frame[3] = 64;
		frame[4] = ids[i][0];
		frame[5] = ids[i][1];
		write_all(client, frame, sizeof(frame));
		expect_end(sid, IPC_END_UNWRAP_FAILURE, 0, 0);
		ok(waitpid(relay_pid, &status, WNOHANG) == 0,
		   "token ID %02x %02x on an AES context: the worker is still running",
		   ids[i][0], ids[i][1]);
		ok(read(target, buf, sizeof(buf)) == 0, "token ID %02x %02x: the target got nothing",
		   ids[i][0], ids[i][1]);
		close(target);
		close(client);
	}
}

static void test_refused(void)
{
	gss_ctx_id_t ctx;
	uint8_t buf[64];
	int conf, client;
	long n;

	client = new_session(4, GSS_LEVEL_CONFIDENTIALITY, &ctx);
	send_wrapped(client, ctx, 1, request_ipv4, sizeof(request_ipv4), false);
	if (expect_request(4)) {
		(void)answer(4, SOCKS5_REP_REFUSED);
		n = recv_unwrapped(client, ctx, buf, &conf);
		ok(n == 10 && buf[0] == 5 && buf[1] == SOCKS5_REP_REFUSED, "refusal: wrapped 05 05");
		expect_end(4, IPC_END_REQUEST_REFUSED, -1, -1);
		ok(read(client, buf, 1) == 0, "refusal: then end of file");
	}
	close(client);

	client = new_session(5, GSS_LEVEL_CONFIDENTIALITY, &ctx);
	send_wrapped(client, ctx, 1, (const uint8_t[]){ 5, 1, 0, 9, 1, 2, 3, 4, 0, 80 }, 10, false);
	n = recv_unwrapped(client, ctx, buf, &conf);
	ok(n == 10 && buf[1] == SOCKS5_REP_ATYP_UNSUPPORTED,
	   "unknown ATYP: refused by the relay itself with 08");
	expect_end(5, IPC_END_PROTOCOL_ERROR, -1, -1);
	close(client);
}

/* A BIND as the master sees it: RELAY_REQUEST, then BIND_LISTENING. */
static bool bind_start(uint64_t sid, int client, gss_ctx_id_t ctx)
{
	static const uint8_t request_bind[] = { 5, 2, 0, 1, 127, 0, 0, 1, 0, 0 };
	struct ipc_relay_bind_listening l = { .session_id = sid };
	struct ipc_relay_request r;
	uint8_t buf[64];
	int conf = -1;
	long n;

	send_wrapped(client, ctx, 1, request_bind, sizeof(request_bind), false);
	if (!master_expect(IPC_RELAY_REQUEST) || ipc_decode_relay_request(&msg, &r) < 0 ||
	    !ok(r.session_id == sid && r.request.cmd == SOCKS5_CMD_BIND,
		"bind %llu: BIND forwarded to the master", (unsigned long long)sid))
		return false;
	l.bound.atyp = SOCKS5_ATYP_IPV4;
	l.bound.u.ipv4[0] = 10;
	l.bound.u.ipv4[3] = 9;
	l.bound.port = 5555;
	if (ipc_send_bind_listening(master_fd, &l) < 0)
		bail("sending BIND_LISTENING");
	n = recv_unwrapped(client, ctx, buf, &conf);
	return ok(n == 10 && memcmp(buf, (const uint8_t[]){ 5, 0, 0, 1, 10, 0, 0, 9, 0x15, 0xb3 },
				      10) == 0 && conf == 1,
		  "bind %llu: first reply, wrapped, names where the master listens",
		  (unsigned long long)sid);
}

/*
 * BIND (relay/bind.c): two wrapped replies, early client data kept for the
 * peer, then CONNECT's data path; a failure as the second answer ends the
 * session after its reply; a client that leaves while the BIND waits ends
 * it (so the master closes the listener), even behind a full buffer.
 */
static void test_bind(void)
{
	gss_ctx_id_t ctx;
	uint8_t buf[64];
	int conf = -1, client, target;
	long n;

	client = new_session(20, GSS_LEVEL_CONFIDENTIALITY, &ctx);
	if (bind_start(20, client, ctx)) {
		send_wrapped(client, ctx, 1, "early", 5, false);
		target = answer(20, SOCKS5_REP_OK);
		n = recv_unwrapped(client, ctx, buf, &conf);
		ok(n == 10 && memcmp(buf, reply_ok, 10) == 0 && conf == 1,
		   "bind: second reply, wrapped, names the peer");
		ok(read_all(target, buf, 5) == 1 && memcmp(buf, "early", 5) == 0,
		   "bind: what the client sent before the peer came reaches it");
		write_all(target, "peer", 4);
		n = recv_unwrapped(client, ctx, buf, &conf);
		ok(n == 4 && memcmp(buf, "peer", 4) == 0, "bind: the peer's bytes reach the client");
		close(target);
		ok(recv_unwrapped(client, ctx, buf, &conf) == -1,
		   "bind: the peer's end of file reaches the client");
		shutdown(client, SHUT_WR);
		expect_end(20, IPC_END_TARGET_CLOSE, 5, 4);
	}
	close(client);

	client = new_session(21, GSS_LEVEL_CONFIDENTIALITY, &ctx);
	if (bind_start(21, client, ctx)) {
		(void)answer(21, SOCKS5_REP_TTL_EXPIRED);
		n = recv_unwrapped(client, ctx, buf, &conf);
		ok(n == 10 && buf[1] == SOCKS5_REP_TTL_EXPIRED, "bind timeout: second reply 06");
		expect_end(21, IPC_END_REQUEST_REFUSED, -1, -1);
		ok(read(client, buf, 1) == 0, "bind timeout: then end of file");
	}
	close(client);

	client = new_session(22, GSS_LEVEL_CONFIDENTIALITY, &ctx);
	if (bind_start(22, client, ctx)) {
		close(client);
		expect_end(22, IPC_END_CLIENT_CLOSE, -1, -1);
	} else {
		close(client);
	}
	/* More early data than the relay buffers, then the client goes: the
	 * hang-up cannot be read past the full buffer, and must still end the
	 * session (not wake the worker forever). */
	client = new_session(23, GSS_LEVEL_CONFIDENTIALITY, &ctx);
	if (bind_start(23, client, ctx)) {
		static uint8_t chunk[30000];

		for (int i = 0; i < 3; i++)
			send_wrapped(client, ctx, 1, chunk, sizeof(chunk), false);
		close(client);
		expect_end(23, IPC_END_CLIENT_CLOSE, -1, -1);
	} else {
		close(client);
	}
}

static void test_selective(void)
{
	gss_ctx_id_t ctx;
	uint8_t buf[64];
	int conf = -1, client, target;
	long n;

	client = new_session(6, GSS_LEVEL_SELECTIVE, &ctx);
	send_wrapped(client, ctx, 0, request_ipv4, sizeof(request_ipv4), false);
	if (!expect_request(6)) {
		close(client);
		return;
	}
	target = answer(6, SOCKS5_REP_OK);
	n = recv_unwrapped(client, ctx, buf, &conf);
	ok(n == 10 && conf == 1, "selective: the relay wraps with confidentiality by default");
	send_wrapped(client, ctx, 0, "ab", 2, false);
	send_wrapped(client, ctx, 1, "cd", 2, false);
	ok(read_all(target, buf, 4) == 1 && memcmp(buf, "abcd", 4) == 0,
	   "selective: frames with and without conf both accepted");
	close(target);
	ok(recv_unwrapped(client, ctx, buf, &conf) == -1,
	   "selective: target close reaches the client as end of file");
	close(client);
	expect_end(6, IPC_END_TARGET_CLOSE, 4, 0);
}

static void test_timeout(void)
{
	gss_ctx_id_t ctx;
	int client = new_session(7, GSS_LEVEL_CONFIDENTIALITY, &ctx);

	expect_end(7, IPC_END_TIMEOUT, 0, 0);
	close(client);
}

/*
 * Ask the worker for an authproc channel as the master does
 * (RELAY_MAKE_CHANNEL) and return the end it sends up for authproc
 * (RELAY_CHANNEL_MADE), checking that the worker made the pair itself
 * (SO_PEERCRED: its pid) and echoed slot and generation.
 */
static int ask_channel(uint32_t generation)
{
	struct ipc_auth_relay_channel ch = { .relay_slot = 0, .generation = generation };
	struct ipc_auth_relay_channel got;
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (ipc_send_relay_channel(master_fd, IPC_RELAY_MAKE_CHANNEL, &ch, -1) < 0)
		bail("sending RELAY_MAKE_CHANNEL");
	if (!master_expect(IPC_RELAY_CHANNEL_MADE) || msg.fd < 0 ||
	    ipc_decode_relay_channel(&msg, &got) < 0)
		bail("no RELAY_CHANNEL_MADE from the relay");
	if (getsockopt(msg.fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		bail("SO_PEERCRED");
	ok(got.relay_slot == 0 && got.generation == generation && cred.pid == relay_pid,
	   "RELAY_MAKE_CHANNEL (generation %u): the relay made the pair (pid %ld) and "
	   "sent one end up", (unsigned)generation, (long)cred.pid);
	return msg.fd;
}

static const uint8_t channel_junk[16] = { 0, 5, 0, 0, 0, 0, 0, 8 };

/* Junk on one of two authproc channels: that one is dropped, the worker
 * goes on with the other. */
static void test_channel_junk(void)
{
	struct pollfd p = { .fd = -1, .events = POLLIN };
	int second = ask_channel(2);
	char c;

	if (send(channel_fd, channel_junk, sizeof(channel_junk), 0) < 0)
		bail("send");
	p.fd = channel_fd;
	(void)poll(&p, 1, 2000);
	ok(recv(channel_fd, &c, 1, MSG_DONTWAIT) == 0,
	   "junk on an authproc channel: the relay drops that channel");
	close(channel_fd);
	channel_fd = second;
}

/*
 * A worker that loses its last authproc channel leaves (exit 3) while the
 * master channel is open, so that the master respawns it: at once when
 * the channel broke (junk), and at end of file when no session is live.
 */
/*
 * The worker's frame buffers (relay/framepool.h), as it reports them at
 * debug level when the watchdog pings: PING, then the report among the
 * IPC_LOG lines before the PONG.  false when no report came.
 */
static bool pool_report(size_t *in_use, size_t *free_count)
{
	static uint32_t seq = 1000;
	struct pollfd p = { .fd = master_fd, .events = POLLIN };
	static struct ipc_log lg;
	bool got = false;
	const char *at;

	if (ipc_send_ping(master_fd, ++seq) < 0)
		bail("sending PING");
	for (;;) {
		if (poll(&p, 1, 5000) <= 0 ||
		    ipc_recv(master_fd, IPC_CHAN_MASTER_FROM_RELAY, &msg) != 1)
			return false;
		if (msg.type == IPC_PONG)
			return got;
		if (msg.type != IPC_LOG || ipc_decode_log(&msg, &lg) < 0)
			return false;
		fprintf(stderr, "gssocks-relay: %s\n", lg.text);
		at = strstr(lg.text, "frame buffers: ");
		if (at != NULL && sscanf(at, "frame buffers: %zu in use, %zu free", in_use,
					 free_count) == 2)
			got = true;
	}
}

/* Write a pattern to fd until the kernel's buffers are full (a write
 * stays refused for half a second: back-pressure reached the writer);
 * returns the octets written. */
static size_t fill_until_blocked(int fd, uint64_t *k)
{
	static uint8_t chunk[1 << 16];
	size_t written = 0;
	int stuck = 0;

	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	while (stuck < 5 && written < (64u << 20)) {
		ssize_t n;

		for (size_t i = 0; i < sizeof(chunk); i++)
			chunk[i] = pattern(*k + i, 1);
		n = write(fd, chunk, sizeof(chunk));
		if (n > 0) {
			*k += (uint64_t)n;
			written += (size_t)n;
			stuck = 0;
			continue;
		}
		if (n < 0 && errno != EAGAIN)
			bail("write to the relay");
		stuck++;
		poll(NULL, 0, 100);
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return written;
}

/*
 * An idle session holds no frame buffer; one holds a buffer only while
 * bytes wait in it: a partial frame from the client, or a frame the client
 * does not read (back-pressure: the target is then not read either).
 */
static void test_pool(void)
{
	static uint8_t buf[GSSFRAME_MAX_TOKEN];
	gss_buffer_desc in = { 5, (void *)"hello" }, out;
	size_t in_use = 99, nfree = 99, sent, got = 0;
	OM_uint32 minor = 0;
	gss_ctx_id_t ctx;
	uint8_t frame[256];
	int conf = -1, client, target;
	uint64_t k = 0;
	bool intact = true, reported;
	long n;

	client = new_session(9, GSS_LEVEL_CONFIDENTIALITY, &ctx);
	send_wrapped(client, ctx, 1, request_ipv4, sizeof(request_ipv4), false);
	if (!expect_request(9)) {
		close(client);
		return;
	}
	target = answer(9, SOCKS5_REP_OK);
	n = recv_unwrapped(client, ctx, buf, &conf);
	ok(n == (long)sizeof(reply_ok), "pool: reply");
	send_wrapped(client, ctx, 1, "ping!", 5, false);
	write_all(target, "pong!", 5);
	ok(read_all(target, buf, 5) == 1 && recv_unwrapped(client, ctx, buf, &conf) == 5,
	   "pool: a frame each way");
	reported = pool_report(&in_use, &nfree);
	ok(reported, "pool: the worker reports its frame buffers");
	is_int((long long)in_use, 0, "pool: the idle session holds no frame buffer");
	ok(nfree <= 8, "pool: at most 8 free buffers kept (%zu)", nfree);

	/* A frame cut in two: the first part is held in a buffer. */
	gss_or_bail(gss_wrap(&minor, ctx, 1, GSS_C_QOP_DEFAULT, &in, &conf, &out), "gss_wrap");
	frame[0] = GSSFRAME_VERSION;
	frame[1] = GSSFRAME_DATA;
	frame[2] = (uint8_t)(out.length >> 8);
	frame[3] = (uint8_t)out.length;
	memcpy(frame + 4, out.value, out.length);
	write_all(client, frame, 7);
	poll(NULL, 0, 100);
	reported = pool_report(&in_use, &nfree);
	ok(reported && in_use == 1, "pool: a partial frame holds one buffer (%zu)", in_use);
	write_all(client, frame + 7, 4 + out.length - 7);
	ok(read_all(target, buf, 5) == 1 && memcmp(buf, "hello", 5) == 0,
	   "pool: the rest of the frame completes it");
	gss_release_buffer(&minor, &out);
	reported = pool_report(&in_use, &nfree);
	ok(reported && in_use == 0, "pool: then none again (%zu)", in_use);

	/* Back-pressure: the client does not read. */
	sent = fill_until_blocked(target, &k);
	reported = pool_report(&in_use, &nfree);
	ok(sent > 0 && reported && in_use == 1,
	   "pool: a client that does not read: one buffer held (%zu) after %zu octets",
	   in_use, sent);
	while (got < sent) {
		n = recv_unwrapped(client, ctx, buf, &conf);
		if (n <= 0)
			break;
		for (long i = 0; i < n; i++)
			if (buf[i] != pattern(got + (uint64_t)i, 1))
				intact = false;
		got += (size_t)n;
	}
	ok(got == sent && intact, "pool: the client then reads all %zu octets intact", got);
	reported = pool_report(&in_use, &nfree);
	ok(reported && in_use == 0 && nfree <= 8,
	   "pool: drained: no buffer in use (%zu), %zu free", in_use, nfree);
	close(target);
	ok(recv_unwrapped(client, ctx, buf, &conf) == -1, "pool: target close reaches the client");
	close(client);
	expect_end(9, IPC_END_TARGET_CLOSE, 10, 5 + (long long)sent);
}

/* The realm's krb5.conf, for the relays this test starts. */
static char realm_krb5_config[4096];

static void start_relay(const char *relay);

static void test_last_channel_lost(const char *relay, bool junk)
{
	struct pollfd p = { .fd = -1, .events = POLLIN };
	int status = 0;
	char c;

	start_relay(relay);
	if (junk) {
		if (send(channel_fd, channel_junk, sizeof(channel_junk), 0) < 0)
			bail("send");
	} else {
		close(channel_fd);
		channel_fd = -1;
	}
	p.fd = master_fd;
	/* Its log lines (IPC_LOG) come first, then end of file. */
	for (;;) {
		(void)poll(&p, 1, 5000);
		if (ipc_recv(master_fd, IPC_CHAN_MASTER_FROM_RELAY, &msg) != 1 ||
		    (msg.type != IPC_LOG && msg.type != IPC_RELAY_PROGRESS))
			break;
	}
	ok(recv(master_fd, &c, 1, MSG_DONTWAIT) == 0,
	   junk ? "junk on the last authproc channel: the relay closes its master channel"
		: "end of file on the last authproc channel, no session: the relay leaves");
	if (waitpid(relay_pid, &status, 0) == relay_pid)
		relay_pid = -1;
	ok(relay_pid < 0 && WIFEXITED(status) && WEXITSTATUS(status) == 3,
	   "it exits 3 (to be respawned with a new channel)");
	if (channel_fd >= 0)
		close(channel_fd);
	channel_fd = -1;
	close(master_fd);
}

static void test_clear(void)
{
	uint8_t request[15], buf[64];
	gss_ctx_id_t ctx;
	int client, target;

	client = new_session(8, GSS_LEVEL_CLEAR, &ctx);
	memcpy(request, request_ipv4, 10);
	memcpy(request + 10, "hello", 5);
	write_all(client, request, sizeof(request));
	if (expect_request(8)) {
		target = answer(8, SOCKS5_REP_OK);
		ok(read_all(client, buf, 10) == 1 && memcmp(buf, reply_ok, 10) == 0,
		   "clear: plain reply");
		ok(read_all(target, buf, 5) == 1 && memcmp(buf, "hello", 5) == 0,
		   "clear: data sent right after the request reaches the target");
		write_all(target, "world", 5);
		close(target);
		ok(read_all(client, buf, 5) == 1 && memcmp(buf, "world", 5) == 0,
		   "clear: target data reaches the client");
		ok(read(client, buf, 1) == 0, "clear: then end of file");
		close(client);
		expect_end(8, IPC_END_TARGET_CLOSE, 5, 5);
	} else {
		close(client);
	}
}

/* The realm's krb5.conf, for the relays this test starts. */
static char realm_krb5_config[4096];

static void start_relay(const char *relay)
{
	int mp[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, mp) < 0)
		bail("socketpair");
	relay_pid = fork();
	if (relay_pid < 0)
		bail("fork");
	if (relay_pid == 0) {
		if (dup2(mp[1], IPC_CHILD_MASTER_FD) < 0)
			_exit(127);
		for (int fd = IPC_CHILD_MASTER_FD + 1; fd < 256; fd++)
			close(fd);
		/* The relay freezes the realm's file itself, as under gssocksd. */
		setenv("KRB5_CONFIG", realm_krb5_config, 1);
		execl(relay, "gssocks-relay", "--slot", "0", "--request-timeout", "2",
		      "--verbose", (char *)NULL);
		_exit(127);
	}
	close(mp[1]);
	master_fd = mp[0];
	set_timeouts(master_fd);
	channel_fd = ask_channel(1);
}

int main(int argc, char **argv)
{
	int status;

	if (argc != 3) {
		fprintf(stderr, "usage: %s RELAY_BINARY MKREALM_SH\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	realm_up(argv[2]);
	/* Export as authproc does: from a frozen profile (common/krb5_profile.h),
	 * whose /proc/self/fd names the relay resolves to its own copy. */
	snprintf(realm_krb5_config, sizeof(realm_krb5_config), "%s",
		 getenv("KRB5_CONFIG") != NULL ? getenv("KRB5_CONFIG") : "/etc/krb5.conf");
	{
		char err[512];

		if (krb5_profile_freeze(err, sizeof(err)) < 0) {
			printf("Bail out! %s\n", err);
			return 1;
		}
	}
	start_relay(argv[1]);

	test_bulk();
	test_integrity_refuses_conf();
	test_tampered();
	test_rfc1964_token_id();
	test_refused();
	test_bind();
	test_selective();
	test_timeout();
	test_channel_junk();
	test_clear();
	test_pool();

	close(master_fd);
	if (waitpid(relay_pid, &status, 0) == relay_pid)
		relay_pid = -1;
	ok(relay_pid < 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "the relay exits 0 when the master goes away");
	close(channel_fd);
	test_last_channel_lost(argv[1], true);
	test_last_channel_lost(argv[1], false);
	for (size_t i = 0; i < initiator_count; i++) {
		OM_uint32 minor;

		(void)gss_delete_sec_context(&minor, &initiators[i], GSS_C_NO_BUFFER);
	}
	return done_testing();
}
