/*
 * match.c - policy decisions: which rule decides a client's request.
 *
 * Trust zone: master.  The destination is what an authenticated but
 * untrusted client asked for; the resolved addresses come from the master's
 * own DNS lookups (and so, indirectly, from whoever controls that name's
 * DNS).  Pure functions: no I/O, no allocation.
 *
 * Design (policy.h and gssocks-policy(5) have the full statement): first
 * match wins.  A request by name runs two checks: the ADDRESS CHECK
 * matches every resolved address alone, as an address request, and denies
 * if any of them is first matched by a deny rule with an address
 * destination; then the NAME CHECK matches the request as asked, where an
 * allow CIDR rule needs EVERY address inside it and a deny CIDR rule needs
 * ANY.  Hence a name can never lead to an address the policy denies by
 * address, and an allow CIDR rule never vouches for an address outside it.
 */
#include "rule.h"

#include <netinet/in.h>
#include <string.h>

struct request {
	uint8_t cmd;
	uint16_t port;
	const char *name;                   /* NULL: a request by address */
	const struct sockaddr_storage *addrs;
	size_t n_addrs;
};

static bool rule_applies(const struct rule *r, uint8_t cmd, uint16_t port)
{
	if (cmd > 7 || !(r->commands & RULE_CMD_BIT(cmd)))
		return false;
	if (r->n_ports == 0)
		return true;
	for (size_t i = 0; i < r->n_ports; i++) {
		if (port >= r->ports[i].low && port <= r->ports[i].high)
			return true;
	}
	return false;
}

static bool rule_matches(const struct rule *r, const struct request *rq)
{
	size_t inside = 0;

	if (!rule_applies(r, rq->cmd, rq->port))
		return false;
	switch (r->dest.kind) {
	case DEST_ANY:
		return true;
	case DEST_NAME:
	case DEST_PATTERN:
		return rq->name != NULL && destination_matches_name(&r->dest, rq->name);
	case DEST_CIDR4:
	case DEST_CIDR6:
		for (size_t i = 0; i < rq->n_addrs; i++) {
			if (destination_holds_address(&r->dest, &rq->addrs[i]))
				inside++;
		}
		if (r->allow)
			return rq->n_addrs > 0 && inside == rq->n_addrs;
		return inside > 0;
	}
	return false;
}

static const struct rule *first_match(const struct policy *p, const struct request *rq)
{
	for (size_t i = 0; i < p->n_rules; i++) {
		if (rule_matches(&p->rules[i], rq))
			return &p->rules[i];
	}
	return NULL;
}

static struct policy_decision decided(const struct policy *p, const struct rule *r,
				      const char *reason)
{
	struct policy_decision d;

	d.file = p != NULL ? p->file : "(no policy)";
	d.allow = r != NULL && r->allow;
	d.line = r != NULL ? r->line : 0;
	d.reason = reason;
	return d;
}

static struct policy_decision by_rule(const struct policy *p, const struct rule *r)
{
	if (r == NULL)
		return decided(p, NULL, "no rule matched");
	return decided(p, r, r->allow ? "allowed by rule" : "denied by rule");
}

/* Address request: the one address as asked. */
static struct policy_decision decide_address(const struct policy *p, uint8_t cmd,
					     const struct socks5_addr *dst)
{
	struct sockaddr_storage ss;
	struct request rq = { cmd, dst->port, NULL, &ss, 1 };

	memset(&ss, 0, sizeof(ss));
	if (dst->atyp == SOCKS5_ATYP_IPV4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, dst->u.ipv4, 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, dst->u.ipv6, 16);
	}
	return by_rule(p, first_match(p, &rq));
}

static struct policy_decision decide_name(const struct policy *p, uint8_t cmd,
					  const struct socks5_addr *dst,
					  const struct sockaddr_storage *resolved,
					  size_t n_resolved)
{
	struct request rq = { cmd, dst->port, dst->u.name, resolved, n_resolved };

	if (resolved == NULL || n_resolved == 0)
		return decided(p, NULL, "name has no resolved address");
	for (size_t i = 0; i < n_resolved; i++) {
		if (resolved[i].ss_family != AF_INET && resolved[i].ss_family != AF_INET6)
			return decided(p, NULL, "resolved address of unknown family");
	}
	/* Address check: no address the policy denies by address. */
	for (size_t i = 0; i < n_resolved; i++) {
		struct request alone = { cmd, dst->port, NULL, &resolved[i], 1 };
		const struct rule *r = first_match(p, &alone);

		if (r != NULL && !r->allow &&
		    (r->dest.kind == DEST_CIDR4 || r->dest.kind == DEST_CIDR6))
			return decided(p, r, "a resolved address is denied by rule");
	}
	/* Name check: the request as asked. */
	return by_rule(p, first_match(p, &rq));
}

struct policy_decision policy_decide(const struct policy *p, uint8_t cmd,
				     const struct socks5_addr *dst,
				     const struct sockaddr_storage *resolved,
				     size_t n_resolved)
{
	if (p == NULL)
		return decided(NULL, NULL, "no policy for this principal");
	switch (dst->atyp) {
	case SOCKS5_ATYP_IPV4:
	case SOCKS5_ATYP_IPV6:
		return decide_address(p, cmd, dst);
	case SOCKS5_ATYP_DOMAIN:
		return decide_name(p, cmd, dst, resolved, n_resolved);
	}
	return decided(p, NULL, "unknown address type");
}

struct policy_decision policy_decide_association(const struct policy *p, uint8_t cmd)
{
	if (p == NULL)
		return decided(NULL, NULL, "no policy for this principal");
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct rule *r = &p->rules[i];

		if (r->allow && (r->commands & RULE_CMD_BIT(cmd)) != 0)
			return decided(p, r, "a rule allows the command");
	}
	return decided(p, NULL, "no rule allows the command");
}
