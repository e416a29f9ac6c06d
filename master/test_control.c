/*
 * test_control.c - unit test of the control socket's pure parts: the
 * request parser and the session line (control_proto.c) and the
 * Prometheus text formatter (metrics.c), table-driven.
 *
 * Trust zone: test.
 */
#include <stdio.h>
#include <string.h>

#include "../tests/unit/tap.h"
#include "control_proto.h"
#include "metrics.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static void test_parse(void)
{
	static const struct {
		const char *in;
		int want;
		enum control_command command;
		uint64_t id;
		const char *why;      /* a word of the reason, for refusals */
	} rows[] = {
		{ "sessions\n", 1, CONTROL_SESSIONS, 0, NULL },
		{ "counters\n", 1, CONTROL_COUNTERS, 0, NULL },
		{ "metrics\n", 1, CONTROL_METRICS, 0, NULL },
		{ "metrics\r\n", 1, CONTROL_METRICS, 0, NULL },
		{ "end 1\n", 1, CONTROL_END, 1, NULL },
		{ "end 18446744073709551615\n", 1, CONTROL_END, UINT64_MAX, NULL },
		{ "sessions\nend 5\n", 1, CONTROL_SESSIONS, 0, NULL },   /* first line only */
		{ "", 0, 0, 0, NULL },
		{ "sess", 0, 0, 0, NULL },
		{ "sessions", 0, 0, 0, NULL },
		{ "sessions\r", 0, 0, 0, NULL },
		{ "end 18446744073709551616\n", -1, 0, 0, "session id" },
		{ "end 0\n", -1, 0, 0, "session id" },
		{ "end 007\n", -1, 0, 0, "session id" },
		{ "end +5\n", -1, 0, 0, "session id" },
		{ "end -5\n", -1, 0, 0, "session id" },
		{ "end 5 6\n", -1, 0, 0, "session id" },
		{ "end\n", -1, 0, 0, "session id" },
		{ "end \n", -1, 0, 0, "session id" },
		{ "end 123456789012345678901\n", -1, 0, 0, "session id" },
		{ "sessions now\n", -1, 0, 0, "no argument" },
		{ "sessions \n", -1, 0, 0, "no argument" },
		{ "SESSIONS\n", -1, 0, 0, "unknown command" },
		{ "shutdown\n", -1, 0, 0, "unknown command" },
		{ " sessions\n", -1, 0, 0, "unknown command" },
		{ "\n", -1, 0, 0, "empty" },
		{ "sessions\tx\n", -1, 0, 0, "printable" },
		{ "ses\x00sions\n", -1, 0, 0, "printable" },
		{ "\x16\x03\x01\n", -1, 0, 0, "printable" },
		{ "sessions\xff\n", -1, 0, 0, "printable" },
		{ "x\ry\n", -1, 0, 0, "printable" },
	};

	for (size_t i = 0; i < LEN(rows); i++) {
		struct control_request req = { .command = 99, .session_id = 77 };
		const char *why = NULL;
		size_t len = strlen(rows[i].in);
		int rc;

		/* the embedded-NUL row: its length is what the literal holds */
		if (strcmp(rows[i].in, "ses") == 0)
			len = sizeof("ses\x00sions\n") - 1;
		rc = control_parse((const uint8_t *)rows[i].in, len, &req, &why);
		if (rows[i].want == 1)
			ok(rc == 1 && req.command == rows[i].command &&
			   req.session_id == rows[i].id, "parse %zu: whole request", i);
		else if (rows[i].want == 0)
			ok(rc == 0, "parse %zu: needs more", i);
		else
			ok(rc == -1 && why != NULL && strstr(why, rows[i].why) != NULL,
			   "parse %zu: refused (%s)", i, why != NULL ? why : "no reason");
	}
	{
		uint8_t big[CONTROL_REQUEST_MAX + 10];
		const char *why = NULL;
		struct control_request req;

		memset(big, 'a', sizeof(big));
		ok(control_parse(big, CONTROL_REQUEST_MAX - 1, &req, &why) == 0,
		   "a line one octet short of the cap still waits");
		ok(control_parse(big, CONTROL_REQUEST_MAX, &req, &why) == -1 &&
		   strstr(why, "too long") != NULL, "a line at the cap without newline: too long");
		ok(control_parse(big, sizeof(big), &req, &why) == -1, "longer: too long");
	}
}

static void test_session_line(void)
{
	static const struct {
		struct control_session_view v;
		const char *want;
	} rows[] = {
		{ { 12, "relaying", "alice@EXAMPLE.ORG", "confidentiality", "192.0.2.7:40000",
		    "www.example.org:443", 100, 200, 3, 1 },
		  "session id=12 phase=relaying principal=alice@EXAMPLE.ORG level=confidentiality "
		  "client=192.0.2.7:40000 destination=www.example.org:443 bytes_from_client=100 "
		  "bytes_to_client=200 age_s=3 slot=1\n" },
		{ { 1, "greeting", "", "", "[2001:db8::1]:5", "", 0, 0, 0, -1 },
		  "session id=1 phase=greeting principal=- level=- client=[2001:db8::1]:5 "
		  "destination=- bytes_from_client=0 bytes_to_client=0 age_s=0 slot=-\n" },
		/* untrusted text stays one word: spaces, =, quotes, control octets */
		{ { 2, "requested", "evil user=x\"\n", "integrity", "c",
		    "a b\x01.test:1", UINT64_MAX, 0, 9, 0 },
		  "session id=2 phase=requested principal=evil\\x20user=x\\x22\\x0a "
		  "level=integrity client=c destination=a\\x20b\\x01.test:1 "
		  "bytes_from_client=18446744073709551615 bytes_to_client=0 age_s=9 slot=0\n" },
	};
	uint8_t buf[CONTROL_SESSION_LINE_MAX];

	for (size_t i = 0; i < LEN(rows); i++) {
		struct wbuf wb;

		wbuf_init(&wb, buf, sizeof(buf) - 1);
		ok(control_format_session(&wb, &rows[i].v) == 0, "session line %zu formats", i);
		buf[wb.len] = '\0';
		is_str((const char *)buf, rows[i].want, "session line %zu text", i);
	}
	{
		struct wbuf wb;

		wbuf_init(&wb, buf, 20);
		ok(control_format_session(&wb, &rows[0].v) == -1 && wb.error,
		   "a session line that does not fit: -1");
	}
	{
		static char principal[600];
		struct control_session_view v = rows[0].v;
		struct wbuf wb;

		memset(principal, '\x7f', sizeof(principal) - 1);
		v.principal = principal;
		wbuf_init(&wb, buf, sizeof(buf));
		ok(control_format_session(&wb, &v) == 0 && wb.len < CONTROL_SESSION_LINE_MAX,
		   "the longest principal (each octet escaped) fits one line");
	}
}

static void test_metrics(void)
{
	static const struct metric_sample samples[] = {
		{ METRIC_SESSIONS_ENDED, "client-close", 3 },
		{ METRIC_REFUSALS, "policy", 1 },
		{ METRIC_SESSIONS_ENDED, "admin", 1 },
		{ METRIC_REFUSALS, "we\"ird\\la\nbel", 2 },
		{ METRIC_SESSIONS_STARTED, NULL, 9 },
		{ METRIC_SESSIONS_LIVE, "relaying", 0 },
	};
	static const char want_plain[] =
		"gssocks_sessions_started_total 9\n"
		"gssocks_sessions_total{result=\"client-close\"} 3\n"
		"gssocks_sessions_total{result=\"admin\"} 1\n"
		"gssocks_refusals_total{reason=\"policy\"} 1\n"
		"gssocks_refusals_total{reason=\"we\\\"ird\\\\la\\nbel\"} 2\n"
		"gssocks_unwrap_failures_total 0\n"
		"gssocks_sessions{phase=\"relaying\"} 0\n"
		"gssocks_start_time_seconds 0\n";
	static char out[8192];
	struct wbuf wb;
	char *line, *save = NULL;
	const char *family = NULL;
	bool order = true, typed = true;
	int helps = 0, types = 0;

	wbuf_init(&wb, out, sizeof(out) - 1);
	ok(metrics_format(&wb, samples, LEN(samples), false) == 0, "counters format");
	out[wb.len] = '\0';
	is_str(out, want_plain, "counters: samples only, families in order, labels escaped");

	wbuf_init(&wb, out, sizeof(out) - 1);
	ok(metrics_format(&wb, samples, LEN(samples), true) == 0, "metrics format");
	out[wb.len] = '\0';
	/* every sample follows the # TYPE of its own family */
	for (line = strtok_r(out, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP ", 7) == 0) {
			helps++;
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			types++;
			family = line + 7;
			typed = typed && (strstr(line, " counter") != NULL ||
					  strstr(line, " gauge") != NULL);
			continue;
		}
		if (family == NULL || strncmp(line, family, strcspn(family, " ")) != 0 ||
		    (line[strcspn(family, " ")] != ' ' && line[strcspn(family, " ")] != '{'))
			order = false;
	}
	is_int(helps, METRIC_FAMILIES, "one # HELP per family");
	is_int(types, METRIC_FAMILIES, "one # TYPE per family");
	ok(order, "each sample follows the # TYPE of its family");
	ok(typed, "every family is a counter or a gauge");
	for (unsigned f = 0; f < METRIC_FAMILIES; f++) {
		const char *name = metric_name(f);
		bool valid = name != NULL && strncmp(name, "gssocks_", 8) == 0;

		for (const char *p = name; valid && *p != '\0'; p++)
			valid = (*p >= 'a' && *p <= 'z') || *p == '_';
		ok(valid, "family %u name %s is a valid metric name", f, name ? name : "(null)");
	}
	ok(metric_name(METRIC_FAMILIES) == NULL, "no name past the last family");

	wbuf_init(&wb, out, 40);
	ok(metrics_format(&wb, samples, LEN(samples), true) == -1, "too small a buffer: -1");
	{
		struct metric_sample bad = { (enum metric_family)METRIC_FAMILIES, NULL, 1 };

		wbuf_init(&wb, out, sizeof(out));
		ok(metrics_format(&wb, &bad, 1, false) == -1, "a sample of no family: -1");
	}
}

int main(void)
{
	test_parse();
	test_session_line();
	test_metrics();
	return done_testing();
}
