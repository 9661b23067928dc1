/*
 * Base64url without padding (RFC 4648 section 5), as JWTs and the list
 * cursors use it.
 */
#ifndef TCCHAT_BASE64URL_H
#define TCCHAT_BASE64URL_H

#include <stdbool.h>
#include <stddef.h>

/* Returns a new NUL-terminated string; the caller frees it. */
char *base64url_encode(const unsigned char *data, size_t length);

/* Decodes `text` (`length` characters) into `out` (`capacity` bytes),
 * setting `*out_length`. Strict: false on a character outside the
 * alphabet, padding, stray trailing bits, or output that does not fit. */
bool base64url_decode(const char *text, size_t length, unsigned char *out, size_t capacity,
		      size_t *out_length);

/* True when `c` belongs to the base64url alphabet. */
bool base64url_is_digit(char c);

#endif
