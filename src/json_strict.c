/*
 * A recursive-descent check of RFC 8259 JSON, run on client bytes before
 * json-c builds objects from them.
 */
#include <string.h>

#include <json-c/json.h>

#include "http.h"
#include "json_strict.h"

struct scanner {
	const char *p, *end;
	int depth_left;
};

static bool scan_value(struct scanner *s);

static void skip_space(struct scanner *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static bool scan_literal(struct scanner *s, const char *word)
{
	size_t length = strlen(word);
	if ((size_t)(s->end - s->p) < length || memcmp(s->p, word, length) != 0)
		return false;
	s->p += length;
	return true;
}

static bool is_digit(struct scanner *s)
{
	return s->p < s->end && *s->p >= '0' && *s->p <= '9';
}

static bool scan_digits(struct scanner *s)
{
	if (!is_digit(s))
		return false;
	while (is_digit(s))
		s->p++;
	return true;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool scan_number(struct scanner *s)
{
	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++;
	else if (!scan_digits(s))
		return false;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (!scan_digits(s))
			return false;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (!scan_digits(s))
			return false;
	}
	return true;
}

static bool scan_string(struct scanner *s)
{
	s->p++; /* the opening quote */
	while (s->p < s->end) {
		unsigned char c = (unsigned char)*s->p++;
		if (c == '"')
			return true;
		if (c < 0x20)
			return false;
		if (c != '\\')
			continue;
		if (s->p >= s->end)
			return false;
		c = (unsigned char)*s->p++;
		if (c == 'u') {
			for (int i = 0; i < 4; i++, s->p++)
				if (s->p >= s->end || strchr("0123456789abcdefABCDEF", *s->p) == NULL || *s->p == '\0')
					return false;
		} else if (strchr("\"\\/bfnrt", c) == NULL || c == '\0') {
			return false;
		}
	}
	return false;
}

/* An object or array: `close` ends it; objects take "key": value members. */
static bool scan_container(struct scanner *s, char close, bool object)
{
	if (--s->depth_left < 0)
		return false;
	s->p++;
	skip_space(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		s->depth_left++;
		return true;
	}
	for (;;) {
		skip_space(s);
		if (object) {
			if (s->p >= s->end || *s->p != '"' || !scan_string(s))
				return false;
			skip_space(s);
			if (s->p >= s->end || *s->p++ != ':')
				return false;
		}
		if (!scan_value(s))
			return false;
		skip_space(s);
		if (s->p >= s->end)
			return false;
		char c = *s->p++;
		if (c == close)
			break;
		if (c != ',')
			return false;
	}
	s->depth_left++;
	return true;
}

static bool scan_value(struct scanner *s)
{
	skip_space(s);
	if (s->p >= s->end)
		return false;
	switch (*s->p) {
	case '{':
		return scan_container(s, '}', true);
	case '[':
		return scan_container(s, ']', false);
	case '"':
		return scan_string(s);
	case 't':
		return scan_literal(s, "true");
	case 'f':
		return scan_literal(s, "false");
	case 'n':
		return scan_literal(s, "null");
	default:
		return scan_number(s);
	}
}

bool json_strict_valid(const char *text, size_t length, int max_depth)
{
	if (memchr(text, '\0', length) != NULL || !utf8_valid(text, length))
		return false;
	struct scanner s = {text, text + length, max_depth};
	if (!scan_value(&s))
		return false;
	skip_space(&s);
	return s.p == s.end;
}

struct json_object *json_strict_parse(const char *text, size_t length)
{
	if (!json_strict_valid(text, length, JSON_DEPTH_MAX))
		return NULL;
	/* json-c counts the innermost value as a level of its own. */
	struct json_tokener *tokener = json_tokener_new_ex(JSON_DEPTH_MAX + 2);
	if (tokener == NULL)
		return NULL;
	struct json_object *parsed = json_tokener_parse_ex(tokener, text, (int)length);
	bool complete = json_tokener_get_error(tokener) == json_tokener_success &&
			json_tokener_get_parse_end(tokener) == length;
	/* A number or literal alone waits for what follows it: the end of the
	 * input, a NUL, tells it that nothing does. */
	if (parsed == NULL && json_tokener_get_error(tokener) == json_tokener_continue) {
		parsed = json_tokener_parse_ex(tokener, "", 1);
		complete = json_tokener_get_error(tokener) == json_tokener_success;
	}
	if (!complete) {
		json_object_put(parsed);
		parsed = NULL;
	}
	json_tokener_free(tokener);
	return parsed;
}
