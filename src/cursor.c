/*
 * Opaque list cursors, encoded and strictly decoded.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base64url.h"
#include "cursor.h"
#include "json_strict.h"

char *cursor_encode(const char *const *keys, size_t count)
{
	struct json_object *array = json_object_new_array();
	for (size_t i = 0; i < count; i++)
		json_object_array_add(array, json_object_new_string(keys[i]));
	const char *text = json_object_to_json_string_ext(array, JSON_C_TO_STRING_PLAIN);
	char *cursor = base64url_encode((const unsigned char *)text, strlen(text));
	json_object_put(array);
	return cursor;
}

bool cursor_decode(const char *cursor, size_t count, char **keys)
{
	unsigned char decoded[CURSOR_LENGTH_MAX];
	size_t length = strlen(cursor), decoded_length = 0;
	struct json_object *array = NULL;
	bool ok = false;
	if (count > CURSOR_KEYS_MAX)
		return false;
	for (size_t i = 0; i < count; i++)
		keys[i] = NULL;
	if (length > CURSOR_LENGTH_MAX ||
	    !base64url_decode(cursor, length, decoded, sizeof decoded - 1, &decoded_length))
		return false;
	array = json_strict_parse((char *)decoded, decoded_length);
	if (!json_object_is_type(array, json_type_array) || json_object_array_length(array) != count)
		goto done;
	for (size_t i = 0; i < count; i++) {
		struct json_object *key = json_object_array_get_idx(array, i);
		if (!json_object_is_type(key, json_type_string) ||
		    strlen(json_object_get_string(key)) != (size_t)json_object_get_string_len(key))
			goto done;
	}
	for (size_t i = 0; i < count; i++)
		keys[i] = strdup(json_object_get_string(json_object_array_get_idx(array, i)));
	ok = true;
done:
	json_object_put(array);
	return ok;
}

void cursor_keys_free(char **keys, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(keys[i]);
		keys[i] = NULL;
	}
}
