/*
 * Opaque list cursors: the sort keys of the last row of a page, as
 * base64url of a JSON array of strings. The keys go back to PostgreSQL as
 * parameters, which checks their types; a tampered cursor is a 400.
 */
#ifndef TCCHAT_CURSOR_H
#define TCCHAT_CURSOR_H

#include <stdbool.h>
#include <stddef.h>

#define CURSOR_KEYS_MAX 4
/* A cursor longer than this cannot be one of ours. */
#define CURSOR_LENGTH_MAX 1024

/* Returns a new cursor for `count` keys; the caller frees it. */
char *cursor_encode(const char *const *keys, size_t count);

/* Decodes a cursor holding exactly `count` (≤ CURSOR_KEYS_MAX) string keys
 * into `keys`, which the caller frees with cursor_keys_free. */
bool cursor_decode(const char *cursor, size_t count, char **keys);
void cursor_keys_free(char **keys, size_t count);

#endif
