/*
 * handshake.h - RFC 1961 sections 3 and 4 from the initiator's side:
 * the GSS-API context loop and the protection-level subnegotiation.
 *
 * Trust zone: client.  Internal to client/ (used by gateway.c).
 * Return convention: 0 on success, -1 on failure (printed on stderr).
 */
#ifndef GSSOCKS_CLIENT_HANDSHAKE_H
#define GSSOCKS_CLIENT_HANDSHAKE_H

#include "gateway.h"

/* Establish s->prot.ctx on s->fd with target cfg->service@cfg->host. */
int handshake_context(const struct gateway_config *cfg, struct gateway_session *s);

/* Ask cfg->level, check the answer; sets s->level and s->prot (secwrap_adopt). */
int handshake_level(const struct gateway_config *cfg, struct gateway_session *s);

#endif
