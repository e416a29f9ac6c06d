/*
 * control_proto.h - the control socket's line protocol (gssocksctl(8)):
 * the request parser and the session line, without I/O.
 *
 * Trust zone: master.  Every byte of a request is untrusted in principle
 * (the socket's mode and the peer check keep strangers out, but a member
 * of the admin group is no reason to trust the bytes): it is read through
 * proto/buf.h with a hard cap, and anything but one known command line
 * is refused with a reason.
 *
 * Protocol: the client sends one line (at most CONTROL_REQUEST_MAX octets
 * with its \n, printable ASCII, an optional \r before the \n):
 *     sessions | counters | metrics | end ID
 * and the master answers "ok\n" and the body, or one line "error: WHY\n",
 * then closes.  Nothing after the first line is read.
 */
#ifndef GSSOCKS_MASTER_CONTROL_PROTO_H
#define GSSOCKS_MASTER_CONTROL_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "../proto/buf.h"

#define CONTROL_REQUEST_MAX 64

enum control_command {
	CONTROL_SESSIONS,
	CONTROL_COUNTERS,
	CONTROL_METRICS,
	CONTROL_END,
};

struct control_request {
	enum control_command command;
	uint64_t session_id;          /* CONTROL_END: 1..2^64-1 */
};

/*
 * Parse data[0, len), what arrived so far.  1: one whole request line in
 * *req; 0: no newline yet and len < CONTROL_REQUEST_MAX (read more); -1:
 * refused, *why says why (a static string).
 */
int control_parse(const uint8_t *data, size_t len, struct control_request *req,
		  const char **why);

/* What `gssocksctl sessions` shows of one session. */
struct control_session_view {
	uint64_t id;
	const char *phase;
	const char *principal;        /* untrusted text: escaped; "" shows - */
	const char *level;            /* "" shows - */
	const char *client;
	const char *destination;      /* untrusted text: escaped; "" shows - */
	uint64_t bytes_from_client;
	uint64_t bytes_to_client;
	uint64_t age_s;
	int slot;                     /* < 0 shows - */
};

/*
 * One line `session id=N phase=P principal=X level=L client=C
 * destination=D bytes_from_client=N bytes_to_client=N age_s=N slot=N\n`
 * into wb; every value is one word (master/logtext.h escapes).  0 or -1
 * (wb too small: its sticky error is set).
 */
int control_format_session(struct wbuf *wb, const struct control_session_view *v);

/* The longest line control_format_session() writes. */
#define CONTROL_SESSION_LINE_MAX 4096

#endif
