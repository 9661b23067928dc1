/*
 * A growable byte buffer for building response bodies and header values.
 * Allocation failure aborts: the worker is then beyond recovery and
 * multiwatch replaces it.
 */
#ifndef TCCHAT_BUF_H
#define TCCHAT_BUF_H

#include <stddef.h>
#include <string.h>

struct buf {
	char *data;     /* NUL-terminated when non-NULL */
	size_t length;
	size_t capacity;
};

/* Makes room for `extra` more bytes and the NUL (the slow path of the
 * appends below, which the JSON writers call once per value). */
void buf_reserve(struct buf *buf, size_t extra);

static inline void buf_append(struct buf *buf, const char *data, size_t length)
{
	if (buf->length + length + 1 > buf->capacity)
		buf_reserve(buf, length);
	memcpy(buf->data + buf->length, data, length);
	buf->length += length;
	buf->data[buf->length] = '\0';
}

static inline void buf_append_str(struct buf *buf, const char *text)
{
	buf_append(buf, text, strlen(text));
}

/* Makes room for `extra` more bytes and returns where they go, for a writer
 * that knows a bound of what it writes; buf_commit then ends the contents
 * at `end`. */
static inline char *buf_space(struct buf *buf, size_t extra)
{
	if (buf->length + extra + 1 > buf->capacity)
		buf_reserve(buf, extra);
	return buf->data + buf->length;
}

static inline void buf_commit(struct buf *buf, char *end)
{
	buf->length = (size_t)(end - buf->data);
	*end = '\0';
}

static inline void buf_append_char(struct buf *buf, char c)
{
	if (buf->length + 2 > buf->capacity)
		buf_reserve(buf, 1);
	buf->data[buf->length++] = c;
	buf->data[buf->length] = '\0';
}

void buf_printf(struct buf *buf, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Hands the contents to the caller (never NULL) and empties the buffer. */
char *buf_take(struct buf *buf);
void buf_free(struct buf *buf);

#endif
