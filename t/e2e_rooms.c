/*
 * End-to-end tests of the ChatRooms resource (API.md section 4, "Chat rooms",
 * and the ChatRoom fields of section 3): who may read and change a room, the
 * field rules, and the visibility rule applied to rooms.
 */
#include <string.h>

#include "e2e.h"

E2E_SUITE(rooms);

static const char *room_path(const char *room_id)
{
	return e2e_printf("/api/chat-rooms/%s/", room_id);
}

static const char *room_action(const char *room_id, const char *action)
{
	return e2e_printf("/api/chat-rooms/%s/%s/", room_id, action);
}

static struct json_object *room_detail(const char *token, const char *room_id)
{
	struct e2e_reply *reply = e2e_request("GET", room_path(room_id), token, NULL, NULL);
	expect_status(reply, 200);
	return reply->json;
}

static void expect_string(struct json_object *object, const char *key, const char *expected)
{
	const char *value = e2e_str(object, key);
	cr_assert(value != NULL && strcmp(value, expected) == 0, "\"%s\" should be \"%s\" in %s",
		  key, expected, json_object_to_json_string(object));
}

static struct e2e_reply *patch(const char *token, const char *room_id, const char *body)
{
	return e2e_request("PATCH", room_path(room_id), token, body, NULL);
}

static const char *const room_list_fields[] = {
	"id", "chat_id", "room_type", "is_active", "is_archived", "updated_at", NULL,
};

static const char *const room_detail_fields[] = {
	"id", "chat", "room_type", "therapist_can_send", "patient_can_send",
	"therapist_can_see_history", "patient_can_see_history", "description", "tags",
	"is_active", "is_archived", "created_at", "updated_at", NULL,
};

/* Not in API.md's ChatRoom table, but in the list representation: a detail
 * that also shows it still has "every field". */
static const char *const room_detail_optional[] = {"chat_id", NULL};

static bool is_room_detail(struct json_object *room)
{
	return e2e_keys_match(room, room_detail_fields, room_detail_optional);
}

/* ====================================================== GET {id} */

Test(rooms, detail_has_every_field_and_the_defaults)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct json_object *room = room_detail(pair.therapist_token, pair.room_id);
	cr_assert(is_room_detail(room), "room fields: %s",
		  json_object_to_json_string(room));
	expect_string(room, "id", pair.room_id);
	expect_string(room, "room_type", "general");
	cr_assert_eq(e2e_bool(room, "therapist_can_send"), true);
	cr_assert_eq(e2e_bool(room, "patient_can_send"), true);
	cr_assert_eq(e2e_bool(room, "therapist_can_see_history"), true);
	cr_assert_eq(e2e_bool(room, "patient_can_see_history"), true);
	cr_assert(e2e_is_null(room, "description"));
	cr_assert_eq(e2e_len(e2e_get(room, "tags")), 0);
	cr_assert_eq(e2e_bool(room, "is_active"), true);
	cr_assert_eq(e2e_bool(room, "is_archived"), false);
	cr_assert(e2e_is_timestamp(e2e_str(room, "created_at")));
	cr_assert(e2e_is_timestamp(e2e_str(room, "updated_at")));
}

Test(rooms, detail_embeds_the_chat_detail)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct json_object *chat = e2e_get(room_detail(pair.therapist_token, pair.room_id), "chat");
	cr_assert(chat != NULL && json_object_is_type(chat, json_type_object), "chat is not an object");
	expect_string(chat, "id", pair.chat_id);
	expect_string(chat, "therapist_id", pair.therapist);
	expect_string(chat, "patient_id", pair.patient);
	expect_string(chat, "status", "active");
	const char *detail_only[] = {"therapist_notifications", "patient_notifications", "created_at",
				     "other_participant", "therapist_full_name", "priority_score"};
	for (size_t i = 0; i < sizeof detail_only / sizeof detail_only[0]; i++)
		cr_assert(e2e_has(chat, detail_only[i]), "the embedded chat lacks %s: %s",
			  detail_only[i], json_object_to_json_string(chat));
}

Test(rooms, the_patient_may_read_the_room)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_string(room_detail(pair.patient_token, pair.room_id), "id", pair.room_id);
	cr_assert_str_eq(e2e_list_ids(e2e_request("GET", "/api/chat-rooms/", pair.patient_token, NULL, NULL)),
			 pair.room_id);
}

Test(rooms, an_admin_may_read_any_room)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_string(room_detail(e2e_admin_token(), pair.room_id), "id", pair.room_id);
}

Test(rooms, detail_of_a_room_that_does_not_exist_is_404)
{
	struct e2e_pair pair = e2e_pair_new();
	expect_error(e2e_request("GET", room_path(pair.room_id), pair.therapist_token, NULL, NULL),
		     404, "not_found");
}

/* ===================================================== visibility */

static const struct e2e_call every_room_call[] = {
	{"GET", NULL, NULL},
	{"PUT", NULL, "{\"room_type\": \"therapy\"}"},
	{"PATCH", NULL, "{\"description\": \"x\"}"},
	{"DELETE", NULL, NULL},
	{"POST", "update_permissions", "{\"patient_can_send\": false}"},
	{"POST", "archive_room", "{}"},
	{"POST", "activate_room", "{}"},
};

static void expect_room_invisible_to(const struct e2e_pair *pair, const char *token)
{
	for (size_t i = 0; i < sizeof every_room_call / sizeof every_room_call[0]; i++) {
		const struct e2e_call *call = &every_room_call[i];
		const char *path = call->action ? room_action(pair->room_id, call->action)
						: room_path(pair->room_id);
		struct e2e_reply *reply = e2e_request(call->method, path, token, call->body, NULL);
		cr_assert_eq(reply->status, 404, "%s %s by a stranger: HTTP %ld %s", call->method, path,
			     reply->status, reply->body);
		expect_error(reply, 404, "not_found");
	}
	struct e2e_reply *list = e2e_request("GET", "/api/chat-rooms/", token, NULL, NULL);
	expect_status(list, 200);
	cr_assert_null(e2e_find_id(list->json, pair->room_id), "the list shows the room: %s",
		       list->body);
	struct e2e_reply *filtered = e2e_request(
		"GET", e2e_printf("/api/chat-rooms/?chat_id=%s", pair->chat_id), token, NULL, NULL);
	expect_status(filtered, 200);
	cr_assert_eq(e2e_len(filtered->json), 0, "%s", filtered->body);
}

Test(rooms, another_therapist_gets_404_on_the_room_and_every_action)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_room_invisible_to(&pair, e2e_token(e2e_new_therapist()));
	struct json_object *room = room_detail(pair.therapist_token, pair.room_id);
	expect_string(room, "room_type", "general");
	cr_assert_eq(e2e_bool(room, "is_active"), true);
}

Test(rooms, another_patient_gets_404_on_the_room_and_every_action)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_room_invisible_to(&pair, e2e_token(e2e_new_patient()));
	cr_assert_eq(e2e_bool(room_detail(pair.therapist_token, pair.room_id), "patient_can_send"), true);
}

/* =========================================================== list */

Test(rooms, list_has_the_list_representation)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_reply *reply = e2e_request("GET", "/api/chat-rooms/", pair.therapist_token, NULL, NULL);
	cr_assert_str_eq(e2e_list_ids(reply), pair.room_id);
	struct json_object *room = e2e_at(reply->json, 0);
	cr_assert(e2e_keys_are(room, room_list_fields), "list fields: %s",
		  json_object_to_json_string(room));
	expect_string(room, "chat_id", pair.chat_id);
	expect_string(room, "room_type", "general");
	cr_assert_eq(e2e_bool(room, "is_active"), true);
	cr_assert_eq(e2e_bool(room, "is_archived"), false);
	cr_assert(e2e_is_timestamp(e2e_str(room, "updated_at")));
}

Test(rooms, list_filters_by_room_type_active_archived_and_chat)
{
	const char *therapist = e2e_new_therapist();
	const char *token = e2e_token(therapist);
	const char *first_patient = e2e_new_patient();
	const char *second_patient = e2e_new_patient();
	const char *body = e2e_pair_body(therapist, first_patient);
	expect_status(e2e_request("POST", "/api/chats/create_or_get_chat/", token, body, NULL), 201);
	body = e2e_pair_body(therapist, second_patient);
	expect_status(e2e_request("POST", "/api/chats/create_or_get_chat/", token, body, NULL), 201);
	const char *first = e2e_printf("ROOM_%s_%s", therapist, first_patient);
	const char *second = e2e_printf("ROOM_%s_%s", therapist, second_patient);
	expect_status(patch(token, second, "{\"room_type\": \"therapy\"}"), 200);
	expect_status(e2e_request("POST", room_action(second, "archive_room"), token, NULL, NULL), 200);

	struct {
		const char *query;
		const char *expected;
	} cases[] = {
		{"room_type=therapy", second},
		{"room_type=general", first},
		{"room_type=emergency", ""},
		{"is_active=true", first},
		{"is_active=FALSE", second},
		{"is_archived=1", second},
		{"is_archived=0", first},
		{"is_archived=True&room_type=therapy", second},
		{e2e_printf("chat_id=CHAT_%s_%s", therapist, first_patient), first},
		{e2e_printf("chat_id=CHAT_%s_%s&is_active=false", therapist, first_patient), ""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct e2e_reply *reply = e2e_request(
			"GET", e2e_printf("/api/chat-rooms/?%s", cases[i].query), token, NULL, NULL);
		cr_assert_str_eq(e2e_list_ids(reply), cases[i].expected, "?%s gave %s", cases[i].query,
				 reply->body);
	}
}

Test(rooms, list_filter_with_a_bad_boolean_or_unknown_room_type_is_400)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *queries[] = {"is_active=maybe", "is_archived=yes", "is_active=2",
				 "room_type=private", "chat_id=ROOM_x"};
	for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
		struct e2e_reply *reply = e2e_request(
			"GET", e2e_printf("/api/chat-rooms/?%s", queries[i]), pair.therapist_token, NULL, NULL);
		cr_assert_eq(reply->status, 400, "?%s: HTTP %ld %s", queries[i], reply->status, reply->body);
		expect_error(reply, 400, "validation_error");
	}
}

Test(rooms, list_limit_out_of_range_is_400)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_error(e2e_request("GET", "/api/chat-rooms/?limit=0", pair.therapist_token, NULL, NULL),
		     400, "validation_error");
	expect_error(e2e_request("GET", "/api/chat-rooms/?limit=501", pair.therapist_token, NULL, NULL),
		     400, "validation_error");
}

Test(rooms, list_pages_with_a_cursor_in_the_link_header)
{
	const char *therapist = e2e_new_therapist();
	const char *token = e2e_token(therapist);
	for (int i = 0; i < 2; i++)
		expect_status(e2e_request("POST", "/api/chats/create_or_get_chat/", token,
					  e2e_pair_body(therapist, e2e_new_patient()), NULL), 201);
	struct e2e_reply *first = e2e_request("GET", "/api/chat-rooms/?limit=1", token, NULL, NULL);
	expect_status(first, 200);
	cr_assert_eq(e2e_len(first->json), 1);
	const char *next = e2e_link_next(first);
	cr_assert_not_null(next, "no Link rel=\"next\": %s", first->headers);
	cr_assert_not_null(strstr(next, "cursor="), "%s", next);
	struct e2e_reply *second = e2e_request(
		"GET", next[0] == '?' ? e2e_printf("/api/chat-rooms/%s", next) : next, token, NULL, NULL);
	expect_status(second, 200);
	cr_assert_eq(e2e_len(second->json), 1, "%s", second->body);
	cr_assert_str_neq(e2e_str(e2e_at(first->json, 0), "id"), e2e_str(e2e_at(second->json, 0), "id"));
	cr_assert_null(e2e_link_next(second));
}

/* ========================================================= PUT / PATCH */

Test(rooms, put_requires_room_type)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_field_error(e2e_request("PUT", room_path(pair.room_id), pair.therapist_token,
				       "{\"description\": \"Weekly sessions\"}", NULL), "room_type");
	cr_assert(e2e_is_null(room_detail(pair.therapist_token, pair.room_id), "description"));
}

Test(rooms, put_sets_the_room)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_reply *reply = e2e_request(
		"PUT", room_path(pair.room_id), pair.therapist_token,
		"{\"room_type\": \"consultation\", \"description\": \"Intake\", \"tags\": [\"intake\"], "
		"\"patient_can_see_history\": false}", NULL);
	expect_status(reply, 200);
	cr_assert(is_room_detail(reply->json), "room fields: %s", reply->body);
	expect_string(reply->json, "room_type", "consultation");
	expect_string(reply->json, "description", "Intake");
	cr_assert_eq(e2e_bool(reply->json, "patient_can_see_history"), false);
	struct json_object *room = room_detail(pair.patient_token, pair.room_id);
	expect_string(room, "room_type", "consultation");
	struct json_object *tags = e2e_get(room, "tags");
	cr_assert_eq(e2e_len(tags), 1);
	cr_assert_str_eq(json_object_get_string(e2e_at(tags, 0)), "intake");
}

Test(rooms, patch_changes_only_the_fields_sent)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_reply *reply = patch(pair.therapist_token, pair.room_id,
					"{\"description\": \"Weekly\", \"tags\": [\"cbt\", \"anxiety\"]}");
	expect_status(reply, 200);
	expect_string(reply->json, "description", "Weekly");
	expect_string(reply->json, "room_type", "general");
	cr_assert_eq(e2e_bool(reply->json, "is_active"), true);
	struct json_object *tags = e2e_get(reply->json, "tags");
	cr_assert_eq(e2e_len(tags), 2);
	cr_assert_str_eq(json_object_get_string(e2e_at(tags, 0)), "cbt");
	cr_assert_str_eq(json_object_get_string(e2e_at(tags, 1)), "anxiety");
	struct e2e_reply *type = patch(pair.therapist_token, pair.room_id, "{\"room_type\": \"emergency\"}");
	expect_status(type, 200);
	expect_string(type->json, "room_type", "emergency");
	expect_string(type->json, "description", "Weekly");
	cr_assert_eq(e2e_len(e2e_get(type->json, "tags")), 2);
}

Test(rooms, patch_sets_every_writable_field)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_reply *reply = patch(
		pair.therapist_token, pair.room_id,
		"{\"therapist_can_send\": false, \"patient_can_send\": false, "
		"\"therapist_can_see_history\": false, \"patient_can_see_history\": false, "
		"\"is_active\": false, \"is_archived\": true, \"description\": null, \"tags\": []}");
	expect_status(reply, 200);
	const char *booleans[] = {"therapist_can_send", "patient_can_send", "therapist_can_see_history",
				  "patient_can_see_history", "is_active"};
	struct json_object *room = room_detail(pair.therapist_token, pair.room_id);
	for (size_t i = 0; i < sizeof booleans / sizeof booleans[0]; i++)
		cr_assert_eq(e2e_bool(room, booleans[i]), false, "%s", booleans[i]);
	cr_assert_eq(e2e_bool(room, "is_archived"), true);
}

Test(rooms, an_admin_may_change_the_room)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_reply *reply = patch(e2e_admin_token(), pair.room_id, "{\"room_type\": \"therapy\"}");
	expect_status(reply, 200);
	expect_string(reply->json, "room_type", "therapy");
}

Test(rooms, read_only_fields_in_a_body_are_ignored)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_status(patch(pair.therapist_token, pair.room_id,
			    "{\"id\": \"ROOM_t_aaaaaa_p_aaaaaa\", \"chat\": {\"id\": \"x\"}, "
			    "\"created_at\": \"2000-01-01T00:00:00.000000Z\"}"), 200);
	struct json_object *room = room_detail(pair.therapist_token, pair.room_id);
	expect_string(room, "id", pair.room_id);
	expect_string(e2e_get(room, "chat"), "id", pair.chat_id);
	cr_assert_str_neq(e2e_str(room, "created_at"), "2000-01-01T00:00:00.000000Z");
}

Test(rooms, an_unknown_room_type_is_400)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_field_error(patch(pair.therapist_token, pair.room_id, "{\"room_type\": \"group\"}"),
			   "room_type");
	expect_field_error(e2e_request("PUT", room_path(pair.room_id), pair.therapist_token,
				       "{\"room_type\": null}", NULL), "room_type");
}

Test(rooms, a_non_boolean_room_flag_is_400)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_field_error(patch(pair.therapist_token, pair.room_id, "{\"is_active\": \"no\"}"),
			   "is_active");
	expect_field_error(patch(pair.therapist_token, pair.room_id, "{\"patient_can_send\": 0}"),
			   "patient_can_send");
	cr_assert_eq(e2e_bool(room_detail(pair.therapist_token, pair.room_id), "is_active"), true);
}

Test(rooms, a_tag_that_is_not_a_string_is_400)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_field_error(patch(pair.therapist_token, pair.room_id, "{\"tags\": [1]}"), "tags");
	expect_field_error(patch(pair.therapist_token, pair.room_id, "{\"tags\": [\"ok\", null]}"), "tags");
	expect_field_error(patch(pair.therapist_token, pair.room_id, "{\"tags\": \"cbt\"}"), "tags");
	expect_field_error(patch(pair.therapist_token, pair.room_id, "{\"tags\": [[\"cbt\"]]}"), "tags");
	cr_assert_eq(e2e_len(e2e_get(room_detail(pair.therapist_token, pair.room_id), "tags")), 0);
}

static const char *tags_body(size_t count, size_t length)
{
	const char *body = "{\"tags\": [";
	for (size_t i = 0; i < count; i++)
		body = e2e_printf("%s%s\"%s\"", body, i ? ", " : "", e2e_repeat("a", length));
	return e2e_printf("%s]}", body);
}

Test(rooms, more_than_32_tags_is_400)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_field_error(patch(pair.therapist_token, pair.room_id, tags_body(33, 3)), "tags");
	struct e2e_reply *ok = patch(pair.therapist_token, pair.room_id, tags_body(32, 3));
	expect_status(ok, 200);
	cr_assert_eq(e2e_len(e2e_get(ok->json, "tags")), 32);
}

Test(rooms, a_tag_of_more_than_64_characters_or_none_is_400)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_field_error(patch(pair.therapist_token, pair.room_id, tags_body(1, 65)), "tags");
	expect_field_error(patch(pair.therapist_token, pair.room_id, tags_body(1, 0)), "tags");
	expect_status(patch(pair.therapist_token, pair.room_id, tags_body(1, 64)), 200);
	/* 64 characters of two bytes each are 64 characters. */
	expect_status(patch(pair.therapist_token, pair.room_id,
			    e2e_printf("{\"tags\": [\"%s\"]}", e2e_repeat("é", 64))), 200);
}

Test(rooms, a_description_over_2000_characters_is_400)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_field_error(patch(pair.therapist_token, pair.room_id,
				 e2e_printf("{\"description\": \"%s\"}", e2e_repeat("d", 2001))),
			   "description");
	expect_status(patch(pair.therapist_token, pair.room_id,
			    e2e_printf("{\"description\": \"%s\"}", e2e_repeat("d", 2000))), 200);
	/* Characters, not bytes. */
	struct e2e_reply *wide = patch(pair.therapist_token, pair.room_id,
				       e2e_printf("{\"description\": \"%s\"}", e2e_repeat("é", 2000)));
	expect_status(wide, 200);
	expect_string(wide->json, "description", e2e_repeat("é", 2000));
	expect_field_error(patch(pair.therapist_token, pair.room_id, "{\"description\": 5}"),
			   "description");
}

/* ====================================================== who may change */

Test(rooms, the_patient_may_not_change_the_room)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	for (size_t i = 1; i < sizeof every_room_call / sizeof every_room_call[0]; i++) {
		const struct e2e_call *call = &every_room_call[i];
		const char *path = call->action ? room_action(pair.room_id, call->action)
						: room_path(pair.room_id);
		struct e2e_reply *reply = e2e_request(call->method, path, pair.patient_token, call->body,
						      NULL);
		cr_assert_eq(reply->status, 403, "%s %s by the patient: HTTP %ld %s", call->method, path,
			     reply->status, reply->body);
		expect_error(reply, 403, "forbidden");
	}
	struct json_object *room = room_detail(pair.therapist_token, pair.room_id);
	expect_string(room, "room_type", "general");
	cr_assert(e2e_is_null(room, "description"));
	cr_assert_eq(e2e_bool(room, "patient_can_send"), true);
	cr_assert_eq(e2e_bool(room, "is_active"), true);
	cr_assert_eq(e2e_bool(room, "is_archived"), false);
}

/* ================================================ update_permissions */

Test(rooms, update_permissions_answers_all_four_permissions)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_reply *reply = e2e_request(
		"POST", room_action(pair.room_id, "update_permissions"), pair.therapist_token,
		"{\"patient_can_send\": false, \"therapist_can_see_history\": false}", NULL);
	expect_status(reply, 200);
	const char *const keys[] = {"message", "therapist_can_send", "patient_can_send",
				    "therapist_can_see_history", "patient_can_see_history", NULL};
	cr_assert(e2e_keys_are(reply->json, keys), "%s", reply->body);
	expect_string(reply->json, "message", "Room permissions updated successfully");
	cr_assert_eq(e2e_bool(reply->json, "therapist_can_send"), true);
	cr_assert_eq(e2e_bool(reply->json, "patient_can_send"), false);
	cr_assert_eq(e2e_bool(reply->json, "therapist_can_see_history"), false);
	cr_assert_eq(e2e_bool(reply->json, "patient_can_see_history"), true);
	struct json_object *room = room_detail(pair.patient_token, pair.room_id);
	cr_assert_eq(e2e_bool(room, "patient_can_send"), false);
	cr_assert_eq(e2e_bool(room, "therapist_can_see_history"), false);
}

Test(rooms, update_permissions_by_an_admin)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_reply *reply = e2e_request("POST", room_action(pair.room_id, "update_permissions"),
					      e2e_admin_token(), "{\"therapist_can_send\": false}", NULL);
	expect_status(reply, 200);
	cr_assert_eq(e2e_bool(reply->json, "therapist_can_send"), false);
}

Test(rooms, update_permissions_with_a_non_boolean_is_400)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *path = room_action(pair.room_id, "update_permissions");
	expect_field_error(e2e_request("POST", path, pair.therapist_token,
				       "{\"patient_can_send\": \"false\"}", NULL), "patient_can_send");
	expect_field_error(e2e_request("POST", path, pair.therapist_token,
				       "{\"therapist_can_see_history\": null}", NULL),
			   "therapist_can_see_history");
	cr_assert_eq(e2e_bool(room_detail(pair.therapist_token, pair.room_id), "patient_can_send"), true);
}

/* ===================================================== archive / activate */

Test(rooms, archive_room_archives_and_deactivates)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_reply *reply = e2e_request("POST", room_action(pair.room_id, "archive_room"),
					      pair.therapist_token, NULL, NULL);
	expect_status(reply, 200);
	expect_string(reply->json, "message", "Room archived successfully");
	cr_assert_eq(e2e_bool(reply->json, "is_archived"), true);
	cr_assert_eq(e2e_bool(reply->json, "is_active"), false);
	struct json_object *room = room_detail(pair.patient_token, pair.room_id);
	cr_assert_eq(e2e_bool(room, "is_archived"), true);
	cr_assert_eq(e2e_bool(room, "is_active"), false);
}

Test(rooms, activate_room_activates_and_unarchives)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_status(e2e_request("POST", room_action(pair.room_id, "archive_room"), e2e_admin_token(),
				  "{}", NULL), 200);
	struct e2e_reply *reply = e2e_request("POST", room_action(pair.room_id, "activate_room"),
					      pair.therapist_token, "{}", NULL);
	expect_status(reply, 200);
	expect_string(reply->json, "message", "Room activated successfully");
	cr_assert_eq(e2e_bool(reply->json, "is_archived"), false);
	cr_assert_eq(e2e_bool(reply->json, "is_active"), true);
	struct json_object *room = room_detail(pair.therapist_token, pair.room_id);
	cr_assert_eq(e2e_bool(room, "is_archived"), false);
	cr_assert_eq(e2e_bool(room, "is_active"), true);
}

/* ============================================================ DELETE */

Test(rooms, delete_is_for_admins_only)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_error(e2e_request("DELETE", room_path(pair.room_id), pair.therapist_token, NULL, NULL),
		     403, "forbidden");
	expect_error(e2e_request("DELETE", room_path(pair.room_id), pair.patient_token, NULL, NULL),
		     403, "forbidden");
	room_detail(pair.therapist_token, pair.room_id);
	const char *admin = e2e_admin_token();
	struct e2e_reply *reply = e2e_request("DELETE", room_path(pair.room_id), admin, NULL, NULL);
	expect_status(reply, 204);
	cr_assert_eq(reply->body_length, 0, "204 with a body: %s", reply->body);
	expect_error(e2e_request("GET", room_path(pair.room_id), admin, NULL, NULL), 404, "not_found");
	expect_error(e2e_request("GET", room_path(pair.room_id), pair.therapist_token, NULL, NULL),
		     404, "not_found");
	/* The chat stays. */
	expect_status(e2e_request("GET", e2e_printf("/api/chats/%s/", pair.chat_id),
				  pair.therapist_token, NULL, NULL), 200);
}

/* ====================================================== POST (create) */

static struct e2e_reply *create_room(const char *token, const char *chat_id, const char *extra)
{
	return e2e_request("POST", "/api/chat-rooms/", token,
			   e2e_printf("{\"chat_id\": \"%s\"%s}", chat_id, extra), NULL);
}

/* A pair with a chat whose room an admin has deleted. */
static struct e2e_pair pair_without_room(void)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_status(e2e_request("DELETE", room_path(pair.room_id), e2e_admin_token(), NULL, NULL), 204);
	return pair;
}

Test(rooms, create_when_the_chat_has_a_room_is_409)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_error(create_room(pair.therapist_token, pair.chat_id, ""), 409, "conflict");
	expect_error(create_room(e2e_admin_token(), pair.chat_id, ""), 409, "conflict");
}

Test(rooms, create_after_an_admin_deleted_the_room_is_201)
{
	struct e2e_pair pair = pair_without_room();
	struct e2e_reply *reply = create_room(pair.therapist_token, pair.chat_id,
					      ", \"room_type\": \"therapy\", \"tags\": [\"new\"]");
	expect_status(reply, 201);
	cr_assert(is_room_detail(reply->json), "room fields: %s", reply->body);
	expect_string(reply->json, "id", pair.room_id);
	expect_string(reply->json, "room_type", "therapy");
	expect_string(e2e_get(reply->json, "chat"), "id", pair.chat_id);
	cr_assert_eq(e2e_bool(reply->json, "patient_can_send"), true);
	cr_assert_eq(e2e_len(e2e_get(reply->json, "tags")), 1);
	expect_string(room_detail(pair.patient_token, pair.room_id), "room_type", "therapy");
}

Test(rooms, create_by_an_admin_is_201)
{
	struct e2e_pair pair = pair_without_room();
	struct e2e_reply *reply = create_room(e2e_admin_token(), pair.chat_id, "");
	expect_status(reply, 201);
	expect_string(reply->json, "room_type", "general");
}

Test(rooms, create_by_the_patient_is_403)
{
	struct e2e_pair pair = pair_without_room();
	expect_error(create_room(pair.patient_token, pair.chat_id, ""), 403, "forbidden");
	expect_error(e2e_request("GET", room_path(pair.room_id), pair.therapist_token, NULL, NULL),
		     404, "not_found");
}

Test(rooms, create_for_a_chat_the_caller_is_not_part_of_is_403_whether_or_not_it_exists)
{
	struct e2e_pair existing = pair_without_room();
	struct e2e_pair absent = e2e_pair_new();
	const char *stranger = e2e_token(e2e_new_therapist());
	expect_error(create_room(stranger, existing.chat_id, ""), 403, "forbidden");
	expect_error(create_room(stranger, absent.chat_id, ""), 403, "forbidden");
	struct e2e_pair with_room = e2e_pair_with_chat();
	expect_error(create_room(stranger, with_room.chat_id, ""), 403, "forbidden");
}

Test(rooms, create_requires_a_well_formed_chat_id)
{
	struct e2e_pair pair = pair_without_room();
	expect_field_error(e2e_request("POST", "/api/chat-rooms/", pair.therapist_token, "{}", NULL),
			   "chat_id");
	expect_field_error(create_room(pair.therapist_token, "CHAT_nope", ""), "chat_id");
	expect_field_error(e2e_request("POST", "/api/chat-rooms/", pair.therapist_token,
				       "{\"chat_id\": 7}", NULL), "chat_id");
}

Test(rooms, create_with_a_bad_field_is_400)
{
	struct e2e_pair pair = pair_without_room();
	expect_field_error(create_room(pair.therapist_token, pair.chat_id, ", \"room_type\": \"x\""),
			   "room_type");
	expect_field_error(create_room(pair.therapist_token, pair.chat_id, ", \"tags\": [1]"), "tags");
	expect_error(e2e_request("GET", room_path(pair.room_id), pair.therapist_token, NULL, NULL),
		     404, "not_found");
}
