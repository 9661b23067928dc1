/*
 * End-to-end tests of the protocol rules of API.md sections 1 and 2 over
 * HTTP, through nginx: paths, methods, content types, bodies, the error
 * format, authentication, request ids, /healthz, and that no response leaks
 * SQL, file paths or the secret (the harness checks that on every reply).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "e2e.h"

E2E_SUITE(protocol);

static void expect_header_contains(const struct e2e_reply *reply, const char *name,
				   const char *needle)
{
	const char *value = e2e_header(reply, name);
	cr_assert_not_null(value, "no %s header in:\n%s", name, reply->headers);
	cr_assert_not_null(strcasestr(value, needle), "%s: %s does not contain %s", name, value, needle);
}

/* Allow lists `method` as one of its comma-separated tokens. */
static bool allow_has(const char *allow, const char *method)
{
	const char *cursor = allow;
	size_t length = strlen(method);
	while (*cursor != '\0') {
		while (*cursor == ' ' || *cursor == ',')
			cursor++;
		size_t token = strcspn(cursor, ", ");
		if (token == length && strncasecmp(cursor, method, length) == 0)
			return true;
		cursor += token;
	}
	return false;
}

static void expect_bad_body(struct e2e_reply *reply, const char *what)
{
	cr_assert_eq(reply->status, 400, "%s: HTTP %ld %s", what, reply->status, reply->body);
	const char *code = e2e_str(reply->json, "code");
	cr_assert(code != NULL && (strcmp(code, "malformed_json") == 0 ||
				   strcmp(code, "validation_error") == 0),
		  "%s: code %s", what, reply->body);
	expect_error(reply, 400, code);
}

/* ============================================================ paths */

Test(protocol, paths_work_without_the_trailing_slash)
{
	struct e2e_pair pair = e2e_pair_new();
	struct e2e_reply *created = e2e_request("POST", "/api/chats/create_or_get_chat",
						pair.therapist_token,
						e2e_pair_body(pair.therapist, pair.patient), NULL);
	expect_status(created, 201);
	struct e2e_reply *list = e2e_request("GET", "/api/chats", pair.therapist_token, NULL, NULL);
	expect_status(list, 200);
	cr_assert_not_null(e2e_find_id(list->json, pair.chat_id));
	expect_status(e2e_request("GET", e2e_printf("/api/chats/%s", pair.chat_id),
				  pair.therapist_token, NULL, NULL), 200);
	expect_status(e2e_request("POST", e2e_printf("/api/chats/%s/update_status", pair.chat_id),
				  pair.therapist_token, "{\"status\": \"active\"}", NULL), 200);
	expect_status(e2e_request("GET", "/api/chats/get_user_chats", pair.therapist_token, NULL,
				  NULL), 200);
	expect_status(e2e_request("GET", "/api/chat-rooms", pair.therapist_token, NULL, NULL), 200);
	expect_status(e2e_request("GET", e2e_printf("/api/chat-rooms/%s", pair.room_id),
				  pair.therapist_token, NULL, NULL), 200);
	expect_status(e2e_request("PATCH", e2e_printf("/api/chat-rooms/%s", pair.room_id),
				  pair.therapist_token, "{\"description\": \"d\"}", NULL), 200);
	expect_status(e2e_request("POST", e2e_printf("/api/chat-rooms/%s/archive_room", pair.room_id),
				  pair.therapist_token, NULL, NULL), 200);
}

Test(protocol, paths_work_with_the_trailing_slash)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_status(e2e_request("GET", "/api/chats/", pair.therapist_token, NULL, NULL), 200);
	expect_status(e2e_request("GET", e2e_printf("/api/chats/%s/", pair.chat_id),
				  pair.therapist_token, NULL, NULL), 200);
	expect_status(e2e_request("GET", "/api/chat-rooms/", pair.therapist_token, NULL, NULL), 200);
	expect_status(e2e_request("GET", e2e_printf("/api/chat-rooms/%s/", pair.room_id),
				  pair.therapist_token, NULL, NULL), 200);
}

Test(protocol, an_unknown_path_is_404_json)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *paths[] = {
		"/api/nothing/", "/api/nothing", "/api/chats/x/y/z/", "/api/chat_rooms/",
		e2e_printf("/api/chats/%s/no_such_action/", pair.chat_id),
		e2e_printf("/api/chat-rooms/%s/no_such_action/", pair.room_id),
	};
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		struct e2e_reply *reply = e2e_request("GET", paths[i], pair.therapist_token, NULL, NULL);
		cr_assert_eq(reply->status, 404, "%s: HTTP %ld %s", paths[i], reply->status, reply->body);
		expect_error(reply, 404, "not_found");
	}
}

Test(protocol, a_wrong_method_on_a_known_path_is_405_with_allow)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct {
		const char *method;
		const char *path;
		const char *allowed[4];
	} cases[] = {
		{"DELETE", "/api/chats/", {"GET", "POST"}},
		{"PUT", "/api/chat-rooms/", {"GET", "POST"}},
		{"POST", e2e_printf("/api/chats/%s/", pair.chat_id), {"GET", "PUT", "PATCH", "DELETE"}},
		{"POST", e2e_printf("/api/chat-rooms/%s/", pair.room_id), {"GET", "PUT", "PATCH", "DELETE"}},
		{"GET", e2e_printf("/api/chats/%s/update_status/", pair.chat_id), {"POST"}},
		{"DELETE", e2e_printf("/api/chat-rooms/%s/archive_room/", pair.room_id), {"POST"}},
		{"GET", "/api/chats/create_or_get_chat/", {"POST"}},
		{"POST", "/api/chats/get_user_chats/", {"GET"}},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bool has_body = strcmp(cases[i].method, "GET") != 0 && strcmp(cases[i].method, "DELETE") != 0;
		struct e2e_reply *reply = e2e_request(cases[i].method, cases[i].path, pair.therapist_token,
						      has_body ? "{}" : NULL, NULL);
		cr_assert_eq(reply->status, 405, "%s %s: HTTP %ld %s", cases[i].method, cases[i].path,
			     reply->status, reply->body);
		expect_error(reply, 405, "method_not_allowed");
		const char *allow = e2e_header(reply, "Allow");
		cr_assert_not_null(allow, "%s %s: no Allow header", cases[i].method, cases[i].path);
		for (size_t j = 0; j < 4 && cases[i].allowed[j] != NULL; j++)
			cr_assert(allow_has(allow, cases[i].allowed[j]), "%s %s: Allow %s lacks %s",
				  cases[i].method, cases[i].path, allow, cases[i].allowed[j]);
		cr_assert(!allow_has(allow, cases[i].method), "%s %s: Allow %s names the method",
			  cases[i].method, cases[i].path, allow);
	}
	/* Nothing changed. */
	expect_status(e2e_request("GET", e2e_printf("/api/chat-rooms/%s/", pair.room_id),
				  pair.therapist_token, NULL, NULL), 200);
}

/* ===================================================== content type */

Test(protocol, a_body_that_is_not_json_by_content_type_is_415)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *body = e2e_pair_body(pair.therapist, pair.patient);
	expect_error(e2e_request("POST", "/api/chats/create_or_get_chat/", pair.therapist_token, body,
				 "Content-Type: text/plain"), 415, "unsupported_media_type");
	expect_error(e2e_request("PUT", e2e_printf("/api/chats/%s/", pair.chat_id), pair.therapist_token,
				 "status=archived", "Content-Type: application/x-www-form-urlencoded"),
		     415, "unsupported_media_type");
	expect_error(e2e_request("PATCH", e2e_printf("/api/chat-rooms/%s/", pair.room_id),
				 pair.therapist_token, "{\"description\": \"x\"}",
				 "Content-Type: text/html"), 415, "unsupported_media_type");
	struct e2e_reply *chat = e2e_request("GET", e2e_printf("/api/chats/%s/", pair.chat_id),
					     pair.therapist_token, NULL, NULL);
	cr_assert_str_eq(e2e_str(chat->json, "status"), "active");
}

Test(protocol, actions_without_fields_still_refuse_a_body_that_is_not_a_json_object)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_reply *sent = e2e_request("POST", "/api/messages/send_message/", pair.therapist_token,
					     e2e_printf("{\"chat_id\": \"%s\", \"text\": \"hello\"}", pair.chat_id),
					     NULL);
	expect_status(sent, 201);
	const char *message = e2e_str(sent->json, "id");
	const char *room_actions[] = {"archive_room", "activate_room"};
	for (size_t i = 0; i < 2; i++) {
		const char *path = e2e_printf("/api/chat-rooms/%s/%s/", pair.room_id, room_actions[i]);
		expect_error(e2e_request("POST", path, pair.therapist_token, "archive", "Content-Type: text/plain"),
			     415, "unsupported_media_type");
		expect_error(e2e_request("POST", path, pair.therapist_token, "{oops", NULL), 400, "malformed_json");
	}
	const char *message_actions[] = {"mark_emergency", "delete_message"};
	for (size_t i = 0; i < 2; i++) {
		const char *path = e2e_printf("/api/messages/%s/%s/", message, message_actions[i]);
		expect_error(e2e_request("POST", path, pair.therapist_token, "yes", "Content-Type: text/plain"),
			     415, "unsupported_media_type");
		expect_error(e2e_request("POST", path, pair.therapist_token, "[]", NULL), 400, "malformed_json");
	}
	/* Nothing was done. */
	struct e2e_reply *room = e2e_request("GET", e2e_printf("/api/chat-rooms/%s/", pair.room_id),
					     pair.therapist_token, NULL, NULL);
	cr_assert_eq(e2e_bool(room->json, "is_archived"), false, "%s", room->body);
	struct e2e_reply *read = e2e_request("GET", e2e_printf("/api/messages/%s/", message), pair.therapist_token,
					     NULL, NULL);
	cr_assert_eq(e2e_bool(read->json, "deleted"), false, "%s", read->body);
	cr_assert_eq(e2e_bool(read->json, "emergency"), false, "%s", read->body);
	/* With a JSON object, or no body, they act. */
	expect_status(e2e_request("POST", e2e_printf("/api/messages/%s/mark_emergency/", message),
				  pair.therapist_token, "{\"note\": 1}", NULL), 200);
	expect_status(e2e_request("POST", e2e_printf("/api/chat-rooms/%s/archive_room/", pair.room_id),
				  pair.therapist_token, NULL, NULL), 200);
}

Test(protocol, json_with_a_utf8_charset_is_accepted)
{
	struct e2e_pair pair = e2e_pair_new();
	struct e2e_reply *reply = e2e_request("POST", "/api/chats/create_or_get_chat/",
					      pair.therapist_token,
					      e2e_pair_body(pair.therapist, pair.patient),
					      "Content-Type: application/json; charset=utf-8");
	expect_status(reply, 201);
}

/* ============================================================ bodies */

Test(protocol, malformed_json_is_400_malformed_json)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_error(e2e_request("POST", "/api/chats/create_or_get_chat/", pair.therapist_token,
				 "{\"therapist_id\": ", NULL), 400, "malformed_json");
	expect_error(e2e_request("PUT", e2e_printf("/api/chats/%s/", pair.chat_id), pair.therapist_token,
				 "{status: active}", NULL), 400, "malformed_json");
	expect_error(e2e_request("PATCH", e2e_printf("/api/chat-rooms/%s/", pair.room_id),
				 pair.therapist_token, "{\"description\": \"x\"}}", NULL),
		     400, "malformed_json");
	expect_error(e2e_request("POST", e2e_printf("/api/chats/%s/update_status/", pair.chat_id),
				 pair.therapist_token, "{'status': 'archived'}", NULL),
		     400, "malformed_json");
}

Test(protocol, a_json_body_that_is_not_an_object_is_400)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *bodies[] = {"[]", e2e_printf("[%s]", e2e_pair_body(pair.therapist, pair.patient)),
				"\"text\"", "42", "null", "true"};
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
		expect_bad_body(e2e_request("POST", "/api/chats/create_or_get_chat/", pair.therapist_token,
					    bodies[i], NULL), bodies[i]);
	expect_bad_body(e2e_request("PATCH", e2e_printf("/api/chats/%s/", pair.chat_id),
				    pair.therapist_token, "[{\"status\": \"archived\"}]", NULL), "array PATCH");
}

Test(protocol, a_body_that_is_not_utf8_is_400)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *bodies[] = {
		"{\"therapist_id\": \"t_\xff\xfe\", \"patient_id\": \"p_000001\"}",
		"{\"description\": \"over\xc0\xaflong\"}",
		"{\"description\": \"lone \xed\xa0\x80 surrogate\"}",
		"{\"description\": \"cut \xe2\x82\"}",
	};
	expect_bad_body(e2e_request("POST", "/api/chats/create_or_get_chat/", pair.therapist_token,
				    bodies[0], NULL), "invalid UTF-8 id");
	for (size_t i = 1; i < sizeof bodies / sizeof bodies[0]; i++)
		expect_bad_body(e2e_request("PATCH", e2e_printf("/api/chat-rooms/%s/", pair.room_id),
					    pair.therapist_token, bodies[i], NULL), "invalid UTF-8 description");
	struct e2e_reply *room = e2e_request("GET", e2e_printf("/api/chat-rooms/%s/", pair.room_id),
					     pair.therapist_token, NULL, NULL);
	cr_assert(e2e_is_null(room->json, "description"), "%s", room->body);
}

Test(protocol, a_body_over_64_kib_is_413_json)
{
	struct e2e_pair pair = e2e_pair_new();
	const char *body = e2e_printf("{\"therapist_id\": \"%s\", \"patient_id\": \"%s\", \"padding\": \"%s\"}",
				      pair.therapist, pair.patient, e2e_repeat("x", 100 * 1024));
	expect_error(e2e_request("POST", "/api/chats/create_or_get_chat/", pair.therapist_token, body,
				 NULL), 413, "payload_too_large");
	cr_assert_str_eq(e2e_sql("SELECT count(*) FROM chats WHERE id = $1", pair.chat_id, NULL), "0");
}

Test(protocol, a_body_under_the_limit_with_unknown_fields_is_accepted)
{
	struct e2e_pair pair = e2e_pair_new();
	const char *body = e2e_printf("{\"therapist_id\": \"%s\", \"patient_id\": \"%s\", \"padding\": \"%s\", "
				      "\"unknown\": {\"nested\": [1, 2, 3]}}",
				      pair.therapist, pair.patient, e2e_repeat("x", 60 * 1024));
	expect_status(e2e_request("POST", "/api/chats/create_or_get_chat/", pair.therapist_token, body,
				  NULL), 201);
}

Test(protocol, an_empty_post_body_is_treated_as_an_empty_object)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	/* No body and no Content-Type. */
	struct e2e_reply *none = e2e_request("POST", "/api/chats/create_or_get_chat/",
					     pair.therapist_token, NULL, NULL);
	expect_field_error(none, "therapist_id");
	expect_field_error(none, "patient_id");
	/* Content-Length: 0 with the JSON content type. */
	struct e2e_reply *zero = e2e_request("POST", "/api/chats/create_or_get_chat/",
					     pair.therapist_token, "", NULL);
	expect_field_error(zero, "therapist_id");
	expect_field_error(zero, "patient_id");
	struct e2e_reply *status = e2e_request(
		"POST", e2e_printf("/api/chats/%s/update_status/", pair.chat_id), pair.therapist_token,
		NULL, NULL);
	expect_field_error(status, "status");
	/* An action whose fields all have defaults succeeds. */
	struct e2e_reply *toggle = e2e_request(
		"POST", e2e_printf("/api/chats/%s/toggle_notifications/", pair.chat_id),
		pair.therapist_token, NULL, NULL);
	expect_status(toggle, 200);
	cr_assert_eq(e2e_bool(toggle->json, "notifications_enabled"), true);
}

Test(protocol, unknown_query_parameters_are_ignored)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *queries[] = {"?foo=bar&page=3&format=xml", "?utm=%E9&x=%00&y=%ZZ&%zz=1"};
	for (size_t i = 0; i < 2; i++) {
		struct e2e_reply *reply = e2e_request("GET", e2e_printf("/api/chats/%s", queries[i]),
						      pair.therapist_token, NULL, NULL);
		expect_status(reply, 200);
		cr_assert_eq(e2e_len(reply->json), 1, "%s: %s", queries[i], reply->body);
	}
	/* A known one, malformed, is refused. */
	struct e2e_reply *refused = e2e_request("GET", "/api/chats/?status=%ZZ", pair.therapist_token, NULL, NULL);
	expect_error(refused, 400, "validation_error");
	expect_field_error(refused, "status");
	expect_error(e2e_request("GET", e2e_printf("/api/messages/?chat_id=%s&limit=%%E9", pair.chat_id),
				 pair.therapist_token, NULL, NULL), 400, "validation_error");
}

/* ==================================================== authentication */

static void expect_invalid_token(const char *token, const char *what)
{
	const char *paths[] = {"/api/chats/", "/api/chat-rooms/"};
	for (size_t i = 0; i < 2; i++) {
		struct e2e_reply *reply = e2e_request("GET", paths[i], token, NULL, NULL);
		cr_assert_eq(reply->status, 401, "%s on %s: HTTP %ld %s", what, paths[i], reply->status,
			     reply->body);
		expect_error(reply, 401, "invalid_token");
		expect_header_contains(reply, "WWW-Authenticate", "Bearer");
		expect_header_contains(reply, "WWW-Authenticate", "error=\"invalid_token\"");
	}
}

Test(protocol, no_token_is_401_not_authenticated_with_www_authenticate)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct {
		const char *method;
		const char *path;
		const char *body;
	} cases[] = {
		{"GET", "/api/chats/", NULL},
		{"GET", "/api/chats", NULL},
		{"GET", e2e_printf("/api/chats/%s/", pair.chat_id), NULL},
		{"POST", "/api/chats/create_or_get_chat/", e2e_pair_body(pair.therapist, pair.patient)},
		{"DELETE", e2e_printf("/api/chat-rooms/%s/", pair.room_id), NULL},
		{"GET", "/api/nothing/", NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct e2e_reply *reply = e2e_request(cases[i].method, cases[i].path, NULL, cases[i].body,
						      NULL);
		cr_assert_eq(reply->status, 401, "%s %s: HTTP %ld %s", cases[i].method, cases[i].path,
			     reply->status, reply->body);
		expect_error(reply, 401, "not_authenticated");
		const char *challenge = e2e_header(reply, "WWW-Authenticate");
		cr_assert(challenge != NULL && strncasecmp(challenge, "Bearer", 6) == 0,
			  "WWW-Authenticate: %s", challenge ? challenge : "(none)");
		cr_assert_null(strstr(challenge, "invalid_token"), "no token was sent: %s", challenge);
	}
	expect_status(e2e_request("GET", e2e_printf("/api/chat-rooms/%s/", pair.room_id),
				  pair.therapist_token, NULL, NULL), 200);
}

Test(protocol, a_token_signed_with_another_secret_is_invalid_token)
{
	struct e2e_claims claims = e2e_claims_default(e2e_new_therapist());
	claims.secret = "another-secret-that-is-long-enough-0123456789";
	expect_invalid_token(e2e_token_claims(&claims), "another secret");
}

Test(protocol, an_expired_token_is_invalid_token)
{
	struct e2e_claims claims = e2e_claims_default(e2e_new_therapist());
	claims.exp = -3600;
	claims.iat = -7200;
	expect_invalid_token(e2e_token_claims(&claims), "expired");
}

Test(protocol, a_token_without_exp_is_invalid_token)
{
	struct e2e_claims claims = e2e_claims_default(e2e_new_therapist());
	claims.exp = E2E_OMIT;
	expect_invalid_token(e2e_token_claims(&claims), "no exp");
}

Test(protocol, a_token_with_alg_none_is_invalid_token)
{
	struct e2e_claims claims = e2e_claims_default(e2e_new_therapist());
	claims.algorithm = "none";
	expect_invalid_token(e2e_token_claims(&claims), "alg none");
}

Test(protocol, a_token_with_another_algorithm_is_invalid_token)
{
	struct e2e_claims claims = e2e_claims_default(e2e_new_therapist());
	claims.algorithm = "HS512";
	expect_invalid_token(e2e_token_claims(&claims), "HS512");
}

Test(protocol, a_malformed_token_is_invalid_token)
{
	expect_invalid_token("abc", "abc");
	expect_invalid_token("not.a.jwt", "not.a.jwt");
	expect_invalid_token("eyJhbGciOiJIUzI1NiJ9..", "empty parts");
}

Test(protocol, a_tampered_token_is_invalid_token)
{
	const char *token = e2e_token(e2e_new_therapist());
	/* Re-sign nothing: swap the payload for a patient's. */
	const char *other = e2e_token(e2e_new_patient());
	const char *first_dot = strchr(token, '.');
	const char *second_dot = strchr(first_dot + 1, '.');
	const char *other_first = strchr(other, '.');
	const char *other_second = strchr(other_first + 1, '.');
	const char *forged = e2e_printf("%.*s%.*s%s", (int)(first_dot - token), token,
					(int)(other_second - other_first), other_first, second_dot);
	expect_invalid_token(forged, "payload swapped");
}

Test(protocol, a_token_not_yet_valid_is_invalid_token)
{
	struct e2e_claims claims = e2e_claims_default(e2e_new_therapist());
	claims.nbf = 3600;
	expect_invalid_token(e2e_token_claims(&claims), "nbf in an hour");
}

Test(protocol, a_token_issued_in_the_future_is_invalid_token)
{
	struct e2e_claims claims = e2e_claims_default(e2e_new_therapist());
	claims.iat = 3600;
	claims.exp = 7200;
	expect_invalid_token(e2e_token_claims(&claims), "iat in an hour");
}

Test(protocol, a_refresh_token_is_invalid_token)
{
	struct e2e_claims claims = e2e_claims_default(e2e_new_therapist());
	claims.token_type = "refresh";
	expect_invalid_token(e2e_token_claims(&claims), "refresh token");
}

Test(protocol, a_token_with_an_unknown_role_is_invalid_token)
{
	struct e2e_claims claims = e2e_claims_default(e2e_new_therapist());
	claims.role = "superuser";
	expect_invalid_token(e2e_token_claims(&claims), "role superuser");
}

Test(protocol, a_token_whose_id_names_no_role_is_invalid_token)
{
	expect_invalid_token(e2e_token("x_abcdef"), "id x_abcdef");
	expect_invalid_token(e2e_token("admin"), "id admin without a role claim");
	struct e2e_claims claims = e2e_claims_default(NULL);
	expect_invalid_token(e2e_token_claims(&claims), "no user_id nor sub");
}

Test(protocol, the_user_id_may_come_from_sub)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_claims claims = e2e_claims_default(NULL);
	claims.sub = pair.patient;
	struct e2e_reply *reply = e2e_request("GET", "/api/chats/", e2e_token_claims(&claims), NULL, NULL);
	expect_status(reply, 200);
	cr_assert_not_null(e2e_find_id(reply->json, pair.chat_id), "%s", reply->body);
}

Test(protocol, iat_slightly_in_the_future_is_within_the_leeway)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_claims claims = e2e_claims_default(pair.therapist);
	claims.iat = 5;
	claims.nbf = 5;
	expect_status(e2e_request("GET", "/api/chats/", e2e_token_claims(&claims), NULL, NULL), 200);
}

Test(protocol, identity_comes_from_the_token_not_the_body)
{
	/* A patient naming the therapist as user_id acts for nobody but themself. */
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_error(e2e_request("POST", e2e_printf("/api/chats/%s/mark_all_read/", pair.chat_id),
				 pair.patient_token, e2e_printf("{\"user_id\": \"%s\"}", pair.therapist),
				 NULL), 403, "forbidden");
}

/* ========================================================= responses */

Test(protocol, responses_are_json_with_a_utf8_charset)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_reply *ok = e2e_request("GET", "/api/chats/", pair.therapist_token, NULL, NULL);
	struct e2e_reply *missing = e2e_request("GET", "/api/chats/CHAT_t_zzzzzz_p_zzzzzz/",
						pair.therapist_token, NULL, NULL);
	struct e2e_reply *replies[] = {ok, missing};
	for (size_t i = 0; i < 2; i++) {
		expect_header_contains(replies[i], "Content-Type", "application/json");
		expect_header_contains(replies[i], "Content-Type", "charset=utf-8");
		cr_assert_not_null(replies[i]->json, "not JSON: %s", replies[i]->body);
	}
}

Test(protocol, the_request_id_is_echoed)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_reply *replies[] = {
		e2e_request("GET", "/api/chats/", pair.therapist_token, NULL, NULL),
		e2e_request("GET", "/api/chats/CHAT_t_zzzzzz_p_zzzzzz/", pair.therapist_token, NULL, NULL),
		e2e_request("POST", "/api/chats/create_or_get_chat/", pair.therapist_token, "{", NULL),
		e2e_request("POST", "/api/chats/create_or_get_chat/", pair.therapist_token,
			    e2e_pair_body(pair.therapist, pair.patient), NULL),
	};
	const char *previous = NULL;
	for (size_t i = 0; i < sizeof replies / sizeof replies[0]; i++) {
		const char *id = e2e_header(replies[i], "X-Request-Id");
		cr_assert(id != NULL && id[0] != '\0', "HTTP %ld without X-Request-Id:\n%s",
			  replies[i]->status, replies[i]->headers);
		if (previous != NULL)
			cr_assert_str_neq(id, previous, "two requests share the request id %s", id);
		previous = id;
	}
}

/* The lines of the workers' log that hold `needle`, joined; "" if none. */
static const char *worker_log_lines(const char *needle, size_t *count)
{
	FILE *log = fopen(getenv("TCCHAT_WORKER_LOG"), "r");
	cr_assert_not_null(log, "cannot read the workers' log");
	char line[2048];
	const char *found = "";
	*count = 0;
	while (fgets(line, sizeof line, log) != NULL)
		if (strstr(line, needle) != NULL) {
			found = e2e_printf("%s%s", found, line);
			++*count;
		}
	fclose(log);
	return found;
}

Test(protocol, a_server_error_is_logged_once_with_its_request_id_and_cause)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	/* A lock held past the workers' statement timeout: the update fails. */
	struct e2e_tx *holder = e2e_tx_begin();
	e2e_tx_lock_chat(holder, pair.chat_id);
	struct e2e_reply *reply = e2e_request("PATCH", e2e_printf("/api/chats/%s/", pair.chat_id),
					      pair.therapist_token, "{\"status\": \"archived\"}", NULL);
	e2e_tx_end(holder, false);
	expect_error(reply, 503, "unavailable");
	const char *id = e2e_header(reply, "X-Request-Id");
	cr_assert_not_null(id);
	/* The line is written once the answer has gone. */
	size_t count = 0;
	const char *lines = "";
	for (int i = 0; i < 40 && count == 0; i++, usleep(50 * 1000))
		lines = worker_log_lines(id, &count);
	cr_assert_eq(count, 1, "the request's lines in the log:\n%s", lines);
	cr_assert_not_null(strstr(lines, " error: request "), "%s", lines);
	cr_assert_not_null(strstr(lines, " status=503 "), "%s", lines);
	cr_assert_not_null(strstr(lines, " cause=chat_update:57014"), "%s", lines);
}

Test(protocol, healthz_answers_ok_without_a_token)
{
	struct e2e_reply *reply = e2e_request("GET", "/healthz", NULL, NULL, NULL);
	expect_status(reply, 200);
	cr_assert_not_null(reply->json, "not JSON: %s", reply->body);
	const char *const keys[] = {"status", NULL};
	cr_assert(e2e_keys_are(reply->json, keys), "%s", reply->body);
	cr_assert_str_eq(e2e_str(reply->json, "status"), "ok");
	expect_header_contains(reply, "Content-Type", "application/json");
}

Test(protocol, metrics_count_requests_by_route_and_status_across_workers)
{
	/* Several requests, so that several workers answer some of them. */
	for (int i = 0; i < 12; i++)
		e2e_reply_free(e2e_request("GET", "/healthz", NULL, NULL, NULL));
	struct e2e_reply *reply = e2e_request("GET", "/metrics", NULL, NULL, NULL);
	expect_status(reply, 200);
	expect_header_contains(reply, "Content-Type", "text/plain");
	cr_assert_not_null(strstr(reply->body, "tcchat_http_requests_total{route=\"/healthz\",status=\"200\"} "),
			   "%s", reply->body);
	cr_assert_not_null(strstr(reply->body, "tcchat_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"}"),
			   "%s", reply->body);
	cr_assert_not_null(strstr(reply->body, "tcchat_db_errors_total "), "%s", reply->body);
	/* One start time per running worker: the stack runs more than one. */
	const char *line = reply->body;
	int workers = 0;
	while ((line = strstr(line, "tcchat_worker_start_time_seconds{pid=")) != NULL) {
		workers++;
		line++;
	}
	cr_assert_gt(workers, 1, "%s", reply->body);
}

Test(protocol, every_error_body_has_error_and_code)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *stranger = e2e_token(e2e_new_patient());
	const char *chat = e2e_printf("/api/chats/%s/", pair.chat_id);
	struct {
		const char *method;
		const char *path;
		const char *token;
		const char *body;
		const char *header;
		long status;
		const char *code;
	} cases[] = {
		{"POST", "/api/chats/", pair.therapist_token, "{", NULL, 400, "malformed_json"},
		{"POST", "/api/chats/", pair.therapist_token, "{}", NULL, 400, "validation_error"},
		{"GET", "/api/chats/", NULL, NULL, NULL, 401, "not_authenticated"},
		{"GET", "/api/chats/", "x.y.z", NULL, NULL, 401, "invalid_token"},
		{"DELETE", e2e_printf("%s?purge=true", chat), pair.patient_token, NULL, NULL, 403, "forbidden"},
		{"GET", chat, stranger, NULL, NULL, 404, "not_found"},
		{"GET", "/api/unknown/", pair.therapist_token, NULL, NULL, 404, "not_found"},
		{"DELETE", "/api/chats/", pair.therapist_token, NULL, NULL, 405, "method_not_allowed"},
		{"POST", "/api/chats/", pair.therapist_token, e2e_pair_body(pair.therapist, pair.patient),
		 NULL, 409, "conflict"},
		{"POST", "/api/chats/", pair.therapist_token,
		 e2e_printf("{\"x\": \"%s\"}", e2e_repeat("x", 70 * 1024)), NULL, 413, "payload_too_large"},
		{"PATCH", chat, pair.therapist_token, "{}", "Content-Type: text/plain", 415,
		 "unsupported_media_type"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct e2e_reply *reply = e2e_request(cases[i].method, cases[i].path, cases[i].token,
						      cases[i].body, cases[i].header);
		cr_assert_eq(reply->status, cases[i].status, "%s %s: expected %ld, got HTTP %ld %s",
			     cases[i].method, cases[i].path, cases[i].status, reply->status, reply->body);
		expect_error(reply, cases[i].status, cases[i].code);
		if (strcmp(cases[i].code, "validation_error") != 0)
			cr_assert(!e2e_has(reply->json, "fields"), "fields outside a validation error: %s",
				  reply->body);
	}
}

Test(protocol, hostile_input_gets_a_4xx_and_the_service_keeps_answering)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *token = pair.therapist_token;
	const char *deep = e2e_printf("{\"a\": %s1%s}", e2e_repeat("[", 5000), e2e_repeat("]", 5000));
	struct {
		const char *method;
		const char *path;
		const char *body;
		bool must_fail;   /* false: any answer but a 5xx (e.g. a forged cursor) */
	} cases[] = {
		{"GET", "/api/chats/CHAT_t_'--_p_x/", NULL, true},
		{"GET", "/api/chats/%27%3B%20DROP%20TABLE%20chats%3B--/", NULL, true},
		{"GET", "/api/chats/?therapist_id=%27%20OR%201%3D1--", NULL, true},
		{"GET", "/api/chats/?status=active%27%20OR%20%271%27%3D%271", NULL, true},
		{"GET", "/api/chats/%ff%fe/", NULL, true},
		{"GET", "/api/chats/?limit=99999999999999999999999", NULL, true},
		{"GET", "/api/chats/?limit=%zz", NULL, true},
		{"GET", "/api/chats/?cursor=%00%01garbage", NULL, false},
		{"GET", "/api/chats/?cursor=eyJpZCI6IjEnIE9SIDE9MSJ9&limit=1", NULL, false},
		{"GET", e2e_printf("/api/chats/%s/", e2e_repeat("A", 3000)), NULL, true},
		{"POST", "/api/chats/create_or_get_chat/", deep, true},
		{"POST", "/api/chats/create_or_get_chat/",
		 "{\"therapist_id\": \"t_000001\\u0000\", \"patient_id\": \"p_000001\"}", true},
		{"POST", "/api/chats/create_or_get_chat/",
		 "{\"therapist_id\": \"t_000001' OR '1'='1\", \"patient_id\": \"p_000001\"}", true},
		{"POST", "/api/chats/create_or_get_chat/", "{\"therapist_id\": 1e999, \"patient_id\": -0}", true},
		{"POST", "/api/chats/create_or_get_chat/",
		 "{\"therapist_id\": \"\\ud800\", \"patient_id\": \"p_000001\"}", true},
		{"PATCH", e2e_printf("/api/chat-rooms/%s/", pair.room_id),
		 "{\"tags\": {\"0\": \"a\"}, \"description\": [\"x\"]}", true},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct e2e_reply *reply = e2e_request(cases[i].method, cases[i].path, token, cases[i].body,
						      NULL);
		cr_assert(reply->status >= 200 && reply->status < 500, "%s %.80s: HTTP %ld %s",
			  cases[i].method, cases[i].path, reply->status, reply->body);
		if (cases[i].must_fail) {
			cr_assert(reply->status >= 400, "%s %.80s: HTTP %ld %s", cases[i].method,
				  cases[i].path, reply->status, reply->body);
			cr_assert(reply->json != NULL && e2e_str(reply->json, "code") != NULL,
				  "%s %.80s: HTTP %ld without a JSON error: %.200s", cases[i].method,
				  cases[i].path, reply->status, reply->body);
		}
		e2e_reply_free(reply);
	}
	struct e2e_reply *after = e2e_request("GET", e2e_printf("/api/chats/%s/", pair.chat_id), token,
					      NULL, NULL);
	expect_status(after, 200);
	cr_assert_str_eq(e2e_str(after->json, "status"), "active");
	cr_assert_not_null(e2e_sql("SELECT count(*) FROM chats", NULL));
}
