/*
 * childlog.c - see childlog.h.  Trust zone: master; the text comes from a
 * possibly compromised child.
 */
#include <stdio.h>
#include <string.h>

#include "childlog.h"
#include "log.h"
#include "spawn.h"
#include "util.h"

void childlog_sanitize(const char *text, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)text;
	size_t o = 0;

	if (outlen == 0)
		return;
	for (; *p != '\0'; p++) {
		if (*p >= 0x20 && *p < 0x7f) {
			if (o + 1 >= outlen)
				break;
			out[o++] = (char)*p;
		} else {
			if (o + 4 >= outlen)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 0x0f];
		}
	}
	out[o] = '\0';
}

/* The master's name for the child: never what the child says. */
static void child_label(const struct child *c, char *out, size_t outlen)
{
	if (c->role == CHILD_AUTHPROC)
		snprintf(out, outlen, "gssocks-authproc[%ld]", (long)c->log_pid);
	else
		snprintf(out, outlen, "gssocks-relay[%ld] slot %u", (long)c->log_pid, c->slot);
}

void childlog_flush(struct child *c)
{
	char label[64];

	if (c->log_rate.suppressed > 0) {
		child_label(c, label, sizeof(label));
		log_warn("%s: %lu lines suppressed (more than %u a second)", label,
			 c->log_rate.suppressed, CHILDLOG_RATE);
	}
	memset(&c->log_rate, 0, sizeof(c->log_rate));
}

int childlog_line(struct child *c, const struct ipc_msg *msg)
{
	static struct ipc_log lg;
	static char clean[4 * IPC_LOG_TEXT_MAX];
	char label[64];
	uint64_t now = monotonic_ms();

	if (ipc_decode_log(msg, &lg) < 0)
		return -1;
	if (now - c->log_rate.window_start_ms >= 1000u || c->log_rate.window_start_ms == 0) {
		childlog_flush(c);
		c->log_rate.window_start_ms = now;
	}
	if (c->log_rate.lines >= CHILDLOG_RATE) {
		c->log_rate.suppressed++;
		return 0;
	}
	c->log_rate.lines++;
	childlog_sanitize(lg.text, clean, sizeof(clean));
	child_label(c, label, sizeof(label));
	switch (lg.level) {
	case LOG_LEVEL_ERR:
		log_err("%s: %s", label, clean);
		break;
	case LOG_LEVEL_WARN:
		log_warn("%s: %s", label, clean);
		break;
	case LOG_LEVEL_INFO:
		log_info("%s: %s", label, clean);
		break;
	default:
		log_debug("%s: %s", label, clean);
		break;
	}
	return 0;
}
