/*
 * metrics.c - metric names and the text exposition format; see metrics.h.
 *
 * Trust zone: master.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"

static const struct {
	const char *name;
	const char *label;        /* NULL: unlabelled */
	const char *type;         /* counter or gauge */
	const char *help;
} families[METRIC_FAMILIES] = {
	[METRIC_SESSIONS_STARTED] = { "gssocks_sessions_started_total", NULL, "counter",
		"Client connections accepted into the session table." },
	[METRIC_SESSIONS_ENDED] = { "gssocks_sessions_total", "result", "counter",
		"Sessions ended, by the reason of their end record." },
	[METRIC_REFUSALS] = { "gssocks_refusals_total", "reason", "counter",
		"Refusals (method, authentication, level, request, BIND peer, UDP "
		"destination, admission), by reason." },
	[METRIC_UNWRAP_FAILURES] = { "gssocks_unwrap_failures_total", NULL, "counter",
		"Sessions a relay ended because a frame did not unwrap." },
	[METRIC_EVICTIONS] = { "gssocks_evictions_total", "reason", "counter",
		"Unauthenticated sessions evicted to make room under a flood." },
	[METRIC_CHILD_RESTARTS] = { "gssocks_child_restarts_total", "role", "counter",
		"authproc or relay processes that ended and are started again." },
	[METRIC_UDP_DROPS] = { "gssocks_udp_datagrams_dropped_total", "reason", "counter",
		"UDP ASSOCIATE datagrams a relay dropped, by reason (counted when "
		"the association ends)." },
	[METRIC_SESSIONS_LIVE] = { "gssocks_sessions", "phase", "gauge",
		"Sessions in the table now, by phase." },
	[METRIC_START_TIME] = { "gssocks_start_time_seconds", NULL, "gauge",
		"When gssocksd started, in seconds since the Unix epoch." },
};

const char *metric_name(enum metric_family family)
{
	return (unsigned)family < METRIC_FAMILIES ? families[family].name : NULL;
}

const char *metric_label_name(enum metric_family family)
{
	return (unsigned)family < METRIC_FAMILIES ? families[family].label : NULL;
}

static void put_text(struct wbuf *wb, const char *text)
{
	(void)wbuf_put_bytes(wb, text, strlen(text));
}

/* A label value as the format wants it: \\, \" and \n escaped. */
static void put_label_value(struct wbuf *wb, const char *value)
{
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '\\')
			put_text(wb, "\\\\");
		else if (*p == '"')
			put_text(wb, "\\\"");
		else if (*p == '\n')
			put_text(wb, "\\n");
		else
			(void)wbuf_put_u8(wb, (uint8_t)*p);
	}
}

static void put_sample(struct wbuf *wb, enum metric_family f, const char *label, uint64_t value)
{
	char number[24];

	put_text(wb, families[f].name);
	if (families[f].label != NULL) {
		put_text(wb, "{");
		put_text(wb, families[f].label);
		put_text(wb, "=\"");
		put_label_value(wb, label != NULL ? label : "");
		put_text(wb, "\"}");
	}
	snprintf(number, sizeof(number), " %" PRIu64 "\n", value);
	put_text(wb, number);
}

int metrics_format(struct wbuf *wb, const struct metric_sample *samples, size_t count,
		   bool with_help)
{
	for (size_t i = 0; i < count; i++)
		if ((unsigned)samples[i].family >= METRIC_FAMILIES) {
			wb->error = true;
			return -1;
		}
	for (unsigned f = 0; f < METRIC_FAMILIES; f++) {
		bool any = false;

		if (with_help) {
			put_text(wb, "# HELP ");
			put_text(wb, families[f].name);
			put_text(wb, " ");
			put_text(wb, families[f].help);
			put_text(wb, "\n# TYPE ");
			put_text(wb, families[f].name);
			put_text(wb, " ");
			put_text(wb, families[f].type);
			put_text(wb, "\n");
		}
		for (size_t i = 0; i < count; i++) {
			if (samples[i].family != f)
				continue;
			put_sample(wb, f, samples[i].label, samples[i].value);
			any = true;
		}
		if (!any && families[f].label == NULL)
			put_sample(wb, f, NULL, 0);
	}
	return wbuf_ok(wb);
}
