/*
 * Small helpers shared by the fuzz harnesses: NUL-terminated copies of the
 * fuzzer's bytes, splitting them into fields, and a check that stops the
 * run (abort, which libFuzzer records as a crash) when a property fails.
 */
#ifndef TCCHAT_FUZZ_COMMON_H
#define TCCHAT_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A new NUL-terminated copy of `length` bytes (which may hold NULs). */
static inline char *fuzz_copy(const uint8_t *data, size_t length)
{
	char *copy = malloc(length + 1);
	if (copy == NULL)
		abort();
	if (length > 0)
		memcpy(copy, data, length);
	copy[length] = '\0';
	return copy;
}

/* Cuts the next field, up to `separator` or the end, off `*data`. */
static inline char *fuzz_take_field(const uint8_t **data, size_t *length, uint8_t separator)
{
	const uint8_t *end = memchr(*data, separator, *length);
	size_t field = end ? (size_t)(end - *data) : *length;
	char *copy = fuzz_copy(*data, field);
	*data += field + (end ? 1 : 0);
	*length -= field + (end ? 1 : 0);
	return copy;
}

/* A property of the code under test that must hold for every input. */
#define FUZZ_CHECK(condition)                                                              \
	do {                                                                               \
		if (!(condition)) {                                                        \
			fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, \
				#condition);                                               \
			abort();                                                           \
		}                                                                          \
	} while (0)

#endif
