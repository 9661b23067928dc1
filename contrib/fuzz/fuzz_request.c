/*
 * The request side: what the FastCGI parameters turn into before a handler
 * runs. The input is four newline-separated fields, method, path, query
 * string and Content-Type, and the whole input also goes through
 * percent_decode and the UTF-8 functions as raw bytes.
 *
 * Functions: http_method_from_name, percent_decode, utf8_valid,
 * utf8_length, router_match, router_allow, request_parse_query,
 * request_param, validate_query (with the endpoints' query rules),
 * content_type_is_json.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "http.h"
#include "ids.h"
#include "router.h"
#include "rules.h"
#include "validate.h"

static void raw_bytes(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	for (int plus = 0; plus < 2; plus++) {
		char *decoded = percent_decode(text, size, plus);
		if (decoded != NULL) {
			/* Never longer than the input, never holding a NUL. */
			FUZZ_CHECK(strlen(decoded) <= size);
			FUZZ_CHECK(memchr(text, '\0', size) == NULL);
			free(decoded);
		}
	}
	bool valid = utf8_valid(text, size);
	if (valid && memchr(text, '\0', size) == NULL) {
		char *copy = fuzz_copy(data, size);
		FUZZ_CHECK(utf8_length(copy) <= size);
		free(copy);
	}
}

static void query(struct request *request)
{
	if (!request_parse_query(request))
		return;
	for (size_t i = 0; i < request->param_count; i++) {
		FUZZ_CHECK(utf8_valid(request->params[i].name, strlen(request->params[i].name)));
		FUZZ_CHECK(utf8_valid(request->params[i].value, strlen(request->params[i].value)));
		FUZZ_CHECK(request_param(request, request->params[i].name) != NULL);
	}
	(void)request_param(request, "limit");
	(void)request_param(request, "cursor");
	for (size_t i = 0; i < QUERY_RULE_SET_COUNT; i++) {
		struct fields fields;
		struct response response = {0};
		bool ok = validate_query(request, query_rule_sets[i].rules, query_rule_sets[i].count, &fields,
					 &response);
		FUZZ_CHECK(ok == (response.status == 0));
		FUZZ_CHECK(ok || response.body != NULL);
		fields_free(&fields);
		response_free(&response);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	raw_bytes(data, size);

	const uint8_t *rest = data;
	size_t left = size;
	char *method = fuzz_take_field(&rest, &left, '\n');
	char *path = fuzz_take_field(&rest, &left, '\n');
	char *query_string = fuzz_take_field(&rest, &left, '\n');
	char *content_type = fuzz_take_field(&rest, &left, '\n');

	struct request request = {0};
	request.method = http_method_from_name(method);
	FUZZ_CHECK(request.method <= HTTP_METHOD_OTHER);
	request.path = path;
	request.query_string = query_string;
	request.content_type = content_type;
	strcpy(request.caller.id, "t_abc123");
	request.caller.role = ROLE_THERAPIST;

	const struct route *route = router_match(request.path, &request.path_id);
	if (route != NULL) {
		FUZZ_CHECK(router_allow(route) != NULL);
		if (request.path_id != NULL) {
			FUZZ_CHECK(strlen(request.path_id) <= PATH_ID_MAX);
			FUZZ_CHECK(utf8_valid(request.path_id, strlen(request.path_id)));
		}
	} else {
		FUZZ_CHECK(request.path_id == NULL);
	}
	query(&request);
	(void)content_type_is_json(request.content_type);

	request_free(&request);
	free(method);
	return 0;
}
