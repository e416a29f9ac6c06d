/*
 * metrics.h - the names of what gssocksd counts, and their text forms:
 * gssocksctl counters and the Prometheus text exposition format 0.0.4
 * (gssocksctl metrics, for node_exporter's textfile collector or a scrape).
 *
 * Trust zone: master.  Pure formatting, no I/O and no master state, so the
 * unit test (tests/unit/test_metrics.c) checks it table by table.
 *
 * Design: each family is one metric name with at most one label; a
 * sample is (family, label value, value).  Label values are the daemon's
 * own words (end reasons, refusal reasons, roles, phases), escaped anyway
 * as the format demands (\\, \", \n).  The formatter writes the families
 * in the order of enum metric_family, each with its # HELP and # TYPE
 * lines (with_help) and then its samples; an unlabelled counter without a
 * sample is written as 0, a labelled family without one has no sample.
 */
#ifndef GSSOCKS_MASTER_METRICS_H
#define GSSOCKS_MASTER_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../proto/buf.h"

enum metric_family {
	METRIC_SESSIONS_STARTED,   /* gssocks_sessions_started_total */
	METRIC_SESSIONS_ENDED,     /* gssocks_sessions_total{result} */
	METRIC_REFUSALS,           /* gssocks_refusals_total{reason} */
	METRIC_UNWRAP_FAILURES,    /* gssocks_unwrap_failures_total */
	METRIC_EVICTIONS,          /* gssocks_evictions_total{reason} */
	METRIC_CHILD_RESTARTS,     /* gssocks_child_restarts_total{role} */
	METRIC_UDP_DROPS,          /* gssocks_udp_datagrams_dropped_total{reason} */
	METRIC_SESSIONS_LIVE,      /* gssocks_sessions{phase} (gauge) */
	METRIC_START_TIME,         /* gssocks_start_time_seconds (gauge) */
	METRIC_FAMILIES
};

struct metric_sample {
	enum metric_family family;
	const char *label;         /* NULL for the unlabelled families */
	uint64_t value;
};

/* The metric name of a family ("gssocks_sessions_total"), NULL if none. */
const char *metric_name(enum metric_family family);
/* Its label name ("result"), NULL for an unlabelled family. */
const char *metric_label_name(enum metric_family family);

/*
 * Write every family and the samples given (in any order; those of a
 * family keep their relative order) into wb.  with_help: the # HELP and
 * # TYPE lines of the exposition format; without them, only the sample
 * lines (gssocksctl counters).  0, or -1 when wb is too small (its sticky
 * error is set) or a sample names no family.
 */
int metrics_format(struct wbuf *wb, const struct metric_sample *samples, size_t count,
		   bool with_help);

#endif
