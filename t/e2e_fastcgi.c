/*
 * End-to-end tests of what a worker guards by itself, reached over its
 * FastCGI socket without nginx in front: nginx rejects these requests
 * first in the shipped configuration, but a worker must not rely on it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "e2e.h"

E2E_SUITE(fastcgi);

/* FastCGI 1.0 record types and the responder role (the FastCGI spec). */
enum { FCGI_BEGIN_REQUEST = 1, FCGI_END_REQUEST = 3, FCGI_PARAMS = 4, FCGI_STDIN = 5, FCGI_STDOUT = 6 };
enum { FCGI_RESPONDER = 1, REQUEST_ID = 1 };

static void write_all(int fd, const void *data, size_t length)
{
	const char *p = data;
	while (length > 0) {
		ssize_t written = send(fd, p, length, MSG_NOSIGNAL);
		cr_assert_gt(written, 0, "the worker stopped reading: %s", strerror(errno));
		p += written;
		length -= (size_t)written;
	}
}

static void write_record(int fd, int type, const void *content, size_t length)
{
	cr_assert_leq(length, 65535);
	unsigned char header[8] = {1, (unsigned char)type, 0, REQUEST_ID, (unsigned char)(length >> 8),
				   (unsigned char)length, 0, 0};
	write_all(fd, header, sizeof header);
	if (length > 0)
		write_all(fd, content, length);
}

/* A name's or value's length: one byte below 128, else four with the top
 * bit set. */
static size_t put_length(unsigned char *out, size_t length)
{
	if (length < 128) {
		out[0] = (unsigned char)length;
		return 1;
	}
	out[0] = (unsigned char)(0x80 | length >> 24);
	out[1] = (unsigned char)(length >> 16);
	out[2] = (unsigned char)(length >> 8);
	out[3] = (unsigned char)length;
	return 4;
}

static size_t put_param(unsigned char *out, const char *name, const char *value)
{
	size_t name_length = strlen(name), value_length = strlen(value);
	size_t used = put_length(out, name_length);
	used += put_length(out + used, value_length);
	memcpy(out + used, name, name_length);
	memcpy(out + used + name_length, value, value_length);
	return used + name_length + value_length;
}

/*
 * Sends one request straight to a worker's socket: `params` as name, value,
 * ..., NULL, then `body_length` bytes of body. Returns what the worker
 * wrote on stdout (its status line, headers and body) once it ended the
 * request.
 */
static char *fastcgi_request(const char *const *params, size_t body_length)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0);
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	snprintf(address.sun_path, sizeof address.sun_path, "%s/tcchat.sock", getenv("TCCHAT_E2E_DIR"));
	cr_assert_eq(connect(fd, (struct sockaddr *)&address, sizeof address), 0, "cannot reach %s",
		     address.sun_path);

	unsigned char begin[8] = {0, FCGI_RESPONDER, 0};
	write_record(fd, FCGI_BEGIN_REQUEST, begin, sizeof begin);
	unsigned char pairs[4096];
	size_t used = 0;
	for (const char *const *p = params; *p != NULL; p += 2) {
		cr_assert_lt(used + 8 + strlen(p[0]) + strlen(p[1]), sizeof pairs);
		used += put_param(pairs + used, p[0], p[1]);
	}
	write_record(fd, FCGI_PARAMS, pairs, used);
	write_record(fd, FCGI_PARAMS, NULL, 0);
	static char chunk[32768];
	memset(chunk, 'x', sizeof chunk);
	for (size_t sent = 0; sent < body_length;) {
		size_t length = body_length - sent < sizeof chunk ? body_length - sent : sizeof chunk;
		write_record(fd, FCGI_STDIN, chunk, length);
		sent += length;
	}
	write_record(fd, FCGI_STDIN, NULL, 0);

	/* The records back, until the end of the request. */
	size_t capacity = 65536, stdout_length = 0;
	char *out = calloc(1, capacity);
	cr_assert_not_null(out);
	for (;;) {
		unsigned char header[8];
		size_t got = 0;
		while (got < sizeof header) {
			ssize_t n = read(fd, header + got, sizeof header - got);
			cr_assert_gt(n, 0, "the worker closed before ending the request");
			got += (size_t)n;
		}
		size_t length = (size_t)header[4] << 8 | header[5], padding = header[6];
		char *content = malloc(length + padding + 1);
		cr_assert_not_null(content);
		for (got = 0; got < length + padding;) {
			ssize_t n = read(fd, content + got, length + padding - got);
			cr_assert_gt(n, 0, "the worker closed inside a record");
			got += (size_t)n;
		}
		if (header[1] == FCGI_STDOUT) {
			cr_assert_lt(stdout_length + length, capacity, "a longer answer than expected");
			memcpy(out + stdout_length, content, length);
			stdout_length += length;
		}
		free(content);
		if (header[1] == FCGI_END_REQUEST)
			break;
	}
	close(fd);
	return out;
}

/* A body over the worker's own limit (TCCHAT_BODY_LIMIT, 64 KiB) is not
 * parsed: the worker answers 413 in the API's error format, reads and drops
 * the rest of the body so that the sender can finish sending it (a body
 * larger than the socket's buffers, as here, would otherwise end in a
 * broken pipe), and goes on serving. */
Test(fastcgi, a_body_over_the_workers_limit_is_413_json_and_the_worker_serves_on)
{
	struct e2e_pair pair = e2e_pair_new();
	const char *params[] = {
		"REQUEST_METHOD", "POST",
		"REQUEST_URI", "/api/chats/create_or_get_chat/",
		"CONTENT_TYPE", "application/json",
		"CONTENT_LENGTH", "4000000",
		"HTTP_AUTHORIZATION", e2e_printf("Bearer %s", pair.therapist_token),
		NULL,
	};
	char *answer = fastcgi_request(params, 4000000);
	cr_assert(strncmp(answer, "Status: 413", 11) == 0, "answer:\n%s", answer);
	cr_assert_not_null(strstr(answer, "\"payload_too_large\""), "answer:\n%s", answer);
	free(answer);
	cr_assert_str_eq(e2e_sql("SELECT count(*) FROM chats WHERE id = $1", pair.chat_id, NULL), "0");
	/* Every worker still answers (the stack has 4). */
	for (int i = 0; i < 8; i++)
		cr_assert_eq(e2e_request("GET", "/healthz", NULL, NULL, NULL)->status, 200);
}
