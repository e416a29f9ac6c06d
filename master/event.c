/*
 * event.c - epoll registry with stale-event protection; see event.h.
 *
 * Trust zone: master.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "event.h"
#include "log.h"

#define EVENT_BATCH 64

struct registration {
	event_fn fn;
	void *ctx;
	uint32_t generation;
	bool active;
};

static int epoll_fd = -1;
static struct registration *table;
static size_t table_len;
static uint32_t next_generation = 1;

int event_init(void)
{
	epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	return epoll_fd < 0 ? -1 : 0;
}

static int table_grow(int fd)
{
	size_t want = table_len ? table_len : 256;
	struct registration *grown;

	while (want <= (size_t)fd)
		want *= 2;
	if (want == table_len)
		return 0;
	grown = realloc(table, want * sizeof(*table));
	if (grown == NULL)
		return -1;
	memset(grown + table_len, 0, (want - table_len) * sizeof(*table));
	table = grown;
	table_len = want;
	return 0;
}

static uint64_t event_key(int fd, uint32_t generation)
{
	return ((uint64_t)generation << 32) | (uint32_t)fd;
}

int event_add(int fd, uint32_t events, event_fn fn, void *ctx)
{
	struct epoll_event ev;
	struct registration *reg;

	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	if ((size_t)fd >= table_len && table_grow(fd) < 0)
		return -1;
	reg = &table[fd];
	if (reg->active)
		bug("event_add: fd %d registered twice", fd);
	memset(&ev, 0, sizeof(ev));
	reg->generation = next_generation++;
	if (next_generation == 0)
		next_generation = 1;
	ev.events = events;
	ev.data.u64 = event_key(fd, reg->generation);
	if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	reg->fn = fn;
	reg->ctx = ctx;
	reg->active = true;
	return 0;
}

int event_modify(int fd, uint32_t events)
{
	struct epoll_event ev;

	if (fd < 0 || (size_t)fd >= table_len || !table[fd].active) {
		errno = ENOENT;
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = event_key(fd, table[fd].generation);
	return epoll_ctl(epoll_fd, EPOLL_CTL_MOD, fd, &ev);
}

void event_remove(int fd)
{
	if (fd < 0 || (size_t)fd >= table_len || !table[fd].active)
		return;
	epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, NULL);
	table[fd].active = false;
	table[fd].fn = NULL;
	table[fd].ctx = NULL;
}

int event_run_once(int timeout_ms)
{
	struct epoll_event events[EVENT_BATCH];
	int n, ran = 0;

	n = epoll_wait(epoll_fd, events, EVENT_BATCH, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (int i = 0; i < n; i++) {
		int fd = (int)(uint32_t)(events[i].data.u64 & 0xffffffffu);
		uint32_t generation = (uint32_t)(events[i].data.u64 >> 32);
		struct registration *reg;

		if (fd < 0 || (size_t)fd >= table_len)
			continue;
		reg = &table[fd];
		/* Removed (or removed and re-added) by an earlier callback. */
		if (!reg->active || reg->generation != generation)
			continue;
		reg->fn(fd, events[i].events, reg->ctx);
		ran++;
	}
	return ran;
}
