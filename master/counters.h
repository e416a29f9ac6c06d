/*
 * counters.h - what gssocksd has done since it started, counted where the
 * audit records are written (sessions by result, refusals by reason,
 * unwrap failures, evictions, child restarts, UDP datagrams dropped), for gssocksctl counters
 * and metrics (master/control.c).
 *
 * Trust zone: master.  Labels are the daemon's own words (reasons, roles),
 * never text from a client or a child.
 *
 * Design: a small fixed table of (family, label, count), labels copied;
 * the set of labels is bounded by the code's own reasons, and a table
 * that is full anyway counts under the label "other".  Nothing here does
 * I/O: counting costs a short scan and an add.
 */
#ifndef GSSOCKS_MASTER_COUNTERS_H
#define GSSOCKS_MASTER_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

/* Add one to (family, label); label NULL for the unlabelled families. */
void counters_inc(enum metric_family family, const char *label);
/* Add n to (family, label); n == 0 adds nothing (and no sample). */
void counters_add(enum metric_family family, const char *label, uint64_t n);

/*
 * An event audit_count() counts instead of recording it one by one (a
 * flood): "evict" (an eviction, and a session ended "evicted"), "refuse"
 * (a refusal before any session) and "end" (a session ended) are counted
 * here as well; other events are not.
 */
void counters_audit_count(const char *event, const char *reason);

/*
 * Copy the counted samples into out (at most max); returns how many.
 * Labels point into the table: valid until the next counters_inc.
 */
size_t counters_samples(struct metric_sample *out, size_t max);

#define COUNTERS_MAX 192

#endif
