/*
 * End-to-end tests of the Messages resource (API.md section 4, "Messages"):
 * sending with every rule of the sending paragraph, Idempotency-Key, the
 * list with its filters, paging and search, delivery receipts, detail, edit
 * with history, soft delete, mark_emergency, mark_read, get_unread_messages,
 * mark_all_read with messages, the history rule of the rooms and the
 * visibility rule of section 2. Each test has a therapist and patient of its
 * own, so tests can run in parallel.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"

E2E_SUITE(messages);

/* ================================================================ helpers */

static const char *const detail_fields[] = {
	"id", "chat_id", "sender_id", "sender_name", "text", "emergency", "message_type",
	"attachment_url", "attachment_name", "attachment_size", "read_status", "read_at",
	"read_by", "reply_to", "reply_to_text", "edited", "edited_at", "deleted", "deleted_at",
	"deleted_by", "timestamp", NULL,
};

static const char *const list_fields[] = {
	"id", "chat_id", "sender_id", "text", "emergency", "message_type", "read_status",
	"reply_to", "edited", "deleted", "timestamp", "sender_name", NULL,
};

/* `text` as a JSON string literal (quoted and escaped). */
static const char *json_quote(const char *text)
{
	struct json_object *value = json_object_new_string(text);
	const char *quoted = e2e_printf(
		"%s", json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(value);
	return quoted;
}

/* {"chat_id": chat_id, "text": text[, extra]}; extra is raw JSON members. */
static const char *send_body(const char *chat_id, const char *text, const char *extra)
{
	return e2e_printf("{\"chat_id\": %s, \"text\": %s%s%s}", json_quote(chat_id),
			  json_quote(text), extra ? ", " : "", extra ? extra : "");
}

static const char *message_path(const char *message_id)
{
	return e2e_printf("/api/messages/%s/", message_id);
}

static const char *message_action(const char *message_id, const char *action)
{
	return e2e_printf("/api/messages/%s/%s/", message_id, action);
}

static struct e2e_reply *send_message(const char *token, const char *body)
{
	return e2e_request("POST", "/api/messages/send_message/", token, body, NULL);
}

static struct e2e_reply *send_keyed(const char *token, const char *body, const char *key)
{
	return e2e_request("POST", "/api/messages/send_message/", token, body,
			   e2e_printf("Idempotency-Key: %s", key));
}

/* Sends and expects 201; the message's detail. */
static struct json_object *send_ok(const char *token, const char *chat_id, const char *text,
				   const char *extra)
{
	struct e2e_reply *reply = send_message(token, send_body(chat_id, text, extra));
	cr_assert_eq(reply->status, 201, "sending %s into %s: HTTP %ld %s", text, chat_id,
		     reply->status, reply->body);
	return reply->json;
}

static const char *send_id(const char *token, const char *chat_id, const char *text)
{
	const char *id = e2e_str(send_ok(token, chat_id, text, NULL), "id");
	cr_assert_not_null(id);
	return id;
}

static struct json_object *message_detail(const char *token, const char *message_id)
{
	struct e2e_reply *reply = e2e_request("GET", message_path(message_id), token, NULL, NULL);
	expect_status(reply, 200);
	return reply->json;
}

static struct json_object *chat_detail(const char *token, const char *chat_id)
{
	struct e2e_reply *reply = e2e_request("GET", e2e_printf("/api/chats/%s/", chat_id), token,
					      NULL, NULL);
	expect_status(reply, 200);
	return reply->json;
}

static long long unread_count(const char *token, const char *chat_id)
{
	return e2e_int(chat_detail(token, chat_id), "unread_count");
}

static void expect_string(struct json_object *object, const char *key, const char *expected)
{
	const char *value = e2e_str(object, key);
	cr_assert(value != NULL && strcmp(value, expected) == 0, "\"%s\" should be \"%s\" in %s",
		  key, expected, json_object_to_json_string(object));
}

static void expect_timestamp(struct json_object *object, const char *key)
{
	cr_assert(e2e_is_timestamp(e2e_str(object, key)), "\"%s\" is not a timestamp in %s", key,
		  json_object_to_json_string(object));
}

static struct e2e_reply *list(const char *token, const char *query)
{
	return e2e_request("GET", e2e_printf("/api/messages/%s", query), token, NULL, NULL);
}

static const char *chat_ids(const char *token, const char *chat_id, const char *more)
{
	return e2e_list_ids(list(token, e2e_printf("?chat_id=%s%s", chat_id, more ? more : "")));
}

static const char *join2(const char *a, const char *b)
{
	return e2e_printf("%s %s", a, b);
}

static const char *join3(const char *a, const char *b, const char *c)
{
	return e2e_printf("%s %s %s", a, b, c);
}

/* A new therapist with a chat with each of `count` new patients. */
static const char *therapist_with_chats(size_t count, const char **patients, const char **chats)
{
	const char *therapist = e2e_new_therapist();
	const char *token = e2e_token(therapist);
	for (size_t i = 0; i < count; i++) {
		patients[i] = e2e_new_patient();
		expect_status(e2e_request("POST", "/api/chats/create_or_get_chat/", token,
					  e2e_pair_body(therapist, patients[i]), NULL), 201);
		chats[i] = e2e_printf("CHAT_%s_%s", therapist, patients[i]);
	}
	return therapist;
}

static const char *db_read_status(const char *message_id)
{
	return e2e_sql("SELECT read_status FROM messages WHERE id = $1", message_id, NULL);
}

/* ------------------------------------------- nothing half-written on failure */

struct chat_snapshot {
	const char *messages;   /* count of the chat's messages */
	const char *chat;       /* counters, preview and updated_at of the chat row */
};

static struct chat_snapshot snapshot(const char *chat_id)
{
	struct chat_snapshot state;
	state.messages = e2e_sql("SELECT count(*) FROM messages WHERE chat_id = $1", chat_id, NULL);
	state.chat = e2e_sql(
		"SELECT coalesce((SELECT concat_ws('|', therapist_unread_count, patient_unread_count, "
		"therapist_unread_emergency_count, patient_unread_emergency_count, "
		"coalesce(last_message_text, '-'), coalesce(last_message_sender_id, '-'), "
		"coalesce(last_message_timestamp::text, '-'), updated_at::text, status) "
		"FROM chats WHERE id = $1), 'no chat')", chat_id, NULL);
	return state;
}

static long refused_key_number;

/* A send that must be refused with `status`/`code` (field: the 400's field,
 * or NULL): it is sent with a fresh Idempotency-Key, and afterwards the chat
 * has no new message, unchanged counters and preview, and no key row. */
static void expect_send_refused(const char *token, const char *chat_id, const char *body,
				long status, const char *code, const char *field)
{
	struct chat_snapshot before = snapshot(chat_id);
	const char *key = e2e_printf("refused-%d-%ld-%ld", (int)getpid(), (long)time(NULL),
				     ++refused_key_number);
	struct e2e_reply *reply = send_keyed(token, body, key);
	if (field != NULL)
		expect_field_error(reply, field);
	else
		expect_error(reply, status, code);
	struct chat_snapshot after = snapshot(chat_id);
	cr_assert_str_eq(after.messages, before.messages, "a refused send left a message: %s", body);
	cr_assert_str_eq(after.chat, before.chat, "a refused send changed the chat row: %s", body);
	cr_assert_str_eq(e2e_sql("SELECT count(*) FROM idempotency_keys WHERE key = $1", key, NULL),
			 "0", "a refused send left an idempotency record");
}

/* ======================================================= send_message */

Test(messages, send_message_returns_201_with_every_detail_field_and_its_type)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_reply *reply = send_message(pair.patient_token,
					       send_body(pair.chat_id, "Hello, doctor", NULL));
	expect_status(reply, 201);
	struct json_object *message = reply->json;
	cr_assert(e2e_keys_are(message, detail_fields), "detail fields: %s", reply->body);
	cr_assert(e2e_is_type(message, "id", json_type_string));
	expect_string(message, "chat_id", pair.chat_id);
	expect_string(message, "sender_id", pair.patient);
	expect_string(message, "sender_name", e2e_full_name(pair.patient));
	expect_string(message, "text", "Hello, doctor");
	cr_assert_eq(e2e_bool(message, "emergency"), false);
	expect_string(message, "message_type", "text");
	cr_assert(e2e_is_null(message, "attachment_url"));
	cr_assert(e2e_is_null(message, "attachment_name"));
	cr_assert(e2e_is_null(message, "attachment_size"));
	expect_string(message, "read_status", "sent");
	cr_assert(e2e_is_null(message, "read_at"));
	cr_assert(e2e_is_null(message, "read_by"));
	cr_assert(e2e_is_null(message, "reply_to"));
	cr_assert(e2e_is_null(message, "reply_to_text"));
	cr_assert_eq(e2e_bool(message, "edited"), false);
	cr_assert(e2e_is_null(message, "edited_at"));
	cr_assert_eq(e2e_bool(message, "deleted"), false);
	cr_assert(e2e_is_null(message, "deleted_at"));
	cr_assert(e2e_is_null(message, "deleted_by"));
	expect_timestamp(message, "timestamp");
	cr_assert_str_eq(e2e_sql("SELECT count(*) FROM messages WHERE chat_id = $1", pair.chat_id,
				 NULL), "1");
}

Test(messages, post_messages_sends_like_send_message)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_reply *reply = e2e_request("POST", "/api/messages/", pair.therapist_token,
					      send_body(pair.chat_id, "Welcome", NULL), NULL);
	expect_status(reply, 201);
	cr_assert(e2e_keys_are(reply->json, detail_fields), "detail fields: %s", reply->body);
	expect_string(reply->json, "sender_id", pair.therapist);
	expect_string(reply->json, "sender_name", e2e_full_name(pair.therapist));
	expect_string(reply->json, "text", "Welcome");
	struct e2e_reply *without_slash = e2e_request("POST", "/api/messages", pair.therapist_token,
						      send_body(pair.chat_id, "Again", NULL), NULL);
	expect_status(without_slash, 201);
	cr_assert_str_eq(e2e_sql("SELECT count(*) FROM messages WHERE chat_id = $1", pair.chat_id,
				 NULL), "2");
}

Test(messages, sender_name_is_the_senders_full_name_from_the_chat)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct json_object *from_therapist = send_ok(pair.therapist_token, pair.chat_id, "a", NULL);
	struct json_object *from_patient = send_ok(pair.patient_token, pair.chat_id, "b", NULL);
	expect_string(from_therapist, "sender_name", e2e_full_name(pair.therapist));
	expect_string(from_patient, "sender_name", e2e_full_name(pair.patient));
	/* A chat's page, whose statement computes the names once, and the
	 * list across the caller's chats name them the same. */
	const char *queries[] = {e2e_printf("?chat_id=%s", pair.chat_id), "?order=desc&limit=500"};
	for (size_t i = 0; i < 2; i++) {
		struct e2e_reply *page = list(pair.patient_token, queries[i]);
		expect_string(e2e_find_id(page->json, e2e_str(from_therapist, "id")), "sender_name",
			      e2e_full_name(pair.therapist));
		expect_string(e2e_find_id(page->json, e2e_str(from_patient, "id")), "sender_name",
			      e2e_full_name(pair.patient));
	}
}

Test(messages, an_admins_message_has_sender_name_unknown_user)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct json_object *message = send_ok(e2e_admin_token(), pair.chat_id, "Maintenance tonight",
					      "\"message_type\": \"system\"");
	expect_string(message, "sender_name", "Unknown User");
	expect_string(message, "message_type", "system");
	struct e2e_reply *page = list(pair.therapist_token, e2e_printf("?chat_id=%s", pair.chat_id));
	expect_string(e2e_find_id(page->json, e2e_str(message, "id")), "sender_name", "Unknown User");
}

/* MSG_{unix_ms}_{random} */
static void expect_message_id(const char *id)
{
	cr_assert(id != NULL && strncmp(id, "MSG_", 4) == 0, "id %s", id ? id : "(null)");
	const char *digits = id + 4;
	size_t count = strspn(digits, "0123456789");
	cr_assert(count >= 13 && digits[count] == '_', "id %s is not MSG_<ms>_<random>", id);
	const char *random_part = digits + count + 1;
	cr_assert(random_part[0] != '\0' &&
			  strspn(random_part, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					      "0123456789-_") == strlen(random_part),
		  "id %s has no random part of letters and digits", id);
	long long milliseconds = strtoll(digits, NULL, 10);
	long long now = (long long)time(NULL) * 1000;
	cr_assert(milliseconds > now - 600000 && milliseconds < now + 600000,
		  "id %s does not carry the current unix time in milliseconds", id);
}

Test(messages, message_id_is_msg_unix_ms_random_and_unique)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *first = send_id(pair.patient_token, pair.chat_id, "one");
	const char *second = send_id(pair.patient_token, pair.chat_id, "two");
	expect_message_id(first);
	expect_message_id(second);
	cr_assert_str_neq(first, second);
}

Test(messages, send_without_chat_id_or_text_is_400_naming_the_fields)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_reply *neither = send_message(pair.patient_token, "{}");
	expect_field_error(neither, "chat_id");
	expect_field_error(neither, "text");
	expect_field_error(send_message(pair.patient_token, NULL), "text");
	expect_send_refused(pair.patient_token, pair.chat_id,
			    e2e_printf("{\"chat_id\": \"%s\"}", pair.chat_id), 400, NULL, "text");
	expect_send_refused(pair.patient_token, pair.chat_id, "{\"text\": \"Hello\"}", 400, NULL,
			    "chat_id");
	expect_send_refused(pair.patient_token, pair.chat_id, send_body(pair.chat_id, "", NULL), 400,
			    NULL, "text");
	expect_send_refused(pair.patient_token, pair.chat_id,
			    e2e_printf("{\"chat_id\": \"%s\", \"text\": 42}", pair.chat_id), 400, NULL,
			    "text");
	expect_send_refused(pair.patient_token, pair.chat_id,
			    e2e_printf("{\"chat_id\": \"%s\", \"text\": null}", pair.chat_id), 400,
			    NULL, "text");
}

Test(messages, text_of_10000_characters_passes_and_10001_fails_counted_in_characters)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	/* "é" is two bytes: 10000 of them are 20000 bytes but 10000 characters. */
	struct json_object *message = send_ok(pair.patient_token, pair.chat_id,
					      e2e_repeat("\xc3\xa9", 10000), NULL);
	cr_assert_str_eq(e2e_str(message, "text"), e2e_repeat("\xc3\xa9", 10000));
	cr_assert_str_eq(e2e_sql("SELECT char_length(text) FROM messages WHERE id = $1",
				 e2e_str(message, "id"), NULL), "10000");
	send_ok(pair.patient_token, pair.chat_id, e2e_repeat("a", 10000), NULL);
	expect_send_refused(pair.patient_token, pair.chat_id,
			    send_body(pair.chat_id, e2e_repeat("\xc3\xa9", 10001), NULL), 400, NULL,
			    "text");
	expect_send_refused(pair.patient_token, pair.chat_id,
			    send_body(pair.chat_id, e2e_repeat("a", 10001), NULL), 400, NULL, "text");
}

/* A worker writes an answer in FastCGI records of at most 64 KiB each: a
 * page of four 20,000-byte texts takes two, and arrives whole, as does
 * its HEAD, with the same length and no body. */
Test(messages, a_page_longer_than_a_fastcgi_record_arrives_whole)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *text = e2e_repeat("\xc3\xa9", 10000);
	for (int i = 0; i < 4; i++)
		send_ok(pair.patient_token, pair.chat_id, text, NULL);
	const char *query = e2e_printf("?chat_id=%s", pair.chat_id);
	struct e2e_reply *page = list(pair.therapist_token, query);
	cr_assert_gt(page->body_length, 80000);
	cr_assert_eq(e2e_len(page->json), 4);
	for (size_t i = 0; i < 4; i++)
		expect_string(e2e_at(page->json, i), "text", text);
	struct e2e_reply *head = e2e_request("HEAD", e2e_printf("/api/messages/%s", query), pair.therapist_token,
					     NULL, NULL);
	expect_status(head, 200);
	cr_assert_eq(head->body_length, 0);
	cr_assert_str_eq(e2e_header(head, "Content-Length"), e2e_printf("%zu", page->body_length));
}

Test(messages, send_with_an_unknown_message_type_is_400)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_send_refused(pair.patient_token, pair.chat_id,
			    send_body(pair.chat_id, "hi", "\"message_type\": \"video\""), 400, NULL,
			    "message_type");
	expect_send_refused(pair.patient_token, pair.chat_id,
			    send_body(pair.chat_id, "hi", "\"message_type\": 3"), 400, NULL,
			    "message_type");
}

Test(messages, send_accepts_every_participant_message_type)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *types[] = {"text", "appointment", "prescription"};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		expect_string(send_ok(pair.therapist_token, pair.chat_id, "x",
				      e2e_printf("\"message_type\": \"%s\"", types[i])),
			      "message_type", types[i]);
	struct json_object *image = send_ok(
		pair.patient_token, pair.chat_id, "my rash",
		"\"message_type\": \"image\", \"attachment_url\": \"https://files.example/r.png\", "
		"\"attachment_name\": \"r.png\", \"attachment_size\": 1234");
	expect_string(image, "message_type", "image");
	expect_string(image, "attachment_url", "https://files.example/r.png");
	expect_string(image, "attachment_name", "r.png");
	cr_assert_eq(e2e_int(image, "attachment_size"), 1234);
	struct json_object *file = send_ok(
		pair.patient_token, pair.chat_id, "results",
		"\"message_type\": \"file\", \"attachment_url\": \"https://files.example/r.pdf\", "
		"\"attachment_size\": 0");
	expect_string(file, "message_type", "file");
	cr_assert_eq(e2e_int(file, "attachment_size"), 0);
}

Test(messages, a_participant_sending_a_system_message_is_403)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_send_refused(pair.therapist_token, pair.chat_id,
			    send_body(pair.chat_id, "sys", "\"message_type\": \"system\""), 403,
			    "forbidden", NULL);
	expect_send_refused(pair.patient_token, pair.chat_id,
			    send_body(pair.chat_id, "sys", "\"message_type\": \"system\""), 403,
			    "forbidden", NULL);
}

Test(messages, an_admin_may_send_a_system_message_into_any_chat)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *admin = "admin-e2e-messages-system";
	const char *token = e2e_token_role(admin, "admin");
	struct e2e_reply *reply = send_message(
		token, send_body(pair.chat_id, "Scheduled maintenance", "\"message_type\": \"system\""));
	expect_status(reply, 201);
	expect_string(reply->json, "sender_id", admin);
	expect_string(reply->json, "message_type", "system");
	expect_string(reply->json, "sender_name", "Unknown User");
	const char *id = e2e_str(reply->json, "id");
	cr_assert_not_null(e2e_find_id(list(pair.patient_token,
					    e2e_printf("?chat_id=%s", pair.chat_id))->json, id),
			   "the patient does not see the admin's message");
}

Test(messages, image_or_file_without_attachment_url_is_400)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_send_refused(pair.patient_token, pair.chat_id,
			    send_body(pair.chat_id, "pic", "\"message_type\": \"image\""), 400, NULL,
			    "attachment_url");
	expect_send_refused(pair.patient_token, pair.chat_id,
			    send_body(pair.chat_id, "doc", "\"message_type\": \"file\", "
							   "\"attachment_name\": \"a.pdf\""),
			    400, NULL, "attachment_url");
	expect_send_refused(pair.patient_token, pair.chat_id,
			    send_body(pair.chat_id, "doc", "\"message_type\": \"file\", "
							   "\"attachment_url\": null"),
			    400, NULL, "attachment_url");
}

Test(messages, attachment_size_negative_or_not_an_integer_is_400)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *sizes[] = {"-1", "1.5", "\"10\"", "true"};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		expect_send_refused(
			pair.patient_token, pair.chat_id,
			send_body(pair.chat_id, "doc",
				  e2e_printf("\"message_type\": \"file\", \"attachment_url\": "
					     "\"https://files.example/a.pdf\", \"attachment_size\": %s",
					     sizes[i])),
			400, NULL, "attachment_size");
}

Test(messages, reply_to_a_message_of_another_chat_is_400)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_pair other = e2e_pair_with_chat();
	const char *elsewhere = send_id(other.patient_token, other.chat_id, "elsewhere");
	expect_send_refused(pair.patient_token, pair.chat_id,
			    send_body(pair.chat_id, "re", e2e_printf("\"reply_to\": \"%s\"", elsewhere)),
			    400, NULL, "reply_to");
	const char *absent = e2e_printf("MSG_%lld_nosuchmessage", (long long)time(NULL) * 1000);
	expect_send_refused(pair.patient_token, pair.chat_id,
			    send_body(pair.chat_id, "re", e2e_printf("\"reply_to\": \"%s\"", absent)),
			    400, NULL, "reply_to");
}

Test(messages, reply_to_a_message_of_the_same_chat_shows_reply_to_and_its_text)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *question = send_id(pair.patient_token, pair.chat_id, "Can we move Tuesday?");
	struct json_object *answer = send_ok(pair.therapist_token, pair.chat_id, "Yes, to Wednesday",
					     e2e_printf("\"reply_to\": \"%s\"", question));
	expect_string(answer, "reply_to", question);
	expect_string(answer, "reply_to_text", "Can we move Tuesday?");
	struct json_object *detail = message_detail(pair.patient_token, e2e_str(answer, "id"));
	expect_string(detail, "reply_to", question);
	expect_string(detail, "reply_to_text", "Can we move Tuesday?");
	/* reply_to_text is null once the message replied to is deleted. */
	expect_status(e2e_request("DELETE", message_path(question), pair.patient_token, NULL, NULL),
		      204);
	detail = message_detail(pair.therapist_token, e2e_str(answer, "id"));
	expect_string(detail, "reply_to", question);
	cr_assert(e2e_is_null(detail, "reply_to_text"), "%s", json_object_to_json_string(detail));
}

Test(messages, a_stranger_sending_into_a_chat_is_404)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_send_refused(e2e_token(e2e_new_therapist()), pair.chat_id,
			    send_body(pair.chat_id, "hi", NULL), 404, "not_found", NULL);
	expect_send_refused(e2e_token(e2e_new_patient()), pair.chat_id,
			    send_body(pair.chat_id, "hi", NULL), 404, "not_found", NULL);
	struct e2e_pair absent = e2e_pair_new();
	expect_send_refused(absent.patient_token, absent.chat_id,
			    send_body(absent.chat_id, "hi", NULL), 404, "not_found", NULL);
}

Test(messages, sending_into_an_archived_blocked_or_deleted_chat_is_409)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	send_id(pair.patient_token, pair.chat_id, "before");
	const char *statuses[] = {"archived", "blocked"};
	for (size_t i = 0; i < 2; i++) {
		expect_status(e2e_request("POST", e2e_printf("/api/chats/%s/update_status/", pair.chat_id),
					  pair.therapist_token,
					  e2e_printf("{\"status\": \"%s\"}", statuses[i]), NULL), 200);
		expect_send_refused(pair.patient_token, pair.chat_id,
				    send_body(pair.chat_id, "hi", NULL), 409, "conflict", NULL);
		expect_send_refused(pair.therapist_token, pair.chat_id,
				    send_body(pair.chat_id, "hi", NULL), 409, "conflict", NULL);
	}
	expect_status(e2e_request("DELETE", e2e_printf("/api/chats/%s/", pair.chat_id),
				  pair.therapist_token, NULL, NULL), 204);
	expect_send_refused(pair.patient_token, pair.chat_id, send_body(pair.chat_id, "hi", NULL), 409,
			    "conflict", NULL);
}

Test(messages, an_archived_room_forbids_both_participants_to_send)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_status(e2e_request("POST", e2e_printf("/api/chat-rooms/%s/archive_room/", pair.room_id),
				  pair.therapist_token, NULL, NULL), 200);
	expect_send_refused(pair.patient_token, pair.chat_id, send_body(pair.chat_id, "hi", NULL), 403,
			    "forbidden", NULL);
	expect_send_refused(pair.therapist_token, pair.chat_id, send_body(pair.chat_id, "hi", NULL),
			    403, "forbidden", NULL);
	expect_status(e2e_request("POST", e2e_printf("/api/chat-rooms/%s/activate_room/", pair.room_id),
				  pair.therapist_token, NULL, NULL), 200);
	send_ok(pair.patient_token, pair.chat_id, "hi again", NULL);
}

Test(messages, an_inactive_room_forbids_sending)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_status(e2e_request("PATCH", e2e_printf("/api/chat-rooms/%s/", pair.room_id),
				  pair.therapist_token, "{\"is_active\": false}", NULL), 200);
	expect_send_refused(pair.patient_token, pair.chat_id, send_body(pair.chat_id, "hi", NULL), 403,
			    "forbidden", NULL);
	expect_send_refused(pair.therapist_token, pair.chat_id, send_body(pair.chat_id, "hi", NULL),
			    403, "forbidden", NULL);
}

Test(messages, patient_can_send_false_forbids_the_patient_while_the_therapist_still_sends)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_status(e2e_request("POST",
				  e2e_printf("/api/chat-rooms/%s/update_permissions/", pair.room_id),
				  pair.therapist_token, "{\"patient_can_send\": false}", NULL), 200);
	expect_send_refused(pair.patient_token, pair.chat_id, send_body(pair.chat_id, "hi", NULL), 403,
			    "forbidden", NULL);
	send_ok(pair.therapist_token, pair.chat_id, "I can still write", NULL);
}

Test(messages, therapist_can_send_false_forbids_the_therapist_while_the_patient_still_sends)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_status(e2e_request("POST",
				  e2e_printf("/api/chat-rooms/%s/update_permissions/", pair.room_id),
				  pair.therapist_token, "{\"therapist_can_send\": false}", NULL), 200);
	expect_send_refused(pair.therapist_token, pair.chat_id, send_body(pair.chat_id, "hi", NULL),
			    403, "forbidden", NULL);
	send_ok(pair.patient_token, pair.chat_id, "I can still write", NULL);
}

Test(messages, the_16th_consecutive_emergency_is_429_while_a_non_emergency_still_passes)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	for (int i = 0; i < 15; i++)
		send_ok(pair.patient_token, pair.chat_id, e2e_printf("help %d", i), "\"emergency\": true");
	expect_send_refused(pair.patient_token, pair.chat_id,
			    send_body(pair.chat_id, "help 15", "\"emergency\": true"), 429,
			    "rate_limited", NULL);
	/* The limit is the sender's own: the other participant's emergency passes. */
	send_ok(pair.therapist_token, pair.chat_id, "calling you now", "\"emergency\": true");
	send_ok(pair.patient_token, pair.chat_id, "still here", NULL);
	/* The run is broken: the sender's next emergency passes again. */
	send_ok(pair.patient_token, pair.chat_id, "help again", "\"emergency\": true");
}

Test(messages, sending_moves_the_preview_and_updated_at_and_raises_only_the_recipients_unread)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *updated_before = e2e_str(chat_detail(pair.therapist_token, pair.chat_id),
					     "updated_at");
	struct json_object *message = send_ok(pair.patient_token, pair.chat_id, "First note", NULL);
	struct json_object *chat = chat_detail(pair.therapist_token, pair.chat_id);
	expect_string(chat, "last_message_text", "First note");
	expect_string(chat, "last_message_timestamp", e2e_str(message, "timestamp"));
	expect_string(chat, "last_message_sender_id", pair.patient);
	const char *updated_after = e2e_str(chat, "updated_at");
	cr_assert(strcmp(updated_after, updated_before) > 0, "updated_at %s did not move past %s",
		  updated_after, updated_before);
	cr_assert_eq(e2e_int(chat, "unread_count"), 1);
	cr_assert_eq(e2e_int(chat, "therapist_unread_count"), 1);
	cr_assert_eq(e2e_int(chat, "patient_unread_count"), 0);
	cr_assert_eq(unread_count(pair.patient_token, pair.chat_id), 0);

	struct json_object *reply = send_ok(pair.therapist_token, pair.chat_id, "Got it", NULL);
	chat = chat_detail(pair.patient_token, pair.chat_id);
	expect_string(chat, "last_message_text", "Got it");
	expect_string(chat, "last_message_timestamp", e2e_str(reply, "timestamp"));
	expect_string(chat, "last_message_sender_id", pair.therapist);
	cr_assert(strcmp(e2e_str(chat, "updated_at"), updated_after) > 0);
	cr_assert_eq(e2e_int(chat, "unread_count"), 1);
	cr_assert_eq(unread_count(pair.therapist_token, pair.chat_id), 1);
}

Test(messages, an_emergency_from_the_other_participant_shows_as_unread_emergency)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	send_ok(pair.patient_token, pair.chat_id, "urgent", "\"emergency\": true");
	struct json_object *chat = chat_detail(pair.therapist_token, pair.chat_id);
	cr_assert_eq(e2e_bool(chat, "has_unread_emergency"), true);
	cr_assert_eq(e2e_int(chat, "priority_score"), 1001);
	cr_assert_eq(e2e_bool(chat_detail(pair.patient_token, pair.chat_id), "has_unread_emergency"),
		     false);
}

static bool therapist_sees_an_unread_emergency(const struct e2e_pair *pair)
{
	return e2e_bool(chat_detail(pair->therapist_token, pair->chat_id), "has_unread_emergency");
}

Test(messages, has_unread_emergency_follows_every_change_of_the_emergency_flag_read_and_delete)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *a = send_id(pair.patient_token, pair.chat_id, "a");
	cr_assert_eq(therapist_sees_an_unread_emergency(&pair), false);
	/* Flagged after sending, then unflagged by an edit. */
	expect_status(e2e_request("POST", message_action(a, "mark_emergency"), pair.patient_token, NULL,
				  NULL), 200);
	cr_assert_eq(therapist_sees_an_unread_emergency(&pair), true);
	expect_status(e2e_request("PATCH", message_path(a), pair.patient_token, "{\"emergency\": false}",
				  NULL), 200);
	cr_assert_eq(therapist_sees_an_unread_emergency(&pair), false);
	/* Read one by one. */
	expect_status(e2e_request("PATCH", message_path(a), pair.patient_token, "{\"emergency\": true}",
				  NULL), 200);
	cr_assert_eq(therapist_sees_an_unread_emergency(&pair), true);
	expect_status(e2e_request("POST", message_action(a, "mark_read"), pair.therapist_token, NULL,
				  NULL), 200);
	cr_assert_eq(therapist_sees_an_unread_emergency(&pair), false);
	/* A read message flagged later is no unread emergency. */
	expect_status(e2e_request("POST", message_action(a, "mark_emergency"), pair.patient_token, NULL,
				  NULL), 200);
	cr_assert_eq(therapist_sees_an_unread_emergency(&pair), false);
	/* Deleted. */
	const char *b = e2e_str(send_ok(pair.patient_token, pair.chat_id, "b", "\"emergency\": true"), "id");
	cr_assert_eq(therapist_sees_an_unread_emergency(&pair), true);
	expect_status(e2e_request("DELETE", message_path(b), pair.patient_token, NULL, NULL), 204);
	cr_assert_eq(therapist_sees_an_unread_emergency(&pair), false);
	/* All read at once. */
	send_ok(pair.patient_token, pair.chat_id, "c", "\"emergency\": true");
	send_ok(pair.patient_token, pair.chat_id, "d", "\"emergency\": true");
	cr_assert_eq(e2e_int(chat_detail(pair.therapist_token, pair.chat_id), "priority_score"), 1002);
	expect_status(e2e_request("POST", e2e_printf("/api/chats/%s/mark_all_read/", pair.chat_id),
				  pair.therapist_token, NULL, NULL), 200);
	cr_assert_eq(therapist_sees_an_unread_emergency(&pair), false);
	cr_assert_str_eq(e2e_sql("SELECT therapist_unread_emergency_count || '|' || patient_unread_emergency_count"
				 " FROM chats WHERE id = $1", pair.chat_id, NULL), "0|0");
}

/* ====================================================== Idempotency-Key */

Test(messages, a_replayed_idempotency_key_returns_200_with_the_first_message_and_creates_nothing)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *body = send_body(pair.chat_id, "Only once, please", "\"emergency\": false");
	struct e2e_reply *first = send_keyed(pair.patient_token, body, "retry-1");
	expect_status(first, 201);
	struct e2e_reply *again = send_keyed(pair.patient_token, body, "retry-1");
	expect_status(again, 200);
	expect_string(again->json, "id", e2e_str(first->json, "id"));
	expect_string(again->json, "text", "Only once, please");
	expect_string(again->json, "timestamp", e2e_str(first->json, "timestamp"));
	cr_assert(e2e_keys_are(again->json, detail_fields), "detail fields: %s", again->body);
	cr_assert_str_eq(e2e_sql("SELECT count(*) FROM messages WHERE chat_id = $1", pair.chat_id,
				 NULL), "1");
	cr_assert_str_eq(e2e_sql("SELECT count(*) FROM idempotency_keys WHERE sender_id = $1",
				 pair.patient, NULL), "1");
	cr_assert_eq(unread_count(pair.therapist_token, pair.chat_id), 1);
}

Test(messages, a_send_that_deadlocks_with_another_is_run_again_rather_than_answered_503)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_status(send_keyed(pair.patient_token, send_body(pair.chat_id, "keyed", NULL), "old"), 201);
	/* The key has expired: a send with it deletes its old record. */
	e2e_sql("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'"
		" WHERE sender_id = $1 AND key = 'old'", pair.patient, NULL);
	struct e2e_tx *other = e2e_tx_begin();
	e2e_tx_sql(other, "DELETE FROM idempotency_keys WHERE sender_id = $1 AND key = 'old'", pair.patient, NULL);
	/* The send locks the chat, then waits for that record... */
	pid_t child = fork();
	cr_assert_neq(child, -1);
	if (child == 0) {
		struct e2e_reply *reply = send_keyed(pair.patient_token, send_body(pair.chat_id, "new", NULL), "old");
		_exit(reply->status == 201 ? 0 : reply->status == 503 ? 3 : 1);
	}
	/* ...which the other transaction holds, and which now wants the chat:
	 * a deadlock. A session looks for one once, deadlock_timeout (1 s)
	 * after it starts to wait, and fails if it finds one: the send, which
	 * by then has waited half a second longer. */
	e2e_tx_wait_until_blocking(other, 500);
	e2e_tx_lock_chat(other, pair.chat_id);
	e2e_tx_end(other, true);
	int status;
	cr_assert_eq(waitpid(child, &status, 0), child);
	cr_assert(WIFEXITED(status), "the send's process did not exit");
	cr_assert_neq(WEXITSTATUS(status), 3, "the send that deadlocked was answered 503");
	cr_assert_eq(WEXITSTATUS(status), 0, "the send was not created");
	cr_assert_str_eq(e2e_sql("SELECT count(*) FROM messages WHERE chat_id = $1", pair.chat_id, NULL), "2");
}

Test(messages, the_same_idempotency_key_with_a_different_body_is_409)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_status(send_keyed(pair.patient_token, send_body(pair.chat_id, "first", NULL), "k-409"),
		      201);
	struct chat_snapshot before = snapshot(pair.chat_id);
	expect_error(send_keyed(pair.patient_token, send_body(pair.chat_id, "second", NULL), "k-409"),
		     409, "conflict");
	expect_error(send_keyed(pair.patient_token,
				send_body(pair.chat_id, "first", "\"emergency\": true"), "k-409"),
		     409, "conflict");
	struct chat_snapshot after = snapshot(pair.chat_id);
	cr_assert_str_eq(after.messages, before.messages);
	cr_assert_str_eq(after.chat, before.chat);
	cr_assert_str_eq(e2e_sql("SELECT count(*) FROM idempotency_keys WHERE sender_id = $1",
				 pair.patient, NULL), "1");
}

Test(messages, the_same_idempotency_key_from_the_other_participant_creates_a_new_message)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *body = send_body(pair.chat_id, "same words", NULL);
	struct e2e_reply *from_patient = send_keyed(pair.patient_token, body, "shared-key");
	expect_status(from_patient, 201);
	struct e2e_reply *from_therapist = send_keyed(pair.therapist_token, body, "shared-key");
	expect_status(from_therapist, 201);
	cr_assert_str_neq(e2e_str(from_patient->json, "id"), e2e_str(from_therapist->json, "id"));
	expect_string(from_therapist->json, "sender_id", pair.therapist);
	cr_assert_str_eq(e2e_sql("SELECT count(*) FROM messages WHERE chat_id = $1", pair.chat_id,
				 NULL), "2");
}

Test(messages, an_idempotency_key_of_255_characters_passes_and_256_or_a_control_character_is_400)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	expect_status(send_keyed(pair.patient_token, send_body(pair.chat_id, "long key", NULL),
				 e2e_repeat("k", 255)), 201);
	struct chat_snapshot before = snapshot(pair.chat_id);
	expect_error(send_keyed(pair.patient_token, send_body(pair.chat_id, "too long", NULL),
				e2e_repeat("k", 256)), 400, "validation_error");
	expect_error(send_keyed(pair.patient_token, send_body(pair.chat_id, "control", NULL),
				"bad\x01key"), 400, "validation_error");
	expect_error(send_keyed(pair.patient_token, send_body(pair.chat_id, "control", NULL),
				"bad\x7fkey"), 400, "validation_error");
	struct chat_snapshot after = snapshot(pair.chat_id);
	cr_assert_str_eq(after.messages, before.messages);
	cr_assert_str_eq(after.chat, before.chat);
	cr_assert_str_eq(e2e_sql("SELECT count(*) FROM idempotency_keys WHERE sender_id = $1",
				 pair.patient, NULL), "1");
}

/* ======================================================== GET /api/messages/ */

Test(messages, list_is_oldest_first_in_the_list_representation)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *a = send_id(pair.patient_token, pair.chat_id, "a");
	const char *b = send_id(pair.therapist_token, pair.chat_id, "b");
	const char *c = send_id(pair.patient_token, pair.chat_id, "c");
	struct e2e_reply *reply = list(pair.patient_token, "");
	cr_assert_str_eq(e2e_list_ids(reply), join3(a, b, c));
	for (size_t i = 0; i < 3; i++)
		cr_assert(e2e_keys_are(e2e_at(reply->json, i), list_fields), "list fields: %s",
			  reply->body);
	struct json_object *second = e2e_at(reply->json, 1);
	expect_string(second, "chat_id", pair.chat_id);
	expect_string(second, "sender_id", pair.therapist);
	expect_string(second, "sender_name", e2e_full_name(pair.therapist));
	expect_string(second, "text", "b");
	expect_timestamp(second, "timestamp");
	cr_assert_str_eq(chat_ids(pair.therapist_token, pair.chat_id, NULL), join3(a, b, c));
	cr_assert_str_eq(e2e_list_ids(list(pair.therapist_token, "")), join3(a, b, c));
}

Test(messages, list_holds_only_messages_of_the_callers_chats)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_pair other = e2e_pair_with_chat();
	const char *mine = send_id(pair.patient_token, pair.chat_id, "mine");
	send_id(other.patient_token, other.chat_id, "theirs");
	cr_assert_str_eq(e2e_list_ids(list(pair.therapist_token, "")), mine);
	cr_assert_str_eq(e2e_list_ids(list(e2e_token(e2e_new_therapist()), "")), "");
	struct e2e_reply *admin = list(e2e_admin_token(), e2e_printf("?chat_id=%s", pair.chat_id));
	cr_assert_str_eq(e2e_list_ids(admin), mine);
}

Test(messages, list_filter_naming_a_chat_the_caller_is_not_in_is_an_empty_list)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_pair other = e2e_pair_with_chat();
	send_id(other.patient_token, other.chat_id, "private");
	cr_assert_str_eq(chat_ids(pair.therapist_token, other.chat_id, NULL), "");
	cr_assert_str_eq(chat_ids(pair.patient_token, other.chat_id, NULL), "");
	struct e2e_pair absent = e2e_pair_new();
	cr_assert_str_eq(chat_ids(pair.therapist_token, absent.chat_id, NULL), "");
	cr_assert_str_eq(e2e_list_ids(list(pair.therapist_token,
				       e2e_printf("?sender_id=%s", other.patient))), "");
}

Test(messages, list_filters_by_chat_id)
{
	const char *patients[2], *chats[2], *ids[2];
	const char *token = e2e_token(therapist_with_chats(2, patients, chats));
	for (int i = 0; i < 2; i++)
		ids[i] = send_id(token, chats[i], e2e_printf("to %d", i));
	cr_assert_str_eq(chat_ids(token, chats[0], NULL), ids[0]);
	cr_assert_str_eq(chat_ids(token, chats[1], NULL), ids[1]);
	cr_assert_str_eq(e2e_list_ids(list(token, "")), join2(ids[0], ids[1]));
}

/* a: text from the patient, read by the therapist; b: emergency from the
 * patient; c: appointment from the therapist. */
struct three_messages {
	struct e2e_pair pair;
	const char *a, *b, *c;
};

static struct three_messages three_messages_new(void)
{
	struct three_messages set;
	set.pair = e2e_pair_with_chat();
	set.a = send_id(set.pair.patient_token, set.pair.chat_id, "a");
	set.b = e2e_str(send_ok(set.pair.patient_token, set.pair.chat_id, "b", "\"emergency\": true"),
			"id");
	set.c = e2e_str(send_ok(set.pair.therapist_token, set.pair.chat_id, "c",
				"\"message_type\": \"appointment\""), "id");
	expect_status(e2e_request("POST", message_action(set.a, "mark_read"), set.pair.therapist_token,
				  NULL, NULL), 200);
	return set;
}

Test(messages, list_filters_by_sender_id)
{
	struct three_messages set = three_messages_new();
	const char *query = e2e_printf("?chat_id=%s&sender_id=", set.pair.chat_id);
	cr_assert_str_eq(e2e_list_ids(list(set.pair.patient_token, e2e_printf("%s%s", query,
									   set.pair.patient))),
			 join2(set.a, set.b));
	cr_assert_str_eq(e2e_list_ids(list(set.pair.patient_token, e2e_printf("%s%s", query,
									   set.pair.therapist))),
			 set.c);
}

Test(messages, list_filters_by_emergency)
{
	struct three_messages set = three_messages_new();
	const char *chat = set.pair.chat_id;
	cr_assert_str_eq(chat_ids(set.pair.patient_token, chat, "&emergency=true"), set.b);
	cr_assert_str_eq(chat_ids(set.pair.patient_token, chat, "&emergency=1"), set.b);
	cr_assert_str_eq(chat_ids(set.pair.patient_token, chat, "&emergency=FALSE"),
			 join2(set.a, set.c));
	cr_assert_str_eq(chat_ids(set.pair.patient_token, chat, "&emergency=0"), join2(set.a, set.c));
}

Test(messages, list_filters_by_message_type)
{
	struct three_messages set = three_messages_new();
	const char *chat = set.pair.chat_id;
	cr_assert_str_eq(chat_ids(set.pair.patient_token, chat, "&message_type=appointment"), set.c);
	cr_assert_str_eq(chat_ids(set.pair.patient_token, chat, "&message_type=text"),
			 join2(set.a, set.b));
	cr_assert_str_eq(chat_ids(set.pair.patient_token, chat, "&message_type=prescription"), "");
}

Test(messages, list_filters_by_read_status)
{
	struct three_messages set = three_messages_new();
	const char *chat = set.pair.chat_id;
	const char *patient_only = e2e_printf("&sender_id=%s", set.pair.patient);
	/* The patient's own messages: listing them delivers nothing. */
	cr_assert_str_eq(chat_ids(set.pair.patient_token, chat, "&read_status=read"), set.a);
	cr_assert_str_eq(chat_ids(set.pair.patient_token, chat,
				  e2e_printf("&read_status=sent%s", patient_only)), set.b);
	cr_assert_str_eq(chat_ids(set.pair.patient_token, chat,
				  e2e_printf("&read_status=delivered%s", patient_only)), "");
	/* The therapist lists b, which delivers it. */
	cr_assert_str_eq(chat_ids(set.pair.therapist_token, chat, "&emergency=true"), set.b);
	cr_assert_str_eq(chat_ids(set.pair.patient_token, chat,
				  e2e_printf("&read_status=delivered%s", patient_only)), set.b);
	cr_assert_str_eq(chat_ids(set.pair.patient_token, chat,
				  e2e_printf("&read_status=sent%s", patient_only)), "");
}

Test(messages, list_excludes_deleted_messages_unless_exclude_deleted_is_false)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *kept = send_id(pair.patient_token, pair.chat_id, "kept");
	const char *gone = send_id(pair.patient_token, pair.chat_id, "regretted");
	expect_status(e2e_request("DELETE", message_path(gone), pair.patient_token, NULL, NULL), 204);
	const char *tokens[] = {pair.patient_token, pair.therapist_token};
	for (size_t i = 0; i < 2; i++) {
		cr_assert_str_eq(chat_ids(tokens[i], pair.chat_id, NULL), kept);
		cr_assert_str_eq(chat_ids(tokens[i], pair.chat_id, "&exclude_deleted=true"), kept);
		struct e2e_reply *all = list(tokens[i], e2e_printf("?chat_id=%s&exclude_deleted=false",
								   pair.chat_id));
		cr_assert_str_eq(e2e_list_ids(all), join2(kept, gone));
		struct json_object *deleted = e2e_find_id(all->json, gone);
		cr_assert_eq(e2e_bool(deleted, "deleted"), true);
		cr_assert(e2e_is_null(deleted, "text"), "a participant sees a deleted text: %s",
			  all->body);
	}
	struct e2e_reply *admin = list(e2e_admin_token(),
				       e2e_printf("?chat_id=%s&exclude_deleted=false", pair.chat_id));
	expect_string(e2e_find_id(admin->json, gone), "text", "regretted");
}

Test(messages, list_before_and_after_take_message_ids)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *m[5];
	for (int i = 0; i < 5; i++)
		m[i] = send_id(i % 2 ? pair.therapist_token : pair.patient_token, pair.chat_id,
			       e2e_printf("m%d", i));
	const char *chat = pair.chat_id;
	cr_assert_str_eq(chat_ids(pair.patient_token, chat, e2e_printf("&after=%s", m[1])),
			 join3(m[2], m[3], m[4]));
	cr_assert_str_eq(chat_ids(pair.patient_token, chat, e2e_printf("&before=%s", m[3])),
			 join3(m[0], m[1], m[2]));
	cr_assert_str_eq(chat_ids(pair.patient_token, chat,
				  e2e_printf("&after=%s&before=%s", m[0], m[3])), join2(m[1], m[2]));
	cr_assert_str_eq(chat_ids(pair.patient_token, chat,
				  e2e_printf("&before=%s&order=desc", m[3])), join3(m[2], m[1], m[0]));
	cr_assert_str_eq(chat_ids(pair.patient_token, chat, e2e_printf("&after=%s", m[4])), "");
	cr_assert_str_eq(chat_ids(pair.patient_token, chat, e2e_printf("&before=%s", m[0])), "");
}

/* One poll of a syncing app: the messages of all its chats after `*last`,
 * appended to `seen`; `*last` moves to the newest one shown. */
static void sync_poll(const char *token, const char **last, char *seen, size_t seen_size)
{
	struct e2e_reply *reply = list(token, e2e_printf("?after=%s", *last));
	expect_status(reply, 200);
	for (size_t i = 0; i < e2e_len(reply->json); i++) {
		const char *id = e2e_str(e2e_at(reply->json, i), "id");
		strncat(seen, " ", seen_size - strlen(seen) - 1);
		strncat(seen, id, seen_size - strlen(seen) - 1);
		*last = id;
	}
}

Test(messages, syncing_across_chats_misses_no_message_that_commits_late)
{
	const char *patients[2], *chats[2];
	const char *therapist = therapist_with_chats(2, patients, chats);
	const char *token = e2e_token(therapist);
	const char *before = send_id(token, chats[0], "before the sync");

	/* A send into the first chat takes its timestamp and is slow to
	 * commit, as under a slow disk; meanwhile one into the second chat,
	 * with a later timestamp, commits... */
	struct e2e_tx *slow = e2e_tx_begin();
	const char *slow_id = e2e_tx_send(slow, therapist, chats[0], "sent slowly");
	const char *quick_id = send_id(token, chats[1], "sent quickly");
	/* ...when the app loads the newest message of all its chats, and
	 * then polls for what came after it. */
	struct e2e_reply *first = list(token, "?order=desc&limit=1");
	expect_status(first, 200);
	const char *last = e2e_str(e2e_at(first->json, 0), "id");
	cr_assert_str_eq(last, before, "the first load showed a message sent after one still under way");
	char seen[1024] = "";
	sync_poll(token, &last, seen, sizeof seen);
	cr_assert_str_eq(seen, "", "a poll showed a message sent after one still under way");
	e2e_tx_end(slow, true);
	sync_poll(token, &last, seen, sizeof seen);
	cr_assert_str_eq(seen, e2e_printf(" %s %s", slow_id, quick_id));
}

Test(messages, list_order_desc_is_newest_first)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *a = send_id(pair.patient_token, pair.chat_id, "a");
	const char *b = send_id(pair.therapist_token, pair.chat_id, "b");
	const char *c = send_id(pair.patient_token, pair.chat_id, "c");
	cr_assert_str_eq(chat_ids(pair.patient_token, pair.chat_id, "&order=desc"), join3(c, b, a));
	cr_assert_str_eq(chat_ids(pair.patient_token, pair.chat_id, "&order=asc"), join3(a, b, c));
}

/* Walks every page of `first_path` with limit pages, following Link rel="next". */
static const char *walk_pages(const char *token, const char *first_path, size_t page_size,
			      int *pages)
{
	const char *seen = "";
	const char *path = first_path;
	*pages = 0;
	while (path != NULL) {
		cr_assert_lt(*pages, 20, "the Link walk does not end");
		struct e2e_reply *reply = e2e_request("GET", path, token, NULL, NULL);
		expect_status(reply, 200);
		cr_assert_leq(e2e_len(reply->json), page_size, "page larger than limit: %s", reply->body);
		for (size_t i = 0; i < e2e_len(reply->json); i++) {
			const char *id = e2e_str(e2e_at(reply->json, i), "id");
			cr_assert_null(strstr(seen, id), "page %d repeats %s", *pages, id);
			seen = e2e_printf("%s%s%s", seen, seen[0] ? " " : "", id);
		}
		(*pages)++;
		const char *next = e2e_link_next(reply);
		if (next != NULL) {
			cr_assert_not_null(strstr(next, "cursor="), "Link without cursor: %s", next);
			path = next[0] == '?' ? e2e_printf("/api/messages/%s", next) : next;
		} else {
			path = NULL;
		}
	}
	return seen;
}

Test(messages, list_limit_and_the_link_cursor_walk_every_message_once_in_order)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *all = "";
	for (int i = 0; i < 7; i++)
		all = e2e_printf("%s%s%s", all, i ? " " : "",
				 send_id(i % 3 ? pair.patient_token : pair.therapist_token,
					 pair.chat_id, e2e_printf("page %d", i)));
	struct e2e_reply *whole = list(pair.patient_token, e2e_printf("?chat_id=%s", pair.chat_id));
	cr_assert_str_eq(e2e_list_ids(whole), all);
	cr_assert_null(e2e_link_next(whole), "no Link when every row fits");

	struct e2e_reply *first = list(pair.patient_token,
				       e2e_printf("?chat_id=%s&limit=3", pair.chat_id));
	cr_assert_eq(e2e_len(first->json), 3);
	const char *next = e2e_link_next(first);
	cr_assert_not_null(next, "no Link rel=\"next\": %s", first->headers);
	cr_assert_not_null(strstr(next, pair.chat_id), "the Link does not repeat chat_id: %s", next);
	cr_assert_not_null(strstr(next, "limit=3"), "the Link does not repeat limit: %s", next);

	int pages;
	const char *walked = walk_pages(pair.patient_token,
					e2e_printf("/api/messages/?chat_id=%s&limit=3", pair.chat_id),
					3, &pages);
	cr_assert_str_eq(walked, all, "the walk has a gap or overlap");
	cr_assert_eq(pages, 3);

	/* Newest first, too. */
	const char *reversed = e2e_list_ids(list(pair.patient_token,
					     e2e_printf("?chat_id=%s&order=desc", pair.chat_id)));
	const char *walked_desc = walk_pages(
		pair.patient_token,
		e2e_printf("/api/messages/?chat_id=%s&order=desc&limit=2", pair.chat_id), 2, &pages);
	cr_assert_str_eq(walked_desc, reversed);
	cr_assert_eq(pages, 4);
}

Test(messages, list_with_a_bad_boolean_unknown_enum_malformed_id_or_limit_is_400)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	send_id(pair.patient_token, pair.chat_id, "x");
	const char *queries[] = {
		"?emergency=maybe", "?exclude_deleted=yes", "?emergency=", "?message_type=video",
		"?read_status=seen", "?order=sideways", "?chat_id=not-a-chat",
		"?chat_id=CHAT_x_y", "?before=not-a-message", "?after=not-a-message",
		"?limit=0", "?limit=501", "?limit=ten",
	};
	for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
		struct e2e_reply *reply = list(pair.patient_token, queries[i]);
		cr_assert_eq(reply->status, 400, "GET /api/messages/%s: HTTP %ld %s", queries[i],
			     reply->status, reply->body);
		expect_error(reply, 400, "validation_error");
	}
	expect_status(list(pair.patient_token, "?limit=500"), 200);
}

/* ------------------------------------------------------------- q search */

Test(messages, search_finds_a_word_in_the_callers_chats_only)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_pair other = e2e_pair_with_chat();
	const char *hit = send_id(pair.patient_token, pair.chat_id, "I dreamt about marmalade again");
	send_id(pair.patient_token, pair.chat_id, "Nothing sweet here");
	send_id(other.patient_token, other.chat_id, "marmalade is also in this other chat");
	cr_assert_str_eq(e2e_list_ids(list(pair.therapist_token, "?q=marmalade")), hit);
	cr_assert_str_eq(e2e_list_ids(list(pair.patient_token,
				       e2e_printf("?q=marmalade&chat_id=%s", pair.chat_id))), hit);
	cr_assert_str_eq(e2e_list_ids(list(pair.therapist_token, "?q=kumquat")), "");
	cr_assert_str_eq(e2e_list_ids(list(e2e_token(e2e_new_patient()), "?q=marmalade")), "");
}

Test(messages, search_never_finds_a_deleted_messages_text_for_participants)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *gone = send_id(pair.patient_token, pair.chat_id, "my secret is gooseberry");
	const char *kept = send_id(pair.patient_token, pair.chat_id, "gooseberry pie recipe");
	expect_status(e2e_request("POST", message_action(gone, "delete_message"), pair.patient_token,
				  NULL, NULL), 200);
	cr_assert_str_eq(e2e_list_ids(list(pair.therapist_token, "?q=gooseberry")), kept);
	cr_assert_str_eq(e2e_list_ids(list(pair.patient_token, "?q=gooseberry")), kept);
	struct e2e_reply *with_deleted = list(pair.therapist_token, "?q=gooseberry&exclude_deleted=false");
	expect_status(with_deleted, 200);
	cr_assert_null(e2e_find_id(with_deleted->json, gone),
		       "a participant found a deleted message by its text: %s", with_deleted->body);
}

/* ================================================== delivery receipts */

Test(messages, the_recipients_list_turns_sent_into_delivered_and_shows_it)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *a = send_id(pair.patient_token, pair.chat_id, "a");
	const char *b = send_id(pair.patient_token, pair.chat_id, "b");
	/* The sender's list delivers nothing. */
	struct e2e_reply *by_sender = list(pair.patient_token, e2e_printf("?chat_id=%s", pair.chat_id));
	expect_string(e2e_find_id(by_sender->json, a), "read_status", "sent");
	cr_assert_str_eq(db_read_status(a), "sent");
	/* The recipient's list does, and shows it. */
	struct e2e_reply *by_recipient = list(pair.therapist_token,
					      e2e_printf("?chat_id=%s", pair.chat_id));
	expect_string(e2e_find_id(by_recipient->json, a), "read_status", "delivered");
	expect_string(e2e_find_id(by_recipient->json, b), "read_status", "delivered");
	cr_assert_str_eq(db_read_status(a), "delivered");
	cr_assert_str_eq(db_read_status(b), "delivered");
	expect_string(message_detail(pair.patient_token, a), "read_status", "delivered");
}

Test(messages, the_recipients_list_delivers_only_the_messages_it_returns)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *a = send_id(pair.patient_token, pair.chat_id, "a");
	const char *b = send_id(pair.patient_token, pair.chat_id, "b");
	struct e2e_reply *page = list(pair.therapist_token,
				      e2e_printf("?chat_id=%s&limit=1", pair.chat_id));
	cr_assert_str_eq(e2e_list_ids(page), a);
	cr_assert_str_eq(db_read_status(a), "delivered");
	cr_assert_str_eq(db_read_status(b), "sent");
}

Test(messages, filtered_and_cross_chat_lists_deliver_too)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *a = send_id(pair.patient_token, pair.chat_id, "a");
	const char *b = send_id(pair.patient_token, pair.chat_id, "b");
	struct e2e_reply *filtered = list(pair.therapist_token,
					  e2e_printf("?chat_id=%s&sender_id=%s&order=desc&limit=1",
						     pair.chat_id, pair.patient));
	cr_assert_str_eq(e2e_list_ids(filtered), b);
	expect_string(e2e_at(filtered->json, 0), "read_status", "delivered");
	cr_assert_str_eq(db_read_status(b), "delivered");
	cr_assert_str_eq(db_read_status(a), "sent");
	/* Across all the caller's chats: a is delivered now, b shows as it is. */
	struct e2e_reply *everywhere = list(pair.therapist_token, "?order=desc&limit=500");
	expect_string(e2e_find_id(everywhere->json, a), "read_status", "delivered");
	expect_string(e2e_find_id(everywhere->json, b), "read_status", "delivered");
	cr_assert_str_eq(db_read_status(a), "delivered");
}

Test(messages, an_admins_list_delivers_nothing)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *a = send_id(pair.patient_token, pair.chat_id, "a");
	struct e2e_reply *reply = list(e2e_admin_token(), e2e_printf("?chat_id=%s", pair.chat_id));
	expect_string(e2e_find_id(reply->json, a), "read_status", "sent");
	cr_assert_str_eq(db_read_status(a), "sent");
}

Test(messages, get_unread_messages_delivers_too)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *a = send_id(pair.patient_token, pair.chat_id, "a");
	struct e2e_reply *reply = e2e_request("GET", "/api/messages/get_unread_messages/",
					      pair.therapist_token, NULL, NULL);
	cr_assert_str_eq(e2e_list_ids(reply), a);
	expect_string(e2e_at(reply->json, 0), "read_status", "delivered");
	cr_assert_str_eq(db_read_status(a), "delivered");
}

Test(messages, receipts_never_go_backwards)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *a = send_id(pair.patient_token, pair.chat_id, "a");
	expect_status(e2e_request("POST", message_action(a, "mark_read"), pair.therapist_token, NULL,
				  NULL), 200);
	struct e2e_reply *reply = list(pair.therapist_token, e2e_printf("?chat_id=%s", pair.chat_id));
	expect_string(e2e_find_id(reply->json, a), "read_status", "read");
	cr_assert_str_eq(db_read_status(a), "read");
}

/* ================================================================ detail */

Test(messages, detail_is_200_for_a_participant_and_an_admin)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *id = send_id(pair.patient_token, pair.chat_id, "details");
	const char *tokens[] = {pair.patient_token, pair.therapist_token, e2e_admin_token()};
	for (size_t i = 0; i < 3; i++) {
		struct json_object *message = message_detail(tokens[i], id);
		cr_assert(e2e_keys_are(message, detail_fields), "detail fields: %s",
			  json_object_to_json_string(message));
		expect_string(message, "id", id);
		expect_string(message, "text", "details");
	}
	expect_status(e2e_request("GET", e2e_printf("/api/messages/%s", id), pair.patient_token, NULL,
				  NULL), 200);
}

Test(messages, an_admin_sees_the_text_of_a_deleted_message)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *id = send_id(pair.patient_token, pair.chat_id, "kept for retention");
	expect_status(e2e_request("DELETE", message_path(id), pair.patient_token, NULL, NULL), 204);
	struct json_object *message = message_detail(e2e_admin_token(), id);
	expect_string(message, "text", "kept for retention");
	cr_assert_eq(e2e_bool(message, "deleted"), true);
}

Test(messages, a_message_that_does_not_exist_is_404)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *absent = e2e_printf("MSG_%lld_nosuchmessage", (long long)time(NULL) * 1000);
	expect_error(e2e_request("GET", message_path(absent), pair.patient_token, NULL, NULL), 404,
		     "not_found");
	expect_error(e2e_request("GET", message_path(absent), e2e_admin_token(), NULL, NULL), 404,
		     "not_found");
}

/* ===================================================== visibility rule */

static const struct e2e_call every_message_call[] = {
	{"GET", NULL, NULL},
	{"PUT", NULL, "{\"text\": \"hijacked\"}"},
	{"PATCH", NULL, "{\"emergency\": true}"},
	{"DELETE", NULL, NULL},
	{"POST", "mark_emergency", "{}"},
	{"POST", "mark_read", "{}"},
	{"POST", "edit_message", "{\"text\": \"hijacked\"}"},
	{"POST", "delete_message", "{}"},
	{"GET", "history", NULL},
};

Test(messages, a_stranger_gets_404_on_every_message_endpoint)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *id = send_id(pair.patient_token, pair.chat_id, "private");
	const char *strangers[] = {e2e_token(e2e_new_therapist()), e2e_token(e2e_new_patient())};
	for (size_t s = 0; s < 2; s++) {
		for (size_t i = 0; i < sizeof every_message_call / sizeof every_message_call[0]; i++) {
			const struct e2e_call *call = &every_message_call[i];
			const char *path = call->action ? message_action(id, call->action)
							: message_path(id);
			struct e2e_reply *reply = e2e_request(call->method, path, strangers[s], call->body,
							      NULL);
			cr_assert_eq(reply->status, 404, "%s %s by a stranger: HTTP %ld %s",
				     call->method, path, reply->status, reply->body);
			expect_error(reply, 404, "not_found");
		}
		cr_assert_str_eq(e2e_list_ids(e2e_request(
					 "GET", e2e_printf("/api/messages/get_unread_messages/?chat_id=%s",
							   pair.chat_id), strangers[s], NULL, NULL)), "");
	}
	struct json_object *message = message_detail(pair.patient_token, id);
	expect_string(message, "text", "private");
	cr_assert_eq(e2e_bool(message, "emergency"), false);
	cr_assert_eq(e2e_bool(message, "deleted"), false);
	cr_assert_eq(e2e_bool(message, "edited"), false);
	expect_string(message, "read_status", "sent");
}

Test(messages, with_patient_can_see_history_false_the_patient_sees_only_their_own_messages)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *from_therapist = send_id(pair.therapist_token, pair.chat_id, "session notes");
	const char *from_patient = send_id(pair.patient_token, pair.chat_id, "my question");
	expect_status(e2e_request("PATCH", e2e_printf("/api/chat-rooms/%s/", pair.room_id),
				  pair.therapist_token, "{\"patient_can_see_history\": false}", NULL),
		      200);
	cr_assert_str_eq(chat_ids(pair.patient_token, pair.chat_id, NULL), from_patient);
	cr_assert_str_eq(e2e_list_ids(list(pair.patient_token, "")), from_patient);
	expect_error(e2e_request("GET", message_path(from_therapist), pair.patient_token, NULL, NULL),
		     403, "forbidden");
	expect_string(message_detail(pair.patient_token, from_patient), "text", "my question");
	cr_assert_str_eq(chat_ids(pair.therapist_token, pair.chat_id, NULL),
			 join2(from_therapist, from_patient));
	expect_string(message_detail(pair.therapist_token, from_patient), "text", "my question");
}

Test(messages, a_participant_barred_from_the_history_does_not_read_it_through_their_replies)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *from_therapist = send_id(pair.therapist_token, pair.chat_id, "session notes");
	const char *reply = e2e_str(send_ok(pair.patient_token, pair.chat_id, "about your notes",
					    e2e_printf("\"reply_to\": \"%s\"", from_therapist)), "id");
	expect_string(message_detail(pair.patient_token, reply), "reply_to_text", "session notes");
	expect_status(e2e_request("PATCH", e2e_printf("/api/chat-rooms/%s/", pair.room_id),
				  pair.therapist_token, "{\"patient_can_see_history\": false}", NULL),
		      200);
	struct json_object *own = message_detail(pair.patient_token, reply);
	cr_assert(e2e_is_null(own, "reply_to_text"), "the reply shows a hidden text: %s",
		  json_object_to_json_string(own));
	expect_string(own, "reply_to", from_therapist);
	struct json_object *sent = send_ok(pair.patient_token, pair.chat_id, "and again",
					   e2e_printf("\"reply_to\": \"%s\"", from_therapist));
	cr_assert(e2e_is_null(sent, "reply_to_text"), "the send shows a hidden text: %s",
		  json_object_to_json_string(sent));
	/* The therapist, and the patient's replies to their own messages, still do. */
	expect_string(message_detail(pair.therapist_token, reply), "reply_to_text", "session notes");
	const char *own_first = send_id(pair.patient_token, pair.chat_id, "my first");
	struct json_object *to_own = send_ok(pair.patient_token, pair.chat_id, "my second",
					     e2e_printf("\"reply_to\": \"%s\"", own_first));
	expect_string(to_own, "reply_to_text", "my first");
}

/* ============================================================ PUT / PATCH */

Test(messages, put_requires_text)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *id = send_id(pair.patient_token, pair.chat_id, "original");
	expect_field_error(e2e_request("PUT", message_path(id), pair.patient_token,
				       "{\"emergency\": true}", NULL), "text");
	struct json_object *message = message_detail(pair.patient_token, id);
	expect_string(message, "text", "original");
	cr_assert_eq(e2e_bool(message, "emergency"), false);
}

Test(messages, put_by_the_sender_edits_the_text)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *id = send_id(pair.patient_token, pair.chat_id, "original");
	struct e2e_reply *reply = e2e_request("PUT", message_path(id), pair.patient_token,
					      "{\"text\": \"corrected\", \"emergency\": true}", NULL);
	expect_status(reply, 200);
	expect_string(reply->json, "text", "corrected");
	cr_assert_eq(e2e_bool(reply->json, "edited"), true);
	expect_timestamp(reply->json, "edited_at");
	cr_assert_eq(e2e_bool(reply->json, "emergency"), true);
	struct json_object *message = message_detail(pair.therapist_token, id);
	expect_string(message, "text", "corrected");
	cr_assert_eq(e2e_bool(message, "edited"), true);
	expect_timestamp(message, "edited_at");
}

Test(messages, patch_by_the_sender_changes_text_and_or_emergency)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *id = send_id(pair.therapist_token, pair.chat_id, "original");
	struct e2e_reply *emergency = e2e_request("PATCH", message_path(id), pair.therapist_token,
						  "{\"emergency\": true}", NULL);
	expect_status(emergency, 200);
	cr_assert_eq(e2e_bool(emergency->json, "emergency"), true);
	expect_string(emergency->json, "text", "original");
	struct e2e_reply *text = e2e_request("PATCH", message_path(id), pair.therapist_token,
					     "{\"text\": \"rephrased\"}", NULL);
	expect_status(text, 200);
	expect_string(text->json, "text", "rephrased");
	cr_assert_eq(e2e_bool(text->json, "edited"), true);
	expect_timestamp(text->json, "edited_at");
	cr_assert_eq(e2e_bool(text->json, "emergency"), true);
	struct e2e_reply *both = e2e_request("PATCH", message_path(id), pair.therapist_token,
					     "{\"text\": \"final\", \"emergency\": false}", NULL);
	expect_status(both, 200);
	expect_string(both->json, "text", "final");
	cr_assert_eq(e2e_bool(both->json, "emergency"), false);
}

Test(messages, put_or_patch_with_a_bad_text_or_emergency_is_400)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *id = send_id(pair.patient_token, pair.chat_id, "original");
	expect_field_error(e2e_request("PATCH", message_path(id), pair.patient_token,
				       "{\"text\": \"\"}", NULL), "text");
	expect_field_error(e2e_request("PATCH", message_path(id), pair.patient_token,
				       e2e_printf("{\"text\": \"%s\"}", e2e_repeat("a", 10001)), NULL),
			   "text");
	expect_field_error(e2e_request("PUT", message_path(id), pair.patient_token,
				       "{\"text\": 5}", NULL), "text");
	expect_field_error(e2e_request("PATCH", message_path(id), pair.patient_token,
				       "{\"emergency\": \"yes\"}", NULL), "emergency");
	struct json_object *message = message_detail(pair.patient_token, id);
	expect_string(message, "text", "original");
	cr_assert_eq(e2e_bool(message, "edited"), false);
	cr_assert_str_eq(e2e_sql("SELECT count(*) FROM message_edits WHERE message_id = $1", id, NULL),
			 "0");
}

Test(messages, editing_by_the_other_participant_is_403)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *id = send_id(pair.patient_token, pair.chat_id, "original");
	expect_error(e2e_request("PUT", message_path(id), pair.therapist_token,
				 "{\"text\": \"not yours\"}", NULL), 403, "forbidden");
	expect_error(e2e_request("PATCH", message_path(id), pair.therapist_token,
				 "{\"text\": \"not yours\"}", NULL), 403, "forbidden");
	expect_error(e2e_request("POST", message_action(id, "edit_message"), pair.therapist_token,
				 "{\"text\": \"not yours\"}", NULL), 403, "forbidden");
	struct json_object *message = message_detail(pair.patient_token, id);
	expect_string(message, "text", "original");
	cr_assert_eq(e2e_bool(message, "edited"), false);
}

Test(messages, changing_the_text_of_a_deleted_message_is_409)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *id = send_id(pair.patient_token, pair.chat_id, "original");
	expect_status(e2e_request("DELETE", message_path(id), pair.patient_token, NULL, NULL), 204);
	expect_error(e2e_request("PUT", message_path(id), pair.patient_token, "{\"text\": \"new\"}",
				 NULL), 409, "conflict");
	expect_error(e2e_request("PATCH", message_path(id), pair.patient_token, "{\"text\": \"new\"}",
				 NULL), 409, "conflict");
	expect_error(e2e_request("POST", message_action(id, "edit_message"), pair.patient_token,
				 "{\"text\": \"new\"}", NULL), 409, "conflict");
	cr_assert_str_eq(e2e_sql("SELECT text FROM messages WHERE id = $1", id, NULL), "original");
	cr_assert_str_eq(e2e_sql("SELECT count(*) FROM message_edits WHERE message_id = $1", id, NULL),
			 "0");
}

/* ============================================================ history */

Test(messages, edit_history_lists_the_previous_texts_oldest_first)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *id = send_id(pair.patient_token, pair.chat_id, "first");
	expect_status(e2e_request("PUT", message_path(id), pair.patient_token, "{\"text\": \"second\"}",
				  NULL), 200);
	expect_status(e2e_request("POST", message_action(id, "edit_message"), pair.patient_token,
				  "{\"text\": \"third\"}", NULL), 200);
	expect_status(e2e_request("PATCH", message_path(id), pair.patient_token,
				  "{\"text\": \"fourth\"}", NULL), 200);
	const char *tokens[] = {pair.therapist_token, pair.patient_token, e2e_admin_token()};
	const char *previous[] = {"first", "second", "third"};
	static const char *const history_fields[] = {"text", "edited_at", "edited_by", NULL};
	for (size_t t = 0; t < 3; t++) {
		struct e2e_reply *reply = e2e_request("GET", message_action(id, "history"), tokens[t],
						      NULL, NULL);
		expect_status(reply, 200);
		cr_assert_eq(e2e_len(reply->json), 3, "history: %s", reply->body);
		const char *last_time = "";
		for (size_t i = 0; i < 3; i++) {
			struct json_object *edit = e2e_at(reply->json, i);
			cr_assert(e2e_keys_are(edit, history_fields), "history fields: %s", reply->body);
			expect_string(edit, "text", previous[i]);
			expect_string(edit, "edited_by", pair.patient);
			expect_timestamp(edit, "edited_at");
			cr_assert(strcmp(e2e_str(edit, "edited_at"), last_time) >= 0,
				  "history is not oldest first: %s", reply->body);
			last_time = e2e_str(edit, "edited_at");
		}
	}
	expect_string(message_detail(pair.therapist_token, id), "text", "fourth");
}

Test(messages, history_of_a_message_never_edited_is_empty)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *id = send_id(pair.patient_token, pair.chat_id, "as sent");
	struct e2e_reply *reply = e2e_request("GET", message_action(id, "history"),
					      pair.therapist_token, NULL, NULL);
	cr_assert_str_eq(e2e_list_ids(reply), "");
	/* Changing only emergency is no text edit. */
	expect_status(e2e_request("PATCH", message_path(id), pair.patient_token,
				  "{\"emergency\": true}", NULL), 200);
	cr_assert_eq(e2e_len(e2e_request("GET", message_action(id, "history"), pair.patient_token,
					 NULL, NULL)->json), 0);
}

/* ========================================================= edit_message */

Test(messages, edit_message_answers_its_body)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *id = send_id(pair.patient_token, pair.chat_id, "tpyo");
	struct e2e_reply *reply = e2e_request("POST", message_action(id, "edit_message"),
					      pair.patient_token, "{\"text\": \"typo\"}", NULL);
	expect_status(reply, 200);
	static const char *const fields[] = {"message", "text", "edited", "edited_at", NULL};
	cr_assert(e2e_keys_are(reply->json, fields), "edit_message body: %s", reply->body);
	expect_string(reply->json, "message", "Message edited successfully");
	expect_string(reply->json, "text", "typo");
	cr_assert_eq(e2e_bool(reply->json, "edited"), true);
	expect_timestamp(reply->json, "edited_at");
	struct json_object *message = message_detail(pair.therapist_token, id);
	expect_string(message, "text", "typo");
	expect_string(message, "edited_at", e2e_str(reply->json, "edited_at"));
}

Test(messages, edit_message_requires_a_text_of_1_to_10000_characters)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *id = send_id(pair.patient_token, pair.chat_id, "original");
	const char *path = message_action(id, "edit_message");
	expect_field_error(e2e_request("POST", path, pair.patient_token, "{}", NULL), "text");
	expect_field_error(e2e_request("POST", path, pair.patient_token, NULL, NULL), "text");
	expect_field_error(e2e_request("POST", path, pair.patient_token, "{\"text\": \"\"}", NULL),
			   "text");
	expect_field_error(e2e_request("POST", path, pair.patient_token,
				       send_body(pair.chat_id, e2e_repeat("\xc3\xa9", 10001), NULL),
				       NULL), "text");
	cr_assert_str_eq(e2e_sql("SELECT text FROM messages WHERE id = $1", id, NULL), "original");
	struct e2e_reply *longest = e2e_request(
		"POST", path, pair.patient_token,
		e2e_printf("{\"text\": \"%s\"}", e2e_repeat("\xc3\xa9", 10000)), NULL);
	expect_status(longest, 200);
	cr_assert_str_eq(e2e_sql("SELECT char_length(text) FROM messages WHERE id = $1", id, NULL),
			 "10000");
}

/* ============================================================== delete */

Test(messages, delete_answers_204_then_participants_see_a_null_text)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *id = send_id(pair.patient_token, pair.chat_id, "oops");
	struct e2e_reply *reply = e2e_request("DELETE", message_path(id), pair.patient_token, NULL,
					      NULL);
	expect_status(reply, 204);
	cr_assert_eq(reply->body_length, 0, "a 204 with a body: %s", reply->body);
	const char *tokens[] = {pair.patient_token, pair.therapist_token};
	for (size_t i = 0; i < 2; i++) {
		struct json_object *message = message_detail(tokens[i], id);
		cr_assert(e2e_is_null(message, "text"), "text is not null: %s",
			  json_object_to_json_string(message));
		cr_assert_eq(e2e_bool(message, "deleted"), true);
		expect_string(message, "deleted_by", pair.patient);
		expect_timestamp(message, "deleted_at");
	}
	cr_assert_str_eq(e2e_sql("SELECT text FROM messages WHERE id = $1", id, NULL), "oops");
}

Test(messages, the_other_participant_may_delete_a_message)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *id = send_id(pair.patient_token, pair.chat_id, "unwanted");
	expect_status(e2e_request("DELETE", message_path(id), pair.therapist_token, NULL, NULL), 204);
	expect_string(message_detail(pair.patient_token, id), "deleted_by", pair.therapist);
}

Test(messages, delete_message_answers_200_and_repeating_it_is_a_noop_with_the_same_deleted_at)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *id = send_id(pair.patient_token, pair.chat_id, "oops");
	struct e2e_reply *first = e2e_request("POST", message_action(id, "delete_message"),
					      pair.patient_token, NULL, NULL);
	expect_status(first, 200);
	static const char *const fields[] = {"message", "deleted", "deleted_at", NULL};
	cr_assert(e2e_keys_are(first->json, fields), "delete_message body: %s", first->body);
	expect_string(first->json, "message", "Message deleted successfully");
	cr_assert_eq(e2e_bool(first->json, "deleted"), true);
	expect_timestamp(first->json, "deleted_at");
	struct e2e_reply *again = e2e_request("POST", message_action(id, "delete_message"),
					      pair.therapist_token, NULL, NULL);
	expect_status(again, 200);
	cr_assert_eq(e2e_bool(again->json, "deleted"), true);
	expect_string(again->json, "deleted_at", e2e_str(first->json, "deleted_at"));
	struct json_object *message = message_detail(pair.therapist_token, id);
	expect_string(message, "deleted_by", pair.patient);
	expect_string(message, "deleted_at", e2e_str(first->json, "deleted_at"));
	struct e2e_reply *by_admin = e2e_request("POST", message_action(id, "delete_message"),
						 e2e_admin_token(), NULL, NULL);
	expect_status(by_admin, 200);
	expect_string(by_admin->json, "deleted_at", e2e_str(first->json, "deleted_at"));
}

Test(messages, an_admin_may_delete_a_message)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *id = send_id(pair.patient_token, pair.chat_id, "moderated");
	expect_status(e2e_request("DELETE", message_path(id), e2e_admin_token(), NULL, NULL), 204);
	cr_assert(e2e_is_null(message_detail(pair.patient_token, id), "text"));
	cr_assert_eq(unread_count(pair.therapist_token, pair.chat_id), 0);
}

Test(messages, deleting_an_unread_message_lowers_the_recipients_unread_count)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *a = send_id(pair.patient_token, pair.chat_id, "a");
	const char *b = send_id(pair.patient_token, pair.chat_id, "b");
	cr_assert_eq(unread_count(pair.therapist_token, pair.chat_id), 2);
	expect_status(e2e_request("DELETE", message_path(a), pair.patient_token, NULL, NULL), 204);
	cr_assert_eq(unread_count(pair.therapist_token, pair.chat_id), 1);
	/* A read message counted no more: deleting it changes nothing. */
	expect_status(e2e_request("POST", message_action(b, "mark_read"), pair.therapist_token, NULL,
				  NULL), 200);
	cr_assert_eq(unread_count(pair.therapist_token, pair.chat_id), 0);
	expect_status(e2e_request("POST", message_action(b, "delete_message"), pair.patient_token,
				  NULL, NULL), 200);
	cr_assert_eq(unread_count(pair.therapist_token, pair.chat_id), 0);
	/* A repeated delete does not lower it again. */
	const char *c = send_id(pair.patient_token, pair.chat_id, "c");
	send_id(pair.patient_token, pair.chat_id, "d");
	for (int i = 0; i < 2; i++)
		expect_status(e2e_request("POST", message_action(c, "delete_message"),
					  pair.patient_token, NULL, NULL), 200);
	cr_assert_eq(unread_count(pair.therapist_token, pair.chat_id), 1);
	cr_assert_eq(unread_count(pair.patient_token, pair.chat_id), 0);
}

Test(messages, deleting_the_newest_message_moves_the_preview_back_then_to_null)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct json_object *older = send_ok(pair.therapist_token, pair.chat_id, "older", NULL);
	const char *newer = send_id(pair.patient_token, pair.chat_id, "newer");
	const char *updated_at = e2e_str(chat_detail(pair.therapist_token, pair.chat_id), "updated_at");
	expect_status(e2e_request("DELETE", message_path(newer), pair.patient_token, NULL, NULL), 204);
	struct json_object *chat = chat_detail(pair.therapist_token, pair.chat_id);
	expect_string(chat, "last_message_text", "older");
	expect_string(chat, "last_message_timestamp", e2e_str(older, "timestamp"));
	expect_string(chat, "last_message_sender_id", pair.therapist);
	expect_string(chat, "updated_at", updated_at);
	expect_status(e2e_request("POST", message_action(e2e_str(older, "id"), "delete_message"),
				  pair.therapist_token, NULL, NULL), 200);
	chat = chat_detail(pair.patient_token, pair.chat_id);
	cr_assert(e2e_is_null(chat, "last_message_text"), "%s", json_object_to_json_string(chat));
	cr_assert(e2e_is_null(chat, "last_message_timestamp"));
	cr_assert(e2e_is_null(chat, "last_message_sender_id"));
	expect_string(chat, "updated_at", updated_at);
}

Test(messages, deleting_an_older_message_leaves_the_preview)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *older = send_id(pair.therapist_token, pair.chat_id, "older");
	send_id(pair.patient_token, pair.chat_id, "newer");
	expect_status(e2e_request("DELETE", message_path(older), pair.therapist_token, NULL, NULL), 204);
	struct json_object *chat = chat_detail(pair.therapist_token, pair.chat_id);
	expect_string(chat, "last_message_text", "newer");
	expect_string(chat, "last_message_sender_id", pair.patient);
}

Test(messages, editing_the_newest_message_changes_the_preview_text_but_not_updated_at)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *older = send_id(pair.patient_token, pair.chat_id, "older");
	struct json_object *newest = send_ok(pair.patient_token, pair.chat_id, "newst", NULL);
	struct json_object *before = chat_detail(pair.therapist_token, pair.chat_id);
	expect_status(e2e_request("POST", message_action(e2e_str(newest, "id"), "edit_message"),
				  pair.patient_token, "{\"text\": \"newest\"}", NULL), 200);
	struct json_object *chat = chat_detail(pair.therapist_token, pair.chat_id);
	expect_string(chat, "last_message_text", "newest");
	expect_string(chat, "last_message_timestamp", e2e_str(newest, "timestamp"));
	expect_string(chat, "last_message_sender_id", pair.patient);
	expect_string(chat, "updated_at", e2e_str(before, "updated_at"));
	/* Editing an older message leaves the preview alone. */
	expect_status(e2e_request("PUT", message_path(older), pair.patient_token,
				  "{\"text\": \"older, edited\"}", NULL), 200);
	chat = chat_detail(pair.therapist_token, pair.chat_id);
	expect_string(chat, "last_message_text", "newest");
	expect_string(chat, "updated_at", e2e_str(before, "updated_at"));
}

/* ====================================================== mark_emergency */

Test(messages, mark_emergency_answers_its_body_and_marks_the_message)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *id = send_id(pair.patient_token, pair.chat_id, "I feel unsafe");
	struct e2e_reply *reply = e2e_request("POST", message_action(id, "mark_emergency"),
					      pair.therapist_token, NULL, NULL);
	expect_status(reply, 200);
	static const char *const fields[] = {"message", "emergency", NULL};
	cr_assert(e2e_keys_are(reply->json, fields), "mark_emergency body: %s", reply->body);
	expect_string(reply->json, "message", "Message marked as emergency");
	cr_assert_eq(e2e_bool(reply->json, "emergency"), true);
	cr_assert_eq(e2e_bool(message_detail(pair.patient_token, id), "emergency"), true);
	expect_status(e2e_request("POST", message_action(id, "mark_emergency"), pair.patient_token,
				  "{}", NULL), 200);
}

/* =========================================================== mark_read */

Test(messages, mark_read_by_the_recipient_answers_read_at_and_lowers_the_unread_count)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *id = send_id(pair.patient_token, pair.chat_id, "please read");
	send_id(pair.patient_token, pair.chat_id, "and this");
	cr_assert_eq(unread_count(pair.therapist_token, pair.chat_id), 2);
	struct e2e_reply *reply = e2e_request("POST", message_action(id, "mark_read"),
					      pair.therapist_token, NULL, NULL);
	expect_status(reply, 200);
	static const char *const fields[] = {"message", "read_status", "read_at", NULL};
	cr_assert(e2e_keys_are(reply->json, fields), "mark_read body: %s", reply->body);
	expect_string(reply->json, "message", "Message marked as read");
	expect_string(reply->json, "read_status", "read");
	expect_timestamp(reply->json, "read_at");
	cr_assert_eq(unread_count(pair.therapist_token, pair.chat_id), 1);
	struct json_object *message = message_detail(pair.patient_token, id);
	expect_string(message, "read_status", "read");
	expect_string(message, "read_by", pair.therapist);
	expect_string(message, "read_at", e2e_str(reply->json, "read_at"));

	struct e2e_reply *again = e2e_request("POST", message_action(id, "mark_read"),
					      pair.therapist_token,
					      e2e_printf("{\"user_id\": \"%s\"}", pair.therapist), NULL);
	expect_status(again, 200);
	expect_string(again->json, "read_at", e2e_str(reply->json, "read_at"));
	cr_assert_eq(unread_count(pair.therapist_token, pair.chat_id), 1);
}

Test(messages, mark_read_by_the_sender_is_400)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *id = send_id(pair.patient_token, pair.chat_id, "mine");
	expect_error(e2e_request("POST", message_action(id, "mark_read"), pair.patient_token, NULL,
				 NULL), 400, "validation_error");
	cr_assert_str_eq(db_read_status(id), "sent");
	cr_assert_eq(unread_count(pair.therapist_token, pair.chat_id), 1);
}

Test(messages, mark_read_for_another_user_id_is_403)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *id = send_id(pair.patient_token, pair.chat_id, "to the therapist");
	expect_error(e2e_request("POST", message_action(id, "mark_read"), pair.therapist_token,
				 e2e_printf("{\"user_id\": \"%s\"}", pair.patient), NULL),
		     403, "forbidden");
	expect_error(e2e_request("POST", message_action(id, "mark_read"), pair.patient_token,
				 e2e_printf("{\"user_id\": \"%s\"}", pair.therapist), NULL),
		     403, "forbidden");
	cr_assert_str_eq(db_read_status(id), "sent");
	cr_assert_eq(unread_count(pair.therapist_token, pair.chat_id), 1);
}

/* ================================================= get_unread_messages */

Test(messages, get_unread_messages_lists_only_unread_undeleted_messages_from_others)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *read = send_id(pair.patient_token, pair.chat_id, "read");
	const char *unread = send_id(pair.patient_token, pair.chat_id, "unread");
	const char *deleted = send_id(pair.patient_token, pair.chat_id, "deleted");
	const char *own = send_id(pair.therapist_token, pair.chat_id, "own");
	expect_status(e2e_request("POST", message_action(read, "mark_read"), pair.therapist_token, NULL,
				  NULL), 200);
	expect_status(e2e_request("DELETE", message_path(deleted), pair.patient_token, NULL, NULL), 204);
	struct e2e_reply *reply = e2e_request("GET", "/api/messages/get_unread_messages/",
					      pair.therapist_token, NULL, NULL);
	cr_assert_str_eq(e2e_list_ids(reply), unread);
	cr_assert(e2e_keys_are(e2e_at(reply->json, 0), list_fields), "list fields: %s", reply->body);
	struct e2e_reply *explicit_self = e2e_request(
		"GET", e2e_printf("/api/messages/get_unread_messages/?user_id=%s", pair.therapist),
		pair.therapist_token, NULL, NULL);
	cr_assert_str_eq(e2e_list_ids(explicit_self), unread);
	cr_assert_str_eq(e2e_list_ids(e2e_request("GET", "/api/messages/get_unread_messages", pair.patient_token,
					      NULL, NULL)), own);
}

Test(messages, get_unread_messages_for_another_user_is_403_but_allowed_to_an_admin)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *id = send_id(pair.patient_token, pair.chat_id, "hello");
	const char *path = e2e_printf("/api/messages/get_unread_messages/?user_id=%s", pair.therapist);
	expect_error(e2e_request("GET", path, pair.patient_token, NULL, NULL), 403, "forbidden");
	struct e2e_reply *by_admin = e2e_request("GET", path, e2e_admin_token(), NULL, NULL);
	cr_assert_str_eq(e2e_list_ids(by_admin), id);
	/* Listing another user's unread messages delivers nothing. */
	expect_string(e2e_at(by_admin->json, 0), "read_status", "sent");
	cr_assert_str_eq(db_read_status(id), "sent");
}

Test(messages, get_unread_messages_chat_id_narrows_to_one_chat)
{
	const char *patients[2], *chats[2], *ids[2];
	const char *token = e2e_token(therapist_with_chats(2, patients, chats));
	for (int i = 0; i < 2; i++)
		ids[i] = send_id(e2e_token(patients[i]), chats[i], e2e_printf("from %d", i));
	const char *base = "/api/messages/get_unread_messages/";
	cr_assert_str_eq(e2e_list_ids(e2e_request("GET", e2e_printf("%s?chat_id=%s", base, chats[1]), token,
					      NULL, NULL)), ids[1]);
	cr_assert_str_eq(e2e_list_ids(e2e_request("GET", e2e_printf("%s?chat_id=%s", base, chats[0]), token,
					      NULL, NULL)), ids[0]);
	cr_assert_str_eq(e2e_list_ids(e2e_request("GET", base, token, NULL, NULL)), join2(ids[0], ids[1]));
}

/* ======================================================= mark_all_read */

Test(messages, mark_all_read_marks_every_unread_message_and_zeroes_the_count)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *from_patient[3];
	for (int i = 0; i < 3; i++)
		from_patient[i] = send_id(pair.patient_token, pair.chat_id, e2e_printf("p%d", i));
	const char *own = send_id(pair.therapist_token, pair.chat_id, "own");
	cr_assert_eq(unread_count(pair.therapist_token, pair.chat_id), 3);
	struct e2e_reply *reply = e2e_request("POST",
					      e2e_printf("/api/chats/%s/mark_all_read/", pair.chat_id),
					      pair.therapist_token, NULL, NULL);
	expect_status(reply, 200);
	expect_string(reply->json, "message", "All messages marked as read");
	cr_assert_eq(e2e_int(reply->json, "marked"), 3);
	cr_assert_eq(e2e_int(reply->json, "unread_count"), 0);
	struct json_object *chat = chat_detail(pair.therapist_token, pair.chat_id);
	cr_assert_eq(e2e_int(chat, "unread_count"), 0);
	cr_assert_eq(e2e_int(chat, "therapist_unread_count"), 0);
	cr_assert_eq(e2e_int(chat, "patient_unread_count"), 1);
	for (int i = 0; i < 3; i++) {
		struct json_object *message = message_detail(pair.patient_token, from_patient[i]);
		expect_string(message, "read_status", "read");
		expect_timestamp(message, "read_at");
		expect_string(message, "read_by", pair.therapist);
	}
	expect_string(message_detail(pair.therapist_token, own), "read_status", "sent");
	struct e2e_reply *again = e2e_request("POST",
					      e2e_printf("/api/chats/%s/mark_all_read/", pair.chat_id),
					      pair.therapist_token, NULL, NULL);
	expect_status(again, 200);
	cr_assert_eq(e2e_int(again->json, "marked"), 0);
	cr_assert_str_eq(e2e_list_ids(e2e_request("GET", "/api/messages/get_unread_messages/",
					      pair.therapist_token, NULL, NULL)), "");
}
