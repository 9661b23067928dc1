/*
 * End-to-end tests of the Chats resource (API.md section 4, "Chats"), with the
 * visibility rule of section 2 and the chat fields of section 3. Each test
 * has a therapist and patient of its own, so tests can run in parallel.
 */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e.h"

E2E_SUITE(chats);

static const char *chat_path(const char *chat_id)
{
	return e2e_printf("/api/chats/%s/", chat_id);
}

static const char *action_path(const char *chat_id, const char *action)
{
	return e2e_printf("/api/chats/%s/%s/", chat_id, action);
}

static struct e2e_reply *create_or_get(const char *token, const char *therapist,
				       const char *patient)
{
	return e2e_request("POST", "/api/chats/create_or_get_chat/", token,
			   e2e_pair_body(therapist, patient), NULL);
}

static struct e2e_reply *create(const char *token, const char *therapist, const char *patient)
{
	return e2e_request("POST", "/api/chats/", token, e2e_pair_body(therapist, patient), NULL);
}

/* The chat as `token` sees it (200 expected). */
static struct json_object *chat_detail(const char *token, const char *chat_id)
{
	struct e2e_reply *reply = e2e_request("GET", chat_path(chat_id), token, NULL, NULL);
	expect_status(reply, 200);
	return reply->json;
}

static void expect_string(struct json_object *object, const char *key, const char *expected)
{
	const char *value = e2e_str(object, key);
	cr_assert(value != NULL && strcmp(value, expected) == 0, "\"%s\" should be \"%s\" in %s",
		  key, expected, json_object_to_json_string(object));
}

static void expect_empty_list(struct e2e_reply *reply)
{
	expect_status(reply, 200);
	cr_assert_eq(e2e_len(reply->json), 0, "expected [], got %s", reply->body);
}

/* The chat id of every element of a list reply, in order, joined by spaces. */
static const char *const list_fields[] = {
	"id", "therapist_id", "therapist_first_name", "therapist_last_name",
	"patient_id", "patient_first_name", "patient_last_name", "status",
	"last_message_text", "last_message_timestamp", "last_message_sender_id",
	"therapist_unread_count", "patient_unread_count", "updated_at",
	"therapist_full_name", "patient_full_name", "unread_count",
	"has_unread_emergency", "priority_score", NULL,
};

static const char *const detail_fields[] = {
	"id", "therapist_id", "therapist_first_name", "therapist_last_name",
	"patient_id", "patient_first_name", "patient_last_name",
	"therapist_full_name", "patient_full_name", "status",
	"last_message_text", "last_message_timestamp", "last_message_sender_id",
	"therapist_unread_count", "patient_unread_count",
	"therapist_notifications", "patient_notifications",
	"created_at", "updated_at", "other_participant", "unread_count",
	"has_unread_emergency", "priority_score", NULL,
};

/* A fresh chat's values, as the chat's therapist sees them. */
static void expect_fresh_chat(struct json_object *chat, const struct e2e_pair *pair)
{
	expect_string(chat, "id", pair->chat_id);
	expect_string(chat, "therapist_id", pair->therapist);
	expect_string(chat, "patient_id", pair->patient);
	expect_string(chat, "therapist_first_name", e2e_first_name(pair->therapist));
	expect_string(chat, "therapist_last_name", e2e_last_name(pair->therapist));
	expect_string(chat, "patient_first_name", e2e_first_name(pair->patient));
	expect_string(chat, "patient_last_name", e2e_last_name(pair->patient));
	expect_string(chat, "therapist_full_name", e2e_full_name(pair->therapist));
	expect_string(chat, "patient_full_name", e2e_full_name(pair->patient));
	expect_string(chat, "status", "active");
	cr_assert(e2e_is_null(chat, "last_message_text"));
	cr_assert(e2e_is_null(chat, "last_message_timestamp"));
	cr_assert(e2e_is_null(chat, "last_message_sender_id"));
	cr_assert_eq(e2e_int(chat, "therapist_unread_count"), 0);
	cr_assert_eq(e2e_int(chat, "patient_unread_count"), 0);
	cr_assert_eq(e2e_int(chat, "unread_count"), 0);
	cr_assert_eq(e2e_bool(chat, "has_unread_emergency"), false);
	cr_assert_eq(e2e_int(chat, "priority_score"), 0);
	cr_assert(e2e_is_timestamp(e2e_str(chat, "updated_at")), "updated_at: %s",
		  json_object_to_json_string(chat));
}

/* ======================================================== POST /api/chats/ */

Test(chats, create_returns_201_with_the_detail_representation)
{
	struct e2e_pair pair = e2e_pair_new();
	struct e2e_reply *reply = create(pair.therapist_token, pair.therapist, pair.patient);
	expect_status(reply, 201);
	cr_assert(e2e_keys_are(reply->json, detail_fields), "detail fields: %s", reply->body);
	expect_fresh_chat(reply->json, &pair);
}

Test(chats, create_creates_the_room_too)
{
	struct e2e_pair pair = e2e_pair_new();
	expect_status(create(pair.therapist_token, pair.therapist, pair.patient), 201);
	struct e2e_reply *room = e2e_request("GET", e2e_printf("/api/chat-rooms/%s/", pair.room_id),
					     pair.therapist_token, NULL, NULL);
	expect_status(room, 200);
	expect_string(room->json, "id", pair.room_id);
	cr_assert_str_eq(e2e_sql("SELECT count(*) FROM chat_rooms WHERE chat_id = $1",
				 pair.chat_id, NULL), "1");
}

Test(chats, create_by_the_patient_named_in_the_body_is_allowed)
{
	struct e2e_pair pair = e2e_pair_new();
	struct e2e_reply *reply = create(pair.patient_token, pair.therapist, pair.patient);
	expect_status(reply, 201);
	expect_string(reply->json, "id", pair.chat_id);
}

Test(chats, create_by_an_admin_is_allowed)
{
	struct e2e_pair pair = e2e_pair_new();
	struct e2e_reply *reply = create(e2e_admin_token(), pair.therapist, pair.patient);
	expect_status(reply, 201);
	expect_string(reply->json, "id", pair.chat_id);
}

Test(chats, create_takes_an_optional_status)
{
	struct e2e_pair pair = e2e_pair_new();
	struct e2e_reply *reply = e2e_request(
		"POST", "/api/chats/", pair.therapist_token,
		e2e_printf("{\"therapist_id\": \"%s\", \"patient_id\": \"%s\", \"status\": \"archived\"}",
			   pair.therapist, pair.patient), NULL);
	expect_status(reply, 201);
	expect_string(reply->json, "status", "archived");
}

Test(chats, create_with_an_unknown_status_is_400)
{
	struct e2e_pair pair = e2e_pair_new();
	struct e2e_reply *reply = e2e_request(
		"POST", "/api/chats/", pair.therapist_token,
		e2e_printf("{\"therapist_id\": \"%s\", \"patient_id\": \"%s\", \"status\": \"open\"}",
			   pair.therapist, pair.patient), NULL);
	expect_field_error(reply, "status");
	cr_assert_str_eq(e2e_sql("SELECT count(*) FROM chats WHERE id = $1", pair.chat_id, NULL), "0");
}

Test(chats, create_for_an_existing_pair_is_409)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_error(create(pair.therapist_token, pair.therapist, pair.patient), 409, "conflict");
	expect_error(create(e2e_admin_token(), pair.therapist, pair.patient), 409, "conflict");
}

Test(chats, create_for_a_pair_the_caller_is_not_part_of_is_403_when_it_does_not_exist)
{
	struct e2e_pair pair = e2e_pair_new();
	const char *other_therapist = e2e_new_therapist();
	const char *other_patient = e2e_new_patient();
	expect_error(create(e2e_token(other_therapist), pair.therapist, pair.patient), 403, "forbidden");
	expect_error(create(e2e_token(other_patient), pair.therapist, pair.patient), 403, "forbidden");
	cr_assert_str_eq(e2e_sql("SELECT count(*) FROM chats WHERE id = $1", pair.chat_id, NULL), "0");
}

Test(chats, create_for_a_pair_the_caller_is_not_part_of_is_403_when_it_exists)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_error(create(e2e_token(e2e_new_therapist()), pair.therapist, pair.patient), 403,
		     "forbidden");
	expect_error(create(e2e_token(e2e_new_patient()), pair.therapist, pair.patient), 403,
		     "forbidden");
}

Test(chats, create_with_a_therapist_not_in_the_directory_is_404)
{
	const char *therapist = e2e_absent_therapist();
	const char *patient = e2e_new_patient();
	expect_error(create(e2e_token(therapist), therapist, patient), 404, "not_found");
	expect_error(create(e2e_admin_token(), therapist, patient), 404, "not_found");
}

Test(chats, create_with_a_patient_not_in_the_directory_is_404)
{
	const char *therapist = e2e_new_therapist();
	const char *patient = e2e_absent_patient();
	expect_error(create(e2e_token(therapist), therapist, patient), 404, "not_found");
	expect_error(create(e2e_admin_token(), therapist, patient), 404, "not_found");
}

Test(chats, create_without_the_pair_is_400_naming_both_fields)
{
	const char *therapist = e2e_new_therapist();
	struct e2e_reply *reply = e2e_request("POST", "/api/chats/", e2e_token(therapist), "{}", NULL);
	expect_field_error(reply, "therapist_id");
	expect_field_error(reply, "patient_id");
}

Test(chats, create_with_a_malformed_id_is_400_before_the_permission_check)
{
	const char *therapist = e2e_new_therapist();
	const char *patient = e2e_new_patient();
	const char *stranger = e2e_token(e2e_new_patient());
	expect_field_error(create(e2e_token(therapist), "t_ABCDEF", patient), "therapist_id");
	expect_field_error(create(e2e_token(therapist), therapist, "p_12345"), "patient_id");
	expect_field_error(create(stranger, "x", patient), "therapist_id");
}

Test(chats, create_with_a_patient_id_as_therapist_id_is_400)
{
	const char *patient = e2e_new_patient();
	const char *other_patient = e2e_new_patient();
	const char *therapist = e2e_new_therapist();
	expect_field_error(create(e2e_token(patient), other_patient, patient), "therapist_id");
	expect_field_error(create(e2e_token(therapist), therapist, e2e_new_therapist()), "patient_id");
}

/* ============================================ POST create_or_get_chat */

Test(chats, create_or_get_chat_creates_with_201_then_returns_the_same_chat_with_200)
{
	struct e2e_pair pair = e2e_pair_new();
	struct e2e_reply *first = create_or_get(pair.therapist_token, pair.therapist, pair.patient);
	expect_status(first, 201);
	cr_assert(e2e_keys_are(first->json, detail_fields), "detail fields: %s", first->body);
	expect_fresh_chat(first->json, &pair);
	struct e2e_reply *second = create_or_get(pair.therapist_token, pair.therapist, pair.patient);
	expect_status(second, 200);
	expect_string(second->json, "id", pair.chat_id);
	expect_string(second->json, "created_at", e2e_str(first->json, "created_at"));
	struct e2e_reply *by_patient = create_or_get(pair.patient_token, pair.therapist, pair.patient);
	expect_status(by_patient, 200);
	expect_string(by_patient->json, "id", pair.chat_id);
}

Test(chats, create_or_get_chat_creates_the_room_with_the_pair_id)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	cr_assert_str_eq(e2e_sql("SELECT id FROM chat_rooms WHERE chat_id = $1", pair.chat_id, NULL),
			 pair.room_id);
	struct e2e_reply *room = e2e_request("GET", e2e_printf("/api/chat-rooms/%s/", pair.room_id),
					     pair.patient_token, NULL, NULL);
	expect_status(room, 200);
}

Test(chats, create_or_get_chat_by_the_patient_creates_the_chat)
{
	struct e2e_pair pair = e2e_pair_new();
	struct e2e_reply *reply = create_or_get(pair.patient_token, pair.therapist, pair.patient);
	expect_status(reply, 201);
	expect_string(reply->json, "id", pair.chat_id);
	struct json_object *other = e2e_get(reply->json, "other_participant");
	expect_string(other, "id", pair.therapist);
}

Test(chats, create_or_get_chat_by_an_admin_creates_the_chat)
{
	struct e2e_pair pair = e2e_pair_new();
	const char *admin = e2e_admin_token();
	expect_status(create_or_get(admin, pair.therapist, pair.patient), 201);
	expect_status(create_or_get(admin, pair.therapist, pair.patient), 200);
}

Test(chats, create_or_get_chat_requires_both_ids)
{
	struct e2e_pair pair = e2e_pair_new();
	struct e2e_reply *none = e2e_request("POST", "/api/chats/create_or_get_chat/",
					     pair.therapist_token, "{}", NULL);
	expect_field_error(none, "therapist_id");
	expect_field_error(none, "patient_id");
	struct e2e_reply *no_patient = e2e_request(
		"POST", "/api/chats/create_or_get_chat/", pair.therapist_token,
		e2e_printf("{\"therapist_id\": \"%s\"}", pair.therapist), NULL);
	expect_field_error(no_patient, "patient_id");
	struct e2e_reply *no_therapist = e2e_request(
		"POST", "/api/chats/create_or_get_chat/", pair.patient_token,
		e2e_printf("{\"patient_id\": \"%s\"}", pair.patient), NULL);
	expect_field_error(no_therapist, "therapist_id");
}

Test(chats, create_or_get_chat_with_a_malformed_or_wrong_kind_of_id_is_400)
{
	struct e2e_pair pair = e2e_pair_new();
	expect_field_error(create_or_get(pair.therapist_token, "t_abc", pair.patient), "therapist_id");
	expect_field_error(create_or_get(pair.therapist_token, pair.therapist, "p_abcdefg"),
			   "patient_id");
	expect_field_error(create_or_get(pair.patient_token, pair.patient, pair.patient),
			   "therapist_id");
	struct e2e_reply *number = e2e_request(
		"POST", "/api/chats/create_or_get_chat/", pair.therapist_token,
		e2e_printf("{\"therapist_id\": 42, \"patient_id\": \"%s\"}", pair.patient), NULL);
	expect_field_error(number, "therapist_id");
}

Test(chats, create_or_get_chat_for_a_pair_the_caller_is_not_part_of_is_403_whether_or_not_it_exists)
{
	struct e2e_pair absent = e2e_pair_new();
	struct e2e_pair existing = e2e_pair_with_chat();
	const char *strangers[] = {e2e_token(e2e_new_therapist()), e2e_token(e2e_new_patient())};
	for (size_t i = 0; i < 2; i++) {
		expect_error(create_or_get(strangers[i], absent.therapist, absent.patient), 403,
			     "forbidden");
		expect_error(create_or_get(strangers[i], existing.therapist, existing.patient), 403,
			     "forbidden");
	}
	cr_assert_str_eq(e2e_sql("SELECT count(*) FROM chats WHERE id = $1", absent.chat_id, NULL), "0");
}

Test(chats, create_or_get_chat_with_someone_not_in_the_directory_is_404)
{
	const char *therapist = e2e_new_therapist();
	const char *absent_patient = e2e_absent_patient();
	expect_error(create_or_get(e2e_token(therapist), therapist, absent_patient), 404, "not_found");
	const char *absent_therapist = e2e_absent_therapist();
	const char *patient = e2e_new_patient();
	expect_error(create_or_get(e2e_token(patient), absent_therapist, patient), 404, "not_found");
}

Test(chats, create_or_get_chat_run_20_times_at_once_creates_exactly_one_chat_and_one_room)
{
	enum { CALLS = 20 };
	struct e2e_pair pair = e2e_pair_new();
	struct e2e_reply *replies[CALLS];
	e2e_request_concurrent(CALLS, "POST", "/api/chats/create_or_get_chat/",
			       pair.therapist_token, e2e_pair_body(pair.therapist, pair.patient),
			       replies);
	int created = 0, found = 0;
	for (size_t i = 0; i < CALLS; i++) {
		cr_assert(replies[i]->status == 201 || replies[i]->status == 200,
			  "call %zu: HTTP %ld %s", i, replies[i]->status, replies[i]->body);
		if (replies[i]->status == 201)
			created++;
		else
			found++;
		expect_string(replies[i]->json, "id", pair.chat_id);
	}
	cr_assert_eq(created, 1, "%d calls answered 201", created);
	cr_assert_eq(found, CALLS - 1);
	cr_assert_str_eq(e2e_sql("SELECT count(*) FROM chats WHERE therapist_id = $1 AND patient_id = $2",
				 pair.therapist, pair.patient, NULL), "1");
	cr_assert_str_eq(e2e_sql("SELECT count(*) FROM chat_rooms WHERE chat_id = $1",
				 pair.chat_id, NULL), "1");
}

/* ================================================== GET /api/chats/{id}/ */

Test(chats, detail_has_every_field_with_its_type)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct json_object *chat = chat_detail(pair.therapist_token, pair.chat_id);
	cr_assert(e2e_keys_are(chat, detail_fields), "detail fields: %s",
		  json_object_to_json_string(chat));
	expect_fresh_chat(chat, &pair);
	cr_assert_eq(e2e_bool(chat, "therapist_notifications"), true);
	cr_assert_eq(e2e_bool(chat, "patient_notifications"), true);
	cr_assert(e2e_is_timestamp(e2e_str(chat, "created_at")));
}

Test(chats, detail_other_participant_is_the_patient_for_the_therapist)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct json_object *other = e2e_get(chat_detail(pair.therapist_token, pair.chat_id),
					    "other_participant");
	const char *const keys[] = {"id", "first_name", "last_name", "full_name", NULL};
	cr_assert(e2e_keys_are(other, keys), "other_participant: %s",
		  other ? json_object_to_json_string(other) : "null");
	expect_string(other, "id", pair.patient);
	expect_string(other, "first_name", e2e_first_name(pair.patient));
	expect_string(other, "last_name", e2e_last_name(pair.patient));
	expect_string(other, "full_name", e2e_full_name(pair.patient));
}

Test(chats, detail_other_participant_is_the_therapist_for_the_patient)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct json_object *other = e2e_get(chat_detail(pair.patient_token, pair.chat_id),
					    "other_participant");
	expect_string(other, "id", pair.therapist);
	expect_string(other, "first_name", e2e_first_name(pair.therapist));
	expect_string(other, "last_name", e2e_last_name(pair.therapist));
	expect_string(other, "full_name", e2e_full_name(pair.therapist));
}

Test(chats, detail_for_an_admin_has_null_other_participant_and_zero_unread)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct json_object *chat = chat_detail(e2e_admin_token(), pair.chat_id);
	cr_assert(e2e_is_null(chat, "other_participant"), "%s", json_object_to_json_string(chat));
	cr_assert_eq(e2e_int(chat, "unread_count"), 0);
	cr_assert_eq(e2e_int(chat, "priority_score"), 0);
}

Test(chats, names_are_copied_from_the_directory_unchanged)
{
	/* The only test that uses the directory's non-ASCII pair. */
	const char *token = e2e_token("t_utf8aa");
	struct e2e_reply *reply = create_or_get(token, "t_utf8aa", "p_utf8aa");
	cr_assert(reply->status == 201 || reply->status == 200, "HTTP %ld %s", reply->status,
		  reply->body);
	expect_string(reply->json, "therapist_first_name", "Zoë");
	expect_string(reply->json, "therapist_last_name", "Ångström-Łukasz");
	expect_string(reply->json, "therapist_full_name", "Zoë Ångström-Łukasz");
	expect_string(reply->json, "patient_first_name", "José");
	expect_string(reply->json, "patient_full_name", "José Núñez 日本");
	struct json_object *other = e2e_get(reply->json, "other_participant");
	expect_string(other, "full_name", "José Núñez 日本");
}

Test(chats, detail_of_a_chat_that_does_not_exist_is_404)
{
	struct e2e_pair pair = e2e_pair_new();
	expect_error(e2e_request("GET", chat_path(pair.chat_id), pair.therapist_token, NULL, NULL),
		     404, "not_found");
	expect_error(e2e_request("GET", chat_path(pair.chat_id), e2e_admin_token(), NULL, NULL),
		     404, "not_found");
}

/* ================================================== visibility (section 2) */

static const struct e2e_call every_chat_call[] = {
	{"GET", NULL, NULL},
	{"PUT", NULL, "{\"status\": \"archived\"}"},
	{"PATCH", NULL, "{\"status\": \"archived\"}"},
	{"DELETE", NULL, NULL},
	{"POST", "update_status", "{\"status\": \"archived\"}"},
	{"POST", "toggle_notifications", "{\"notifications_enabled\": false}"},
	{"POST", "mark_all_read", "{}"},
};

static void expect_chat_invisible_to(const struct e2e_pair *pair, const char *token)
{
	for (size_t i = 0; i < sizeof every_chat_call / sizeof every_chat_call[0]; i++) {
		const struct e2e_call *call = &every_chat_call[i];
		const char *path = call->action ? action_path(pair->chat_id, call->action)
						: chat_path(pair->chat_id);
		struct e2e_reply *reply = e2e_request(call->method, path, token, call->body, NULL);
		cr_assert_eq(reply->status, 404, "%s %s by a stranger: HTTP %ld %s", call->method,
			     path, reply->status, reply->body);
		expect_error(reply, 404, "not_found");
	}
	struct e2e_reply *delete_purge = e2e_request(
		"DELETE", e2e_printf("/api/chats/%s/?purge=true", pair->chat_id), token, NULL, NULL);
	expect_error(delete_purge, 404, "not_found");
}

Test(chats, another_therapist_gets_404_on_the_chat_and_every_action)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_chat_invisible_to(&pair, e2e_token(e2e_new_therapist()));
	expect_string(chat_detail(pair.therapist_token, pair.chat_id), "status", "active");
}

Test(chats, another_patient_gets_404_on_the_chat_and_every_action)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_chat_invisible_to(&pair, e2e_token(e2e_new_patient()));
	struct json_object *chat = chat_detail(pair.therapist_token, pair.chat_id);
	expect_string(chat, "status", "active");
	cr_assert_eq(e2e_bool(chat, "patient_notifications"), true);
}

Test(chats, lists_leave_out_chats_the_caller_is_not_in)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	/* Another therapist of the same patient, another patient of the same therapist. */
	const char *other_therapist = e2e_new_therapist();
	const char *other_patient = e2e_new_patient();
	const char *other_therapist_token = e2e_token(other_therapist);
	const char *other_patient_token = e2e_token(other_patient);
	expect_status(create_or_get(other_therapist_token, other_therapist, pair.patient), 201);
	expect_status(create_or_get(other_patient_token, pair.therapist, other_patient), 201);
	const char *own_of_therapist = e2e_printf("CHAT_%s_%s", other_therapist, pair.patient);
	const char *own_of_patient = e2e_printf("CHAT_%s_%s", pair.therapist, other_patient);
	const char *lists[] = {"/api/chats/", "/api/chats/get_user_chats/"};
	for (size_t i = 0; i < 2; i++) {
		cr_assert_str_eq(e2e_list_ids(e2e_request("GET", lists[i], other_therapist_token, NULL, NULL)),
				 own_of_therapist);
		cr_assert_str_eq(e2e_list_ids(e2e_request("GET", lists[i], other_patient_token, NULL, NULL)),
				 own_of_patient);
	}
	cr_assert_str_eq(e2e_list_ids(e2e_request("GET", e2e_printf("/api/chats/?patient_id=%s", pair.patient),
					      other_therapist_token, NULL, NULL)), own_of_therapist);
	cr_assert_str_eq(e2e_list_ids(e2e_request("GET", e2e_printf("/api/chats/?therapist_id=%s", pair.therapist),
					      other_patient_token, NULL, NULL)), own_of_patient);
	expect_empty_list(e2e_request("GET", "/api/chats/", e2e_token(e2e_new_patient()), NULL, NULL));
}

Test(chats, list_filters_naming_others_chats_or_users_give_an_empty_list)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *stranger = e2e_token(e2e_new_therapist());
	const char *queries[] = {
		e2e_printf("therapist_id=%s", pair.therapist),
		e2e_printf("patient_id=%s", pair.patient),
		e2e_printf("user_id=%s", pair.patient),
		e2e_printf("user_id=%s", pair.therapist),
		e2e_printf("therapist_id=%s&patient_id=%s", pair.therapist, pair.patient),
		"status=active",
	};
	for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++)
		expect_empty_list(e2e_request("GET", e2e_printf("/api/chats/?%s", queries[i]),
					      stranger, NULL, NULL));
}

/* ========================================================= GET /api/chats/ */

Test(chats, list_has_the_list_representation)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_reply *reply = e2e_request("GET", "/api/chats/", pair.therapist_token, NULL, NULL);
	expect_status(reply, 200);
	cr_assert_eq(e2e_len(reply->json), 1, "%s", reply->body);
	struct json_object *chat = e2e_at(reply->json, 0);
	cr_assert(e2e_keys_are(chat, list_fields), "list fields: %s", json_object_to_json_string(chat));
	expect_fresh_chat(chat, &pair);
}

Test(chats, list_holds_the_callers_chats_of_every_status)
{
	const char *therapist = e2e_new_therapist();
	const char *token = e2e_token(therapist);
	const char *statuses[] = {"active", "archived", "blocked", "deleted"};
	const char *ids[4];
	for (size_t i = 0; i < 4; i++) {
		const char *patient = e2e_new_patient();
		ids[i] = e2e_printf("CHAT_%s_%s", therapist, patient);
		expect_status(create_or_get(token, therapist, patient), 201);
		expect_status(e2e_request("POST", action_path(ids[i], "update_status"), token,
					  e2e_printf("{\"status\": \"%s\"}", statuses[i]), NULL), 200);
	}
	struct e2e_reply *reply = e2e_request("GET", "/api/chats/", token, NULL, NULL);
	expect_status(reply, 200);
	cr_assert_eq(e2e_len(reply->json), 4, "%s", reply->body);
	for (size_t i = 0; i < 4; i++) {
		struct json_object *chat = e2e_find_id(reply->json, ids[i]);
		cr_assert_not_null(chat, "%s missing from %s", ids[i], reply->body);
		expect_string(chat, "status", statuses[i]);
	}
}

Test(chats, list_is_ordered_newest_updated_at_first)
{
	const char *therapist = e2e_new_therapist();
	const char *token = e2e_token(therapist);
	const char *first_patient = e2e_new_patient();
	const char *second_patient = e2e_new_patient();
	const char *first = e2e_printf("CHAT_%s_%s", therapist, first_patient);
	const char *second = e2e_printf("CHAT_%s_%s", therapist, second_patient);
	expect_status(create_or_get(token, therapist, first_patient), 201);
	expect_status(create_or_get(token, therapist, second_patient), 201);
	cr_assert_str_eq(e2e_list_ids(e2e_request("GET", "/api/chats/", token, NULL, NULL)),
			 e2e_printf("%s %s", second, first));
	/* A status change moves updated_at. */
	expect_status(e2e_request("PATCH", chat_path(first), token, "{\"status\": \"archived\"}", NULL),
		      200);
	cr_assert_str_eq(e2e_list_ids(e2e_request("GET", "/api/chats/", token, NULL, NULL)),
			 e2e_printf("%s %s", first, second));
}

Test(chats, list_filters_by_therapist_patient_status_and_user)
{
	const char *therapist = e2e_new_therapist();
	const char *other_therapist = e2e_new_therapist();
	const char *patient = e2e_new_patient();
	const char *other_patient = e2e_new_patient();
	const char *patient_token = e2e_token(patient);
	const char *with_therapist = e2e_printf("CHAT_%s_%s", therapist, patient);
	const char *with_other = e2e_printf("CHAT_%s_%s", other_therapist, patient);
	const char *not_mine = e2e_printf("CHAT_%s_%s", therapist, other_patient);
	expect_status(create_or_get(patient_token, therapist, patient), 201);
	expect_status(create_or_get(patient_token, other_therapist, patient), 201);
	expect_status(create_or_get(e2e_token(therapist), therapist, other_patient), 201);
	expect_status(e2e_request("POST", action_path(with_other, "update_status"), patient_token,
				  "{\"status\": \"blocked\"}", NULL), 200);

	cr_assert_str_eq(e2e_list_ids(e2e_request("GET", e2e_printf("/api/chats/?therapist_id=%s", therapist),
					      patient_token, NULL, NULL)), with_therapist);
	cr_assert_str_eq(e2e_list_ids(e2e_request("GET", e2e_printf("/api/chats/?therapist_id=%s", other_therapist),
					      patient_token, NULL, NULL)), with_other);
	cr_assert_str_eq(e2e_list_ids(e2e_request("GET", "/api/chats/?status=blocked", patient_token,
					      NULL, NULL)), with_other);
	cr_assert_str_eq(e2e_list_ids(e2e_request("GET", "/api/chats/?status=active", patient_token,
					      NULL, NULL)), with_therapist);
	struct e2e_reply *by_patient = e2e_request(
		"GET", e2e_printf("/api/chats/?patient_id=%s", patient), patient_token, NULL, NULL);
	expect_status(by_patient, 200);
	cr_assert_eq(e2e_len(by_patient->json), 2, "%s", by_patient->body);
	/* The therapist's own view: user_id narrows to chats that user takes part in. */
	struct e2e_reply *by_user = e2e_request(
		"GET", e2e_printf("/api/chats/?user_id=%s", other_patient), e2e_token(therapist), NULL, NULL);
	cr_assert_str_eq(e2e_list_ids(by_user), not_mine);
}

Test(chats, list_for_an_admin_holds_every_chat)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_reply *reply = e2e_request(
		"GET", e2e_printf("/api/chats/?therapist_id=%s", pair.therapist), e2e_admin_token(),
		NULL, NULL);
	cr_assert_str_eq(e2e_list_ids(reply), pair.chat_id);
	struct json_object *chat = e2e_at(reply->json, 0);
	cr_assert_eq(e2e_int(chat, "unread_count"), 0);
}

Test(chats, list_filter_with_an_unknown_status_or_malformed_id_is_400)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *queries[] = {
		"status=open", "status=ACTIVE!", "therapist_id=t_XYZ", "therapist_id=p_000001",
		"patient_id=t_000001", "patient_id=p_1", "ordering=priority&status=gone",
	};
	for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
		struct e2e_reply *reply = e2e_request("GET", e2e_printf("/api/chats/?%s", queries[i]),
						      pair.therapist_token, NULL, NULL);
		cr_assert_eq(reply->status, 400, "?%s: HTTP %ld %s", queries[i], reply->status, reply->body);
		expect_error(reply, 400, "validation_error");
	}
}

Test(chats, list_accepts_ordering_by_priority)
{
	const char *therapist = e2e_new_therapist();
	const char *token = e2e_token(therapist);
	expect_status(create_or_get(token, therapist, e2e_new_patient()), 201);
	expect_status(create_or_get(token, therapist, e2e_new_patient()), 201);
	struct e2e_reply *reply = e2e_request("GET", "/api/chats/?ordering=priority", token, NULL, NULL);
	expect_status(reply, 200);
	cr_assert_eq(e2e_len(reply->json), 2, "%s", reply->body);
	/* All scores are 0, so the order is by updated_at, newest first. */
	cr_assert_str_eq(e2e_list_ids(reply), e2e_list_ids(e2e_request("GET", "/api/chats/", token, NULL, NULL)));
}

Test(chats, list_limit_out_of_range_is_400)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *limits[] = {"0", "-1", "501", "abc", "1.5"};
	for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
		struct e2e_reply *reply = e2e_request("GET", e2e_printf("/api/chats/?limit=%s", limits[i]),
						      pair.therapist_token, NULL, NULL);
		cr_assert_eq(reply->status, 400, "limit=%s: HTTP %ld %s", limits[i], reply->status,
			     reply->body);
		expect_error(reply, 400, "validation_error");
	}
	expect_status(e2e_request("GET", "/api/chats/?limit=500", pair.therapist_token, NULL, NULL), 200);
	expect_status(e2e_request("GET", "/api/chats/?limit=1", pair.therapist_token, NULL, NULL), 200);
}

Test(chats, list_pages_with_a_cursor_in_the_link_header)
{
	const char *therapist = e2e_new_therapist();
	const char *token = e2e_token(therapist);
	for (int i = 0; i < 3; i++)
		expect_status(create_or_get(token, therapist, e2e_new_patient()), 201);
	const char *all = e2e_list_ids(e2e_request("GET", "/api/chats/", token, NULL, NULL));
	struct e2e_reply *all_reply = e2e_request("GET", "/api/chats/", token, NULL, NULL);
	cr_assert_null(e2e_link_next(all_reply), "no Link when every row fits");

	const char *seen = "";
	const char *path = "/api/chats/?limit=1";
	for (int page = 0; page < 3; page++) {
		struct e2e_reply *reply = e2e_request("GET", path, token, NULL, NULL);
		expect_status(reply, 200);
		cr_assert_eq(e2e_len(reply->json), 1, "page %d: %s", page, reply->body);
		const char *id = e2e_str(e2e_at(reply->json, 0), "id");
		cr_assert_null(strstr(seen, id), "page %d repeats %s", page, id);
		seen = e2e_printf("%s%s%s", seen, page ? " " : "", id);
		const char *next = e2e_link_next(reply);
		if (page < 2) {
			cr_assert_not_null(next, "page %d has no Link rel=\"next\": %s", page, reply->headers);
			cr_assert_not_null(strstr(next, "cursor="), "Link without cursor: %s", next);
			cr_assert_not_null(strstr(next, "limit=1"), "Link does not repeat the query: %s", next);
			/* An absolute URL, an absolute path, or a query relative to the page. */
			path = next[0] == '?' ? e2e_printf("/api/chats/%s", next) : next;
			cr_assert_not_null(strstr(path, "/api/chats"), "Link: %s", next);
		} else {
			cr_assert_null(next, "the last page has a Link: %s", next);
		}
	}
	cr_assert_str_eq(seen, all);
}

/* ============================================== GET get_user_chats */

Test(chats, get_user_chats_holds_only_active_chats_in_the_list_representation)
{
	const char *therapist = e2e_new_therapist();
	const char *token = e2e_token(therapist);
	const char *active_patient = e2e_new_patient();
	const char *archived_patient = e2e_new_patient();
	const char *active = e2e_printf("CHAT_%s_%s", therapist, active_patient);
	const char *archived = e2e_printf("CHAT_%s_%s", therapist, archived_patient);
	expect_status(create_or_get(token, therapist, active_patient), 201);
	expect_status(create_or_get(token, therapist, archived_patient), 201);
	expect_status(e2e_request("POST", action_path(archived, "update_status"), token,
				  "{\"status\": \"archived\"}", NULL), 200);
	struct e2e_reply *reply = e2e_request(
		"GET", e2e_printf("/api/chats/get_user_chats/?user_id=%s", therapist), token, NULL, NULL);
	cr_assert_str_eq(e2e_list_ids(reply), active);
	cr_assert(e2e_keys_are(e2e_at(reply->json, 0), list_fields), "list fields: %s", reply->body);
}

Test(chats, get_user_chats_defaults_to_the_caller)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	cr_assert_str_eq(e2e_list_ids(e2e_request("GET", "/api/chats/get_user_chats/", pair.patient_token,
					      NULL, NULL)), pair.chat_id);
	cr_assert_str_eq(e2e_list_ids(e2e_request("GET", "/api/chats/get_user_chats", pair.therapist_token,
					      NULL, NULL)), pair.chat_id);
}

/* Follows get_user_chats' Link pages of one chat each; returns the ids
 * seen, in order, separated by spaces. */
static const char *user_chats_one_per_page(const char *token)
{
	const char *seen = "", *path = "/api/chats/get_user_chats/?limit=1";
	for (int page = 0; path != NULL && page < 10; page++) {
		struct e2e_reply *reply = e2e_request("GET", path, token, NULL, NULL);
		expect_status(reply, 200);
		cr_assert_eq(e2e_len(reply->json), 1, "page %d: %s", page, reply->body);
		seen = e2e_printf("%s%s%s", seen, page ? " " : "", e2e_str(e2e_at(reply->json, 0), "id"));
		const char *next = e2e_link_next(reply);
		path = next == NULL || next[0] != '?' ? next : e2e_printf("/api/chats/get_user_chats/%s", next);
	}
	return seen;
}

Test(chats, get_user_chats_pages_newest_activity_first_on_either_side)
{
	const char *patient = e2e_new_patient(), *therapist = e2e_new_therapist();
	const char *patient_token = e2e_token(patient), *therapist_token = e2e_token(therapist);
	const char *of_patient[3], *of_therapist[3];
	for (int i = 0; i < 3; i++) {
		const char *other_therapist = e2e_new_therapist(), *other_patient = e2e_new_patient();
		expect_status(create_or_get(patient_token, other_therapist, patient), 201);
		expect_status(create_or_get(therapist_token, therapist, other_patient), 201);
		of_patient[i] = e2e_printf("CHAT_%s_%s", other_therapist, patient);
		of_therapist[i] = e2e_printf("CHAT_%s_%s", therapist, other_patient);
	}
	/* A message makes the oldest chat of each the newest. */
	expect_status(e2e_request("POST", "/api/messages/send_message/", patient_token,
				  e2e_printf("{\"chat_id\": \"%s\", \"text\": \"Hello\"}", of_patient[0]), NULL), 201);
	expect_status(e2e_request("POST", "/api/messages/send_message/", therapist_token,
				  e2e_printf("{\"chat_id\": \"%s\", \"text\": \"Hello\"}", of_therapist[0]), NULL),
		      201);
	cr_assert_str_eq(user_chats_one_per_page(patient_token),
			 e2e_printf("%s %s %s", of_patient[0], of_patient[2], of_patient[1]));
	cr_assert_str_eq(user_chats_one_per_page(therapist_token),
			 e2e_printf("%s %s %s", of_therapist[0], of_therapist[2], of_therapist[1]));
}

Test(chats, get_user_chats_for_another_user_is_403)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_error(e2e_request("GET", e2e_printf("/api/chats/get_user_chats/?user_id=%s", pair.patient),
				 pair.therapist_token, NULL, NULL), 403, "forbidden");
	expect_error(e2e_request("GET", e2e_printf("/api/chats/get_user_chats/?user_id=%s", pair.therapist),
				 pair.patient_token, NULL, NULL), 403, "forbidden");
}

Test(chats, get_user_chats_for_another_user_is_allowed_to_an_admin)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	cr_assert_str_eq(e2e_list_ids(e2e_request(
		"GET", e2e_printf("/api/chats/get_user_chats/?user_id=%s", pair.patient),
		e2e_admin_token(), NULL, NULL)), pair.chat_id);
}

/* ================================================== PUT /api/chats/{id}/ */

Test(chats, put_requires_status)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_field_error(e2e_request("PUT", chat_path(pair.chat_id), pair.therapist_token,
				       "{\"therapist_notifications\": false}", NULL), "status");
	expect_field_error(e2e_request("PUT", chat_path(pair.chat_id), pair.therapist_token, "{}", NULL),
			   "status");
}

Test(chats, put_sets_status_and_the_callers_own_notifications)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_reply *reply = e2e_request("PUT", chat_path(pair.chat_id), pair.therapist_token,
					      "{\"status\": \"archived\", \"therapist_notifications\": false}",
					      NULL);
	expect_status(reply, 200);
	cr_assert(e2e_keys_are(reply->json, detail_fields), "detail fields: %s", reply->body);
	expect_string(reply->json, "status", "archived");
	cr_assert_eq(e2e_bool(reply->json, "therapist_notifications"), false);
	cr_assert_eq(e2e_bool(reply->json, "patient_notifications"), true);
	struct json_object *chat = chat_detail(pair.patient_token, pair.chat_id);
	expect_string(chat, "status", "archived");
	cr_assert_eq(e2e_bool(chat, "therapist_notifications"), false);
}

Test(chats, put_with_an_unknown_status_is_400)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_field_error(e2e_request("PUT", chat_path(pair.chat_id), pair.therapist_token,
				       "{\"status\": \"closed\"}", NULL), "status");
	expect_field_error(e2e_request("PUT", chat_path(pair.chat_id), pair.therapist_token,
				       "{\"status\": null}", NULL), "status");
	expect_string(chat_detail(pair.therapist_token, pair.chat_id), "status", "active");
}

Test(chats, a_participant_setting_the_others_notifications_is_403)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_error(e2e_request("PUT", chat_path(pair.chat_id), pair.therapist_token,
				 "{\"status\": \"active\", \"patient_notifications\": false}", NULL),
		     403, "forbidden");
	expect_error(e2e_request("PATCH", chat_path(pair.chat_id), pair.therapist_token,
				 "{\"patient_notifications\": false}", NULL), 403, "forbidden");
	expect_error(e2e_request("PATCH", chat_path(pair.chat_id), pair.patient_token,
				 "{\"therapist_notifications\": false}", NULL), 403, "forbidden");
	struct json_object *chat = chat_detail(pair.therapist_token, pair.chat_id);
	cr_assert_eq(e2e_bool(chat, "therapist_notifications"), true);
	cr_assert_eq(e2e_bool(chat, "patient_notifications"), true);
}

Test(chats, an_admin_may_set_both_notifications)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_reply *reply = e2e_request(
		"PUT", chat_path(pair.chat_id), e2e_admin_token(),
		"{\"status\": \"blocked\", \"therapist_notifications\": false, \"patient_notifications\": false}",
		NULL);
	expect_status(reply, 200);
	expect_string(reply->json, "status", "blocked");
	cr_assert_eq(e2e_bool(reply->json, "therapist_notifications"), false);
	cr_assert_eq(e2e_bool(reply->json, "patient_notifications"), false);
	cr_assert(e2e_is_null(reply->json, "other_participant"));
}

Test(chats, read_only_fields_in_a_body_are_ignored)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_reply *reply = e2e_request(
		"PATCH", chat_path(pair.chat_id), pair.patient_token,
		"{\"id\": \"CHAT_t_aaaaaa_p_aaaaaa\", \"therapist_first_name\": \"Mallory\", "
		"\"therapist_unread_count\": 7, \"unread_count\": 9, \"priority_score\": 1000, "
		"\"created_at\": \"2000-01-01T00:00:00.000000Z\"}", NULL);
	expect_status(reply, 200);
	struct json_object *chat = chat_detail(pair.therapist_token, pair.chat_id);
	expect_string(chat, "id", pair.chat_id);
	expect_string(chat, "therapist_first_name", e2e_first_name(pair.therapist));
	cr_assert_eq(e2e_int(chat, "therapist_unread_count"), 0);
	cr_assert_eq(e2e_int(chat, "priority_score"), 0);
	cr_assert_str_neq(e2e_str(chat, "created_at"), "2000-01-01T00:00:00.000000Z");
}

/* ================================================ PATCH /api/chats/{id}/ */

Test(chats, patch_changes_only_the_fields_sent)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_reply *reply = e2e_request("PATCH", chat_path(pair.chat_id), pair.patient_token,
					      "{\"patient_notifications\": false}", NULL);
	expect_status(reply, 200);
	expect_string(reply->json, "status", "active");
	cr_assert_eq(e2e_bool(reply->json, "patient_notifications"), false);
	cr_assert_eq(e2e_bool(reply->json, "therapist_notifications"), true);
	struct e2e_reply *status = e2e_request("PATCH", chat_path(pair.chat_id), pair.patient_token,
					       "{\"status\": \"archived\"}", NULL);
	expect_status(status, 200);
	expect_string(status->json, "status", "archived");
	cr_assert_eq(e2e_bool(status->json, "patient_notifications"), false);
	struct e2e_reply *nothing = e2e_request("PATCH", chat_path(pair.chat_id), pair.patient_token,
						"{}", NULL);
	expect_status(nothing, 200);
	expect_string(nothing->json, "status", "archived");
}

Test(chats, patch_with_a_non_boolean_notification_is_400)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_field_error(e2e_request("PATCH", chat_path(pair.chat_id), pair.therapist_token,
				       "{\"therapist_notifications\": \"no\"}", NULL),
			   "therapist_notifications");
	expect_field_error(e2e_request("PATCH", chat_path(pair.chat_id), pair.therapist_token,
				       "{\"status\": 3}", NULL), "status");
}

Test(chats, updated_at_moves_with_status_and_notifications_but_not_with_reads)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *created = e2e_str(chat_detail(pair.therapist_token, pair.chat_id), "updated_at");
	chat_detail(pair.patient_token, pair.chat_id);
	expect_status(e2e_request("POST", action_path(pair.chat_id, "mark_all_read"),
				  pair.patient_token, "{}", NULL), 200);
	const char *after_reads = e2e_str(chat_detail(pair.therapist_token, pair.chat_id), "updated_at");
	cr_assert_str_eq(after_reads, created);
	expect_status(e2e_request("PATCH", chat_path(pair.chat_id), pair.therapist_token,
				  "{\"therapist_notifications\": false}", NULL), 200);
	const char *after_notifications = e2e_str(chat_detail(pair.therapist_token, pair.chat_id),
						  "updated_at");
	cr_assert_gt(strcmp(after_notifications, created), 0, "%s then %s", created,
		     after_notifications);
	expect_status(e2e_request("PATCH", chat_path(pair.chat_id), pair.therapist_token,
				  "{\"status\": \"archived\"}", NULL), 200);
	const char *after_status = e2e_str(chat_detail(pair.therapist_token, pair.chat_id), "updated_at");
	cr_assert_gt(strcmp(after_status, after_notifications), 0, "%s then %s",
		     after_notifications, after_status);
}

/* =============================================== DELETE /api/chats/{id}/ */

Test(chats, delete_answers_204_and_sets_status_deleted)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_reply *reply = e2e_request("DELETE", chat_path(pair.chat_id), pair.patient_token,
					      NULL, NULL);
	expect_status(reply, 204);
	cr_assert_eq(reply->body_length, 0, "204 with a body: %s", reply->body);
	expect_string(chat_detail(pair.therapist_token, pair.chat_id), "status", "deleted");
	cr_assert_str_eq(e2e_sql("SELECT count(*) FROM chat_rooms WHERE chat_id = $1",
				 pair.chat_id, NULL), "1");
}

Test(chats, delete_by_an_admin_without_purge_sets_status_deleted)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_status(e2e_request("DELETE", chat_path(pair.chat_id), e2e_admin_token(), NULL, NULL), 204);
	expect_string(chat_detail(pair.therapist_token, pair.chat_id), "status", "deleted");
}

Test(chats, a_participant_asking_to_purge_is_403)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *path = e2e_printf("/api/chats/%s/?purge=true", pair.chat_id);
	expect_error(e2e_request("DELETE", path, pair.therapist_token, NULL, NULL), 403, "forbidden");
	expect_error(e2e_request("DELETE", path, pair.patient_token, NULL, NULL), 403, "forbidden");
	expect_string(chat_detail(pair.therapist_token, pair.chat_id), "status", "active");
}

Test(chats, admin_purge_removes_the_chat_and_its_room)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *admin = e2e_admin_token();
	expect_status(e2e_request("DELETE", e2e_printf("/api/chats/%s/?purge=true", pair.chat_id),
				  admin, NULL, NULL), 204);
	expect_error(e2e_request("GET", chat_path(pair.chat_id), admin, NULL, NULL), 404, "not_found");
	expect_error(e2e_request("GET", chat_path(pair.chat_id), pair.therapist_token, NULL, NULL), 404,
		     "not_found");
	expect_error(e2e_request("GET", e2e_printf("/api/chat-rooms/%s/", pair.room_id), admin, NULL,
				 NULL), 404, "not_found");
	cr_assert_str_eq(e2e_sql("SELECT count(*) FROM chats WHERE id = $1", pair.chat_id, NULL), "0");
	cr_assert_str_eq(e2e_sql("SELECT count(*) FROM chat_rooms WHERE chat_id = $1", pair.chat_id,
				 NULL), "0");
	/* The pair may start over. */
	expect_status(create_or_get(pair.therapist_token, pair.therapist, pair.patient), 201);
}

Test(chats, delete_with_a_purge_value_that_is_not_a_boolean_is_400)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_error(e2e_request("DELETE", e2e_printf("/api/chats/%s/?purge=maybe", pair.chat_id),
				 e2e_admin_token(), NULL, NULL), 400, "validation_error");
	expect_string(chat_detail(pair.therapist_token, pair.chat_id), "status", "active");
}

/* ================================================ POST update_status */

Test(chats, update_status_answers_the_message_and_new_status)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_reply *reply = e2e_request("POST", action_path(pair.chat_id, "update_status"),
					      pair.therapist_token, "{\"status\": \"archived\"}", NULL);
	expect_status(reply, 200);
	expect_string(reply->json, "message", "Chat status updated to archived");
	expect_string(reply->json, "new_status", "archived");
	expect_string(chat_detail(pair.patient_token, pair.chat_id), "status", "archived");
	struct e2e_reply *by_patient = e2e_request("POST", action_path(pair.chat_id, "update_status"),
						   pair.patient_token, "{\"status\": \"active\"}", NULL);
	expect_status(by_patient, 200);
	expect_string(by_patient->json, "message", "Chat status updated to active");
	expect_string(by_patient->json, "new_status", "active");
}

Test(chats, update_status_accepts_each_of_the_four_statuses)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *statuses[] = {"archived", "blocked", "deleted", "active"};
	for (size_t i = 0; i < 4; i++) {
		struct e2e_reply *reply = e2e_request(
			"POST", action_path(pair.chat_id, "update_status"), e2e_admin_token(),
			e2e_printf("{\"status\": \"%s\"}", statuses[i]), NULL);
		expect_status(reply, 200);
		expect_string(reply->json, "new_status", statuses[i]);
	}
}

Test(chats, update_status_without_a_valid_status_is_400)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *path = action_path(pair.chat_id, "update_status");
	expect_field_error(e2e_request("POST", path, pair.therapist_token, "{}", NULL), "status");
	expect_field_error(e2e_request("POST", path, pair.therapist_token, "{\"status\": \"gone\"}", NULL),
			   "status");
	expect_field_error(e2e_request("POST", path, pair.therapist_token, "{\"status\": \"ACTIVE\"}",
				       NULL), "status");
	expect_field_error(e2e_request("POST", path, pair.therapist_token, "{\"status\": true}", NULL),
			   "status");
}

/* ========================================== POST toggle_notifications */

Test(chats, toggle_notifications_defaults_to_enabling_for_the_caller)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_status(e2e_request("PATCH", chat_path(pair.chat_id), pair.patient_token,
				  "{\"patient_notifications\": false}", NULL), 200);
	struct e2e_reply *reply = e2e_request("POST", action_path(pair.chat_id, "toggle_notifications"),
					      pair.patient_token, "{}", NULL);
	expect_status(reply, 200);
	expect_string(reply->json, "message", "Notifications enabled");
	cr_assert_eq(e2e_bool(reply->json, "notifications_enabled"), true);
	cr_assert_eq(e2e_bool(chat_detail(pair.patient_token, pair.chat_id), "patient_notifications"),
		     true);
}

Test(chats, toggle_notifications_disables_the_callers_own_notifications)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_reply *reply = e2e_request(
		"POST", action_path(pair.chat_id, "toggle_notifications"), pair.therapist_token,
		e2e_printf("{\"user_id\": \"%s\", \"notifications_enabled\": false}", pair.therapist), NULL);
	expect_status(reply, 200);
	cr_assert_eq(e2e_bool(reply->json, "notifications_enabled"), false);
	cr_assert_not_null(e2e_str(reply->json, "message"), "%s", reply->body);
	struct json_object *chat = chat_detail(pair.therapist_token, pair.chat_id);
	cr_assert_eq(e2e_bool(chat, "therapist_notifications"), false);
	cr_assert_eq(e2e_bool(chat, "patient_notifications"), true);
}

Test(chats, toggle_notifications_for_another_user_is_403)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *path = action_path(pair.chat_id, "toggle_notifications");
	expect_error(e2e_request("POST", path, pair.therapist_token,
				 e2e_printf("{\"user_id\": \"%s\", \"notifications_enabled\": false}",
					    pair.patient), NULL), 403, "forbidden");
	expect_error(e2e_request("POST", path, pair.patient_token,
				 e2e_printf("{\"user_id\": \"%s\", \"notifications_enabled\": false}",
					    pair.therapist), NULL), 403, "forbidden");
	struct json_object *chat = chat_detail(pair.therapist_token, pair.chat_id);
	cr_assert_eq(e2e_bool(chat, "therapist_notifications"), true);
	cr_assert_eq(e2e_bool(chat, "patient_notifications"), true);
}

Test(chats, toggle_notifications_by_an_admin_for_a_participant)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_reply *reply = e2e_request(
		"POST", action_path(pair.chat_id, "toggle_notifications"), e2e_admin_token(),
		e2e_printf("{\"user_id\": \"%s\", \"notifications_enabled\": false}", pair.patient), NULL);
	expect_status(reply, 200);
	cr_assert_eq(e2e_bool(reply->json, "notifications_enabled"), false);
	struct json_object *chat = chat_detail(pair.therapist_token, pair.chat_id);
	cr_assert_eq(e2e_bool(chat, "patient_notifications"), false);
	cr_assert_eq(e2e_bool(chat, "therapist_notifications"), true);
}

Test(chats, toggle_notifications_for_a_user_who_is_not_a_participant_is_403)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_error(e2e_request("POST", action_path(pair.chat_id, "toggle_notifications"),
				 e2e_admin_token(),
				 e2e_printf("{\"user_id\": \"%s\", \"notifications_enabled\": false}",
					    e2e_new_patient()), NULL), 403, "forbidden");
}

Test(chats, toggle_notifications_with_a_non_boolean_is_400)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_field_error(e2e_request("POST", action_path(pair.chat_id, "toggle_notifications"),
				       pair.therapist_token, "{\"notifications_enabled\": \"off\"}", NULL),
			   "notifications_enabled");
}

/* ================================================= POST mark_all_read */

Test(chats, mark_all_read_on_a_chat_without_messages_marks_none)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *tokens[] = {pair.therapist_token, pair.patient_token};
	for (size_t i = 0; i < 2; i++) {
		struct e2e_reply *reply = e2e_request("POST", action_path(pair.chat_id, "mark_all_read"),
						      tokens[i], NULL, NULL);
		expect_status(reply, 200);
		expect_string(reply->json, "message", "All messages marked as read");
		cr_assert_eq(e2e_int(reply->json, "unread_count"), 0);
		cr_assert_eq(e2e_int(reply->json, "marked"), 0);
	}
	struct e2e_reply *by_admin = e2e_request(
		"POST", action_path(pair.chat_id, "mark_all_read"), e2e_admin_token(),
		e2e_printf("{\"user_id\": \"%s\"}", pair.patient), NULL);
	expect_status(by_admin, 200);
	cr_assert_eq(e2e_int(by_admin->json, "marked"), 0);
}

Test(chats, mark_all_read_for_another_user_is_403)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_error(e2e_request("POST", action_path(pair.chat_id, "mark_all_read"), pair.patient_token,
				 e2e_printf("{\"user_id\": \"%s\"}", pair.therapist), NULL),
		     403, "forbidden");
}

Test(chats, updated_at_never_goes_back_behind_a_send_the_update_waited_for)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	/* A send holds the chat's lock... */
	struct e2e_tx *send = e2e_tx_begin();
	e2e_tx_lock_chat(send, pair.chat_id);
	/* ...when the therapist archives the chat, which waits for it... */
	pid_t child = fork();
	cr_assert_neq(child, -1);
	if (child == 0) {
		struct e2e_reply *reply = e2e_request("PATCH", chat_path(pair.chat_id), pair.therapist_token,
						      "{\"status\": \"archived\"}", NULL);
		_exit(reply->status == 200 ? 0 : 1);
	}
	e2e_tx_wait_until_blocking(send, 0);
	/* ...and then takes its timestamp and commits. */
	e2e_tx_send(send, pair.therapist, pair.chat_id, "just before");
	e2e_tx_end(send, true);
	int status;
	cr_assert_eq(waitpid(child, &status, 0), child);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the archiving PATCH failed");

	struct e2e_reply *reply = e2e_request("GET", chat_path(pair.chat_id), pair.therapist_token, NULL, NULL);
	expect_status(reply, 200);
	cr_assert_str_eq(e2e_str(reply->json, "status"), "archived");
	const char *updated = e2e_str(reply->json, "updated_at");
	const char *last = e2e_str(reply->json, "last_message_timestamp");
	cr_assert(updated && last && strcmp(updated, last) >= 0, "updated_at %s is before the last message, %s",
		  updated, last);
}
