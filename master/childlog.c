/*
 * childlog.c - see childlog.h.  Trust zone: master; the text comes from a
 * possibly compromised child or spawner.
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

void childlog_flush_rate(const char *label, struct childlog_rate *rate)
{
	if (rate->suppressed > 0)
		log_warn("%s: %lu lines suppressed (more than %u a second)", label,
			 rate->suppressed, CHILDLOG_RATE);
	memset(rate, 0, sizeof(*rate));
}

void childlog_flush(struct child *c)
{
	char label[64];

	child_label(c, label, sizeof(label));
	childlog_flush_rate(label, &c->log_rate);
}

int childlog_line(struct child *c, const struct ipc_msg *msg)
{
	struct ipc_log lg;
	char label[64];

	child_label(c, label, sizeof(label));
	if (childlog_write(label, &c->log_rate, msg) < 0)
		return -1;
	/* The last error it reported: what a give-up names (startfail.c). */
	if (ipc_decode_log(msg, &lg) == 0 && lg.level == LOG_LEVEL_ERR)
		childlog_sanitize(lg.text, c->last_error, sizeof(c->last_error));
	return 0;
}

int childlog_write(const char *label, struct childlog_rate *rate, const struct ipc_msg *msg)
{
	static struct ipc_log lg;
	static char clean[4 * IPC_LOG_TEXT_MAX];
	uint64_t now = monotonic_ms();

	if (ipc_decode_log(msg, &lg) < 0)
		return -1;
	if (now - rate->window_start_ms >= 1000u || rate->window_start_ms == 0) {
		childlog_flush_rate(label, rate);
		rate->window_start_ms = now;
	}
	if (rate->lines >= CHILDLOG_RATE) {
		rate->suppressed++;
		return 0;
	}
	rate->lines++;
	childlog_sanitize(lg.text, clean, sizeof(clean));
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
