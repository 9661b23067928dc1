/*
 * A growable byte buffer for response bodies and header values.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void buf_reserve(struct buf *buf, size_t extra)
{
	size_t needed = buf->length + extra + 1;
	if (needed <= buf->capacity)
		return;
	size_t capacity = buf->capacity ? buf->capacity : 256;
	while (capacity < needed)
		capacity *= 2;
	char *data = realloc(buf->data, capacity);
	if (data == NULL)
		abort();
	buf->data = data;
	buf->capacity = capacity;
}

void buf_printf(struct buf *buf, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	int needed = vsnprintf(NULL, 0, format, args);
	va_end(args);
	if (needed < 0)
		return;
	buf_reserve(buf, (size_t)needed);
	va_start(args, format);
	vsnprintf(buf->data + buf->length, (size_t)needed + 1, format, args);
	va_end(args);
	buf->length += (size_t)needed;
}

char *buf_take(struct buf *buf)
{
	if (buf->data == NULL) {
		buf_reserve(buf, 0);
		buf->data[0] = '\0';
	}
	char *data = buf->data;
	*buf = (struct buf){0};
	return data;
}

void buf_free(struct buf *buf)
{
	free(buf->data);
	*buf = (struct buf){0};
}
