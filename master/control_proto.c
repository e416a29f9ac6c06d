/*
 * control_proto.c - parse a control request, format a session line; see
 * control_proto.h.
 *
 * Trust zone: master.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "control_proto.h"
#include "logtext.h"

static const struct {
	const char *word;
	enum control_command command;
	bool takes_id;
} commands[] = {
	{ "sessions", CONTROL_SESSIONS, false },
	{ "counters", CONTROL_COUNTERS, false },
	{ "metrics", CONTROL_METRICS, false },
	{ "end", CONTROL_END, true },
};

/* A session id: 1 to 20 decimal digits, no sign, no leading 0, not 0. */
static int parse_id(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t len = strlen(s);

	if (len == 0 || len > 20 || s[0] == '0')
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned digit;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		digit = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - digit) / 10)
			return -1;
		v = v * 10 + digit;
	}
	*out = v;
	return 0;
}

int control_parse(const uint8_t *data, size_t len, struct control_request *req,
		  const char **why)
{
	char line[CONTROL_REQUEST_MAX];
	struct rbuf rb;
	size_t n = 0;
	bool newline = false;
	char *arg;

	rbuf_init(&rb, data, len);
	while (n < sizeof(line)) {
		uint8_t c;

		if (rbuf_get_u8(&rb, &c) < 0)
			break;
		if (c == '\n') {
			newline = true;
			break;
		}
		if (c == '\r' && rbuf_remaining(&rb) == 0 && n + 1 < sizeof(line))
			return 0;       /* its \n may be in the next read */
		if (c == '\r' && rbuf_remaining(&rb) > 0 && rbuf_current(&rb)[0] == '\n')
			continue;
		if (c < 0x20 || c > 0x7e) {
			*why = "request is not printable ASCII";
			return -1;
		}
		line[n++] = (char)c;
	}
	if (!newline) {
		if (n < sizeof(line))
			return 0;
		*why = "request line too long";
		return -1;
	}
	line[n] = '\0';
	arg = strchr(line, ' ');
	if (arg != NULL)
		*arg++ = '\0';
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(line, commands[i].word) != 0)
			continue;
		req->command = commands[i].command;
		req->session_id = 0;
		if (!commands[i].takes_id) {
			if (arg != NULL) {
				*why = "this command takes no argument";
				return -1;
			}
			return 1;
		}
		if (arg == NULL || parse_id(arg, &req->session_id) < 0) {
			*why = "end takes one session id (a number from 1)";
			return -1;
		}
		return 1;
	}
	*why = n == 0 ? "empty request"
		      : "unknown command (sessions, counters, metrics or end ID)";
	return -1;
}

static const char *word(const char *in, char *out, size_t outlen)
{
	if (in == NULL || in[0] == '\0')
		return "-";
	return logtext(in, false, out, outlen);
}

int control_format_session(struct wbuf *wb, const struct control_session_view *v)
{
	char line[CONTROL_SESSION_LINE_MAX];
	char principal[2100], destination[1100], client[300], slot[16];
	int n;

	if (v->slot < 0)
		snprintf(slot, sizeof(slot), "-");
	else
		snprintf(slot, sizeof(slot), "%d", v->slot);
	n = snprintf(line, sizeof(line),
		     "session id=%" PRIu64 " phase=%s principal=%s level=%s client=%s "
		     "destination=%s bytes_from_client=%" PRIu64 " bytes_to_client=%" PRIu64
		     " age_s=%" PRIu64 " slot=%s\n",
		     v->id, v->phase, word(v->principal, principal, sizeof(principal)),
		     v->level != NULL && v->level[0] != '\0' ? v->level : "-",
		     word(v->client, client, sizeof(client)),
		     word(v->destination, destination, sizeof(destination)),
		     v->bytes_from_client, v->bytes_to_client, v->age_s, slot);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		wb->error = true;
		return -1;
	}
	(void)wbuf_put_bytes(wb, line, (size_t)n);
	return wbuf_ok(wb);
}
