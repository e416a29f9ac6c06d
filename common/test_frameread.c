/*
 * test_frameread.c - the RFC 1961 frame reader (frameread.h) on socket
 * pairs: frames in pieces, blocking and non-blocking, exactness (the bytes
 * after a frame stay in the socket), abort, malformed headers, end of file
 * before and inside a frame, frames larger than caller storage, grown
 * storage.
 *
 * Trust zone: tests only.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frameread.h"
#include "tap.h"

static void pair(int sv[2], bool nonblock)
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		printf("Bail out! socketpair: %s\n", strerror(errno));
		exit(1);
	}
	if (nonblock)
		(void)fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
}

static void put(int fd, const void *p, size_t n)
{
	if (write(fd, p, n) != (ssize_t)n) {
		printf("Bail out! write: %s\n", strerror(errno));
		exit(1);
	}
}

static void pieces_nonblocking(void)
{
	static const uint8_t frame[] = { 0x01, 0x03, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o' };
	static const uint8_t next[] = { 0x01, 0x02, 0x00, 0x01, 0x02, 'X', 'Y' };
	uint8_t storage[64], rest[8];
	struct frame_in in;
	struct gssframe f;
	const char *why = NULL;
	int sv[2];

	pair(sv, true);
	frame_in_init(&in, storage, sizeof(storage));
	is_int(frame_in_read(&in, sv[0], &f, &why), FRAME_IN_AGAIN, "nothing sent: AGAIN");
	put(sv[1], frame, 1);
	is_int(frame_in_read(&in, sv[0], &f, &why), FRAME_IN_AGAIN, "1 octet: AGAIN");
	put(sv[1], frame + 1, 5);
	is_int(frame_in_read(&in, sv[0], &f, &why), FRAME_IN_AGAIN, "header and 2 octets: AGAIN");
	put(sv[1], frame + 6, 3);
	put(sv[1], next, sizeof(next));
	if (is_int(frame_in_read(&in, sv[0], &f, &why), FRAME_IN_READY, "whole: READY")) {
		is_int(f.mtyp, GSSFRAME_DATA, "mtyp 3");
		is_mem(f.token, "hello", 5, "token");
		is_int(f.len, 5, "token length");
	}
	frame_in_next(&in);
	is_int(frame_in_read(&in, sv[0], &f, &why), FRAME_IN_READY, "next frame: READY");
	is_int(f.mtyp, GSSFRAME_PROT, "next frame mtyp 2");
	is_int(f.len, 1, "next frame token length");
	frame_in_next(&in);
	/* exact: the two octets after the second frame are still in the socket */
	is_int(read(sv[0], rest, sizeof(rest)), 2, "the bytes after the frame were not read");
	close(sv[1]);
	is_int(frame_in_read(&in, sv[0], &f, &why), FRAME_IN_CLOSED, "EOF before a frame: CLOSED");
	is_str(why, "connection closed", "why");
	close(sv[0]);
}

static void blocking_abort_and_errors(void)
{
	static const uint8_t abort_then[] = { 0x01, 0xff, 0x01 };
	static const uint8_t bad[] = { 0x05, 0x01, 0x00, 0x00 };
	static const uint8_t half[] = { 0x01, 0x01, 0x00, 0x04, 'a' };
	static const uint8_t big[] = { 0x01, 0x01, 0x01, 0x00 };
	uint8_t storage[16];
	struct frame_in in;
	struct gssframe f;
	const char *why = NULL;
	int sv[2];

	pair(sv, false);
	frame_in_init(&in, storage, sizeof(storage));
	put(sv[1], abort_then, sizeof(abort_then));
	is_int(frame_in_read(&in, sv[0], &f, &why), FRAME_IN_READY, "abort: READY (blocking)");
	is_int(f.mtyp, GSSFRAME_ABORT, "abort mtyp");
	close(sv[0]);
	close(sv[1]);

	pair(sv, false);
	frame_in_init(&in, storage, sizeof(storage));
	put(sv[1], bad, sizeof(bad));
	is_int(frame_in_read(&in, sv[0], &f, &why), FRAME_IN_BAD, "version 5: BAD");
	is_str(why, "malformed RFC 1961 frame header", "why");
	close(sv[0]);
	close(sv[1]);

	pair(sv, false);
	frame_in_init(&in, storage, sizeof(storage));
	put(sv[1], half, sizeof(half));
	close(sv[1]);
	is_int(frame_in_read(&in, sv[0], &f, &why), FRAME_IN_CLOSED, "EOF inside a frame: CLOSED");
	is_str(why, "connection closed in the middle of a frame", "why");
	close(sv[0]);

	pair(sv, false);
	frame_in_init(&in, storage, sizeof(storage));
	put(sv[1], big, sizeof(big));
	is_int(frame_in_read(&in, sv[0], &f, &why), FRAME_IN_BAD,
	       "256-octet token in 16 octets of storage: BAD");
	is_str(why, "frame larger than the buffer", "why");
	close(sv[0]);
	close(sv[1]);
}

static void grown(void)
{
	static uint8_t frame[FRAME_IN_MAX];
	struct frame_in in;
	struct gssframe f;
	const char *why = NULL;
	int sv[2];

	frame[0] = 0x01;
	frame[1] = 0x01;
	frame[2] = 0xff;
	frame[3] = 0xff;
	for (size_t i = GSSFRAME_HEADER_LEN; i < sizeof(frame); i++)
		frame[i] = (uint8_t)i;
	pair(sv, true);
	if (fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK) < 0)
		diag("fcntl: %s", strerror(errno));
	is_int(frame_in_init_grow(&in), 0, "grown storage");
	is_int((int)in.cap, GSSFRAME_HEADER_LEN, "starts with room for a header");
	size_t sent = 0;
	enum frame_in_status st = FRAME_IN_AGAIN;
	while (st == FRAME_IN_AGAIN) {
		ssize_t w = sent < sizeof(frame) ? write(sv[1], frame + sent, sizeof(frame) - sent) : 0;
		if (w > 0)
			sent += (size_t)w;
		st = frame_in_read(&in, sv[0], &f, &why);
	}
	if (is_int(st, FRAME_IN_READY, "largest frame through grown storage: READY")) {
		is_int(f.len, GSSFRAME_MAX_TOKEN, "65535-octet token");
		is_mem(f.token, frame + GSSFRAME_HEADER_LEN, GSSFRAME_MAX_TOKEN, "its octets");
	}
	is_int((int)in.cap, FRAME_IN_MAX, "storage grew to exactly the frame");
	frame_in_free(&in);
	frame_in_free(&in);
	ok(in.buf == NULL, "freed (twice is fine)");
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	pieces_nonblocking();
	blocking_abort_and_errors();
	grown();
	return done_testing();
}
