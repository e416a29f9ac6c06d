/*
 * counters.c - the master's event counters; see counters.h.
 *
 * Trust zone: master.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "counters.h"

#define LABEL_MAX 48

struct counter {
	enum metric_family family;
	char label[LABEL_MAX];
	bool labelled;
	uint64_t value;
};

static struct counter table[COUNTERS_MAX];
static size_t used;

static bool same(const struct counter *c, enum metric_family family, const char *label)
{
	if (c->family != family || c->labelled != (label != NULL))
		return false;
	return label == NULL || strncmp(c->label, label, LABEL_MAX - 1) == 0;
}

void counters_inc(enum metric_family family, const char *label)
{
	counters_add(family, label, 1);
}

void counters_add(enum metric_family family, const char *label, uint64_t n)
{
	struct counter *c;

	if (n == 0)
		return;
	if (metric_label_name(family) == NULL)
		label = NULL;
	else if (label == NULL || label[0] == '\0')
		label = "unknown";
	for (size_t i = 0; i < used; i++)
		if (same(&table[i], family, label)) {
			table[i].value += n;
			return;
		}
	/* Keep the last slot for "other" of any family. */
	if (used + 1 >= COUNTERS_MAX && label != NULL && strcmp(label, "other") != 0) {
		counters_add(family, "other", n);
		return;
	}
	if (used >= COUNTERS_MAX)
		return;
	c = &table[used++];
	c->family = family;
	c->labelled = label != NULL;
	if (label != NULL) {
		strncpy(c->label, label, LABEL_MAX - 1);
		c->label[LABEL_MAX - 1] = '\0';
	}
	c->value = n;
}

size_t counters_samples(struct metric_sample *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < used && n < max; i++, n++) {
		out[n].family = table[i].family;
		out[n].label = table[i].labelled ? table[i].label : NULL;
		out[n].value = table[i].value;
	}
	return n;
}

void counters_audit_count(const char *event, const char *reason)
{
	if (strcmp(event, "evict") == 0) {
		counters_inc(METRIC_EVICTIONS, reason);
		counters_inc(METRIC_SESSIONS_ENDED, "evicted");
	} else if (strcmp(event, "refuse") == 0) {
		counters_inc(METRIC_REFUSALS, reason);
	} else if (strcmp(event, "end") == 0) {
		counters_inc(METRIC_SESSIONS_ENDED, reason);
	}
}
