/*
 * A growable byte buffer for building response bodies and header values.
 * Allocation failure aborts: the worker is then beyond recovery and
 * multiwatch replaces it.
 */
#ifndef TCCHAT_BUF_H
#define TCCHAT_BUF_H

#include <stddef.h>

struct buf {
	char *data;     /* NUL-terminated when non-NULL */
	size_t length;
	size_t capacity;
};

void buf_append(struct buf *buf, const char *data, size_t length);
void buf_append_str(struct buf *buf, const char *text);
void buf_append_char(struct buf *buf, char c);
void buf_printf(struct buf *buf, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Hands the contents to the caller (never NULL) and empties the buffer. */
char *buf_take(struct buf *buf);
void buf_free(struct buf *buf);

#endif
