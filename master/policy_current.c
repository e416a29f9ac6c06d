/*
 * policy_current.c - load and reload the policy set; see policy_current.h.
 *
 * Trust zone: master.
 */
#include <stdio.h>
#include <syslog.h>

#include "audit.h"
#include "log.h"
#include "policy_current.h"

static struct policy_set *current;

int policy_current_load(const char *dir)
{
	struct policy_errors errs;
	struct policy_set *set;

	policy_errors_init(&errs);
	set = policy_set_load(dir, &errs);
	if (set == NULL) {
		for (size_t i = 0; i < errs.count; i++)
			fprintf(stderr, "%s\n", errs.lines[i]);
		if (errs.count == 0)
			fprintf(stderr, "%s: policy not loaded\n", dir);
		policy_errors_free(&errs);
		return -1;
	}
	policy_errors_free(&errs);
	current = set;
	return 0;
}

struct policy_set *policy_current(void)
{
	return current;
}

void policy_current_reload(const char *dir)
{
	struct policy_errors errs;
	struct policy_set *fresh;
	char text[AUDIT_VALUE_SIZE(POLICY_MAX_LINE + 256)];
	char where[AUDIT_VALUE_SIZE(4096)];

	policy_errors_init(&errs);
	fresh = policy_set_load(dir, &errs);
	if (fresh == NULL) {
		for (size_t i = 0; i < errs.count; i++)
			log_err("policy not reloaded: %s", errs.lines[i]);
		audit_record(LOG_ERR,
			     "event=reload result=failed dir=%s errors=%zu first=%s",
			     audit_value(dir, where, sizeof(where)), errs.count,
			     audit_value(errs.count > 0 ? errs.lines[0] : "", text, sizeof(text)));
		policy_errors_free(&errs);
		return;
	}
	policy_errors_free(&errs);
	if (current != NULL)
		policy_set_unref(current);     /* live sessions keep their refs */
	current = fresh;
	audit_record(LOG_INFO, "event=reload result=ok dir=%s files=%zu",
		     audit_value(dir, where, sizeof(where)), policy_set_count(fresh));
}

void policy_current_free(void)
{
	if (current != NULL)
		policy_set_unref(current);
	current = NULL;
}
