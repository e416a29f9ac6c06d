/*
 * load.c - a policy directory as one immutable, reference-counted set.
 *
 * Trust zone: master (at start-up, on SIGHUP) and `gssocksd -t`.  Reads the
 * administrator's policy directory: file names are checked (principal,
 * "@REALM" or "default"), each file is opened without following it into a
 * FIFO or device (O_NONBLOCK, must be a regular file) and read with the
 * POLICY_MAX_FILE_SIZE cap.
 *
 * Design: everything is parsed into a new set; any error anywhere and the
 * new set is thrown away, so the caller's current set is never touched (an
 * atomic reload is a pointer swap).  File names are sorted first, so the
 * errors come out in a stable order and lookups are a binary search.
 */
#include "rule.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct set_entry {
	char *principal;            /* "alice@EXAMPLE.COM" or "@EXAMPLE.COM" */
	struct policy *policy;
};

struct policy_set {
	unsigned refs;
	struct set_entry *entries;  /* sorted by principal */
	size_t count;
	struct policy *fallback;    /* the "default" file, or NULL */
};

struct name_list {
	char **names;
	size_t count;
	size_t cap;
};

static void name_list_free(struct name_list *nl)
{
	for (size_t i = 0; i < nl->count; i++)
		free(nl->names[i]);
	free(nl->names);
}

static int name_list_add(struct name_list *nl, const char *name)
{
	if (nl->count == nl->cap) {
		size_t cap = nl->cap == 0 ? 32 : nl->cap * 2;
		char **names = realloc(nl->names, cap * sizeof(*names));

		if (names == NULL)
			return -1;
		nl->names = names;
		nl->cap = cap;
	}
	if ((nl->names[nl->count] = strdup(name)) == NULL)
		return -1;
	nl->count++;
	return 0;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int compare_entries(const void *a, const void *b)
{
	return strcmp(((const struct set_entry *)a)->principal,
		      ((const struct set_entry *)b)->principal);
}

/* Sorted names of dir, dot files left out.  -1 after an error was added. */
static int list_dir(const char *dir, DIR *d, struct name_list *nl, struct policy_errors *errs)
{
	struct dirent *de;

	for (;;) {
		errno = 0;
		de = readdir(d);
		if (de == NULL)
			break;
		if (de->d_name[0] == '.')
			continue;
		if (nl->count == POLICY_MAX_FILES) {
			policy_errors_add(errs, dir, 0, "more than %d files in the policy directory",
					  POLICY_MAX_FILES);
			return -1;
		}
		if (name_list_add(nl, de->d_name) < 0) {
			policy_errors_add(errs, dir, 0, "out of memory");
			return -1;
		}
	}
	if (errno != 0) {
		policy_errors_add(errs, dir, 0, "cannot read directory: %s", strerror(errno));
		return -1;
	}
	if (nl->count > 1)
		qsort(nl->names, nl->count, sizeof(nl->names[0]), compare_names);
	return 0;
}

/*
 * Read a regular file of at most POLICY_MAX_FILE_SIZE bytes into a new
 * buffer (*len bytes).  NULL after an error was added.
 */
static char *read_policy_file(int dirfd, const char *name, const char *path,
			      size_t *len, struct policy_errors *errs)
{
	struct stat st;
	char *buf = NULL;
	size_t have = 0;
	ssize_t n;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		policy_errors_add(errs, path, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		policy_errors_add(errs, path, 0, "not a regular file");
		goto fail;
	}
	/* One byte more than allowed, to tell "exactly at the cap" from "over". */
	buf = malloc(POLICY_MAX_FILE_SIZE + 1);
	if (buf == NULL) {
		policy_errors_add(errs, path, 0, "out of memory");
		goto fail;
	}
	while (have < POLICY_MAX_FILE_SIZE + 1) {
		n = read(fd, &buf[have], POLICY_MAX_FILE_SIZE + 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			policy_errors_add(errs, path, 0, "cannot read: %s", strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	if (have > POLICY_MAX_FILE_SIZE) {
		policy_errors_add(errs, path, 0, "file larger than %d bytes", POLICY_MAX_FILE_SIZE);
		goto fail;
	}
	close(fd);
	*len = have;
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

static void set_free(struct policy_set *set)
{
	for (size_t i = 0; i < set->count; i++) {
		free(set->entries[i].principal);
		policy_free(set->entries[i].policy);
	}
	free(set->entries);
	policy_free(set->fallback);
	free(set);
}

/* Parse one file into set; -1 after an error was added. */
static int load_one(struct policy_set *set, const char *dir, int dirfd, const char *name,
		    struct policy_errors *errs)
{
	char principal[POLICY_MAX_PRINCIPAL + 1];
	struct policy *p;
	char *path, *text;
	size_t len = 0;
	bool is_default = strcmp(name, POLICY_DEFAULT_FILE) == 0;

	if (asprintf(&path, "%s/%s", dir, name) < 0) {
		policy_errors_add(errs, dir, 0, "out of memory");
		return -1;
	}
	if (!is_default && policy_file_to_principal(name, principal, sizeof(principal)) < 0) {
		policy_errors_add(errs, path, 0, "file name is not a principal, '@REALM' or "
				  "'default' in canonical form (see gssocks-policy(5))");
		free(path);
		return -1;
	}
	text = read_policy_file(dirfd, name, path, &len, errs);
	if (text == NULL) {
		free(path);
		return -1;
	}
	p = policy_parse(path, text, len, errs);
	free(text);
	free(path);
	if (p == NULL)
		return -1;
	if (is_default) {
		set->fallback = p;
		return 0;
	}
	set->entries[set->count].principal = strdup(principal);
	if (set->entries[set->count].principal == NULL) {
		policy_errors_add(errs, dir, 0, "out of memory");
		policy_free(p);
		return -1;
	}
	set->entries[set->count++].policy = p;
	return 0;
}

struct policy_set *policy_set_load(const char *dir, struct policy_errors *errs)
{
	struct name_list nl = { NULL, 0, 0 };
	struct policy_set *set = NULL;
	bool failed = false;
	DIR *d;

	d = opendir(dir);
	if (d == NULL) {
		policy_errors_add(errs, dir, 0, "cannot open policy directory: %s", strerror(errno));
		return NULL;
	}
	if (list_dir(dir, d, &nl, errs) < 0)
		goto out;
	set = calloc(1, sizeof(*set));
	if (set == NULL || (nl.count > 0 &&
			    (set->entries = calloc(nl.count, sizeof(*set->entries))) == NULL)) {
		policy_errors_add(errs, dir, 0, "out of memory");
		goto out;
	}
	set->refs = 1;
	for (size_t i = 0; i < nl.count; i++) {
		if (load_one(set, dir, dirfd(d), nl.names[i], errs) < 0)
			failed = true;
	}
	if (!failed) {
		/* Already sorted by file name; principals sort differently. */
		if (set->count > 1)
			qsort(set->entries, set->count, sizeof(set->entries[0]), compare_entries);
		closedir(d);
		name_list_free(&nl);
		return set;
	}
out:
	if (set != NULL)
		set_free(set);
	closedir(d);
	name_list_free(&nl);
	return NULL;
}

struct policy_set *policy_set_ref(struct policy_set *set)
{
	set->refs++;
	return set;
}

void policy_set_unref(struct policy_set *set)
{
	if (set == NULL)
		return;
	if (--set->refs == 0)
		set_free(set);
}

size_t policy_set_count(const struct policy_set *set)
{
	return set->count + (set->fallback != NULL ? 1 : 0);
}

static const struct policy *lookup(const struct policy_set *set, const char *principal)
{
	struct set_entry key = { (char *)principal, NULL };
	const struct set_entry *e;

	if (set->count == 0)
		return NULL;
	e = bsearch(&key, set->entries, set->count, sizeof(set->entries[0]), compare_entries);
	return e != NULL ? e->policy : NULL;
}

const struct policy *policy_for_principal(const struct policy_set *set, const char *principal)
{
	const struct policy *p;
	const char *at;

	if (set == NULL)
		return NULL;
	p = lookup(set, principal);
	if (p != NULL)
		return p;
	at = strrchr(principal, '@');
	if (at != NULL && at[1] != '\0') {
		p = lookup(set, at);    /* "@REALM" */
		if (p != NULL)
			return p;
	}
	return set->fallback;
}

int policy_check_dir(const char *dir, FILE *out)
{
	struct policy_errors errs;
	struct policy_set *set;

	policy_errors_init(&errs);
	set = policy_set_load(dir, &errs);
	policy_errors_print(&errs, out);
	policy_errors_free(&errs);
	if (set == NULL)
		return -1;
	policy_set_unref(set);
	return 0;
}
