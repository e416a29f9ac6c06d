/*
 * proxy_header.c - reading the PROXY protocol v2 header of a connection
 * from a listed load balancer; see proxy_header.h for the rule.
 *
 * Trust zone: master, network-facing.  The header's octets are read into
 * a fixed buffer and parsed by proto/proxy2.c only; the read never asks
 * for more than proxy2_length() says is left of the header, so the SOCKS
 * greeting stays in the socket for greeting.c.
 *
 * Design: the connections waiting for their header are a list of their
 * own (not sessions: the client's address, which admission and the
 * session's records need, is not known yet); the narrow entry points are
 * proxy_header_begin() (listen.c) and proxy_header_sweep() (the master's
 * once-a-second sweep).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "../proto/proxy2.h"
#include "audit.h"
#include "event.h"
#include "greeting.h"
#include "log.h"
#include "master.h"
#include "proxy_header.h"
#include "util.h"

#define BALANCER_TEXT_MAX 64

struct waiting {
	int fd;
	bool local;                       /* LOCAL read: waiting for a first octet */
	uint64_t deadline_ms;
	struct sockaddr_storage balancer;
	char balancer_text[BALANCER_TEXT_MAX];
	uint8_t header[PROXY2_HEADER_MAX];
	size_t len;
	struct waiting *prev, *next;
};

static struct waiting *waiting_head;
static size_t waiting_count;

bool proxy_header_expected(const struct sockaddr *peer)
{
	const struct master_config *cfg = master_cfg;

	for (size_t i = 0; i < cfg->proxy_from_count; i++)
		if (address_block_holds(&cfg->proxy_from[i], peer))
			return true;
	return false;
}

/* Unlink w and free it; its fd is the caller's (closed or handed on). */
static void waiting_free(struct waiting *w)
{
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		waiting_head = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	waiting_count--;
	free(w);
}

static void waiting_close(struct waiting *w)
{
	event_remove(w->fd);
	close_fd(&w->fd);
	waiting_free(w);
}

/* Not a valid header from a listed balancer: closed, counted. */
static void refuse(struct waiting *w, const char *reason, const char *why)
{
	char detail[160], value[AUDIT_VALUE_SIZE(64)];

	snprintf(detail, sizeof(detail), "balancer=%s why=%s", w->balancer_text,
		 audit_value(why, value, sizeof(value)));
	log_debug("event=refuse reason=%s %s", reason, detail);
	audit_count(LOG_NOTICE, "refuse", reason, detail);
	waiting_close(w);
}

/* A connection of the balancer's own that ended without a word. */
static void health_check(struct waiting *w)
{
	log_debug("event=health-check balancer=%s", w->balancer_text);
	waiting_close(w);
}

/*
 * Hand the connection to greeting.c: as `client` through the balancer, or
 * (client NULL) as a client at the balancer's own address.
 */
static void hand_on(struct waiting *w, const struct sockaddr_storage *client)
{
	struct sockaddr_storage balancer = w->balancer;
	struct sockaddr_storage who = client != NULL ? *client : balancer;
	int fd = w->fd;

	event_remove(fd);
	w->fd = -1;
	waiting_free(w);
	greeting_begin(fd, (const struct sockaddr *)&who,
		       client != NULL ? (const struct sockaddr *)&balancer : NULL);
}

/* After LOCAL: the first octet decides between a health check and a client. */
static void local_event(struct waiting *w)
{
	uint8_t octet;
	ssize_t n = recv(w->fd, &octet, 1, MSG_PEEK | MSG_DONTWAIT);

	if (n > 0) {
		hand_on(w, NULL);
		return;
	}
	if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
		health_check(w);
}

static void header_event(int fd, uint32_t events, void *ctx)
{
	struct waiting *w = ctx;

	(void)events;
	if (w->local) {
		local_event(w);
		return;
	}
	for (;;) {
		struct proxy2_header h;
		const char *why = "malformed";
		size_t used = 0, want;
		int r = proxy2_parse(w->header, w->len, &h, &used, &why);
		ssize_t n;

		if (r < 0) {
			refuse(w, "proxy-header", why);
			return;
		}
		if (r == 1 && h.command == PROXY2_CMD_PROXY) {
			hand_on(w, &h.source);
			return;
		}
		if (r == 1) {
			w->local = true;
			local_event(w);
			return;
		}
		want = proxy2_length(w->header, w->len);
		if (want <= w->len || want > sizeof(w->header)) {
			/* proxy2_parse() refuses such a length first */
			refuse(w, "proxy-header", "bad length");
			return;
		}
		n = read(fd, w->header + w->len, want - w->len);
		if (n > 0) {
			w->len += (size_t)n;
			continue;
		}
		if (n == 0 && w->len == 0) {
			health_check(w);
			return;
		}
		if (n == 0) {
			refuse(w, "proxy-header", "closed within the header");
			return;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		refuse(w, "proxy-header", "read error");
		return;
	}
}

void proxy_header_begin(int fd, const struct sockaddr *peer)
{
	struct waiting *w;

	if (master_stopping()) {
		close(fd);
		return;
	}
	if (waiting_count >= master_cfg->max_unauthenticated ||
	    (w = calloc(1, sizeof(*w))) == NULL) {
		char detail[96], text[BALANCER_TEXT_MAX];

		sockaddr_format(peer, text, sizeof(text));
		snprintf(detail, sizeof(detail), "max=%u balancer=%s", master_cfg->max_unauthenticated,
			 text);
		audit_count(LOG_NOTICE, "refuse", "proxy-header-waiting", detail);
		close(fd);
		return;
	}
	w->fd = fd;
	memcpy(&w->balancer, peer,
	       peer->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	sockaddr_format(peer, w->balancer_text, sizeof(w->balancer_text));
	w->deadline_ms = monotonic_ms() + 1000u * (uint64_t)master_cfg->greeting_timeout;
	w->next = waiting_head;
	if (waiting_head != NULL)
		waiting_head->prev = w;
	waiting_head = w;
	waiting_count++;
	if (event_add(fd, EPOLLIN, header_event, w) < 0) {
		log_err("proxy header: epoll: %m");
		waiting_close(w);
	}
}

void proxy_header_sweep(uint64_t now_ms)
{
	struct waiting *w = waiting_head, *next;

	for (; w != NULL; w = next) {
		next = w->next;
		if (w->deadline_ms > now_ms)
			continue;
		if (w->local)
			health_check(w);
		else
			refuse(w, "proxy-header-timeout", "no header within greeting-timeout");
	}
}
