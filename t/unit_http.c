/*
 * Unit tests of the worker's text helpers: percent-encoding, UTF-8, the
 * JSON content type and the query string (src/http.c), the error body of
 * API.md section 1, and the small modules beneath them: the growable
 * buffer (src/buf.c), base64url (src/base64url.c) and the id formats of
 * API.md section 2 (src/ids.c). No server, no database.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "base64url.h"
#include "buf.h"
#include "http.h"
#include "ids.h"

/* A string literal and its length in bytes, embedded NULs included. */
#define BYTES(literal) (literal), (sizeof(literal) - 1)

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

/* A request whose raw query string is `query` (which may be NULL). */
static struct request request_with_query(const char *query)
{
	struct request request;

	memset(&request, 0, sizeof(request));
	if (query != NULL) {
		request.query_string = strdup(query);
		cr_assert_not_null(request.query_string);
	}
	return request;
}

/* The response body parsed as JSON; the caller puts it. */
static struct json_object *response_json(const struct response *response)
{
	struct json_object *json;

	cr_assert_not_null(response->body, "the response has no body");
	json = json_tokener_parse(response->body);
	cr_assert_not_null(json, "the body is not JSON: %s", response->body);
	cr_assert(json_object_is_type(json, json_type_object), "the body is not an object: %s",
		  response->body);
	return json;
}

static const char *json_member_string(struct json_object *object, const char *name)
{
	struct json_object *member = NULL;

	if (!json_object_object_get_ex(object, name, &member) ||
	    !json_object_is_type(member, json_type_string))
		return NULL;
	return json_object_get_string(member);
}

/* ------------------------------------------------------------------------
 * percent_decode
 * ------------------------------------------------------------------------ */

struct decode_case {
	const char *in;
	bool plus_is_space;
	const char *out;   /* NULL: refused */
};

Test(percent_decode, decodes_valid_escapes_in_either_case)
{
	static const struct decode_case cases[] = {
		{"", false, ""},
		{"plain", false, "plain"},
		{"a%20b", false, "a b"},
		{"%41%42%43", false, "ABC"},
		{"%2f%2F", false, "//"},
		{"%c3%A9", false, "\xc3\xa9"},
		{"%E2%82%AC", false, "\xe2\x82\xac"},
		{"100%25", false, "100%"},
		{"%7E-_.", false, "~-_."},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *out = percent_decode(cases[i].in, strlen(cases[i].in), cases[i].plus_is_space);

		cr_assert_not_null(out, "\"%s\" was refused", cases[i].in);
		cr_expect_str_eq(out, cases[i].out, "\"%s\" decoded to \"%s\"", cases[i].in, out);
		free(out);
	}
}

Test(percent_decode, plus_is_a_space_only_when_asked)
{
	static const struct decode_case cases[] = {
		{"a+b", true, "a b"},
		{"a+b", false, "a+b"},
		{"++", true, "  "},
		{"%2B", true, "+"},
		{"%2B", false, "+"},
		{"a%2Bb+c", true, "a+b c"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *out = percent_decode(cases[i].in, strlen(cases[i].in), cases[i].plus_is_space);

		cr_assert_not_null(out, "\"%s\" was refused", cases[i].in);
		cr_expect_str_eq(out, cases[i].out, "\"%s\" (plus_is_space %d) decoded to \"%s\"", cases[i].in,
				 cases[i].plus_is_space, out);
		free(out);
	}
}

Test(percent_decode, refuses_malformed_escapes)
{
	static const char *const cases[] = {
		"%", "%4", "%zz", "%4g", "%g4", "abc%", "abc%4", "%%41", "% 41", "%+1",
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *out = percent_decode(cases[i], strlen(cases[i]), true);

		cr_expect_null(out, "\"%s\" was accepted as \"%s\"", cases[i], out ? out : "");
		free(out);
	}
}

Test(percent_decode, refuses_an_encoded_or_raw_nul)
{
	static const char *const cases[] = {"%00", "a%00b", "id%00"};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *out = percent_decode(cases[i], strlen(cases[i]), false);

		cr_expect_null(out, "\"%s\" was accepted", cases[i]);
		free(out);
	}
	cr_expect_null(percent_decode(BYTES("a\0b"), false), "a raw NUL was accepted");
}

Test(percent_decode, reads_only_the_given_length)
{
	char *out = percent_decode("abc%41", 3, false);

	cr_assert_not_null(out);
	cr_expect_str_eq(out, "abc");
	free(out);

	/* An escape cut by the length is malformed, even if the bytes follow. */
	cr_expect_null(percent_decode("a%41", 3, false));
}

/* ------------------------------------------------------------------------
 * percent_encode
 * ------------------------------------------------------------------------ */

Test(percent_encode, keeps_unreserved_characters_and_escapes_the_rest)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"", ""},
		{"AZaz09-_.~", "AZaz09-_.~"},
		{"a b", "a%20b"},
		{"a+b&c=d", "a%2Bb%26c%3Dd"},
		{"/?#%", "%2F%3F%23%25"},
		{"\xc3\xa9", "%C3%A9"},
		{"\x7f\x01", "%7F%01"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf out = {0};
		char *text;

		percent_encode(&out, cases[i].in);
		text = buf_take(&out);
		cr_expect_str_eq(text, cases[i].out, "\"%s\" encoded to \"%s\"", cases[i].in, text);
		free(text);
	}
}

Test(percent_encode, round_trips_through_percent_decode)
{
	static const char *const cases[] = {"hello world", "a+b=c&d", "t_abc123", "\xe2\x82\xac 5/6"};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf encoded = {0};
		char *text, *decoded;

		percent_encode(&encoded, cases[i]);
		text = buf_take(&encoded);
		decoded = percent_decode(text, strlen(text), true);
		cr_assert_not_null(decoded, "\"%s\" did not decode", text);
		cr_expect_str_eq(decoded, cases[i]);
		free(decoded);
		free(text);
	}
}

/* ------------------------------------------------------------------------
 * utf8_valid and utf8_length
 * ------------------------------------------------------------------------ */

struct utf8_case {
	const char *what;
	const char *bytes;
	size_t length;
	bool valid;
};

Test(utf8_valid, accepts_well_formed_sequences_of_every_length)
{
	static const struct utf8_case cases[] = {
		{"empty", BYTES(""), true},
		{"ASCII", BYTES("hello, world"), true},
		{"DEL", BYTES("\x7f"), true},
		{"2-byte lowest U+0080", BYTES("\xc2\x80"), true},
		{"2-byte e-acute", BYTES("caf\xc3\xa9"), true},
		{"2-byte highest U+07FF", BYTES("\xdf\xbf"), true},
		{"3-byte lowest U+0800", BYTES("\xe0\xa0\x80"), true},
		{"3-byte euro sign", BYTES("\xe2\x82\xac"), true},
		{"3-byte before surrogates U+D7FF", BYTES("\xed\x9f\xbf"), true},
		{"3-byte after surrogates U+E000", BYTES("\xee\x80\x80"), true},
		{"3-byte highest U+FFFF", BYTES("\xef\xbf\xbf"), true},
		{"4-byte lowest U+10000", BYTES("\xf0\x90\x80\x80"), true},
		{"4-byte emoji", BYTES("\xf0\x9f\x98\x80"), true},
		{"4-byte highest U+10FFFF", BYTES("\xf4\x8f\xbf\xbf"), true},
		{"mixed", BYTES("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z"), true},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		cr_expect_eq(utf8_valid(cases[i].bytes, cases[i].length), cases[i].valid, "%s", cases[i].what);
}

Test(utf8_valid, refuses_overlong_forms)
{
	static const struct utf8_case cases[] = {
		{"2-byte overlong NUL C0 80", BYTES("\xc0\x80"), false},
		{"2-byte overlong C1 BF", BYTES("\xc1\xbf"), false},
		{"3-byte overlong NUL", BYTES("\xe0\x80\x80"), false},
		{"3-byte overlong U+07FF", BYTES("\xe0\x9f\xbf"), false},
		{"4-byte overlong NUL", BYTES("\xf0\x80\x80\x80"), false},
		{"4-byte overlong U+FFFF", BYTES("\xf0\x8f\xbf\xbf"), false},
		{"overlong slash", BYTES("\xc0\xaf"), false},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		cr_expect_eq(utf8_valid(cases[i].bytes, cases[i].length), cases[i].valid, "%s", cases[i].what);
}

Test(utf8_valid, refuses_surrogates_and_code_points_past_U_10FFFF)
{
	static const struct utf8_case cases[] = {
		{"high surrogate U+D800", BYTES("\xed\xa0\x80"), false},
		{"low surrogate U+DFFF", BYTES("\xed\xbf\xbf"), false},
		{"surrogate pair as CESU-8", BYTES("\xed\xa0\xbd\xed\xb8\x80"), false},
		{"U+110000", BYTES("\xf4\x90\x80\x80"), false},
		{"lead F5", BYTES("\xf5\x80\x80\x80"), false},
		{"lead F8 (5-byte form)", BYTES("\xf8\x88\x80\x80\x80"), false},
		{"lead FF", BYTES("\xff"), false},
		{"lead FE", BYTES("\xfe"), false},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		cr_expect_eq(utf8_valid(cases[i].bytes, cases[i].length), cases[i].valid, "%s", cases[i].what);
}

Test(utf8_valid, refuses_truncated_and_stray_bytes)
{
	static const struct utf8_case cases[] = {
		{"lone continuation", BYTES("\x80"), false},
		{"continuation after ASCII", BYTES("a\xbf"), false},
		{"2-byte lead alone", BYTES("\xc3"), false},
		{"2-byte lead at the end", BYTES("abc\xc3"), false},
		{"3-byte with one continuation", BYTES("\xe2\x82"), false},
		{"4-byte with two continuations", BYTES("\xf0\x9f\x98"), false},
		{"lead followed by ASCII", BYTES("\xc3" "A"), false},
		{"3-byte broken in the middle", BYTES("\xe2" "A" "\xac"), false},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		cr_expect_eq(utf8_valid(cases[i].bytes, cases[i].length), cases[i].valid, "%s", cases[i].what);
}

Test(utf8_valid, checks_only_the_given_length)
{
	/* The euro sign cut after two bytes is truncated. */
	cr_expect_not(utf8_valid("\xe2\x82\xac", 2));
	cr_expect(utf8_valid("ab\xff", 2));
}

Test(utf8_length, counts_code_points_not_bytes)
{
	static const struct {
		const char *text;
		size_t length;
	} cases[] = {
		{"", 0},
		{"abc", 3},
		{"\xc3\xa9", 1},
		{"caf\xc3\xa9", 4},
		{"\xe2\x82\xac" "5", 2},
		{"\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 2},
		{"a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 4},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		cr_expect_eq(utf8_length(cases[i].text), cases[i].length, "case %zu: %zu", i,
			     utf8_length(cases[i].text));
}

/* ------------------------------------------------------------------------
 * content_type_is_json
 * ------------------------------------------------------------------------ */

Test(content_type_is_json, accepts_application_json_with_an_optional_utf8_charset)
{
	static const char *const cases[] = {
		"application/json",
		"APPLICATION/JSON",
		"Application/Json",
		"application/json;charset=utf-8",
		"application/json; charset=utf-8",
		"application/json; charset=UTF-8",
		"application/json; Charset=Utf-8",
		"application/json; charset=\"utf-8\"",
		"application/json ; charset=utf-8",
		"application/json; charset=utf-8; foo=bar",
		"application/json; foo=bar",
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		cr_expect(content_type_is_json(cases[i]), "\"%s\" was refused", cases[i]);
}

Test(content_type_is_json, refuses_other_types_and_charsets)
{
	static const char *const cases[] = {
		"",
		"text/plain",
		"text/json",
		"application/x-www-form-urlencoded",
		"multipart/form-data; boundary=x",
		"application/jsonx",
		"application/json-patch+json",
		"application/jso",
		"application/json; charset=latin1",
		"application/json; charset=iso-8859-1",
		"application/json; charset=utf-16",
		"application/json; charset=utf-8x",
		"application/json; charset=\"latin1\"",
		"text/plain; charset=utf-8",
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		cr_expect_not(content_type_is_json(cases[i]), "\"%s\" was accepted", cases[i]);
}

Test(content_type_is_json, refuses_an_absent_content_type)
{
	cr_expect_not(content_type_is_json(NULL));
}

/* ------------------------------------------------------------------------
 * request_parse_query and request_param
 * ------------------------------------------------------------------------ */

Test(request_query, parses_names_and_values)
{
	struct request request = request_with_query("chat_id=CHAT_t_abc123_p_abc123&limit=5");

	request_parse_query(&request);
	cr_expect_eq(request.param_count, 2);
	cr_expect_str_eq(request_param(&request, "chat_id"), "CHAT_t_abc123_p_abc123");
	cr_expect_str_eq(request_param(&request, "limit"), "5");
	cr_expect_null(request_param(&request, "cursor"));
	request_free(&request);
}

Test(request_query, the_first_of_repeated_names_wins)
{
	struct request request = request_with_query("status=active&status=archived&status=deleted");

	request_parse_query(&request);
	cr_expect_str_eq(request_param(&request, "status"), "active");
	request_free(&request);
}

Test(request_query, empty_values_and_names_without_equals_are_empty_strings)
{
	struct request request = request_with_query("q=&purge&x=1");

	request_parse_query(&request);
	cr_expect_str_eq(request_param(&request, "q"), "");
	cr_expect_str_eq(request_param(&request, "purge"), "");
	cr_expect_str_eq(request_param(&request, "x"), "1");
	request_free(&request);
}

Test(request_query, empty_and_absent_query_strings_have_no_parameters)
{
	static const char *const cases[] = {NULL, "", "&", "&&&"};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct request request = request_with_query(cases[i]);

		request_parse_query(&request);
		cr_expect_eq(request.param_count, 0, "case %zu", i);
		request_free(&request);
	}
}

Test(request_query, empty_segments_are_skipped)
{
	struct request request = request_with_query("&a=1&&b=2&");

	request_parse_query(&request);
	cr_expect_eq(request.param_count, 2);
	cr_expect_str_eq(request_param(&request, "a"), "1");
	cr_expect_str_eq(request_param(&request, "b"), "2");
	request_free(&request);
}

Test(request_query, names_and_values_are_percent_decoded_with_plus_as_space)
{
	struct request request = request_with_query("q=hello+world%21&na%6De=%C3%A9&plus=%2B&eq=a%3Db=c");

	request_parse_query(&request);
	cr_expect_str_eq(request_param(&request, "q"), "hello world!");
	cr_expect_str_eq(request_param(&request, "name"), "\xc3\xa9");
	cr_expect_str_eq(request_param(&request, "plus"), "+");
	/* Only the first '=' separates; the rest belongs to the value. */
	cr_expect_str_eq(request_param(&request, "eq"), "a=b=c");
	request_free(&request);
}

Test(request_query, a_malformed_value_is_kept_as_malformed)
{
	static const char *const cases[] = {
		"q=%", "q=%4", "q=%zz", "q=%00", "q=%C3", "q=%C0%80", "q=%ED%A0%80", "q=%FF", "a=1&q=%F4%90%80%80",
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct request request = request_with_query(cases[i]);

		request_parse_query(&request);
		cr_expect(request_param_malformed(&request, "q"), "\"%s\" was not malformed", cases[i]);
		cr_expect_null(request_param(&request, "q"), "\"%s\" gave a value", cases[i]);
		request_free(&request);
	}
}

Test(request_query, a_pair_with_a_malformed_name_is_dropped)
{
	struct request request = request_with_query("%zz=1&na%00me=2&%80=3&limit=5");

	request_parse_query(&request);
	cr_expect_eq(request.param_count, 1);
	cr_expect_str_eq(request_param(&request, "limit"), "5");
	request_free(&request);
}

Test(request_query, a_well_formed_value_is_not_malformed)
{
	struct request request = request_with_query("q=ok&x=%zz");

	request_parse_query(&request);
	cr_expect_not(request_param_malformed(&request, "q"));
	cr_expect_not(request_param_malformed(&request, "absent"));
	cr_expect(request_param_malformed(&request, "x"));
	request_free(&request);
}

Test(request_query, request_param_matches_names_exactly)
{
	struct request request = request_with_query("Limit=5&limit_x=6");

	request_parse_query(&request);
	cr_expect_null(request_param(&request, "limit"));
	cr_expect_str_eq(request_param(&request, "Limit"), "5");
	request_free(&request);
}

/* ------------------------------------------------------------------------
 * http_method_from_name
 * ------------------------------------------------------------------------ */

Test(http_method, names_map_to_methods_case_sensitively)
{
	static const struct {
		const char *name;
		enum http_method method;
	} cases[] = {
		{"GET", HTTP_GET},
		{"POST", HTTP_POST},
		{"PUT", HTTP_PUT},
		{"PATCH", HTTP_PATCH},
		{"DELETE", HTTP_DELETE},
		{"get", HTTP_METHOD_OTHER},
		{"Post", HTTP_METHOD_OTHER},
		{"HEAD", HTTP_METHOD_OTHER},
		{"OPTIONS", HTTP_METHOD_OTHER},
		{"GETX", HTTP_METHOD_OTHER},
		{"", HTTP_METHOD_OTHER},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		cr_expect_eq(http_method_from_name(cases[i].name), cases[i].method, "\"%s\"", cases[i].name);
	cr_expect_eq(http_method_from_name(NULL), HTTP_METHOD_OTHER);
}

Test(http_method, names_table_matches_the_enum)
{
	for (int m = 0; m < HTTP_METHOD__MAX; m++)
		cr_expect_eq(http_method_from_name(http_method_names[m]), (enum http_method)m);
}

/* ------------------------------------------------------------------------
 * response_error and response_free
 * ------------------------------------------------------------------------ */

Test(response_error, body_has_error_and_code_without_fields)
{
	struct response response;
	struct json_object *json;

	memset(&response, 0, sizeof(response));
	response_error(&response, 404, "not_found", "Not found.", NULL);
	cr_expect_eq(response.status, 404);
	cr_expect_str_eq(response.error_code, "not_found");
	json = response_json(&response);
	cr_expect_str_eq(json_member_string(json, "error"), "Not found.");
	cr_expect_str_eq(json_member_string(json, "code"), "not_found");
	cr_expect_not(json_object_object_get_ex(json, "fields", NULL), "fields without a validation error");
	cr_expect_eq(json_object_object_length(json), 2);
	json_object_put(json);
	response_free(&response);
}

Test(response_error, body_carries_fields_when_given)
{
	struct response response;
	struct json_object *fields = json_object_new_object();
	struct json_object *messages = json_object_new_array();
	struct json_object *json, *got_fields, *got_messages;

	memset(&response, 0, sizeof(response));
	json_object_array_add(messages, json_object_new_string("This field is required."));
	json_object_object_add(fields, "text", messages);
	response_error(&response, 400, "validation_error", "chat_id and text are required", fields);

	cr_expect_eq(response.status, 400);
	json = response_json(&response);
	cr_expect_str_eq(json_member_string(json, "error"), "chat_id and text are required");
	cr_expect_str_eq(json_member_string(json, "code"), "validation_error");
	cr_assert(json_object_object_get_ex(json, "fields", &got_fields));
	cr_assert(json_object_object_get_ex(got_fields, "text", &got_messages));
	cr_assert(json_object_is_type(got_messages, json_type_array));
	cr_assert_eq(json_object_array_length(got_messages), 1);
	cr_expect_str_eq(json_object_get_string(json_object_array_get_idx(got_messages, 0)),
			 "This field is required.");
	json_object_put(json);
	response_free(&response);
}

Test(response_error, messages_are_escaped_as_json)
{
	struct response response;
	struct json_object *json;

	memset(&response, 0, sizeof(response));
	response_error(&response, 400, "validation_error", "quote \" backslash \\ slash / newline \n", NULL);
	json = response_json(&response);
	cr_expect_str_eq(json_member_string(json, "error"), "quote \" backslash \\ slash / newline \n");
	json_object_put(json);
	response_free(&response);
}

Test(response_error, replaces_an_earlier_body)
{
	struct response response;
	struct json_object *json;

	memset(&response, 0, sizeof(response));
	response_set_json(&response, 200, strdup("{\"ok\":true}"));
	response_internal(&response);
	cr_expect_eq(response.status, 500);
	json = response_json(&response);
	cr_expect_str_eq(json_member_string(json, "code"), "internal");
	json_object_put(json);
	response_free(&response);
}

Test(response_error, shorthands_use_the_contract_codes)
{
	static const struct {
		int status;
		const char *code;
	} expected[] = {{404, "not_found"}, {403, "forbidden"}, {500, "internal"}};

	for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
		struct response response;
		struct json_object *json;

		memset(&response, 0, sizeof(response));
		if (i == 0)
			response_not_found(&response);
		else if (i == 1)
			response_forbidden(&response, "You may not do that.");
		else
			response_internal(&response);
		cr_expect_eq(response.status, expected[i].status);
		json = response_json(&response);
		cr_expect_str_eq(json_member_string(json, "code"), expected[i].code);
		cr_expect_not_null(json_member_string(json, "error"));
		json_object_put(json);
		response_free(&response);
	}
}

Test(response_free, is_safe_on_a_zeroed_response_and_on_null)
{
	struct response response;

	memset(&response, 0, sizeof(response));
	response_free(&response);
	cr_expect_null(response.body);
	cr_expect_null(response.link);
	cr_expect_eq(response.status, 0);
	response_free(NULL);
}

Test(response_free, releases_body_and_link_and_zeroes)
{
	struct response response;

	memset(&response, 0, sizeof(response));
	response_set_json(&response, 200, strdup("[]"));
	response.link = strdup("</api/chats/?cursor=x>; rel=\"next\"");
	response_free(&response);
	cr_expect_null(response.body);
	cr_expect_null(response.link);
	cr_expect_eq(response.status, 0);
}

Test(request_free, is_safe_on_a_zeroed_request_and_on_null)
{
	struct request request;

	memset(&request, 0, sizeof(request));
	request_free(&request);
	cr_expect_null(request.params);
	request_free(NULL);
}

/* ------------------------------------------------------------------------
 * buf
 * ------------------------------------------------------------------------ */

Test(buf, appends_strings_bytes_and_characters)
{
	struct buf buf = {0};
	char *text;

	buf_append_str(&buf, "ab");
	buf_append(&buf, "cdXX", 2);
	buf_append_char(&buf, 'e');
	buf_append(&buf, "", 0);
	cr_expect_eq(buf.length, 5);
	cr_expect_str_eq(buf.data, "abcde");
	text = buf_take(&buf);
	cr_expect_str_eq(text, "abcde");
	cr_expect_null(buf.data, "buf_take leaves the buffer empty");
	cr_expect_eq(buf.length, 0);
	free(text);
}

Test(buf, printf_grows_past_the_first_256_bytes)
{
	struct buf buf = {0};
	char expected[1001];

	memset(expected, 'x', 1000);
	expected[1000] = '\0';
	buf_append_str(&buf, "<");
	buf_printf(&buf, "%s", expected);
	buf_printf(&buf, "%d>", 42);
	cr_expect_eq(buf.length, 1 + 1000 + 3);
	cr_expect_geq(buf.capacity, buf.length + 1);
	cr_expect_eq(buf.data[0], '<');
	cr_expect_eq(memcmp(buf.data + 1, expected, 1000), 0);
	cr_expect_str_eq(buf.data + 1001, "42>");
	buf_free(&buf);
	cr_expect_null(buf.data);
}

Test(buf, printf_fills_exactly_to_capacity)
{
	struct buf buf = {0};
	char line[256];

	/* 255 characters and the NUL fill the first 256 bytes exactly. */
	memset(line, 'y', 255);
	line[255] = '\0';
	buf_printf(&buf, "%s", line);
	cr_expect_eq(buf.length, 255);
	cr_expect_eq(strlen(buf.data), 255);
	buf_printf(&buf, "%c", 'z');
	cr_expect_eq(buf.length, 256);
	cr_expect_eq(buf.data[255], 'z');
	cr_expect_eq(buf.data[256], '\0');
	buf_free(&buf);
}

Test(buf, take_on_an_empty_buf_gives_an_empty_string)
{
	struct buf buf = {0};
	char *text = buf_take(&buf);

	cr_assert_not_null(text);
	cr_expect_str_eq(text, "");
	free(text);
}

Test(buf, free_twice_is_safe)
{
	struct buf buf = {0};

	buf_append_str(&buf, "x");
	buf_free(&buf);
	buf_free(&buf);
	cr_expect_null(buf.data);
}

/* ------------------------------------------------------------------------
 * base64url
 * ------------------------------------------------------------------------ */

Test(base64url, round_trips_every_length_from_0_to_10)
{
	unsigned char data[10];

	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(0xf0 + i * 37);
	for (size_t length = 0; length <= 10; length++) {
		char *encoded = base64url_encode(data, length);
		size_t decoded_length = 99;
		unsigned char decoded[32];

		cr_assert_not_null(encoded);
		cr_expect_eq(strlen(encoded), (length * 4 + 2) / 3, "length %zu encoded to \"%s\"", length,
			     encoded);
		cr_expect_null(strpbrk(encoded, "=+/"), "\"%s\" is not base64url without padding", encoded);
		cr_assert(base64url_decode(encoded, strlen(encoded), decoded, sizeof decoded, &decoded_length),
			  "\"%s\" did not decode", encoded);
		cr_expect_eq(decoded_length, length);
		cr_expect_eq(memcmp(decoded, data, length), 0, "length %zu", length);
		free(encoded);
	}
}

Test(base64url, encodes_the_rfc4648_vectors_without_padding)
{
	static const struct {
		const char *plain, *encoded;
	} cases[] = {
		{"", ""},         {"f", "Zg"},         {"fo", "Zm8"},           {"foo", "Zm9v"},
		{"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
		{"\xfb\xff", "-_8"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *encoded = base64url_encode((const unsigned char *)cases[i].plain, strlen(cases[i].plain));

		cr_expect_str_eq(encoded, cases[i].encoded);
		free(encoded);
	}
}

Test(base64url, decode_refuses_padding_the_standard_alphabet_and_impossible_lengths)
{
	static const char *const cases[] = {
		"Zg==", "Zm8=", "Zg=", "=", "+_8", "-/8", "Zm9v+A", "Zm9v/A",
		"Z", "Zm9vY", "Zm9vYmFyZ", "Zm 9v", "Zm9v\n", "Zm9v.", "\xc3\xa9xx",
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned char decoded[32];
		size_t decoded_length = 0;

		cr_expect_not(base64url_decode(cases[i], strlen(cases[i]), decoded, sizeof decoded, &decoded_length),
			      "\"%s\" was accepted", cases[i]);
	}
}

Test(base64url, decode_refuses_stray_trailing_bits)
{
	/* "Zg" is the one encoding of "f"; "Zh".."Zv" set bits no byte holds. */
	static const char *const cases[] = {"Zh", "Zv", "Zm9", "Zm-", "Zm9vYmF"};
	static const char *const canonical[] = {"Zg", "Zm8", "Zm9vYmE"};
	unsigned char decoded[32];
	size_t decoded_length = 0;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		cr_expect_not(base64url_decode(cases[i], strlen(cases[i]), decoded, sizeof decoded, &decoded_length),
			      "\"%s\" was accepted", cases[i]);
	for (size_t i = 0; i < sizeof canonical / sizeof canonical[0]; i++)
		cr_expect(base64url_decode(canonical[i], strlen(canonical[i]), decoded, sizeof decoded,
					   &decoded_length),
			  "\"%s\" was refused", canonical[i]);
}

Test(base64url, decode_refuses_output_that_does_not_fit)
{
	unsigned char decoded[8];
	size_t decoded_length = 0;

	/* "foobar" is 6 bytes; "foobarfoo" 9 do not fit in 8. */
	cr_expect_not(base64url_decode("Zm9vYmFyZm9v", 12, decoded, sizeof decoded, &decoded_length));
	cr_expect_not(base64url_decode("Zm9vYmFyZm9", 11, decoded, 4, &decoded_length));
}

Test(base64url, decode_fills_a_buffer_of_exactly_the_decoded_size)
{
	static const struct {
		const char *encoded;
		size_t length;
	} cases[] = {{"Zg", 1}, {"Zm8", 2}, {"Zm9v", 3}, {"Zm9vYg", 4}, {"Zm9vYmFy", 6}};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned char decoded[8];
		size_t decoded_length = 0;

		bool decoded_ok = base64url_decode(cases[i].encoded, strlen(cases[i].encoded), decoded,
						   cases[i].length, &decoded_length);

		cr_expect(decoded_ok, "\"%s\" (%zu bytes) was refused with capacity %zu", cases[i].encoded,
			  cases[i].length, cases[i].length);
		if (decoded_ok)
			cr_expect_eq(decoded_length, cases[i].length);
	}
}

Test(base64url, is_digit_is_the_url_safe_alphabet)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

	for (int c = 1; c < 256; c++) {
		bool expected = strchr(alphabet, c) != NULL;

		cr_expect_eq(base64url_is_digit((char)c), expected, "character %d", c);
	}
}

/* ------------------------------------------------------------------------
 * ids
 * ------------------------------------------------------------------------ */

struct id_case {
	const char *id;
	bool valid;
};

Test(ids, therapist_ids_are_t_and_six_of_a_z_0_9)
{
	static const struct id_case cases[] = {
		{"t_abc123", true}, {"t_000000", true}, {"t_zzzzzz", true},
		{"p_abc123", false}, {"T_abc123", false}, {"t_ABC123", false}, {"t_abc12", false},
		{"t_abc1234", false}, {"t-abc123", false}, {"t_abc_12", false}, {"t_abc12!", false},
		{"t_", false}, {"t", false}, {"", false}, {" t_abc123", false}, {"t_abc123 ", false},
		{"t_\xc3\xa9" "bc12", false},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		cr_expect_eq(id_is_therapist(cases[i].id), cases[i].valid, "\"%s\"", cases[i].id);
	cr_expect_not(id_is_therapist(NULL));
}

Test(ids, patient_ids_are_p_and_six_of_a_z_0_9)
{
	static const struct id_case cases[] = {
		{"p_abc123", true}, {"p_999999", true}, {"p_aaaaaa", true},
		{"t_abc123", false}, {"P_abc123", false}, {"p_abC123", false}, {"p_abc12", false},
		{"p_abc1234", false}, {"p__abc12", false}, {"p_", false}, {"", false},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		cr_expect_eq(id_is_patient(cases[i].id), cases[i].valid, "\"%s\"", cases[i].id);
	cr_expect_not(id_is_patient(NULL));
}

Test(ids, admin_ids_are_1_to_64_printable_ascii_without_space)
{
	static const struct id_case cases[] = {
		{"a", true},
		{"admin", true},
		{"admin-7@example.org", true},
		{"!~", true},
		{"t_abc123", true},
		{"1234567890123456789012345678901234567890123456789012345678901234", true},
		{"12345678901234567890123456789012345678901234567890123456789012345", false},
		{"", false},
		{"ad min", false},
		{"admin\t", false},
		{"admin\n", false},
		{"admin\x7f", false},
		{"adm\xc3\xa9n", false},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		cr_expect_eq(id_is_admin(cases[i].id), cases[i].valid, "\"%s\"", cases[i].id);
	cr_expect_not(id_is_admin(NULL));
}

Test(ids, chat_ids_are_chat_then_a_therapist_id_then_a_patient_id)
{
	static const struct id_case cases[] = {
		{"CHAT_t_abc123_p_abc123", true},
		{"CHAT_t_000000_p_zzzzzz", true},
		{"CHAT_p_abc123_t_abc123", false},
		{"CHAT_t_abc123_t_abc123", false},
		{"CHAT_t_abc123_p_abc12", false},
		{"CHAT_t_abc123_p_abc1234", false},
		{"CHAT_t_abc123-p_abc123", false},
		{"chat_t_abc123_p_abc123", false},
		{"ROOM_t_abc123_p_abc123", false},
		{"CHAT_t_ABC123_p_abc123", false},
		{"CHAT_", false},
		{"", false},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		cr_expect_eq(id_is_chat(cases[i].id), cases[i].valid, "\"%s\"", cases[i].id);
	cr_expect_not(id_is_chat(NULL));
}

Test(ids, a_chat_has_exactly_its_therapist_and_its_patient_as_participants)
{
	static const struct {
		const char *user;
		bool participant;
	} cases[] = {
		{"t_abc123", true}, {"p_xyz789", true},  {"t_xyz789", false}, {"p_abc123", false},
		{"t_abc12", false}, {"t_abc1234", false}, {"", false},        {"admin", false},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		cr_expect_eq(id_chat_has_participant("CHAT_t_abc123_p_xyz789", cases[i].user), cases[i].participant,
			     "\"%s\"", cases[i].user);
}
