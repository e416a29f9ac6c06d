/*
 * listen.c - listening sockets and accept; see listen.h.
 *
 * Trust zone: master, network-facing.  accept() hands each connection to
 * greeting.c, or to proxy_header.c when it comes from an address of
 * proxy-protocol-from; nothing is read here.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "event.h"
#include "greeting.h"
#include "listen.h"
#include "log.h"
#include "master.h"
#include "proxy_header.h"
#include "util.h"

#define LISTEN_BACKLOG 512
#define LISTEN_SOCKETS_MAX (2 * CONFIG_LISTEN_MAX)
#define ACCEPT_BATCH 64

static int listeners[LISTEN_SOCKETS_MAX];
static size_t listener_count;
static uint64_t paused_until_ms;   /* accepting paused after EMFILE */

static int listen_one(const struct sockaddr_storage *ss, socklen_t sslen)
{
	char text[80];
	int one = 1;
	int fd;

	sockaddr_format((const struct sockaddr *)ss, text, sizeof(text));
	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_err("listen %s: socket: %m", text);
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) {
		log_err("listen %s: SO_REUSEADDR: %m", text);
		close(fd);
		return -1;
	}
	if (ss->ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) {
		log_err("listen %s: IPV6_V6ONLY: %m", text);
		close(fd);
		return -1;
	}
	if (bind(fd, (const struct sockaddr *)ss, sslen) < 0) {
		log_err("listen %s: bind: %m", text);
		close(fd);
		return -1;
	}
	if (listen(fd, LISTEN_BACKLOG) < 0) {
		log_err("listen %s: listen: %m", text);
		close(fd);
		return -1;
	}
	listeners[listener_count++] = fd;
	log_info("event=listen address=%s", text);
	return 0;
}

int listen_open(const struct master_config *cfg)
{
	static const struct config_listen defaults[] = { { "*", CONFIG_DEFAULT_PORT } };
	const struct config_listen *list = cfg->listen_count ? cfg->listen : defaults;
	size_t count = cfg->listen_count ? cfg->listen_count : 1;

	for (size_t i = 0; i < count; i++) {
		struct sockaddr_storage ss;
		socklen_t sslen;

		if (strcmp(list[i].host, "*") == 0) {
			if (sockaddr_parse_numeric("0.0.0.0", list[i].port, &ss, &sslen) < 0 ||
			    listen_one(&ss, sslen) < 0)
				return -1;
			/* A host without IPv6 still serves IPv4 on "*". */
			if (sockaddr_parse_numeric("::", list[i].port, &ss, &sslen) == 0 &&
			    listen_one(&ss, sslen) < 0 && errno != EAFNOSUPPORT)
				return -1;
			continue;
		}
		if (sockaddr_parse_numeric(list[i].host, list[i].port, &ss, &sslen) < 0) {
			log_err("listen %s: not a numeric address", list[i].host);
			return -1;
		}
		if (listen_one(&ss, sslen) < 0)
			return -1;
	}
	return 0;
}

static void listen_accept_event(int fd, uint32_t events, void *ctx)
{
	(void)events;
	(void)ctx;
	for (int n = 0; n < ACCEPT_BATCH; n++) {
		struct sockaddr_storage peer;
		socklen_t peerlen = sizeof(peer);
		int client = accept4(fd, (struct sockaddr *)&peer, &peerlen,
				     SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (client < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
			    errno == ECONNABORTED)
				return;
			/*
			 * EMFILE and friends: the backlog keeps the connections;
			 * pause (level-triggered epoll would spin) and retry in a
			 * second from listen_resume().
			 */
			log_warn("accept: %m; pausing accept for 1 s");
			for (size_t i = 0; i < listener_count; i++)
				event_modify(listeners[i], 0);
			paused_until_ms = monotonic_ms() + 1000u;
			return;
		}
		if (proxy_header_expected((const struct sockaddr *)&peer))
			proxy_header_begin(client, (const struct sockaddr *)&peer);
		else
			greeting_begin(client, (const struct sockaddr *)&peer, NULL);
	}
}

int listen_watch(void)
{
	for (size_t i = 0; i < listener_count; i++)
		if (event_add(listeners[i], EPOLLIN, listen_accept_event, NULL) < 0) {
			log_err("listen: epoll: %m");
			return -1;
		}
	return 0;
}

void listen_resume(uint64_t now_ms)
{
	if (paused_until_ms == 0 || now_ms < paused_until_ms)
		return;
	paused_until_ms = 0;
	for (size_t i = 0; i < listener_count; i++)
		event_modify(listeners[i], EPOLLIN);
}

void listen_close(void)
{
	for (size_t i = 0; i < listener_count; i++) {
		event_remove(listeners[i]);
		close_fd(&listeners[i]);
	}
	listener_count = 0;
}
