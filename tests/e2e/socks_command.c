/*
 * socks_command.c - e2e helper: one RFC 1928 request with any command
 * (BIND, UDP ASSOCIATE, ...) through a GSS-API gateway, built from
 * gssocks-client's own protocol steps (client/gateway.c, handshake.c), so
 * that the tests can send the commands gssocks-client does not forward.
 *
 *   socks-command GATEWAY-HOST GATEWAY-PORT CMD DST-IPV4 DST-PORT
 *
 * Prints "rep=N" (the gateway's reply code) and exits 0 when the gateway
 * replied; exits 1 (with the client's one-line diagnostic) otherwise.
 * Uses the caller's Kerberos credentials, service rcmd, confidentiality.
 *
 * Trust zone: test only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "diag.h"
#include "gateway.h"
#include "socks5.h"
#include "util.h"

int main(int argc, char **argv)
{
	struct gateway_config cfg = { .service = GATEWAY_DEFAULT_SERVICE,
				      .level = GSS_LEVEL_CONFIDENTIALITY };
	struct gateway_session s;
	struct socks5_request req;
	struct socks5_reply rep;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);

	if (argc != 6) {
		fprintf(stderr, "usage: socks-command GWHOST GWPORT CMD DSTIP DSTPORT\n");
		return 2;
	}
	diag_init("socks-command", false);
	cfg.host = argv[1];
	cfg.port = (uint16_t)atoi(argv[2]);
	memset(&req, 0, sizeof(req));
	req.cmd = (uint8_t)atoi(argv[3]);
	if (sockaddr_parse_numeric(argv[4], (uint16_t)atoi(argv[5]), &ss, &sslen) < 0 ||
	    socks5_addr_from_sockaddr(&req.dst, (struct sockaddr *)&ss) < 0) {
		fprintf(stderr, "socks-command: bad address %s\n", argv[4]);
		return 2;
	}
	req.dst.port = (uint16_t)atoi(argv[5]);
	gateway_session_init(&s);
	if (gateway_open(&cfg, &s) < 0 || gateway_request(&s, &req, &rep) < 0) {
		gateway_close(&s);
		return 1;
	}
	printf("rep=%u\n", rep.rep);
	gateway_close(&s);
	return 0;
}
