/*
 * dns.c - c-ares inside the master's epoll loop; see dns.h.
 *
 * Trust zone: master.  Answers from the network are parsed by c-ares; only
 * AF_INET / AF_INET6 addresses are taken from them, at most
 * DNS_ADDRESSES_MAX, in the order c-ares returns them.
 */
#include <ares.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "dns.h"
#include "event.h"
#include "log.h"

struct dns_lookup {
	uint64_t session_id;
	uint16_t port;
	dns_done_fn done;
};

static ares_channel channel;
static bool channel_ready;

static void dns_socket_event(int fd, uint32_t events, void *ctx)
{
	ares_socket_t readable = ARES_SOCKET_BAD, writable = ARES_SOCKET_BAD;

	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		readable = fd;
	if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
		writable = fd;
	ares_process_fd(channel, readable, writable);
}

/* c-ares opens, watches and closes its sockets; mirror that in epoll. */
static void dns_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	uint32_t events = (readable ? EPOLLIN : 0u) | (writable ? EPOLLOUT : 0u);

	if (!readable && !writable) {
		event_remove(fd);
		return;
	}
	if (event_modify(fd, events) == 0)
		return;
	if (event_add(fd, events, dns_socket_event, NULL) < 0)
		log_err("dns: cannot watch resolver socket %d: %m", fd);
}

int dns_init(void)
{
	struct ares_options options;
	int status;

	status = ares_library_init(ARES_LIB_INIT_ALL);
	if (status != ARES_SUCCESS) {
		log_err("dns: ares_library_init: %s", ares_strerror(status));
		return -1;
	}
	memset(&options, 0, sizeof(options));
	options.sock_state_cb = dns_sock_state;
	options.sock_state_cb_data = NULL;
	status = ares_init_options(&channel, &options, ARES_OPT_SOCK_STATE_CB);
	if (status != ARES_SUCCESS) {
		log_err("dns: ares_init_options: %s", ares_strerror(status));
		return -1;
	}
	channel_ready = true;
	return 0;
}

static const char *dns_error_text(int status)
{
	switch (status) {
	case ARES_ENOTFOUND: return "name not found";
	case ARES_ENODATA: return "no address for name";
	case ARES_ETIMEOUT: return "resolver timeout";
	case ARES_ECONNREFUSED: return "resolver refused";
	case ARES_ECANCELLED: return "lookup cancelled";
	case ARES_EDESTRUCTION: return "resolver shut down";
	case ARES_ENOMEM: return "out of memory";
	case ARES_EBADNAME: return "bad name";
	default: return "resolver failure";
	}
}

static void dns_answer(void *arg, int status, int timeouts, struct ares_addrinfo *info)
{
	struct dns_lookup *lookup = arg;
	struct dns_result result;

	(void)timeouts;
	memset(&result, 0, sizeof(result));
	if (status == ARES_SUCCESS && info != NULL) {
		for (struct ares_addrinfo_node *node = info->nodes;
		     node != NULL && result.count < DNS_ADDRESSES_MAX; node = node->ai_next) {
			struct sockaddr_storage *ss = &result.addr[result.count];
			if (node->ai_family == AF_INET &&
			    node->ai_addrlen == sizeof(struct sockaddr_in)) {
				memcpy(ss, node->ai_addr, sizeof(struct sockaddr_in));
				((struct sockaddr_in *)ss)->sin_port = htons(lookup->port);
			} else if (node->ai_family == AF_INET6 &&
				   node->ai_addrlen == sizeof(struct sockaddr_in6)) {
				memcpy(ss, node->ai_addr, sizeof(struct sockaddr_in6));
				((struct sockaddr_in6 *)ss)->sin6_port = htons(lookup->port);
			} else {
				continue;
			}
			result.addr_len[result.count] = node->ai_addrlen;
			result.count++;
		}
	}
	if (info != NULL)
		ares_freeaddrinfo(info);
	if (status == ARES_SUCCESS && result.count == 0)
		status = ARES_ENODATA;
	lookup->done(lookup->session_id, status == ARES_SUCCESS ? NULL : dns_error_text(status),
		     &result);
	free(lookup);
}

void dns_lookup(const char *name, uint16_t port, uint64_t session_id, dns_done_fn done)
{
	struct ares_addrinfo_hints hints;
	struct dns_lookup *lookup;
	struct dns_result empty;

	if (!channel_ready || (lookup = calloc(1, sizeof(*lookup))) == NULL) {
		memset(&empty, 0, sizeof(empty));
		done(session_id, "resolver unavailable", &empty);
		return;
	}
	lookup->session_id = session_id;
	lookup->port = port;
	lookup->done = done;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	ares_getaddrinfo(channel, name, NULL, &hints, dns_answer, lookup);
}

int dns_next_timeout_ms(void)
{
	struct timeval tv, *next;

	if (!channel_ready)
		return -1;
	next = ares_timeout(channel, NULL, &tv);
	if (next == NULL)
		return -1;
	return (int)(next->tv_sec * 1000 + (next->tv_usec + 999) / 1000);
}

void dns_timeouts(void)
{
	if (channel_ready)
		ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

void dns_shutdown(void)
{
	if (!channel_ready)
		return;
	channel_ready = false;
	ares_destroy(channel);
	ares_library_cleanup();
}
