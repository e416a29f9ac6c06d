/*
 * fuzz_ipc_decode.c - fuzz target for the IPC message decoders (ipc/messages.c).
 *
 * Trust zone: tests only.  Every receiver decodes messages from a peer it
 * treats as compromised (a relay worker, authproc), so the decoders face
 * arbitrary payloads (a spawner likewise faces the master's).
 *
 * Input layout: octet 0 = message type (mod IPC_TYPE_COUNT + 2, so unknown
 * types occur too), octet 1 = flags (bit 0: an fd is "attached"; bit 7: the
 * message claims a length beyond the payload array), the rest = payload.
 * Every ipc_decode_* is called on every message.  The bytes of the payload
 * array past msg->len are poisoned for AddressSanitizer, so a decoder that
 * reads beyond the length it was given is caught even though the storage
 * is there.  Invariants:
 *  - a decoder accepts only its own type(s), and refuses with errno EPROTO;
 *  - a length beyond the payload array is refused by every decoder;
 *  - an accepted message holds NUL-terminated strings within their arrays,
 *    a borrowed context inside the payload, and re-encodes with the
 *    matching ipc_encode_* to exactly the bytes it came from (encoders and
 *    decoders accept the same language).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>

#include "fuzz.h"
#include "ipc.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_ASAN 1
#endif
#ifdef FUZZ_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) memset((p), 0xa5, (n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

static struct ipc_msg msg;
static uint8_t reencoded[IPC_MAX_PAYLOAD];

static bool terminated(const char *s, size_t size)
{
	return strnlen(s, size) < size;
}

/* An accepted message must re-encode to the bytes it came from. */
static void check_same(int enc_rc, const struct wbuf *wb)
{
	FUZZ_CHECK(enc_rc == 0 && wbuf_ok(wb) == 0);
	FUZZ_CHECK(wb->len == msg.len && memcmp(reencoded, msg.payload, msg.len) == 0);
}

/* Decode with fn for the types it claims; check the verdict's shape. */
#define DECODE(fn, mtype, alt, m, ok_extra)                                        \
	do {                                                                       \
		int rc_;                                                           \
		errno = 0;                                                         \
		rc_ = fn(&msg, &(m));                                              \
		FUZZ_CHECK(rc_ == 0 || rc_ == -1);                                 \
		if (rc_ == -1) {                                                   \
			FUZZ_CHECK(errno == EPROTO);                               \
		} else {                                                           \
			FUZZ_CHECK(msg.type == (mtype) || msg.type == (alt));      \
			FUZZ_CHECK(msg.len <= sizeof(msg.payload));                \
			accepted++;                                                \
			ok_extra;                                                  \
		}                                                                  \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_auth_client ac;
	struct ipc_auth_relay_channel rc;
	struct ipc_auth_ok ao;
	struct ipc_auth_fail af;
	struct ipc_auth_level_query lq;
	struct ipc_auth_level_answer la;
	struct ipc_auth_cancel cn;
	struct ipc_relay_session rs;
	struct ipc_relay_request rr;
	struct ipc_relay_request_result res;
	struct ipc_relay_bind_listening bl;
	struct ipc_relay_session_end se;
	struct ipc_log lg;
	struct ipc_spawn_child sc;
	struct ipc_spawn_result sr;
	struct ipc_spawn_signal sg;
	struct ipc_ping pg;
	static struct ipc_relay_progress pr;
	struct ipc_relay_end_session es;
	struct wbuf wb;
	unsigned accepted = 0;
	bool oversize;
	size_t n;

	if (size < 2)
		return 0;
	msg.type = (uint16_t)(data[0] % (IPC_TYPE_COUNT + 2));
	msg.fd = (data[1] & 1) ? 42 : -1;
	oversize = (data[1] & 0x80) != 0;
	n = size - 2;
	if (n > sizeof(msg.payload))
		n = sizeof(msg.payload);
	memcpy(msg.payload, data + 2, n);
	msg.len = oversize ? sizeof(msg.payload) + 1 + n : n;
	POISON(msg.payload + n, sizeof(msg.payload) - n);

#define REENC(encode, m) \
	do { wbuf_init(&wb, reencoded, sizeof(reencoded)); check_same(encode(&wb, &(m)), &wb); } while (0)

	DECODE(ipc_decode_auth_client, IPC_AUTH_CLIENT, IPC_AUTH_CLIENT, ac, {
		FUZZ_CHECK(terminated(ac.peer, sizeof(ac.peer)));
		REENC(ipc_encode_auth_client, ac);
	});
	/* Three types share this layout: the alternative is whichever of the
	 * relay's two came (RELAY_MAKE_CHANNEL, RELAY_CHANNEL_MADE). */
	DECODE(ipc_decode_relay_channel, IPC_AUTH_RELAY_CHANNEL,
	       msg.type == IPC_RELAY_CHANNEL_MADE ? IPC_RELAY_CHANNEL_MADE : IPC_RELAY_MAKE_CHANNEL,
	       rc, {
		REENC(ipc_encode_relay_channel, rc);
	});
	DECODE(ipc_decode_auth_ok, IPC_AUTH_OK, IPC_AUTH_OK, ao, {
		FUZZ_CHECK(terminated(ao.principal, sizeof(ao.principal)));
		FUZZ_CHECK(terminated(ao.mechanism, sizeof(ao.mechanism)));
		FUZZ_CHECK(terminated(ao.service, sizeof(ao.service)));
		FUZZ_CHECK(ao.principal[0] != '\0' && ao.service[0] != '\0');
		REENC(ipc_encode_auth_ok, ao);
	});
	DECODE(ipc_decode_auth_fail, IPC_AUTH_FAIL, IPC_AUTH_FAIL, af, {
		FUZZ_CHECK(terminated(af.reason, sizeof(af.reason)));
		REENC(ipc_encode_auth_fail, af);
	});
	DECODE(ipc_decode_auth_level_query, IPC_AUTH_LEVEL_QUERY, IPC_AUTH_LEVEL_QUERY, lq, {
		FUZZ_CHECK(terminated(lq.principal, sizeof(lq.principal)));
		FUZZ_CHECK(terminated(lq.mechanism, sizeof(lq.mechanism)));
		REENC(ipc_encode_auth_level_query, lq);
	});
	DECODE(ipc_decode_auth_level_answer, IPC_AUTH_LEVEL_ANSWER, IPC_AUTH_LEVEL_ANSWER, la, {
		FUZZ_CHECK(terminated(la.reason, sizeof(la.reason)));
		REENC(ipc_encode_auth_level_answer, la);
	});
	DECODE(ipc_decode_auth_cancel, IPC_AUTH_CANCEL, IPC_AUTH_CANCEL, cn, {
		FUZZ_CHECK(cn.session_id != 0);
		REENC(ipc_encode_auth_cancel, cn);
	});
	DECODE(ipc_decode_relay_session, IPC_RELAY_SESSION, IPC_RELAY_SESSION, rs, {
		FUZZ_CHECK(terminated(rs.principal, sizeof(rs.principal)));
		FUZZ_CHECK(rs.context_len >= 1 && rs.context_len <= IPC_CONTEXT_MAX);
		FUZZ_CHECK(rs.context >= msg.payload &&
			   rs.context_len <= msg.len - (size_t)(rs.context - msg.payload));
		REENC(ipc_encode_relay_session, rs);
	});
	DECODE(ipc_decode_relay_request, IPC_RELAY_REQUEST, IPC_RELAY_REQUEST, rr, {
		REENC(ipc_encode_relay_request, rr);
	});
	DECODE(ipc_decode_request_result, IPC_RELAY_REQUEST_RESULT, IPC_RELAY_REQUEST_RESULT, res, {
		FUZZ_CHECK((res.rep == SOCKS5_REP_OK) == (msg.fd >= 0));
		REENC(ipc_encode_request_result, res);
	});
	DECODE(ipc_decode_bind_listening, IPC_RELAY_BIND_LISTENING, IPC_RELAY_BIND_LISTENING, bl, {
		FUZZ_CHECK((bl.bound.atyp == SOCKS5_ATYP_IPV4 || bl.bound.atyp == SOCKS5_ATYP_IPV6) &&
			   bl.bound.port != 0);
		REENC(ipc_encode_bind_listening, bl);
	});
	DECODE(ipc_decode_session_end, IPC_RELAY_SESSION_END, IPC_RELAY_SESSION_END, se, {
		REENC(ipc_encode_session_end, se);
	});
	DECODE(ipc_decode_log, IPC_LOG, IPC_LOG, lg, {
		FUZZ_CHECK(terminated(lg.text, sizeof(lg.text)));
		FUZZ_CHECK(lg.level <= IPC_LOG_LEVEL_MAX);
		REENC(ipc_encode_log, lg);
	});
	DECODE(ipc_decode_spawn_child, IPC_SPAWN_CHILD, IPC_SPAWN_CHILD, sc, {
		FUZZ_CHECK(msg.fd >= 0);
		REENC(ipc_encode_spawn_child, sc);
	});
	DECODE(ipc_decode_spawn_result, IPC_SPAWN_RESULT, IPC_SPAWN_RESULT, sr, {
		FUZZ_CHECK(sr.pid <= INT_MAX && (sr.pid == 0) == (sr.error != 0) &&
			   sr.error <= IPC_SPAWN_ERRNO_MAX);
		REENC(ipc_encode_spawn_result, sr);
	});
	DECODE(ipc_decode_spawn_signal, IPC_SPAWN_SIGNAL, IPC_SPAWN_SIGNAL, sg, {
		FUZZ_CHECK(sg.pid >= 1 && sg.pid <= INT_MAX);
		FUZZ_CHECK(sg.signal == SIGTERM || sg.signal == SIGKILL);
		REENC(ipc_encode_spawn_signal, sg);
	});

	DECODE(ipc_decode_ping, IPC_PING, IPC_PING, pg, {
		REENC(ipc_encode_ping, pg);
	});
	DECODE(ipc_decode_pong, IPC_PONG, IPC_PONG, pg, {
		REENC(ipc_encode_ping, pg);
	});
	DECODE(ipc_decode_relay_progress, IPC_RELAY_PROGRESS, IPC_RELAY_PROGRESS, pr, {
		FUZZ_CHECK(pr.count >= 1 && pr.count <= IPC_PROGRESS_MAX);
		for (size_t i = 0; i < pr.count; i++)
			FUZZ_CHECK(pr.entry[i].session_id != 0);
		REENC(ipc_encode_relay_progress, pr);
	});
	DECODE(ipc_decode_relay_end_session, IPC_RELAY_END_SESSION, IPC_RELAY_END_SESSION, es, {
		FUZZ_CHECK(es.session_id != 0);
		REENC(ipc_encode_relay_end_session, es);
	});

	/* One type, one decoder: at most one accepts (relay_channel takes three types). */
	FUZZ_CHECK(accepted <= 1);
	if (oversize)
		FUZZ_CHECK(accepted == 0);

	/* The permission table and names never fail on any type. */
	FUZZ_CHECK(ipc_type_name(msg.type) != NULL);
	FUZZ_CHECK(ipc_end_reason_name(data[1]) != NULL);
	for (int c = 0; c <= IPC_CHAN_COUNT; c++) {
		bool spawner_row = c == IPC_CHAN_SPAWNER_FROM_MASTER || c == IPC_CHAN_MASTER_FROM_SPAWNER;
		bool spawn_type = msg.type >= IPC_SPAWN_CHILD && msg.type <= IPC_SPAWN_SIGNAL;

		if (ipc_permitted((enum ipc_channel)c, msg.type)) {
			FUZZ_CHECK(msg.type != IPC_NONE && msg.type < IPC_TYPE_COUNT);
			FUZZ_CHECK(c < IPC_CHAN_COUNT);
			/* SPAWN_* on the spawner rows only, and nothing else there
			 * but LOG from a spawner (its diagnostics). */
			FUZZ_CHECK(spawner_row == spawn_type ||
				   (c == IPC_CHAN_MASTER_FROM_SPAWNER && msg.type == IPC_LOG));
		}
	}
	/* The watchdog's pair: PING only master -> authproc/relay, PONG only back. */
	for (int c = 0; c < IPC_CHAN_COUNT; c++) {
		bool from_master = c == IPC_CHAN_AUTHPROC_FROM_MASTER || c == IPC_CHAN_RELAY_FROM_MASTER;
		bool to_master = c == IPC_CHAN_MASTER_FROM_AUTHPROC || c == IPC_CHAN_MASTER_FROM_RELAY;

		FUZZ_CHECK(ipc_permitted((enum ipc_channel)c, IPC_PING) == from_master);
		FUZZ_CHECK(ipc_permitted((enum ipc_channel)c, IPC_PONG) == to_master);
	}
	/* BIND's first answer: master -> relay only. */
	for (int c = 0; c < IPC_CHAN_COUNT; c++)
		FUZZ_CHECK(ipc_permitted((enum ipc_channel)c, IPC_RELAY_BIND_LISTENING) ==
			   (c == IPC_CHAN_RELAY_FROM_MASTER));
	if (ipc_permitted(IPC_CHAN_MASTER_FROM_AUTHPROC, IPC_RELAY_SESSION) ||
	    ipc_permitted(IPC_CHAN_MASTER_FROM_RELAY, IPC_RELAY_SESSION) ||
	    ipc_permitted(IPC_CHAN_MASTER_FROM_SPAWNER, IPC_RELAY_SESSION) ||
	    ipc_permitted(IPC_CHAN_SPAWNER_FROM_MASTER, IPC_RELAY_SESSION))
		FUZZ_CHECK(!"the master or a spawner accepts RELAY_SESSION (key material)");

	UNPOISON(msg.payload + n, sizeof(msg.payload) - n);
	return 0;
}
