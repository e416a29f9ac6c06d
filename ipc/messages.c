/*
 * messages.c - payload encoders and decoders for every IPC message, and the
 * ipc_send_* helpers (see ipc.h).
 *
 * Trust zone: shared.  Decoders run on payloads from possibly compromised
 * peers: each one checks the message type it expects, reads every field
 * through an rbuf with a hard cap, checks ranges (level 0..3, REP 0..8,
 * end reason within the enum, context 1..IPC_CONTEXT_MAX octets, non-empty
 * principals), checks the fd rule that depends on a field (a request
 * result carries an fd iff REP is 0), and demands that every byte was
 * consumed.  Encoders refuse what a decoder would refuse, so a bug in the
 * sender shows up on its own side.
 *
 * Payload layouts (all integers in network order; strings are a u16 length
 * and that many octets, no NUL; blobs a u32 length):
 *   AUTH_CLIENT          u64 sid | u32 relay_slot | str peer
 *   AUTH_RELAY_CHANNEL,  u32 relay_slot | u32 generation | u32 authproc_slot
 *   RELAY_MAKE_CHANNEL,
 *   RELAY_CHANNEL_MADE
 *   AUTH_OK              u64 sid | u8 level | u8 nec | str principal | str mechanism
 *   AUTH_FAIL            u64 sid | str reason
 *   AUTH_CANCEL          u64 sid (not 0)
 *   AUTH_LEVEL_QUERY     u64 sid | u8 requested | u8 nec | u8 flags |
 *                        str principal | str mechanism
 *   AUTH_LEVEL_ANSWER    u64 sid | u8 level (0..3 or 0xff abort) | str reason
 *   RELAY_SESSION        u64 sid | u8 level | str principal | blob context
 *   RELAY_REQUEST        u64 sid | u8 cmd | ATYP ADDR PORT
 *   RELAY_REQUEST_RESULT u64 sid | u8 rep | ATYP ADDR PORT | u32 idle_timeout |
 *                        u32 max_duration
 *   RELAY_BIND_LISTENING u64 sid | ATYP ADDR PORT (IPv4 or IPv6, port != 0)
 *   RELAY_SESSION_END    u64 sid | u64 from_client | u64 to_client | u8 reason
 *   LOG                  u8 level (0..3) | str text (< IPC_LOG_TEXT_MAX)
 *   SPAWN_CHILD          u32 slot                       (+ fd, always)
 *   SPAWN_RESULT         u32 pid (0..INT_MAX) | u32 errno (0 iff pid != 0,
 *                        else 1..IPC_SPAWN_ERRNO_MAX)
 *   SPAWN_SIGNAL         u32 pid (1..INT_MAX) | u32 signal (SIGTERM/SIGKILL)
 *   PING, PONG           u32 seq
 *   RELAY_PROGRESS       u16 count (1..IPC_PROGRESS_MAX) |
 *                        count x (u64 sid (not 0) | u64 from_client | u64 to_client)
 *   RELAY_END_SESSION    u64 sid (not 0)
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>

#include <gssapi/gssapi.h>

#include "gssframe.h"
#include "ipc.h"

/* A C string stored in an array of `size` with a cap of `size` incl. NUL. */
static bool string_fits(const char *s, size_t size, bool nonempty)
{
	size_t n = strnlen(s, size);

	return n < size && (!nonempty || n > 0);
}

static int encode_fail(struct wbuf *wb)
{
	wb->error = true;
	errno = EINVAL;
	return -1;
}

static int encode_end(struct wbuf *wb)
{
	if (wbuf_ok(wb) < 0) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

static int decode_end(struct rbuf *rb)
{
	if (rbuf_done(rb) < 0) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

static int decode_fail(void)
{
	errno = EPROTO;
	return -1;
}

static bool decode_begin(const struct ipc_msg *msg, uint16_t type, struct rbuf *rb)
{
	if (msg->type != type || msg->len > sizeof(msg->payload))
		return false;
	rbuf_init(rb, msg->payload, msg->len);
	return true;
}

/* ---- AUTH_CLIENT ------------------------------------------------------ */

int ipc_encode_auth_client(struct wbuf *wb, const struct ipc_auth_client *m)
{
	if (!string_fits(m->peer, sizeof(m->peer), false))
		return encode_fail(wb);
	(void)wbuf_put_u64(wb, m->session_id);
	(void)wbuf_put_u32(wb, m->relay_slot);
	(void)wbuf_put_string(wb, m->peer);
	return encode_end(wb);
}

int ipc_decode_auth_client(const struct ipc_msg *msg, struct ipc_auth_client *m)
{
	struct rbuf rb;

	memset(m, 0, sizeof(*m));
	if (!decode_begin(msg, IPC_AUTH_CLIENT, &rb))
		return decode_fail();
	(void)rbuf_get_u64(&rb, &m->session_id);
	(void)rbuf_get_u32(&rb, &m->relay_slot);
	(void)rbuf_get_string(&rb, m->peer, sizeof(m->peer));
	return decode_end(&rb);
}

/* ---- RELAY_MAKE_CHANNEL, RELAY_CHANNEL_MADE, AUTH_RELAY_CHANNEL ------- */

static bool relay_channel_type(uint16_t type)
{
	return type == IPC_RELAY_MAKE_CHANNEL || type == IPC_RELAY_CHANNEL_MADE ||
	       type == IPC_AUTH_RELAY_CHANNEL;
}

int ipc_encode_relay_channel(struct wbuf *wb, const struct ipc_auth_relay_channel *m)
{
	(void)wbuf_put_u32(wb, m->relay_slot);
	(void)wbuf_put_u32(wb, m->generation);
	(void)wbuf_put_u32(wb, m->authproc_slot);
	return encode_end(wb);
}

int ipc_decode_relay_channel(const struct ipc_msg *msg, struct ipc_auth_relay_channel *m)
{
	struct rbuf rb;

	memset(m, 0, sizeof(*m));
	if (!relay_channel_type(msg->type) || !decode_begin(msg, msg->type, &rb))
		return decode_fail();
	(void)rbuf_get_u32(&rb, &m->relay_slot);
	(void)rbuf_get_u32(&rb, &m->generation);
	(void)rbuf_get_u32(&rb, &m->authproc_slot);
	return decode_end(&rb);
}

/* ---- AUTH_OK ---------------------------------------------------------- */

int ipc_encode_auth_ok(struct wbuf *wb, const struct ipc_auth_ok *m)
{
	if (m->level > GSS_LEVEL_SELECTIVE || m->nec > 1 ||
	    !string_fits(m->principal, sizeof(m->principal), true) ||
	    !string_fits(m->mechanism, sizeof(m->mechanism), false) ||
	    !string_fits(m->service, sizeof(m->service), true))
		return encode_fail(wb);
	(void)wbuf_put_u64(wb, m->session_id);
	(void)wbuf_put_u8(wb, m->level);
	(void)wbuf_put_u8(wb, m->nec);
	(void)wbuf_put_string(wb, m->principal);
	(void)wbuf_put_string(wb, m->mechanism);
	(void)wbuf_put_string(wb, m->service);
	return encode_end(wb);
}

int ipc_decode_auth_ok(const struct ipc_msg *msg, struct ipc_auth_ok *m)
{
	struct rbuf rb;

	memset(m, 0, sizeof(*m));
	if (!decode_begin(msg, IPC_AUTH_OK, &rb))
		return decode_fail();
	(void)rbuf_get_u64(&rb, &m->session_id);
	(void)rbuf_get_u8(&rb, &m->level);
	(void)rbuf_get_u8(&rb, &m->nec);
	(void)rbuf_get_string(&rb, m->principal, sizeof(m->principal));
	(void)rbuf_get_string(&rb, m->mechanism, sizeof(m->mechanism));
	(void)rbuf_get_string(&rb, m->service, sizeof(m->service));
	if (decode_end(&rb) < 0)
		return -1;
	if (m->level > GSS_LEVEL_SELECTIVE || m->nec > 1 || m->principal[0] == '\0' ||
	    m->service[0] == '\0')
		return decode_fail();
	return 0;
}

/* ---- AUTH_FAIL -------------------------------------------------------- */

int ipc_encode_auth_fail(struct wbuf *wb, const struct ipc_auth_fail *m)
{
	if (!string_fits(m->reason, sizeof(m->reason), false))
		return encode_fail(wb);
	(void)wbuf_put_u64(wb, m->session_id);
	(void)wbuf_put_string(wb, m->reason);
	return encode_end(wb);
}

int ipc_decode_auth_fail(const struct ipc_msg *msg, struct ipc_auth_fail *m)
{
	struct rbuf rb;

	memset(m, 0, sizeof(*m));
	if (!decode_begin(msg, IPC_AUTH_FAIL, &rb))
		return decode_fail();
	(void)rbuf_get_u64(&rb, &m->session_id);
	(void)rbuf_get_string(&rb, m->reason, sizeof(m->reason));
	return decode_end(&rb);
}

/* ---- AUTH_CANCEL ------------------------------------------------------ */

int ipc_encode_auth_cancel(struct wbuf *wb, const struct ipc_auth_cancel *m)
{
	if (m->session_id == 0)
		return encode_fail(wb);
	(void)wbuf_put_u64(wb, m->session_id);
	return encode_end(wb);
}

int ipc_decode_auth_cancel(const struct ipc_msg *msg, struct ipc_auth_cancel *m)
{
	struct rbuf rb;

	memset(m, 0, sizeof(*m));
	if (!decode_begin(msg, IPC_AUTH_CANCEL, &rb))
		return decode_fail();
	(void)rbuf_get_u64(&rb, &m->session_id);
	if (decode_end(&rb) < 0)
		return -1;
	if (m->session_id == 0)
		return decode_fail();
	return 0;
}

/* ---- AUTH_LEVEL_QUERY, AUTH_LEVEL_ANSWER ------------------------------ */

_Static_assert(IPC_CONTEXT_FLAGS == (GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG |
				    GSS_C_SEQUENCE_FLAG | GSS_C_REPLAY_FLAG),
	       "IPC_CONTEXT_FLAGS are the GSS-API's bits");

int ipc_encode_auth_level_query(struct wbuf *wb, const struct ipc_auth_level_query *m)
{
	if (m->nec > 1 || (m->flags & ~IPC_CONTEXT_FLAGS) != 0 ||
	    !string_fits(m->principal, sizeof(m->principal), true) ||
	    !string_fits(m->mechanism, sizeof(m->mechanism), false))
		return encode_fail(wb);
	(void)wbuf_put_u64(wb, m->session_id);
	(void)wbuf_put_u8(wb, m->requested);
	(void)wbuf_put_u8(wb, m->nec);
	(void)wbuf_put_u8(wb, m->flags);
	(void)wbuf_put_string(wb, m->principal);
	(void)wbuf_put_string(wb, m->mechanism);
	return encode_end(wb);
}

int ipc_decode_auth_level_query(const struct ipc_msg *msg, struct ipc_auth_level_query *m)
{
	struct rbuf rb;

	memset(m, 0, sizeof(*m));
	if (!decode_begin(msg, IPC_AUTH_LEVEL_QUERY, &rb))
		return decode_fail();
	(void)rbuf_get_u64(&rb, &m->session_id);
	(void)rbuf_get_u8(&rb, &m->requested);
	(void)rbuf_get_u8(&rb, &m->nec);
	(void)rbuf_get_u8(&rb, &m->flags);
	(void)rbuf_get_string(&rb, m->principal, sizeof(m->principal));
	(void)rbuf_get_string(&rb, m->mechanism, sizeof(m->mechanism));
	if (decode_end(&rb) < 0)
		return -1;
	if (m->nec > 1 || (m->flags & ~IPC_CONTEXT_FLAGS) != 0 || m->principal[0] == '\0')
		return decode_fail();
	return 0;
}

static bool answer_level_valid(uint8_t level)
{
	return level <= GSS_LEVEL_SELECTIVE || level == IPC_LEVEL_ABORT;
}

int ipc_encode_auth_level_answer(struct wbuf *wb, const struct ipc_auth_level_answer *m)
{
	if (!answer_level_valid(m->level) ||
	    !string_fits(m->reason, sizeof(m->reason), false))
		return encode_fail(wb);
	(void)wbuf_put_u64(wb, m->session_id);
	(void)wbuf_put_u8(wb, m->level);
	(void)wbuf_put_string(wb, m->reason);
	return encode_end(wb);
}

int ipc_decode_auth_level_answer(const struct ipc_msg *msg, struct ipc_auth_level_answer *m)
{
	struct rbuf rb;

	memset(m, 0, sizeof(*m));
	if (!decode_begin(msg, IPC_AUTH_LEVEL_ANSWER, &rb))
		return decode_fail();
	(void)rbuf_get_u64(&rb, &m->session_id);
	(void)rbuf_get_u8(&rb, &m->level);
	(void)rbuf_get_string(&rb, m->reason, sizeof(m->reason));
	if (decode_end(&rb) < 0)
		return -1;
	if (!answer_level_valid(m->level))
		return decode_fail();
	return 0;
}

/* ---- RELAY_SESSION ---------------------------------------------------- */

int ipc_encode_relay_session(struct wbuf *wb, const struct ipc_relay_session *m)
{
	if (m->level > GSS_LEVEL_SELECTIVE ||
	    !string_fits(m->principal, sizeof(m->principal), true) ||
	    m->context == NULL || m->context_len < 1 || m->context_len > IPC_CONTEXT_MAX)
		return encode_fail(wb);
	(void)wbuf_put_u64(wb, m->session_id);
	(void)wbuf_put_u8(wb, m->level);
	(void)wbuf_put_string(wb, m->principal);
	(void)wbuf_put_blob(wb, m->context, m->context_len);
	return encode_end(wb);
}

int ipc_decode_relay_session(const struct ipc_msg *msg, struct ipc_relay_session *m)
{
	struct rbuf rb;

	memset(m, 0, sizeof(*m));
	if (!decode_begin(msg, IPC_RELAY_SESSION, &rb))
		return decode_fail();
	(void)rbuf_get_u64(&rb, &m->session_id);
	(void)rbuf_get_u8(&rb, &m->level);
	(void)rbuf_get_string(&rb, m->principal, sizeof(m->principal));
	(void)rbuf_get_blob(&rb, &m->context, &m->context_len, IPC_CONTEXT_MAX);
	if (decode_end(&rb) < 0)
		goto bad;
	if (m->level > GSS_LEVEL_SELECTIVE || m->principal[0] == '\0' || m->context_len < 1)
		goto bad;
	return 0;
bad:
	m->context = NULL;
	m->context_len = 0;
	return decode_fail();
}

/* ---- RELAY_REQUEST ---------------------------------------------------- */

int ipc_encode_relay_request(struct wbuf *wb, const struct ipc_relay_request *m)
{
	(void)wbuf_put_u64(wb, m->session_id);
	(void)wbuf_put_u8(wb, m->request.cmd);
	if (socks5_addr_put(wb, &m->request.dst) < 0)
		return encode_fail(wb);
	return encode_end(wb);
}

int ipc_decode_relay_request(const struct ipc_msg *msg, struct ipc_relay_request *m)
{
	struct rbuf rb;

	memset(m, 0, sizeof(*m));
	if (!decode_begin(msg, IPC_RELAY_REQUEST, &rb))
		return decode_fail();
	(void)rbuf_get_u64(&rb, &m->session_id);
	(void)rbuf_get_u8(&rb, &m->request.cmd);
	(void)socks5_addr_get(&rb, &m->request.dst, NULL);
	return decode_end(&rb);
}

/* ---- RELAY_REQUEST_RESULT --------------------------------------------- */

/*
 * A failure result may leave `bound` zeroed (atyp 0): it is sent as
 * 0.0.0.0:0, which is what RFC 1928 replies carry when there is nothing to
 * report, so that callers need not invent an address.
 */
int ipc_encode_request_result(struct wbuf *wb, const struct ipc_relay_request_result *m)
{
	struct socks5_addr unspecified;
	const struct socks5_addr *bound = &m->bound;

	if (m->rep > SOCKS5_REP_ATYP_UNSUPPORTED)
		return encode_fail(wb);
	if (bound->atyp == 0) {
		memset(&unspecified, 0, sizeof(unspecified));
		unspecified.atyp = SOCKS5_ATYP_IPV4;
		bound = &unspecified;
	}
	(void)wbuf_put_u64(wb, m->session_id);
	(void)wbuf_put_u8(wb, m->rep);
	if (socks5_addr_put(wb, bound) < 0)
		return encode_fail(wb);
	(void)wbuf_put_u32(wb, m->idle_timeout);
	(void)wbuf_put_u32(wb, m->max_duration);
	return encode_end(wb);
}

int ipc_decode_request_result(const struct ipc_msg *msg, struct ipc_relay_request_result *m)
{
	struct rbuf rb;

	memset(m, 0, sizeof(*m));
	if (!decode_begin(msg, IPC_RELAY_REQUEST_RESULT, &rb))
		return decode_fail();
	(void)rbuf_get_u64(&rb, &m->session_id);
	(void)rbuf_get_u8(&rb, &m->rep);
	(void)socks5_addr_get(&rb, &m->bound, NULL);
	(void)rbuf_get_u32(&rb, &m->idle_timeout);
	(void)rbuf_get_u32(&rb, &m->max_duration);
	if (decode_end(&rb) < 0)
		return -1;
	if (m->rep > SOCKS5_REP_ATYP_UNSUPPORTED)
		return decode_fail();
	/* The outbound socket comes with success and only with success. */
	if ((m->rep == SOCKS5_REP_OK) != (msg->fd >= 0))
		return decode_fail();
	return 0;
}

/* ---- RELAY_BIND_LISTENING --------------------------------------------- */

/* A listening socket has an address and a port: nothing else is a reply. */
static bool bind_address_valid(const struct socks5_addr *a)
{
	return (a->atyp == SOCKS5_ATYP_IPV4 || a->atyp == SOCKS5_ATYP_IPV6) && a->port != 0;
}

int ipc_encode_bind_listening(struct wbuf *wb, const struct ipc_relay_bind_listening *m)
{
	if (!bind_address_valid(&m->bound))
		return encode_fail(wb);
	(void)wbuf_put_u64(wb, m->session_id);
	if (socks5_addr_put(wb, &m->bound) < 0)
		return encode_fail(wb);
	return encode_end(wb);
}

int ipc_decode_bind_listening(const struct ipc_msg *msg, struct ipc_relay_bind_listening *m)
{
	struct rbuf rb;

	memset(m, 0, sizeof(*m));
	if (!decode_begin(msg, IPC_RELAY_BIND_LISTENING, &rb))
		return decode_fail();
	(void)rbuf_get_u64(&rb, &m->session_id);
	(void)socks5_addr_get(&rb, &m->bound, NULL);
	if (decode_end(&rb) < 0)
		return -1;
	if (!bind_address_valid(&m->bound))
		return decode_fail();
	return 0;
}

/* ---- RELAY_SESSION_END ------------------------------------------------ */

static bool end_reason_valid(uint8_t reason)
{
	return reason >= IPC_END_CLIENT_CLOSE && reason <= IPC_END_ADMIN;
}

int ipc_encode_session_end(struct wbuf *wb, const struct ipc_relay_session_end *m)
{
	if (!end_reason_valid(m->reason))
		return encode_fail(wb);
	(void)wbuf_put_u64(wb, m->session_id);
	(void)wbuf_put_u64(wb, m->bytes_from_client);
	(void)wbuf_put_u64(wb, m->bytes_to_client);
	(void)wbuf_put_u8(wb, m->reason);
	return encode_end(wb);
}

int ipc_decode_session_end(const struct ipc_msg *msg, struct ipc_relay_session_end *m)
{
	struct rbuf rb;

	memset(m, 0, sizeof(*m));
	if (!decode_begin(msg, IPC_RELAY_SESSION_END, &rb))
		return decode_fail();
	(void)rbuf_get_u64(&rb, &m->session_id);
	(void)rbuf_get_u64(&rb, &m->bytes_from_client);
	(void)rbuf_get_u64(&rb, &m->bytes_to_client);
	(void)rbuf_get_u8(&rb, &m->reason);
	if (decode_end(&rb) < 0)
		return -1;
	if (!end_reason_valid(m->reason))
		return decode_fail();
	return 0;
}

/* ---- RELAY_UDP_DEST, RELAY_UDP_DEST_RESULT, RELAY_UDP_STATS ---------- */

int ipc_encode_udp_dest(struct wbuf *wb, const struct ipc_relay_udp_dest *m)
{
	(void)wbuf_put_u64(wb, m->session_id);
	if (socks5_addr_put(wb, &m->dst) < 0)
		return encode_fail(wb);
	return encode_end(wb);
}

int ipc_decode_udp_dest(const struct ipc_msg *msg, struct ipc_relay_udp_dest *m)
{
	struct rbuf rb;

	memset(m, 0, sizeof(*m));
	if (!decode_begin(msg, IPC_RELAY_UDP_DEST, &rb))
		return decode_fail();
	(void)rbuf_get_u64(&rb, &m->session_id);
	(void)socks5_addr_get(&rb, &m->dst, NULL);
	return decode_end(&rb);
}

int ipc_encode_udp_dest_result(struct wbuf *wb, const struct ipc_relay_udp_dest_result *m)
{
	if (m->rep > SOCKS5_REP_ATYP_UNSUPPORTED)
		return encode_fail(wb);
	(void)wbuf_put_u64(wb, m->session_id);
	(void)wbuf_put_u8(wb, m->rep);
	if (socks5_addr_put(wb, &m->dst) < 0)
		return encode_fail(wb);
	return encode_end(wb);
}

int ipc_decode_udp_dest_result(const struct ipc_msg *msg, struct ipc_relay_udp_dest_result *m)
{
	struct rbuf rb;

	memset(m, 0, sizeof(*m));
	if (!decode_begin(msg, IPC_RELAY_UDP_DEST_RESULT, &rb))
		return decode_fail();
	(void)rbuf_get_u64(&rb, &m->session_id);
	(void)rbuf_get_u8(&rb, &m->rep);
	(void)socks5_addr_get(&rb, &m->dst, NULL);
	if (decode_end(&rb) < 0)
		return -1;
	if (m->rep > SOCKS5_REP_ATYP_UNSUPPORTED)
		return decode_fail();
	/* The connected socket comes with success and only with success. */
	if ((m->rep == SOCKS5_REP_OK) != (msg->fd >= 0))
		return decode_fail();
	return 0;
}

int ipc_encode_udp_stats(struct wbuf *wb, const struct ipc_relay_udp_stats *m)
{
	(void)wbuf_put_u64(wb, m->session_id);
	(void)wbuf_put_u64(wb, m->datagrams_from_client);
	(void)wbuf_put_u64(wb, m->datagrams_to_client);
	(void)wbuf_put_u64(wb, m->bytes_from_client);
	(void)wbuf_put_u64(wb, m->bytes_to_client);
	for (unsigned i = 0; i < IPC_UDP_DROP_COUNT; i++)
		(void)wbuf_put_u64(wb, m->dropped[i]);
	return encode_end(wb);
}

int ipc_decode_udp_stats(const struct ipc_msg *msg, struct ipc_relay_udp_stats *m)
{
	struct rbuf rb;

	memset(m, 0, sizeof(*m));
	if (!decode_begin(msg, IPC_RELAY_UDP_STATS, &rb))
		return decode_fail();
	(void)rbuf_get_u64(&rb, &m->session_id);
	(void)rbuf_get_u64(&rb, &m->datagrams_from_client);
	(void)rbuf_get_u64(&rb, &m->datagrams_to_client);
	(void)rbuf_get_u64(&rb, &m->bytes_from_client);
	(void)rbuf_get_u64(&rb, &m->bytes_to_client);
	for (unsigned i = 0; i < IPC_UDP_DROP_COUNT; i++)
		(void)rbuf_get_u64(&rb, &m->dropped[i]);
	return decode_end(&rb);
}

/* ---- LOG -------------------------------------------------------------- */

int ipc_encode_log(struct wbuf *wb, const struct ipc_log *m)
{
	if (m->level > IPC_LOG_LEVEL_MAX || !string_fits(m->text, sizeof(m->text), false))
		return encode_fail(wb);
	(void)wbuf_put_u8(wb, m->level);
	(void)wbuf_put_string(wb, m->text);
	return encode_end(wb);
}

int ipc_decode_log(const struct ipc_msg *msg, struct ipc_log *m)
{
	struct rbuf rb;

	memset(m, 0, sizeof(*m));
	if (!decode_begin(msg, IPC_LOG, &rb))
		return decode_fail();
	(void)rbuf_get_u8(&rb, &m->level);
	(void)rbuf_get_string(&rb, m->text, sizeof(m->text));
	if (decode_end(&rb) < 0)
		return -1;
	if (m->level > IPC_LOG_LEVEL_MAX)
		return decode_fail();
	return 0;
}

/* ---- PING, PONG ------------------------------------------------------- */

int ipc_encode_ping(struct wbuf *wb, const struct ipc_ping *m)
{
	(void)wbuf_put_u32(wb, m->seq);
	return encode_end(wb);
}

static int decode_ping_pair(const struct ipc_msg *msg, uint16_t type, struct ipc_ping *m)
{
	struct rbuf rb;

	memset(m, 0, sizeof(*m));
	if (!decode_begin(msg, type, &rb))
		return decode_fail();
	(void)rbuf_get_u32(&rb, &m->seq);
	return decode_end(&rb);
}

int ipc_decode_ping(const struct ipc_msg *msg, struct ipc_ping *m)
{
	return decode_ping_pair(msg, IPC_PING, m);
}

int ipc_decode_pong(const struct ipc_msg *msg, struct ipc_ping *m)
{
	return decode_ping_pair(msg, IPC_PONG, m);
}

/* ---- RELAY_PROGRESS, RELAY_END_SESSION -------------------------------- */

int ipc_encode_relay_progress(struct wbuf *wb, const struct ipc_relay_progress *m)
{
	if (m->count == 0 || m->count > IPC_PROGRESS_MAX)
		return encode_fail(wb);
	for (size_t i = 0; i < m->count; i++)
		if (m->entry[i].session_id == 0)
			return encode_fail(wb);
	(void)wbuf_put_u16(wb, m->count);
	for (size_t i = 0; i < m->count; i++) {
		(void)wbuf_put_u64(wb, m->entry[i].session_id);
		(void)wbuf_put_u64(wb, m->entry[i].bytes_from_client);
		(void)wbuf_put_u64(wb, m->entry[i].bytes_to_client);
	}
	return encode_end(wb);
}

int ipc_decode_relay_progress(const struct ipc_msg *msg, struct ipc_relay_progress *m)
{
	struct rbuf rb;

	m->count = 0;
	if (!decode_begin(msg, IPC_RELAY_PROGRESS, &rb))
		return decode_fail();
	if (rbuf_get_u16(&rb, &m->count) < 0 || m->count == 0 || m->count > IPC_PROGRESS_MAX) {
		m->count = 0;
		return decode_fail();
	}
	for (size_t i = 0; i < m->count; i++) {
		(void)rbuf_get_u64(&rb, &m->entry[i].session_id);
		(void)rbuf_get_u64(&rb, &m->entry[i].bytes_from_client);
		(void)rbuf_get_u64(&rb, &m->entry[i].bytes_to_client);
		if (rb.error || m->entry[i].session_id == 0) {
			m->count = 0;
			return decode_fail();
		}
	}
	if (decode_end(&rb) < 0) {
		m->count = 0;
		return -1;
	}
	return 0;
}

int ipc_encode_relay_end_session(struct wbuf *wb, const struct ipc_relay_end_session *m)
{
	if (m->session_id == 0)
		return encode_fail(wb);
	(void)wbuf_put_u64(wb, m->session_id);
	return encode_end(wb);
}

int ipc_decode_relay_end_session(const struct ipc_msg *msg, struct ipc_relay_end_session *m)
{
	struct rbuf rb;

	memset(m, 0, sizeof(*m));
	if (!decode_begin(msg, IPC_RELAY_END_SESSION, &rb))
		return decode_fail();
	(void)rbuf_get_u64(&rb, &m->session_id);
	if (decode_end(&rb) < 0)
		return -1;
	if (m->session_id == 0)
		return decode_fail();
	return 0;
}

/* ---- SPAWN_CHILD, SPAWN_RESULT, SPAWN_SIGNAL -------------------------- */

int ipc_encode_spawn_child(struct wbuf *wb, const struct ipc_spawn_child *m)
{
	(void)wbuf_put_u32(wb, m->slot);
	return encode_end(wb);
}

int ipc_decode_spawn_child(const struct ipc_msg *msg, struct ipc_spawn_child *m)
{
	struct rbuf rb;

	memset(m, 0, sizeof(*m));
	if (!decode_begin(msg, IPC_SPAWN_CHILD, &rb))
		return decode_fail();
	(void)rbuf_get_u32(&rb, &m->slot);
	if (decode_end(&rb) < 0)
		return -1;
	/* No child without the channel it is to find on fd 3. */
	if (msg->fd < 0)
		return decode_fail();
	return 0;
}

static bool spawn_result_valid(const struct ipc_spawn_result *m)
{
	if (m->pid > INT_MAX)
		return false;
	if (m->pid != 0)
		return m->error == 0;
	return m->error >= 1 && m->error <= IPC_SPAWN_ERRNO_MAX;
}

int ipc_encode_spawn_result(struct wbuf *wb, const struct ipc_spawn_result *m)
{
	if (!spawn_result_valid(m))
		return encode_fail(wb);
	(void)wbuf_put_u32(wb, m->pid);
	(void)wbuf_put_u32(wb, m->error);
	return encode_end(wb);
}

int ipc_decode_spawn_result(const struct ipc_msg *msg, struct ipc_spawn_result *m)
{
	struct rbuf rb;

	memset(m, 0, sizeof(*m));
	if (!decode_begin(msg, IPC_SPAWN_RESULT, &rb))
		return decode_fail();
	(void)rbuf_get_u32(&rb, &m->pid);
	(void)rbuf_get_u32(&rb, &m->error);
	if (decode_end(&rb) < 0)
		return -1;
	if (!spawn_result_valid(m))
		return decode_fail();
	return 0;
}

static bool spawn_signal_valid(const struct ipc_spawn_signal *m)
{
	return m->pid >= 1 && m->pid <= INT_MAX &&
	       (m->signal == SIGTERM || m->signal == SIGKILL);
}

int ipc_encode_spawn_signal(struct wbuf *wb, const struct ipc_spawn_signal *m)
{
	if (!spawn_signal_valid(m))
		return encode_fail(wb);
	(void)wbuf_put_u32(wb, m->pid);
	(void)wbuf_put_u32(wb, m->signal);
	return encode_end(wb);
}

int ipc_decode_spawn_signal(const struct ipc_msg *msg, struct ipc_spawn_signal *m)
{
	struct rbuf rb;

	memset(m, 0, sizeof(*m));
	if (!decode_begin(msg, IPC_SPAWN_SIGNAL, &rb))
		return decode_fail();
	(void)rbuf_get_u32(&rb, &m->pid);
	(void)rbuf_get_u32(&rb, &m->signal);
	if (decode_end(&rb) < 0)
		return -1;
	if (!spawn_signal_valid(m))
		return decode_fail();
	return 0;
}

/* ---- ipc_send_* ------------------------------------------------------- */

/* Largest fixed-size payload: AUTH_OK with its three strings at their caps. */
#define SMALL_PAYLOAD_MAX (8 + 3 + 2 + IPC_PRINCIPAL_MAX + 2 + IPC_TEXT_MAX + 2 + IPC_PRINCIPAL_MAX)

int ipc_send_auth_client(int sock, const struct ipc_auth_client *m, int fd)
{
	uint8_t buf[SMALL_PAYLOAD_MAX];
	struct wbuf wb;

	wbuf_init(&wb, buf, sizeof(buf));
	if (ipc_encode_auth_client(&wb, m) < 0)
		return -1;
	return ipc_send_nowait(sock, IPC_AUTH_CLIENT, buf, wb.len, fd);
}

int ipc_send_relay_channel(int sock, uint16_t type, const struct ipc_auth_relay_channel *m, int fd)
{
	uint8_t buf[SMALL_PAYLOAD_MAX];
	struct wbuf wb;

	if (!relay_channel_type(type)) {
		errno = EINVAL;
		return -1;
	}
	wbuf_init(&wb, buf, sizeof(buf));
	if (ipc_encode_relay_channel(&wb, m) < 0)
		return -1;
	/* A relay's answer to the master waits, as every child -> master send. */
	if (type == IPC_RELAY_CHANNEL_MADE)
		return ipc_send(sock, type, buf, wb.len, fd);
	return ipc_send_nowait(sock, type, buf, wb.len, fd);
}

int ipc_send_auth_ok(int sock, const struct ipc_auth_ok *m)
{
	uint8_t buf[SMALL_PAYLOAD_MAX];
	struct wbuf wb;

	wbuf_init(&wb, buf, sizeof(buf));
	if (ipc_encode_auth_ok(&wb, m) < 0)
		return -1;
	return ipc_send(sock, IPC_AUTH_OK, buf, wb.len, -1);
}

int ipc_send_auth_fail(int sock, const struct ipc_auth_fail *m)
{
	uint8_t buf[SMALL_PAYLOAD_MAX];
	struct wbuf wb;

	wbuf_init(&wb, buf, sizeof(buf));
	if (ipc_encode_auth_fail(&wb, m) < 0)
		return -1;
	return ipc_send(sock, IPC_AUTH_FAIL, buf, wb.len, -1);
}

int ipc_send_auth_level_query(int sock, const struct ipc_auth_level_query *m)
{
	uint8_t buf[SMALL_PAYLOAD_MAX];
	struct wbuf wb;

	wbuf_init(&wb, buf, sizeof(buf));
	if (ipc_encode_auth_level_query(&wb, m) < 0)
		return -1;
	return ipc_send(sock, IPC_AUTH_LEVEL_QUERY, buf, wb.len, -1);
}

int ipc_send_auth_level_answer(int sock, const struct ipc_auth_level_answer *m)
{
	uint8_t buf[SMALL_PAYLOAD_MAX];
	struct wbuf wb;

	wbuf_init(&wb, buf, sizeof(buf));
	if (ipc_encode_auth_level_answer(&wb, m) < 0)
		return -1;
	return ipc_send_nowait(sock, IPC_AUTH_LEVEL_ANSWER, buf, wb.len, -1);
}

int ipc_send_auth_cancel(int sock, const struct ipc_auth_cancel *m)
{
	uint8_t buf[SMALL_PAYLOAD_MAX];
	struct wbuf wb;

	wbuf_init(&wb, buf, sizeof(buf));
	if (ipc_encode_auth_cancel(&wb, m) < 0)
		return -1;
	return ipc_send_nowait(sock, IPC_AUTH_CANCEL, buf, wb.len, -1);
}

int ipc_send_relay_session(int sock, const struct ipc_relay_session *m, int fd)
{
	/* The one large payload: up to IPC_MAX_PAYLOAD on the stack. */
	uint8_t buf[IPC_MAX_PAYLOAD];
	struct wbuf wb;

	wbuf_init(&wb, buf, sizeof(buf));
	if (ipc_encode_relay_session(&wb, m) < 0)
		return -1;
	return ipc_send_nowait(sock, IPC_RELAY_SESSION, buf, wb.len, fd);
}

int ipc_send_relay_request(int sock, const struct ipc_relay_request *m)
{
	uint8_t buf[SMALL_PAYLOAD_MAX];
	struct wbuf wb;

	wbuf_init(&wb, buf, sizeof(buf));
	if (ipc_encode_relay_request(&wb, m) < 0)
		return -1;
	return ipc_send(sock, IPC_RELAY_REQUEST, buf, wb.len, -1);
}

int ipc_send_request_result(int sock, const struct ipc_relay_request_result *m, int fd)
{
	uint8_t buf[SMALL_PAYLOAD_MAX];
	struct wbuf wb;

	/* Same rule the receiver enforces: fd iff success. */
	if ((m->rep == SOCKS5_REP_OK) != (fd >= 0)) {
		errno = EINVAL;
		return -1;
	}
	wbuf_init(&wb, buf, sizeof(buf));
	if (ipc_encode_request_result(&wb, m) < 0)
		return -1;
	return ipc_send_nowait(sock, IPC_RELAY_REQUEST_RESULT, buf, wb.len, fd);
}

int ipc_send_bind_listening(int sock, const struct ipc_relay_bind_listening *m)
{
	uint8_t buf[SMALL_PAYLOAD_MAX];
	struct wbuf wb;

	wbuf_init(&wb, buf, sizeof(buf));
	if (ipc_encode_bind_listening(&wb, m) < 0)
		return -1;
	return ipc_send_nowait(sock, IPC_RELAY_BIND_LISTENING, buf, wb.len, -1);
}

int ipc_send_session_end(int sock, const struct ipc_relay_session_end *m)
{
	uint8_t buf[SMALL_PAYLOAD_MAX];
	struct wbuf wb;

	wbuf_init(&wb, buf, sizeof(buf));
	if (ipc_encode_session_end(&wb, m) < 0)
		return -1;
	return ipc_send(sock, IPC_RELAY_SESSION_END, buf, wb.len, -1);
}

int ipc_send_udp_dest(int sock, const struct ipc_relay_udp_dest *m)
{
	uint8_t buf[SMALL_PAYLOAD_MAX];
	struct wbuf wb;

	wbuf_init(&wb, buf, sizeof(buf));
	if (ipc_encode_udp_dest(&wb, m) < 0)
		return -1;
	return ipc_send(sock, IPC_RELAY_UDP_DEST, buf, wb.len, -1);
}

int ipc_send_udp_dest_result(int sock, const struct ipc_relay_udp_dest_result *m, int fd)
{
	uint8_t buf[SMALL_PAYLOAD_MAX];
	struct wbuf wb;

	if ((m->rep == SOCKS5_REP_OK) != (fd >= 0)) {
		errno = EINVAL;
		return -1;
	}
	wbuf_init(&wb, buf, sizeof(buf));
	if (ipc_encode_udp_dest_result(&wb, m) < 0)
		return -1;
	return ipc_send_nowait(sock, IPC_RELAY_UDP_DEST_RESULT, buf, wb.len, fd);
}

int ipc_send_udp_stats(int sock, const struct ipc_relay_udp_stats *m)
{
	uint8_t buf[SMALL_PAYLOAD_MAX];
	struct wbuf wb;

	wbuf_init(&wb, buf, sizeof(buf));
	if (ipc_encode_udp_stats(&wb, m) < 0)
		return -1;
	return ipc_send(sock, IPC_RELAY_UDP_STATS, buf, wb.len, -1);
}

int ipc_send_log(int sock, uint8_t level, const char *text)
{
	static struct ipc_log m;     /* 1 KiB: kept off a signal-sized stack */
	uint8_t buf[1 + 2 + IPC_LOG_TEXT_MAX];
	struct wbuf wb;
	size_t n = strnlen(text, sizeof(m.text) - 1);

	m.level = level;
	memcpy(m.text, text, n);
	m.text[n] = '\0';
	wbuf_init(&wb, buf, sizeof(buf));
	if (ipc_encode_log(&wb, &m) < 0)
		return -1;
	return ipc_send(sock, IPC_LOG, buf, wb.len, -1);
}

int ipc_send_spawn_child(int sock, const struct ipc_spawn_child *m, int fd)
{
	uint8_t buf[4];
	struct wbuf wb;

	wbuf_init(&wb, buf, sizeof(buf));
	if (ipc_encode_spawn_child(&wb, m) < 0)
		return -1;
	return ipc_send(sock, IPC_SPAWN_CHILD, buf, wb.len, fd);
}

int ipc_send_spawn_result(int sock, const struct ipc_spawn_result *m)
{
	uint8_t buf[8];
	struct wbuf wb;

	wbuf_init(&wb, buf, sizeof(buf));
	if (ipc_encode_spawn_result(&wb, m) < 0)
		return -1;
	return ipc_send(sock, IPC_SPAWN_RESULT, buf, wb.len, -1);
}

int ipc_send_spawn_signal(int sock, const struct ipc_spawn_signal *m)
{
	uint8_t buf[8];
	struct wbuf wb;

	wbuf_init(&wb, buf, sizeof(buf));
	if (ipc_encode_spawn_signal(&wb, m) < 0)
		return -1;
	return ipc_send(sock, IPC_SPAWN_SIGNAL, buf, wb.len, -1);
}

static int send_ping_pair(int sock, uint16_t type, uint32_t seq, bool wait)
{
	const struct ipc_ping m = { .seq = seq };
	uint8_t buf[4];
	struct wbuf wb;

	wbuf_init(&wb, buf, sizeof(buf));
	if (ipc_encode_ping(&wb, &m) < 0)
		return -1;
	return wait ? ipc_send(sock, type, buf, wb.len, -1)
		    : ipc_send_nowait(sock, type, buf, wb.len, -1);
}

int ipc_send_ping(int sock, uint32_t seq)
{
	return send_ping_pair(sock, IPC_PING, seq, false);
}

int ipc_send_pong(int sock, uint32_t seq)
{
	return send_ping_pair(sock, IPC_PONG, seq, true);
}

int ipc_send_relay_progress(int sock, const struct ipc_relay_progress *m)
{
	static uint8_t buf[2 + IPC_PROGRESS_MAX * 24];
	struct wbuf wb;

	wbuf_init(&wb, buf, sizeof(buf));
	if (ipc_encode_relay_progress(&wb, m) < 0)
		return -1;
	return ipc_send(sock, IPC_RELAY_PROGRESS, buf, wb.len, -1);
}

int ipc_send_relay_end_session(int sock, uint64_t session_id)
{
	struct ipc_relay_end_session m = { .session_id = session_id };
	uint8_t buf[8];
	struct wbuf wb;

	wbuf_init(&wb, buf, sizeof(buf));
	if (ipc_encode_relay_end_session(&wb, &m) < 0)
		return -1;
	return ipc_send_nowait(sock, IPC_RELAY_END_SESSION, buf, wb.len, -1);
}
