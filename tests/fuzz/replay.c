/*
 * replay.c - standalone driver for the fuzz targets, so every build (not only
 * a clang/libFuzzer one) runs them under `meson test`.
 *
 * Trust zone: tests only.
 *
 *   fuzz_X-replay [-n COUNT] [-s SEED] [-m MAXLEN] CORPUS_DIR
 *
 * Design: (1) every file of the committed seed corpus is fed to
 * LLVMFuzzerTestOneInput() once, in name order; (2) COUNT deterministic
 * inputs follow: a quarter random bytes, the rest seeds changed by one to
 * eight mutations (bit flip, byte set to an interesting value, insert,
 * delete, truncate, duplicate a run, splice with another seed, 16-bit
 * lengths set to edge values).  The PRNG (splitmix64) is seeded from the
 * target's name unless -s is given, so a failure reproduces exactly.
 * Each input lives in a heap block of exactly its size, as libFuzzer does,
 * so AddressSanitizer catches a read one byte past it.
 *
 * Output is TAP: one test point for the corpus and one for the generated
 * inputs.  When an input breaks an invariant (abort), crashes (SIGSEGV...)
 * or trips a sanitizer (death callback), the driver prints "not ok", the
 * input in hex and writes it to ./crash-TARGET-N so it can be minimised
 * and committed to the corpus; the process then dies with the original
 * cause, so meson counts a failure.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define REPLAY_SANITIZER 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define REPLAY_SANITIZER 1
#endif
#ifdef REPLAY_SANITIZER
#include <sanitizer/common_interface_defs.h>
#endif

#define MAX_FILE (1024 * 1024)

struct seed {
	char *name;
	uint8_t *data;
	size_t len;
};

static const char *target_name = "fuzz";
static int test_number;
/* What is running now, for the crash report. */
static const uint8_t *cur_data;
static size_t cur_len;
static char cur_desc[512];
static bool reported;

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t rng_below(size_t n)
{
	return n == 0 ? 0 : (size_t)(rng() % n);
}

static void report_current(void)
{
	char path[300];
	FILE *f;

	if (reported || cur_data == NULL)
		return;
	reported = true;
	printf("not ok %d - %s crashed or broke an invariant on %s (%zu bytes)\n",
	       test_number, target_name, cur_desc, cur_len);
	printf("# input:");
	for (size_t i = 0; i < cur_len && i < 2048; i++)
		printf("%s%02x", i % 32 == 0 ? "\n#   " : " ", cur_data[i]);
	printf("%s\n", cur_len > 2048 ? "\n#   ..." : "");
	snprintf(path, sizeof(path), "crash-%s-%d", target_name, test_number);
	f = fopen(path, "wb");
	if (f != NULL) {
		if (fwrite(cur_data, 1, cur_len, f) == cur_len)
			printf("# input written to %s\n", path);
		fclose(f);
	}
	fflush(stdout);
}

static void on_fatal_signal(int sig)
{
	report_current();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void run_one(const uint8_t *data, size_t len, const char *desc)
{
	uint8_t *copy = fuzz_dup(data, len);

	cur_data = copy;
	cur_len = len;
	snprintf(cur_desc, sizeof(cur_desc), "%s", desc);
	(void)LLVMFuzzerTestOneInput(copy, len);
	cur_data = NULL;
	free(copy);
}

static int seed_cmp(const void *a, const void *b)
{
	return strcmp(((const struct seed *)a)->name, ((const struct seed *)b)->name);
}

static bool read_file(const char *path, uint8_t **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (f == NULL)
		return false;
	buf = malloc(MAX_FILE);
	if (buf == NULL) {
		fclose(f);
		return false;
	}
	n = fread(buf, 1, MAX_FILE, f);
	fclose(f);
	/* Shrink to what was read; keep the larger block if that fails. */
	uint8_t *shrunk = realloc(buf, n > 0 ? n : 1);
	*data = shrunk != NULL ? shrunk : buf;
	*len = n;
	return true;
}

static size_t load_corpus(const char *dir, struct seed **out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct seed *seeds = NULL;
	size_t n = 0;

	if (d == NULL) {
		printf("# cannot open corpus %s: %s\n", dir, strerror(errno));
		*out = NULL;
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		char path[4096];
		struct seed s;
		struct seed *grown;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (!read_file(path, &s.data, &s.len))
			continue;
		s.name = strdup(de->d_name);
		grown = realloc(seeds, (n + 1) * sizeof(*seeds));
		if (s.name == NULL || grown == NULL) {
			fprintf(stderr, "out of memory\n");
			exit(1);
		}
		seeds = grown;
		seeds[n++] = s;
	}
	closedir(d);
	if (n > 0)
		qsort(seeds, n, sizeof(*seeds), seed_cmp);
	*out = seeds;
	return n;
}

static const uint8_t interesting8[] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x07, 0x08,
					0x0a, 0x20, 0x23, 0x2c, 0x2e, 0x2f, 0x3a, 0x40,
					0x7f, 0x80, 0xfe, 0xff };
static const uint16_t interesting16[] = { 0x0000, 0x0001, 0x00ff, 0x0100, 0x7fff,
					  0x8000, 0xfffe, 0xffff, 0x0004, 0x0200 };

/* Apply one mutation to buf[0..*len) (capacity cap); other seeds for splicing. */
static void mutate_once(uint8_t *buf, size_t *len, size_t cap, const struct seed *seeds,
			size_t nseeds)
{
	size_t n = *len;
	size_t at = rng_below(n + 1);

	switch (rng_below(10)) {
	case 0: /* flip a bit */
		if (n > 0)
			buf[rng_below(n)] ^= (uint8_t)(1u << rng_below(8));
		break;
	case 1: /* interesting byte */
		if (n > 0)
			buf[rng_below(n)] = interesting8[rng_below(sizeof(interesting8))];
		break;
	case 2: /* random byte */
		if (n > 0)
			buf[rng_below(n)] = (uint8_t)rng();
		break;
	case 3: /* insert bytes */
	{
		size_t k = 1 + rng_below(8);

		if (n + k > cap)
			break;
		memmove(buf + at + k, buf + at, n - at);
		for (size_t i = 0; i < k; i++)
			buf[at + i] = (rng() & 1) ? (uint8_t)rng() :
				interesting8[rng_below(sizeof(interesting8))];
		*len = n + k;
		break;
	}
	case 4: /* delete bytes */
	{
		size_t k = 1 + rng_below(8);

		if (at + k > n)
			break;
		memmove(buf + at, buf + at + k, n - at - k);
		*len = n - k;
		break;
	}
	case 5: /* truncate */
		*len = at;
		break;
	case 6: /* duplicate a run */
	{
		size_t k = 1 + rng_below(16);
		size_t from;

		if (n == 0 || n + k > cap)
			break;
		from = rng_below(n);
		if (from + k > n)
			k = n - from;
		memmove(buf + at + k, buf + at, n - at);
		memmove(buf + at, buf + (from >= at ? from + k : from), k);
		*len = n + k;
		break;
	}
	case 7: /* splice: our prefix, another seed's suffix */
	{
		const struct seed *o;
		size_t from;

		if (nseeds == 0)
			break;
		o = &seeds[rng_below(nseeds)];
		from = rng_below(o->len + 1);
		if (at + (o->len - from) > cap)
			break;
		memcpy(buf + at, o->data + from, o->len - from);
		*len = at + (o->len - from);
		break;
	}
	case 8: /* 16-bit edge value (lengths in network order) */
	{
		uint16_t v = interesting16[rng_below(sizeof(interesting16) / sizeof(interesting16[0]))];

		if (n < 2)
			break;
		at = rng_below(n - 1);
		buf[at] = (uint8_t)(v >> 8);
		buf[at + 1] = (uint8_t)v;
		break;
	}
	default: /* swap two bytes */
		if (n >= 2) {
			size_t a = rng_below(n), b = rng_below(n);
			uint8_t t = buf[a];

			buf[a] = buf[b];
			buf[b] = t;
		}
		break;
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: %s [-n COUNT] [-s SEED] [-m MAXLEN] CORPUS_DIR\n", target_name);
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long count = 20000;
	unsigned long maxlen = 4096;
	uint64_t seed_value = 0;
	bool seed_given = false;
	struct seed *seeds;
	size_t nseeds;
	uint8_t *buf;
	const char *slash;
	int opt;
	struct sigaction sa;

	slash = strrchr(argv[0], '/');
	target_name = slash != NULL ? slash + 1 : argv[0];
	while ((opt = getopt(argc, argv, "n:s:m:")) != -1) {
		switch (opt) {
		case 'n': count = strtoul(optarg, NULL, 0); break;
		case 's': seed_value = strtoull(optarg, NULL, 0); seed_given = true; break;
		case 'm': maxlen = strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (optind != argc - 1 || maxlen == 0)
		usage();
	if (!seed_given) {
		/* FNV-1a of the target name: fixed per target, different across targets. */
		seed_value = 0xcbf29ce484222325ull;
		for (const char *c = target_name; *c != '\0'; c++)
			seed_value = (seed_value ^ (uint8_t)*c) * 0x100000001b3ull;
	}
	rng_state = seed_value;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGABRT, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
#ifdef REPLAY_SANITIZER
	__sanitizer_set_death_callback(report_current);
#endif

	printf("1..2\n");
	fflush(stdout);

	test_number = 1;
	nseeds = load_corpus(argv[optind], &seeds);
	for (size_t i = 0; i < nseeds; i++) {
		char desc[400];

		snprintf(desc, sizeof(desc), "corpus file %s", seeds[i].name);
		run_one(seeds[i].data, seeds[i].len, desc);
	}
	printf("%sok 1 - %s: %zu corpus files from %s\n", nseeds > 0 ? "" : "not ",
	       target_name, nseeds, argv[optind]);
	fflush(stdout);

	test_number = 2;
	buf = malloc(maxlen);
	if (buf == NULL)
		return 1;
	for (unsigned long i = 0; i < count; i++) {
		char desc[128];
		size_t len;

		if (nseeds == 0 || rng_below(4) == 0) {
			/* Mostly short: parsers decide within a few hundred bytes. */
			size_t lim = rng_below(4) == 0 ? maxlen : (maxlen < 64 ? maxlen : 64);

			len = rng_below(lim + 1);
			for (size_t k = 0; k < len; k++)
				buf[k] = (uint8_t)rng();
			snprintf(desc, sizeof(desc), "generated input %lu (random)", i);
		} else {
			const struct seed *s = &seeds[rng_below(nseeds)];
			size_t rounds = 1 + rng_below(8);

			len = s->len < maxlen ? s->len : maxlen;
			memcpy(buf, s->data, len);
			for (size_t r = 0; r < rounds; r++)
				mutate_once(buf, &len, maxlen, seeds, nseeds);
			snprintf(desc, sizeof(desc), "generated input %lu (mutated %s)", i, s->name);
		}
		run_one(buf, len, desc);
	}
	printf("ok 2 - %s: %lu generated inputs (seed 0x%" PRIx64 ")\n", target_name, count,
	       seed_value);
	free(buf);
	for (size_t i = 0; i < nseeds; i++) {
		free(seeds[i].name);
		free(seeds[i].data);
	}
	free(seeds);
	return nseeds > 0 ? 0 : 1;
}
