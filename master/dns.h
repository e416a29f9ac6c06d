/*
 * dns.h - non-blocking name resolution for CONNECT requests (c-ares).
 *
 * Trust zone: master.  Names come from clients (through a relay) and are
 * resolved by the master only, since relays may not create sockets.
 *
 * Design: one c-ares channel whose sockets are watched by the master's
 * epoll loop (ARES_OPT_SOCK_STATE_CB); ares_process_fd runs on their
 * events and on c-ares' own timeouts.  A lookup is tied to a session by
 * id, never by pointer, so a session dropped while its lookup runs simply
 * finds nobody when the answer arrives.  ares_getaddrinfo with AF_UNSPEC
 * reads /etc/hosts first, so `localhost` resolves without a server.
 */
#ifndef GSSOCKS_MASTER_DNS_H
#define GSSOCKS_MASTER_DNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DNS_ADDRESSES_MAX 16

struct dns_result {
	struct sockaddr_storage addr[DNS_ADDRESSES_MAX];
	socklen_t addr_len[DNS_ADDRESSES_MAX];
	size_t count;
};

/*
 * Called once per lookup.  On success error is NULL and result holds at
 * least one address (ports set); otherwise error says why (static text).
 */
typedef void (*dns_done_fn)(uint64_t session_id, const char *error,
			    const struct dns_result *result);

/* Set up the resolver (reads /etc/resolv.conf).  0 or -1 (logged). */
int dns_init(void);
/* Start resolving `name`; done() may run before dns_lookup returns. */
void dns_lookup(const char *name, uint16_t port, uint64_t session_id, dns_done_fn done);
/* Milliseconds until c-ares wants dns_timeouts() to run, or -1 if idle. */
int dns_next_timeout_ms(void);
/* Let c-ares handle expired queries and retries. */
void dns_timeouts(void);
/* Cancel everything and free the channel. */
void dns_shutdown(void);

#endif
