/*
 * Unit tests: the JSON values the representations write (src/represent.c):
 * strings escaped as JSON requires, timestamps in RFC 3339 with
 * microseconds. Each output is also parsed back with json-c.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "buf.h"
#include "represent.h"

static char *string_of(const char *text)
{
	struct buf out = {0};
	represent_string(&out, text);
	return buf_take(&out);
}

static char *time_of(const char *text)
{
	struct buf out = {0};
	represent_time(&out, text);
	return buf_take(&out);
}

Test(represent_string, escapes_what_json_requires_and_nothing_else)
{
	static const struct {
		const char *text, *json;
	} cases[] = {
		{"plain", "\"plain\""},
		{"", "\"\""},
		{"say \"hi\"", "\"say \\\"hi\\\"\""},
		{"back\\slash", "\"back\\\\slash\""},
		{"line\nbreak\r\ttab", "\"line\\nbreak\\r\\ttab\""},
		{"\x01\x1f", "\"\\u0001\\u001f\""},
		{"Zoë 日本 /", "\"Zoë 日本 /\""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *json = string_of(cases[i].text);
		cr_expect_str_eq(json, cases[i].json);
		struct json_object *parsed = json_tokener_parse(json);
		cr_expect_str_eq(json_object_get_string(parsed), cases[i].text, "round trip of %s", json);
		json_object_put(parsed);
		free(json);
	}
}

/* Text is checked 8 bytes at a time: every ASCII byte, at every place in
 * and around a word, comes out escaped exactly when JSON requires it. */
Test(represent_string, every_ascii_byte_at_every_place_round_trips)
{
	for (int byte = 1; byte < 0x80; byte++) {
		bool escaped = byte < 0x20 || byte == '"' || byte == '\\';
		for (size_t place = 0; place < 19; place++) {
			char text[20];
			memset(text, 'a', sizeof text - 1);
			text[sizeof text - 1] = '\0';
			text[place] = (char)byte;
			char *json = string_of(text);
			struct json_object *parsed = json_tokener_parse(json);
			cr_assert_str_eq(json_object_get_string(parsed), text, "byte 0x%02x at %zu: %s", byte,
					 place, json);
			cr_assert_eq(strlen(json) > sizeof text + 1, escaped, "byte 0x%02x at %zu: %s", byte,
				     place, json);
			json_object_put(parsed);
			free(json);
		}
	}
}

Test(represent_string, null_is_json_null)
{
	char *json = string_of(NULL);
	cr_expect_str_eq(json, "null");
	free(json);
}

Test(represent_time, postgresql_utc_text_becomes_rfc3339_with_microseconds)
{
	static const struct {
		const char *text, *json;
	} cases[] = {
		{"2026-11-26 04:12:56.123456+00", "\"2026-11-26T04:12:56.123456Z\""},
		{"2026-11-26 04:12:56.1234+00", "\"2026-11-26T04:12:56.123400Z\""},
		{"2026-11-26 04:12:56.1+00", "\"2026-11-26T04:12:56.100000Z\""},
		{"2026-11-26 04:12:56+00", "\"2026-11-26T04:12:56.000000Z\""},
		/* Cast to timestamp without time zone, as columns.h selects them. */
		{"2026-11-26 04:12:56.123456", "\"2026-11-26T04:12:56.123456Z\""},
		{"2026-11-26 04:12:56.12", "\"2026-11-26T04:12:56.120000Z\""},
		{"2026-11-26 04:12:56", "\"2026-11-26T04:12:56.000000Z\""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *json = time_of(cases[i].text);
		cr_expect_str_eq(json, cases[i].json, "%s", cases[i].text);
		free(json);
	}
}

Test(represent_time, null_is_null_and_an_unknown_form_is_kept_as_a_string)
{
	char *json = time_of(NULL);
	cr_expect_str_eq(json, "null");
	free(json);
	json = time_of("infinity");
	cr_expect_str_eq(json, "\"infinity\"");
	free(json);
	json = time_of("2026-11-26 04:12:56.1234567");
	cr_expect_str_eq(json, "\"2026-11-26 04:12:56.1234567\"", "more than six fractional digits");
	free(json);
	json = time_of("2026-11-26 04:12:56+01");
	cr_expect_str_eq(json, "\"2026-11-26 04:12:56+01\"", "an offset other than UTC");
	free(json);
}
