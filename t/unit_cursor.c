/*
 * Unit tests of list paging (API.md section 4): opaque cursors
 * (src/cursor.c) round trip and refuse anything they did not make, and
 * page_parse (src/paging.c) reads `limit` (default 100, 1..500) and
 * `cursor`, answering 400 validation_error naming the parameter otherwise.
 * page_respond needs a PGresult and is left to the end-to-end suite.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "base64url.h"
#include "cursor.h"
#include "http.h"
#include "paging.h"

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

/* A cursor-shaped text: the base64url of `length` raw bytes. */
static char *cursor_of_bytes(const char *bytes, size_t length)
{
	char *cursor = base64url_encode((const unsigned char *)bytes, length);

	cr_assert_not_null(cursor);
	return cursor;
}

static char *cursor_of_text(const char *text)
{
	return cursor_of_bytes(text, strlen(text));
}

/* `count` copies of character `c`; the caller frees it. */
static char *text_filled(char c, size_t count)
{
	char *text = malloc(count + 1);

	cr_assert_not_null(text);
	memset(text, c, count);
	text[count] = '\0';
	return text;
}

/* Decoding `cursor` as `count` keys fails and leaves every key NULL. */
static void expect_decode_refused(const char *what, const char *cursor, size_t count)
{
	/* Room past CURSOR_KEYS_MAX: a decoder may clear `count` slots first. */
	char *keys[CURSOR_KEYS_MAX + 4] = {NULL};
	bool accepted = cursor_decode(cursor, count, keys);

	cr_expect_not(accepted, "%s (\"%s\", %zu keys) was accepted", what, cursor, count);
	for (size_t i = 0; i < count && i < CURSOR_KEYS_MAX; i++) {
		cr_expect_null(keys[i], "%s: key %zu was left set", what, i);
		free(keys[i]);
	}
}

static struct request request_with_query(const char *query)
{
	struct request request;

	memset(&request, 0, sizeof(request));
	request.method = HTTP_GET;
	request.query_string = strdup(query);
	cr_assert_not_null(request.query_string);
	request_parse_query(&request);
	return request;
}

/* A 400 validation_error whose only field at fault is `name`. */
static void expect_parameter_error(const struct response *response, const char *name, const char *query)
{
	struct json_object *json, *member = NULL, *messages = NULL;

	cr_expect_eq(response->status, 400, "\"%s\": status %d", query, response->status);
	cr_assert_not_null(response->body, "\"%s\": no body", query);
	json = json_tokener_parse(response->body);
	cr_assert_not_null(json, "\"%s\": body is not JSON: %s", query, response->body);
	cr_expect(json_object_object_get_ex(json, "code", &member));
	cr_expect_str_eq(json_object_get_string(member), "validation_error", "\"%s\": %s", query,
			 response->body);
	cr_expect(json_object_object_get_ex(json, "error", &member) && json_object_is_type(member, json_type_string),
		  "\"%s\": no error sentence in %s", query, response->body);
	cr_assert(json_object_object_get_ex(json, "fields", &member), "\"%s\": no fields in %s", query,
		  response->body);
	cr_expect_eq(json_object_object_length(member), 1, "\"%s\": %s", query, response->body);
	cr_assert(json_object_object_get_ex(member, name, &messages), "\"%s\": no fields.%s in %s", query, name,
		  response->body);
	cr_expect(json_object_is_type(messages, json_type_array) && json_object_array_length(messages) == 1,
		  "\"%s\": fields.%s is not a list of one message", query, name);
	json_object_put(json);
}

/* ------------------------------------------------------------------------
 * cursor_encode and cursor_decode
 * ------------------------------------------------------------------------ */

Test(cursor, round_trips_one_to_four_keys)
{
	static const char *const keys[CURSOR_KEYS_MAX] = {
		"2026-11-26T04:12:56.123456Z",
		"MSG_1764130376123_ab12cd",
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		"quote \" backslash \\ slash / tab \t",
	};

	for (size_t count = 1; count <= CURSOR_KEYS_MAX; count++) {
		char *cursor = cursor_encode(keys, count);
		char *decoded[CURSOR_KEYS_MAX] = {NULL};

		cr_assert_not_null(cursor);
		for (const char *p = cursor; *p; p++)
			cr_expect(base64url_is_digit(*p), "cursor \"%s\" is not base64url", cursor);
		cr_assert(cursor_decode(cursor, count, decoded), "%zu keys: \"%s\" did not decode", count, cursor);
		for (size_t i = 0; i < count; i++)
			cr_expect_str_eq(decoded[i], keys[i], "%zu keys: key %zu", count, i);
		cursor_keys_free(decoded, count);
		for (size_t i = 0; i < count; i++)
			cr_expect_null(decoded[i], "cursor_keys_free leaves NULL");
		free(cursor);
	}
}

Test(cursor, round_trips_empty_and_long_keys)
{
	char *long_key = text_filled('k', 500);
	const char *keys[2] = {"", long_key};
	char *cursor = cursor_encode(keys, 2);
	char *decoded[CURSOR_KEYS_MAX] = {NULL};

	cr_assert(cursor_decode(cursor, 2, decoded));
	cr_expect_str_eq(decoded[0], "");
	cr_expect_str_eq(decoded[1], long_key);
	cursor_keys_free(decoded, 2);
	free(cursor);
	free(long_key);
}

Test(cursor, decode_refuses_text_that_is_not_base64url)
{
	char *padded = cursor_of_text("[\"a\"]");
	char *with_padding;

	cr_assert_geq(asprintf(&with_padding, "%s=", padded), 0);
	expect_decode_refused("empty", "", 1);
	expect_decode_refused("punctuation", "!!!!", 1);
	expect_decode_refused("standard alphabet", "WyJhIl0+/w", 1);
	expect_decode_refused("a lone trailing character", "WyJhIl0AA", 1);
	expect_decode_refused("padding", with_padding, 1);
	expect_decode_refused("space inside", "WyJh Il0", 1);
	free(padded);
	free(with_padding);
}

Test(cursor, decode_refuses_the_wrong_number_of_keys)
{
	static const char *const keys[3] = {"a", "b", "c"};
	char *two = cursor_encode(keys, 2);
	char *none = cursor_of_text("[]");

	expect_decode_refused("2 keys read as 1", two, 1);
	expect_decode_refused("2 keys read as 3", two, 3);
	expect_decode_refused("0 keys read as 1", none, 1);
	expect_decode_refused("more keys than CURSOR_KEYS_MAX", two, CURSOR_KEYS_MAX + 1);
	free(two);
	free(none);
}

Test(cursor, decode_refuses_members_that_are_not_strings)
{
	static const char *const cases[] = {
		"[1]", "[null]", "[true]", "[[\"a\"]]", "[{\"a\":\"b\"}]", "[\"a\",2]", "[1.5,\"a\"]",
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *cursor = cursor_of_text(cases[i]);
		size_t count = strchr(cases[i], ',') ? 2 : 1;

		expect_decode_refused(cases[i], cursor, count);
		free(cursor);
	}
}

Test(cursor, decode_refuses_json_that_is_not_an_array)
{
	static const char *const cases[] = {
		"{\"a\":\"b\"}", "\"a\"", "1", "null", "true", "not json", "[\"a\"", "",
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *cursor = cursor_of_text(cases[i]);

		expect_decode_refused(cases[i], cursor, 1);
		free(cursor);
	}
}

Test(cursor, decode_refuses_anything_but_the_json_it_writes)
{
	/* cursor_encode writes plain RFC 8259 arrays; anything else was tampered with. */
	static const struct {
		const char *json;
		size_t count;
	} cases[] = {
		{"[\"a\"]junk", 1},
		{"[\"a\"][\"b\"]", 1},
		{"[\"a\"]]", 1},
		{"['a']", 1},
		{"[\"a\",]", 1},
		{"[\"a\",\"b\",]", 2},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *cursor = cursor_of_text(cases[i].json);

		expect_decode_refused(cases[i].json, cursor, cases[i].count);
		free(cursor);
	}
}

Test(cursor, decode_refuses_nul_and_invalid_utf8)
{
	static const struct {
		const char *what, *bytes;
		size_t length;
	} cases[] = {
		{"raw NUL after the array", "[\"a\"]\0", 6},
		{"raw NUL inside a key", "[\"a\0b\"]", 7},
		{"escaped NUL inside a key", "[\"a\\u0000b\"]", 12},
		{"invalid UTF-8 in a key", "[\"\xff\"]", 5},
		{"overlong UTF-8 in a key", "[\"\xc0\xaf\"]", 6},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *cursor = cursor_of_bytes(cases[i].bytes, cases[i].length);

		expect_decode_refused(cases[i].what, cursor, 1);
		free(cursor);
	}
}

Test(cursor, decode_accepts_up_to_cursor_length_max_and_refuses_longer)
{
	/* ["k…k"] of 768 bytes encodes to exactly 1024 characters. */
	char *fits_key = text_filled('k', 3 * CURSOR_LENGTH_MAX / 4 - 4);
	char *long_key = text_filled('k', 3 * CURSOR_LENGTH_MAX / 4 - 3);
	const char *fits_keys[1] = {fits_key}, *long_keys[1] = {long_key};
	char *fits = cursor_encode(fits_keys, 1);
	char *too_long = cursor_encode(long_keys, 1);
	char *decoded[CURSOR_KEYS_MAX] = {NULL};

	cr_assert_eq(strlen(fits), CURSOR_LENGTH_MAX);
	cr_assert_gt(strlen(too_long), CURSOR_LENGTH_MAX);
	cr_expect(cursor_decode(fits, 1, decoded), "a cursor of CURSOR_LENGTH_MAX characters was refused");
	cr_expect_str_eq(decoded[0] ? decoded[0] : "", fits_key);
	cursor_keys_free(decoded, 1);
	expect_decode_refused("longer than CURSOR_LENGTH_MAX", too_long, 1);
	free(fits_key);
	free(long_key);
	free(fits);
	free(too_long);
}

/* ------------------------------------------------------------------------
 * page_parse
 * ------------------------------------------------------------------------ */

/* Lists of one and of two sort keys, with the keys of their first page. */
static const struct page_shape one_key = {NULL, 1, {0}, {"first"}};
static const struct page_shape two_keys = {NULL, 2, {0, 1}, {"infinity", ""}};

Test(page_parse, limit_defaults_to_100_and_fetches_one_more)
{
	struct request request = request_with_query("status=active");
	struct page page;
	struct response response;

	memset(&response, 0, sizeof(response));
	cr_assert(page_parse(&request, &two_keys, &page, &response));
	cr_expect_eq(page.limit, PAGE_LIMIT_DEFAULT);
	cr_expect_eq(page.limit, 100);
	cr_expect_str_eq(page.fetch_limit, "101");
	cr_expect_str_eq(page.keys[0], "infinity", "the first page starts before every row");
	cr_expect_str_eq(page.keys[1], "");
	cr_expect_null(response.body);
	page_free(&page);
	response_free(&response);
	request_free(&request);
}

Test(page_parse, limit_from_1_to_500_is_accepted)
{
	static const struct {
		const char *query;
		long limit;
		const char *fetch_limit;
	} cases[] = {
		{"limit=1", 1, "2"},
		{"limit=2", 2, "3"},
		{"limit=100", 100, "101"},
		{"limit=499", 499, "500"},
		{"limit=500", 500, "501"},
		{"limit=007", 7, "8"},
		{"limit=50&limit=9999", 50, "51"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct request request = request_with_query(cases[i].query);
		struct page page;
		struct response response;

		memset(&response, 0, sizeof(response));
		cr_expect(page_parse(&request, &one_key, &page, &response), "\"%s\" gave %s", cases[i].query,
			  response.body ? response.body : "no error");
		cr_expect_eq(page.limit, cases[i].limit, "\"%s\"", cases[i].query);
		cr_expect_str_eq(page.fetch_limit, cases[i].fetch_limit, "\"%s\"", cases[i].query);
		page_free(&page);
		response_free(&response);
		request_free(&request);
	}
}

Test(page_parse, limit_out_of_range_or_not_a_whole_number_is_400)
{
	static const char *const cases[] = {
		"limit=0",
		"limit=501",
		"limit=1000",
		"limit=-1",
		"limit=-0",
		"limit=%2B5",
		"limit=abc",
		"limit=",
		"limit",
		"limit=5x",
		"limit=5.0",
		"limit=1e2",
		"limit=0x10",
		"limit=5%20",
		"limit=99999999999999999999",
		"limit=-99999999999999999999",
		"limit=%EF%BC%95",
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct request request = request_with_query(cases[i]);
		struct page page;
		struct response response;

		memset(&response, 0, sizeof(response));
		cr_expect_not(page_parse(&request, &one_key, &page, &response), "\"%s\" was accepted as %ld", cases[i],
			      page.limit);
		expect_parameter_error(&response, "limit", cases[i]);
		page_free(&page);
		response_free(&response);
		request_free(&request);
	}
}

Test(page_parse, limit_with_leading_whitespace_or_a_plus_sent_raw_is_400)
{
	/* In a query string a raw '+' is a space, so "limit=+5" arrives as " 5":
	 * neither is a whole number as sent. */
	static const char *const cases[] = {"limit=+5", "limit=%205", "limit=%095", "limit=%0A5"};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct request request = request_with_query(cases[i]);
		struct page page;
		struct response response;
		bool accepted;

		memset(&response, 0, sizeof(response));
		accepted = page_parse(&request, &one_key, &page, &response);
		cr_expect_not(accepted, "\"%s\" was accepted as limit %ld", cases[i], page.limit);
		if (!accepted)
			expect_parameter_error(&response, "limit", cases[i]);
		page_free(&page);
		response_free(&response);
		request_free(&request);
	}
}

Test(page_parse, a_cursor_fills_the_keys)
{
	static const char *const keys[2] = {"2026-11-26T04:12:56.123456Z", "CHAT_t_abc123_p_abc123"};
	char *cursor = cursor_encode(keys, 2);
	char *query;
	struct request request;
	struct page page;
	struct response response;

	cr_assert_geq(asprintf(&query, "limit=20&cursor=%s", cursor), 0);
	request = request_with_query(query);
	memset(&response, 0, sizeof(response));
	cr_assert(page_parse(&request, &two_keys, &page, &response), "refused: %s", response.body);
	cr_expect_eq(page.limit, 20);
	cr_expect_str_eq(page.fetch_limit, "21");
	cr_expect_str_eq(page.keys[0], keys[0]);
	cr_expect_str_eq(page.keys[1], keys[1]);
	page_free(&page);
	cr_expect_null(page.decoded[0], "page_free releases the keys");
	response_free(&response);
	request_free(&request);
	free(query);
	free(cursor);
}

Test(page_parse, a_bad_cursor_is_400_naming_cursor)
{
	static const char *const keys[3] = {"a", "b", "c"};
	char *three = cursor_encode(keys, 3);
	char *not_array = cursor_of_text("{\"a\":\"b\"}");
	char *numbers = cursor_of_text("[1,2]");
	char *wrong_count, *object_query, *number_query;
	const char *cases[6];

	cr_assert_geq(asprintf(&wrong_count, "cursor=%s", three), 0);
	cr_assert_geq(asprintf(&object_query, "cursor=%s", not_array), 0);
	cr_assert_geq(asprintf(&number_query, "cursor=%s", numbers), 0);
	cases[0] = "cursor=";
	cases[1] = "cursor=!!!!";
	cases[2] = "cursor=abcde";
	cases[3] = wrong_count;
	cases[4] = object_query;
	cases[5] = number_query;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct request request = request_with_query(cases[i]);
		struct page page;
		struct response response;

		memset(&response, 0, sizeof(response));
		cr_expect_not(page_parse(&request, &two_keys, &page, &response), "\"%s\" was accepted", cases[i]);
		expect_parameter_error(&response, "cursor", cases[i]);
		for (size_t k = 0; k < CURSOR_KEYS_MAX; k++)
			cr_expect_null(page.decoded[k], "\"%s\": key %zu left set", cases[i], k);
		page_free(&page);
		response_free(&response);
		request_free(&request);
	}
	free(three);
	free(not_array);
	free(numbers);
	free(wrong_count);
	free(object_query);
	free(number_query);
}

Test(page_parse, a_bad_limit_is_reported_before_the_cursor)
{
	struct request request = request_with_query("limit=0&cursor=!!!!");
	struct page page;
	struct response response;

	memset(&response, 0, sizeof(response));
	cr_expect_not(page_parse(&request, &one_key, &page, &response));
	expect_parameter_error(&response, "limit", "limit=0&cursor=!!!!");
	page_free(&page);
	response_free(&response);
	request_free(&request);
}

Test(page_free, is_safe_on_null)
{
	page_free(NULL);
}
