/*
 * wrapio.c - see wrapio.h.  Trust zone: client; reads untrusted frames
 * from the gateway.
 *
 * Design: the negotiation phase is strictly request/answer, so plain
 * blocking reads of exactly one frame (common/frameread.h) are enough:
 * nothing of a later phase is ever consumed.  Writes put header and token
 * in one writev(2) (PROTOCOL.md section 7: a split write costs a
 * Nagle/delayed-ACK round trip per message).
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "wrapio.h"

static int writev_all(int fd, struct iovec *iov, int iovcnt)
{
	while (iovcnt > 0) {
		ssize_t w = writev(fd, iov, iovcnt);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		size_t done = (size_t)w;
		while (iovcnt > 0 && done >= iov->iov_len) {
			done -= iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + done;
			iov->iov_len -= done;
		}
	}
	return 0;
}

int wrapio_write_all(int fd, const void *p, size_t n)
{
	struct iovec iov = { .iov_base = (void *)p, .iov_len = n };

	return writev_all(fd, &iov, 1);
}

int wrapio_read_exact(int fd, void *p, size_t n, const char **why)
{
	uint8_t *out = p;
	size_t have = 0;

	while (have < n) {
		ssize_t r = read(fd, out + have, n - have);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			*why = strerror(errno);
			return -1;
		}
		if (r == 0) {
			*why = "connection closed";
			return -1;
		}
		have += (size_t)r;
	}
	return 0;
}

int wrapio_send_frame(int fd, uint8_t mtyp, const void *token, size_t len)
{
	uint8_t header[GSSFRAME_HEADER_LEN];
	struct wbuf wb;
	struct iovec iov[2];

	wbuf_init(&wb, header, sizeof(header));
	if (gssframe_put_header(&wb, mtyp, len) < 0) {
		errno = EMSGSIZE;
		return -1;
	}
	iov[0].iov_base = header;
	iov[0].iov_len = sizeof(header);
	iov[1].iov_base = (void *)token;
	iov[1].iov_len = len;
	return writev_all(fd, iov, len > 0 ? 2 : 1);
}

int wrapio_wrap(gss_ctx_id_t ctx, int conf_req, const void *p, size_t n,
		gss_buffer_t out, const char *what)
{
	gss_buffer_desc in = { .length = n, .value = (void *)p };
	OM_uint32 major, minor;
	int conf_state = 0;

	out->length = 0;
	out->value = NULL;
	major = gss_wrap(&minor, ctx, conf_req, GSS_C_QOP_DEFAULT, &in, &conf_state, out);
	if (major != GSS_S_COMPLETE) {
		diag_gss_fail(what, major, minor);
		gss_release_buffer(&minor, out);
		return -1;
	}
	if (conf_req && !conf_state) {
		/* The mechanism could not give confidentiality: never send
		 * a token the level promised to encrypt in the clear. */
		diag_fail("%s: the GSS-API mechanism did not provide confidentiality", what);
		gss_release_buffer(&minor, out);
		return -1;
	}
	if (out->length > GSSFRAME_MAX_TOKEN) {
		diag_fail("%s: wrapped token of %zu octets does not fit a frame", what,
			  out->length);
		gss_release_buffer(&minor, out);
		return -1;
	}
	return 0;
}

int wrapio_unwrap(gss_ctx_id_t ctx, enum gss_level level, const void *token,
		  size_t n, gss_buffer_t out, const char *what)
{
	gss_buffer_desc in = { .length = n, .value = (void *)token };
	OM_uint32 major, minor;
	int conf_state = 0;
	gss_qop_t qop = 0;

	out->length = 0;
	out->value = NULL;
	major = gss_unwrap(&minor, ctx, &in, out, &conf_state, &qop);
	if (major != GSS_S_COMPLETE) {
		/* Includes supplementary bits (duplicate, old, gap, unseq):
		 * with REPLAY|SEQUENCE on a TCP stream each one is an attack
		 * or a broken peer. */
		diag_gss_fail(what, major, minor);
		gss_release_buffer(&minor, out);
		return -1;
	}
	if (!protection_accepts(level, conf_state)) {
		diag_fail("%s: token %s confidentiality, the protection level says otherwise",
			  what, conf_state ? "has" : "lacks");
		gss_release_buffer(&minor, out);
		return -1;
	}
	return 0;
}

int wrapio_send_wrapped(int fd, gss_ctx_id_t ctx, uint8_t mtyp, int conf_req, const void *p,
			size_t n, const char *what)
{
	gss_buffer_desc token;
	OM_uint32 minor;
	int rc;

	if (wrapio_wrap(ctx, conf_req, p, n, &token, what) < 0)
		return -1;
	rc = wrapio_send_frame(fd, mtyp, token.value, token.length);
	if (rc < 0)
		diag_fail("%s: sending to the gateway: %s", what, strerror(errno));
	gss_release_buffer(&minor, &token);
	return rc;
}
