/*
 * JSON body validation. The first byte picks the endpoint's rule table (a
 * mirror of the static tables in src/, see rules.h), the Content-Type and
 * the caller; the rest is the request body.
 *
 * Functions: json_strict_valid (every depth limit 0..31),
 * json_strict_parse, validate_json_body, validate_body (with and without a
 * caller) and validate_request_body.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz_common.h"
#include "http.h"
#include "json_strict.h"
#include "rules.h"
#include "validate.h"

static const char *const content_types[] = {
	"application/json",
	"application/json; charset=utf-8",
	"Application/JSON;charset=\"UTF-8\"",
	"text/plain",
};

/* A top-level JSON null: json-c parses it to NULL by design. */
static bool top_level_null(const char *text, size_t length)
{
	size_t start = 0;
	while (start < length && (text[start] == ' ' || text[start] == '\t' || text[start] == '\n' ||
				  text[start] == '\r'))
		start++;
	return length - start >= 4 && memcmp(text + start, "null", 4) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t selector = data[0];
	const struct rule_set *set = &body_rule_sets[selector % BODY_RULE_SET_COUNT];
	const char *content_type = content_types[(selector >> 4) & 3];
	bool admin = selector & 0x40;
	const char *text = (const char *)data + 1;
	size_t length = size - 1;

	/* The checker alone, at the depth the byte asks for. */
	(void)json_strict_valid(text, length, selector & 31);

	/* What it accepts at JSON_DEPTH_MAX, json-c must parse (null parses
	 * to NULL). */
	bool valid = json_strict_valid(text, length, JSON_DEPTH_MAX);
	struct json_object *parsed = json_strict_parse(text, length);
	if (!top_level_null(text, length))
		FUZZ_CHECK(valid == (parsed != NULL));
	else
		FUZZ_CHECK(parsed == NULL);
	json_object_put(parsed);

	/* The handlers' path: a request carrying the body. */
	struct request request = {0};
	request.method = HTTP_POST;
	request.content_type = strdup(content_type);
	request.body = length ? fuzz_copy(data + 1, length) : NULL;
	request.body_length = length;
	if (admin) {
		strcpy(request.caller.id, "admin-1");
		request.caller.role = ROLE_ADMIN;
	} else {
		strcpy(request.caller.id, "p_abc123");
		request.caller.role = ROLE_PATIENT;
	}

	struct fields fields;
	struct response response = {0};
	bool ok = validate_request_body(&request, set->rules, set->count, &fields, &response);
	FUZZ_CHECK(ok == (response.status == 0));
	if (ok) {
		for (size_t i = 0; i < set->count; i++) {
			if (set->rules[i].required)
				FUZZ_CHECK(fields.values[i].present);
			if (fields.values[i].present && fields.values[i].text == NULL)
				FUZZ_CHECK(set->rules[i].nullable);
		}
	} else {
		FUZZ_CHECK(response.status == 400 || response.status == 415);
		FUZZ_CHECK(response.body != NULL);
	}
	fields_free(&fields);
	response_free(&response);

	/* The two steps apart, the second without a caller. */
	struct json_object *body = NULL;
	if (validate_json_body(&request, &response, &body)) {
		FUZZ_CHECK(json_object_is_type(body, json_type_object));
		(void)validate_body(body, set->rules, set->count, NULL, &fields, &response);
		fields_free(&fields);
	}
	json_object_put(body);
	response_free(&response);

	request_free(&request);
	return 0;
}
