/*
 * policy_current.c - load and reload the policy set; see policy_current.h.
 *
 * Trust zone: master.
 *
 * The sandbox (Landlock) lets the master read the policy directory it
 * started with, that one directory: one put in its place later (a new
 * directory renamed over it, a symbolic link re-pointed) is refused with
 * EACCES.  The reload then says so, from the device and inode noted at
 * start-up, instead of a bare "Permission denied".
 */
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <syslog.h>

#include "audit.h"
#include "log.h"
#include "policy_current.h"

static struct policy_set *current;
static struct stat started_dir;
static bool started_dir_known;

#define REPLACED_HINT " (the policy directory is not the one gssocksd started with: it was " \
	"replaced or re-pointed since, and the sandbox reads only that one; change the " \
	"files inside it, or restart gssocksd)"

static bool dir_replaced(const char *dir)
{
	struct stat st;

	return started_dir_known && stat(dir, &st) == 0 &&
	       (st.st_dev != started_dir.st_dev || st.st_ino != started_dir.st_ino);
}

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
	started_dir_known = stat(dir, &started_dir) == 0;
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
	char text[AUDIT_VALUE_SIZE(POLICY_MAX_LINE + 256 + sizeof(REPLACED_HINT))];
	char where[AUDIT_VALUE_SIZE(4096)];

	policy_errors_init(&errs);
	fresh = policy_set_load(dir, &errs);
	if (fresh == NULL) {
		const char *hint = dir_replaced(dir) ? REPLACED_HINT : "";
		char first[POLICY_MAX_LINE + 256 + sizeof(REPLACED_HINT)];

		for (size_t i = 0; i < errs.count; i++)
			log_err("policy not reloaded: %s%s", errs.lines[i], i == 0 ? hint : "");
		snprintf(first, sizeof(first), "%s%s", errs.count > 0 ? errs.lines[0] : "", hint);
		audit_record(LOG_ERR,
			     "event=reload result=failed dir=%s errors=%zu first=%s",
			     audit_value(dir, where, sizeof(where)), errs.count,
			     audit_value(first, text, sizeof(text)));
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
