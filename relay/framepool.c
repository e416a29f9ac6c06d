/*
 * framepool.c - the relay worker's pool of frame buffers; see
 * framepool.h.
 *
 * Trust zone: relay worker.  A worker is one thread: no locking.  A free
 * buffer's first octets hold the free-list link; nothing else is written
 * into the buffers here.  A taken buffer holds whatever its last frame
 * left (same process, same trust zone): every user writes before it
 * reads.
 */
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../common/log.h"
#include "framepool.h"
#include "../common/secwrap.h"

struct free_buffer {
	struct free_buffer *next;
};

static struct free_buffer *free_list;
static size_t free_count, in_use, peak;
static size_t buffer_size;
static bool taken_since_sweep;

static size_t size_of_buffer(void)
{
	if (buffer_size == 0) {
		long page = sysconf(_SC_PAGESIZE);
		size_t p = page > 0 ? (size_t)page : 4096u;

		buffer_size = (SECWRAP_FRAME_MAX + p - 1) / p * p;
	}
	return buffer_size;
}

uint8_t *framepool_take(void)
{
	struct free_buffer *f = free_list;
	void *p;

	if (f != NULL) {
		free_list = f->next;
		free_count--;
		p = f;
	} else {
		p = mmap(NULL, size_of_buffer(), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			log_err("no memory for a frame buffer (%zu in use): %m", in_use);
			return NULL;
		}
	}
	in_use++;
	if (in_use > peak)
		peak = in_use;
	taken_since_sweep = true;
	return p;
}

void framepool_give(uint8_t **buf)
{
	struct free_buffer *f;

	if (*buf == NULL)
		return;
	in_use--;
	if (free_count < FRAMEPOOL_KEEP) {
		f = (struct free_buffer *)(void *)*buf;
		f->next = free_list;
		free_list = f;
		free_count++;
	} else {
		(void)munmap(*buf, size_of_buffer());
	}
	*buf = NULL;
}

void framepool_sweep(void)
{
	struct free_buffer *f;

	if (taken_since_sweep) {
		taken_since_sweep = false;
		return;
	}
	while ((f = free_list) != NULL) {
		free_list = f->next;
		(void)munmap(f, size_of_buffer());
	}
	free_count = 0;
}

void framepool_stats(struct framepool_stats *st)
{
	st->in_use = in_use;
	st->free = free_count;
	st->peak = peak;
	st->buffer_size = size_of_buffer();
}
