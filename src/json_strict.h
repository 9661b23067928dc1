/*
 * Strict JSON input (RFC 8259): json-c's own strict mode still takes single
 * quotes, NaN, Infinity, "1." and raw control characters in strings, so
 * client bytes are checked here first, then parsed by json-c.
 */
#ifndef TCCHAT_JSON_STRICT_H
#define TCCHAT_JSON_STRICT_H

#include <stdbool.h>
#include <stddef.h>

struct json_object;

/* Containers nested deeper than this are refused. */
#define JSON_DEPTH_MAX 16

/* True when `text` is exactly one RFC 8259 JSON value in valid UTF-8,
 * with no NUL byte and at most `max_depth` nested containers. */
bool json_strict_valid(const char *text, size_t length, int max_depth);

/* Parses `text` when json_strict_valid(text, length, JSON_DEPTH_MAX);
 * returns a new object (the caller puts it) or NULL. */
struct json_object *json_strict_parse(const char *text, size_t length);

#endif
