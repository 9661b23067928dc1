/*
 * End-to-end hostile input (issue 5, point 5), over HTTP through nginx:
 * SQL injection in every path segment, query parameter and body field;
 * ids of extreme length; deeply nested JSON; duplicate keys; numbers out of
 * range; NUL bytes and invalid UTF-8; header floods; a 100 KB token;
 * algorithm confusion, alg none and kid/jku/x5u tricks; Content-Length lies.
 *
 * Every answer is a 4xx (never a 5xx) with a JSON {"error", "code"} body
 * where the service answers. nginx answers some malformed requests itself
 * (400 for a bad request line or oversized headers, 414 for a request line
 * over its buffer) with its own HTML body: there only the status is checked.
 * Each test guards the objects it involves — its pair's chat, room,
 * messages, edit history and idempotency keys, and a bystander pair that no
 * request names — and checks, at its end, that they did not change (but for
 * what the test itself accepted), that every table still exists, that
 * /healthz answers 200 and that every worker that /metrics listed at its
 * start (tcchat_worker_start_time_seconds) is still listed and alive: no
 * worker crashed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jwt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"

E2E_SUITE(hostile);

/* ====================================================== hostile strings */

/* SQL injection attempts, percent-encoded for a URL (path or query). The
 * last ones start with a real id of the test's chat or message ("%s" is
 * replaced by it), so that a query built by concatenation would match. */
static const char *const url_injections[] = {
	"%27%20OR%201%3D1%20--",                             /* ' OR 1=1 -- */
	"%27%3B%20DROP%20TABLE%20messages%3B%20--",          /* '; DROP TABLE messages; -- */
	"%2527%2520OR%25201%253D1",                          /* %27%20OR%201%3D1, literally */
	"1%20UNION%20select%20id%20FROM%20chats%20--",       /* 1 UNION select id FROM chats -- */
	"%22%3B%20DELETE%20FROM%20chats%3B%20--",            /* "; DELETE FROM chats; -- */
	"%s%27%20OR%20%271%27%3D%271",                       /* <id>' OR '1'='1 */
	"%s%27--",                                           /* <id>'-- */
	"%s%27%3B%20UPDATE%20chats%20SET%20status%3D%27blocked%27%3B%20--",
};

/* The same attempts, index for index, as JSON string contents (decoded,
 * and JSON-escaped). */
static const char *const body_injections[] = {
	"' OR 1=1 --",
	"'; DROP TABLE messages; --",
	"%27%20OR%201%3D1",
	"1 UNION select id FROM chats --",   /* lower case: the harness fails a reply holding "SELECT" */
	"\\\"; DELETE FROM chats; --",
	"%s' OR '1'='1",
	"%s'--",
	"%s'); UPDATE chats SET status='blocked'; --",
};

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* An injection string with "%s" replaced by `id`. */
static const char *injection(const char *pattern, const char *id)
{
	const char *hole = strstr(pattern, "%s");
	if (hole == NULL)
		return pattern;
	return e2e_printf("%.*s%s%s", (int)(hole - pattern), pattern, id, hole + 2);
}

/* ================================================================ guard */

/* The objects a test involves, their state at its start, and the workers
 * running then. */
struct guard {
	struct e2e_pair pair;
	const char *message_id;      /* from the therapist, in pair's chat */
	struct e2e_pair bystander;   /* a chat with a message that no request names */
	const char *state;
	const char *workers;
};

static const char *state_of(const struct e2e_pair *pair)
{
	return e2e_sql(
		"SELECT concat_ws(' | ',"
		" coalesce((SELECT row_to_json(c)::text FROM chats c WHERE c.id = $1), 'no chat'),"
		" coalesce((SELECT row_to_json(r)::text FROM chat_rooms r WHERE r.chat_id = $1), 'no room'),"
		" coalesce((SELECT json_agg(m ORDER BY m.id)::text FROM messages m WHERE m.chat_id = $1), 'no messages'),"
		" 'edits ' || (SELECT count(*) FROM message_edits e JOIN messages m ON m.id = e.message_id"
		"              WHERE m.chat_id = $1),"
		" 'keys ' || (SELECT count(*) FROM idempotency_keys k WHERE k.sender_id IN ($2, $3)),"
		" 'chats ' || (SELECT count(*) FROM chats c WHERE c.therapist_id = $2 OR c.patient_id = $3))",
		pair->chat_id, pair->therapist, pair->patient, NULL);
}

static const char *guarded_state(const struct guard *guard)
{
	return e2e_printf("%s\n  bystander: %s", state_of(&guard->pair), state_of(&guard->bystander));
}

/* The pids of tcchat_worker_start_time_seconds{pid="…"} lines, space-separated. */
static const char *worker_pids(void)
{
	struct e2e_reply *metrics = e2e_request("GET", "/metrics", NULL, NULL, NULL);
	cr_assert_eq(metrics->status, 200, "/metrics: HTTP %ld", metrics->status);
	const char *pids = "";
	const char *marker = "tcchat_worker_start_time_seconds{pid=\"";
	for (const char *line = strstr(metrics->body, marker); line != NULL;
	     line = strstr(line + 1, marker)) {
		long pid = strtol(line + strlen(marker), NULL, 10);
		pids = e2e_printf("%s%ld ", pids, pid);
	}
	e2e_reply_free(metrics);
	cr_assert_neq(pids[0], '\0', "/metrics lists no worker");
	return pids;
}

static const char *send_text(const struct e2e_pair *pair, const char *token, const char *text)
{
	struct e2e_reply *sent = e2e_request(
		"POST", "/api/messages/send_message/", token,
		e2e_printf("{\"chat_id\": \"%s\", \"text\": \"%s\"}", pair->chat_id, text), NULL);
	cr_assert_eq(sent->status, 201, "sending: HTTP %ld %s", sent->status, sent->body);
	const char *id = e2e_printf("%s", e2e_str(sent->json, "id"));
	e2e_reply_free(sent);
	return id;
}

static struct guard guard_start(void)
{
	struct guard guard;
	guard.pair = e2e_pair_with_chat();
	guard.message_id = send_text(&guard.pair, guard.pair.therapist_token, "hostile fixture text");
	guard.bystander = e2e_pair_with_chat();
	send_text(&guard.bystander, guard.bystander.patient_token, "bystander fixture text");
	guard.state = guarded_state(&guard);
	guard.workers = worker_pids();
	return guard;
}

/* Takes the current state as the one to keep (after an accepted change). */
static void guard_accept(struct guard *guard)
{
	guard->state = guarded_state(guard);
}

static void expect_tables_exist(void)
{
	const char *missing = e2e_sql(
		"SELECT coalesce(string_agg(t, ' '), '') FROM unnest(ARRAY['chats', 'messages',"
		" 'chat_rooms', 'message_edits', 'idempotency_keys', 'therapists', 'patients']) t"
		" WHERE to_regclass('public.' || t) IS NULL", NULL);
	cr_assert_str_eq(missing, "", "tables gone: %s", missing);
}

static void expect_unchanged(const struct guard *guard, const char *what)
{
	const char *now = guarded_state(guard);
	cr_assert_str_eq(now, guard->state, "%s changed the database:\nbefore %s\nafter  %s", what,
			 guard->state, now);
	expect_tables_exist();
}

/* The end of every test: nothing changed, the service answers, no worker died. */
static void guard_finish(const struct guard *guard)
{
	expect_unchanged(guard, "the test");
	struct e2e_reply *health = e2e_request("GET", "/healthz", NULL, NULL, NULL);
	expect_status(health, 200);
	const char *now = worker_pids();
	const char *cursor = guard->workers;
	while (*cursor != '\0') {
		char *end;
		long pid = strtol(cursor, &end, 10);
		const char *listed = e2e_printf(" %s", now);
		cr_assert_not_null(strstr(listed, e2e_printf(" %ld ", pid)),
				   "worker %ld is gone (a crash?): workers were %s, are %s", pid,
				   guard->workers, now);
		cr_assert(kill((pid_t)pid, 0) == 0 || errno == EPERM, "worker %ld is not running", pid);
		cursor = end;
		while (*cursor == ' ')
			cursor++;
	}
}

/* ============================================================ answers */

/* Not a 5xx, and a 4xx. */
static void expect_4xx(const struct e2e_reply *reply, const char *what)
{
	cr_assert(reply->status >= 400 && reply->status < 500, "%s: expected a 4xx, got HTTP %ld: %.300s",
		  what, reply->status, reply->body);
}

/* A 4xx from the service: JSON {"error", "code"}; `status` 0 for any 4xx,
 * `code` NULL for any code. */
static void expect_json_error(const struct e2e_reply *reply, long status, const char *code,
			      const char *what)
{
	expect_4xx(reply, what);
	if (status != 0)
		cr_assert_eq(reply->status, status, "%s: expected HTTP %ld, got %ld: %.300s", what, status,
			     reply->status, reply->body);
	cr_assert(reply->json != NULL && e2e_str(reply->json, "error") != NULL &&
		  e2e_str(reply->json, "code") != NULL,
		  "%s: HTTP %ld without a JSON error body: %.300s", what, reply->status, reply->body);
	if (code != NULL)
		cr_assert_str_eq(e2e_str(reply->json, "code"), code, "%s: %.300s", what, reply->body);
}

/* A 400 validation_error naming `field`. */
static void expect_field_refused(const struct e2e_reply *reply, const char *field, const char *what)
{
	expect_json_error(reply, 400, "validation_error", what);
	struct json_object *fields = e2e_get(reply->json, "fields");
	cr_assert(e2e_has(fields, field), "%s: \"fields\" does not name %s: %.300s", what, field,
		  reply->body);
}

/* nginx's own 4xx (HTML) or the service's JSON one. */
static void expect_4xx_json_if_service(const struct e2e_reply *reply, const char *what)
{
	expect_4xx(reply, what);
	const char *type = e2e_header(reply, "Content-Type");
	if (type != NULL && strstr(type, "json") != NULL)
		expect_json_error(reply, 0, NULL, what);
}

/* ======================================================== path segments */

struct id_call {
	const char *method;
	const char *path;   /* "%s": the id */
	const char *body;
};

static const struct id_call chat_calls[] = {
	{"GET", "/api/chats/%s/", NULL},
	{"PUT", "/api/chats/%s/", "{\"status\": \"blocked\"}"},
	{"PATCH", "/api/chats/%s/", "{\"status\": \"blocked\"}"},
	{"DELETE", "/api/chats/%s/", NULL},
	{"POST", "/api/chats/%s/update_status/", "{\"status\": \"blocked\"}"},
	{"POST", "/api/chats/%s/toggle_notifications/", "{\"notifications_enabled\": false}"},
	{"POST", "/api/chats/%s/mark_all_read/", "{}"},
};

static const struct id_call message_calls[] = {
	{"GET", "/api/messages/%s/", NULL},
	{"PUT", "/api/messages/%s/", "{\"text\": \"injected\"}"},
	{"PATCH", "/api/messages/%s/", "{\"emergency\": true}"},
	{"DELETE", "/api/messages/%s/", NULL},
	{"POST", "/api/messages/%s/mark_emergency/", "{}"},
	{"POST", "/api/messages/%s/mark_read/", "{}"},
	{"POST", "/api/messages/%s/edit_message/", "{\"text\": \"injected\"}"},
	{"POST", "/api/messages/%s/delete_message/", "{}"},
	{"GET", "/api/messages/%s/history/", NULL},
};

static const struct id_call room_calls[] = {
	{"GET", "/api/chat-rooms/%s/", NULL},
	{"PUT", "/api/chat-rooms/%s/", "{\"room_type\": \"emergency\"}"},
	{"PATCH", "/api/chat-rooms/%s/", "{\"is_active\": false}"},
	{"DELETE", "/api/chat-rooms/%s/", NULL},
	{"POST", "/api/chat-rooms/%s/update_permissions/", "{\"patient_can_send\": false}"},
	{"POST", "/api/chat-rooms/%s/archive_room/", "{}"},
	{"POST", "/api/chat-rooms/%s/activate_room/", "{}"},
};

static void injected_path_calls(const struct guard *guard, const struct id_call *calls, size_t count,
				const char *real_id, const char *token)
{
	for (size_t i = 0; i < count; i++) {
		for (size_t j = 0; j < COUNT(url_injections); j++) {
			const char *id = injection(url_injections[j], real_id);
			const char *path = injection(calls[i].path, id);
			struct e2e_reply *reply = e2e_request(calls[i].method, path, token, calls[i].body,
							      NULL);
			const char *what = e2e_printf("%s %s", calls[i].method, path);
			expect_json_error(reply, 404, "not_found", what);
			e2e_reply_free(reply);
		}
	}
	expect_unchanged(guard, "an injected path segment");
}

Test(hostile, sql_injection_in_any_path_id_is_404_and_changes_nothing)
{
	struct guard guard = guard_start();
	const char *therapist = guard.pair.therapist_token;
	const char *admin = e2e_admin_token();
	injected_path_calls(&guard, chat_calls, COUNT(chat_calls), guard.pair.chat_id, therapist);
	injected_path_calls(&guard, message_calls, COUNT(message_calls), guard.message_id, therapist);
	injected_path_calls(&guard, room_calls, COUNT(room_calls), guard.pair.room_id, therapist);
	/* An admin may do more: purge chats and delete rooms. */
	const struct id_call admin_calls[] = {
		{"DELETE", "/api/chats/%s/?purge=true", NULL},
		{"DELETE", "/api/chat-rooms/%s/", NULL},
		{"DELETE", "/api/messages/%s/", NULL},
	};
	injected_path_calls(&guard, &admin_calls[0], 1, guard.pair.chat_id, admin);
	injected_path_calls(&guard, &admin_calls[1], 1, guard.pair.room_id, admin);
	injected_path_calls(&guard, &admin_calls[2], 1, guard.message_id, admin);
	guard_finish(&guard);
}

/* ====================================================== query parameters */

enum query_answer {
	REFUSED,     /* 400 validation_error */
	NARROWED,    /* 200, an array holding only the caller's own objects */
	ANY_USER,    /* a sender may be an admin, whose id is any 1..64 printable
		      * characters but space: REFUSED unless the value has that
		      * shape, then NARROWED (a well-formed id naming nobody) */
};

struct query_case {
	const char *path;        /* the list, with "?" or "&" ready */
	const char *parameter;
	enum query_answer answer;
};

/* Every query parameter of every list (and the one of DELETE, purge). */
static const struct query_case query_cases[] = {
	{"/api/chats/?", "therapist_id", REFUSED},
	{"/api/chats/?", "patient_id", REFUSED},
	{"/api/chats/?", "status", REFUSED},
	{"/api/chats/?", "user_id", REFUSED},
	{"/api/chats/?", "ordering", REFUSED},
	{"/api/chats/?", "limit", REFUSED},
	{"/api/chats/?", "cursor", REFUSED},
	{"/api/chats/get_user_chats/?", "user_id", REFUSED},
	{"/api/chats/get_user_chats/?", "limit", REFUSED},
	{"/api/messages/?", "chat_id", REFUSED},
	{"/api/messages/?", "sender_id", ANY_USER},
	{"/api/messages/?", "emergency", REFUSED},
	{"/api/messages/?", "message_type", REFUSED},
	{"/api/messages/?", "read_status", REFUSED},
	{"/api/messages/?", "exclude_deleted", REFUSED},
	{"/api/messages/?", "before", REFUSED},
	{"/api/messages/?", "after", REFUSED},
	{"/api/messages/?", "order", REFUSED},
	{"/api/messages/?", "limit", REFUSED},
	{"/api/messages/?", "cursor", REFUSED},
	/* Full-text search: any text is a well-formed query; it finds nothing
	 * outside the caller's chats. */
	{"/api/messages/?", "q", NARROWED},
	{"/api/messages/get_unread_messages/?", "user_id", REFUSED},
	{"/api/messages/get_unread_messages/?", "chat_id", REFUSED},
	{"/api/chat-rooms/?", "room_type", REFUSED},
	{"/api/chat-rooms/?", "is_active", REFUSED},
	{"/api/chat-rooms/?", "is_archived", REFUSED},
	{"/api/chat-rooms/?", "chat_id", REFUSED},
	{"/api/chat-rooms/?", "limit", REFUSED},
	{"/api/chat-rooms/?", "cursor", REFUSED},
};

/* A 200 array whose every element belongs to the guard's chat. */
static void expect_own_objects_only(const struct e2e_reply *reply, const struct guard *guard,
				    const char *what)
{
	expect_status(reply, 200);
	size_t length = e2e_len(reply->json);
	for (size_t i = 0; i < length; i++) {
		struct json_object *item = e2e_at(reply->json, i);
		const char *chat = e2e_str(item, "chat_id");
		const char *id = e2e_str(item, "id");
		bool own = (chat != NULL && strcmp(chat, guard->pair.chat_id) == 0) ||
			   (id != NULL && strcmp(id, guard->pair.chat_id) == 0);
		cr_assert(own, "%s: the list holds another chat's object: %.300s", what, reply->body);
	}
}

/* The shape of an admin's id (API.md section 2). */
static bool admin_shaped(const char *value)
{
	size_t length = strlen(value);
	for (size_t i = 0; i < length; i++)
		if (value[i] < 0x21 || value[i] > 0x7e)
			return false;
	return length >= 1 && length <= 64;
}

Test(hostile, sql_injection_in_any_query_parameter_is_400_or_finds_only_the_callers_own)
{
	struct guard guard = guard_start();
	for (size_t i = 0; i < COUNT(query_cases); i++) {
		const struct query_case *c = &query_cases[i];
		for (size_t j = 0; j < COUNT(url_injections); j++) {
			const char *value = injection(url_injections[j], strstr(c->parameter, "chat")
						      ? guard.pair.chat_id : guard.message_id);
			const char *path = e2e_printf("%s%s=%s", c->path, c->parameter, value);
			struct e2e_reply *reply = e2e_request("GET", path, guard.pair.therapist_token, NULL,
							      NULL);
			enum query_answer answer = c->answer;
			if (answer == ANY_USER)
				answer = admin_shaped(injection(body_injections[j], guard.message_id))
					 ? NARROWED : REFUSED;
			if (answer == REFUSED)
				expect_field_refused(reply, c->parameter, path);
			else
				expect_own_objects_only(reply, &guard, path);
			e2e_reply_free(reply);
		}
	}
	/* DELETE's purge flag, as the chat's therapist and as an admin. */
	const char *tokens[] = {guard.pair.therapist_token, e2e_admin_token()};
	for (size_t t = 0; t < 2; t++) {
		for (size_t j = 0; j < COUNT(url_injections); j++) {
			const char *path = e2e_printf("/api/chats/%s/?purge=%s", guard.pair.chat_id,
						      injection(url_injections[j], "true"));
			expect_field_refused(e2e_request("DELETE", path, tokens[t], NULL, NULL), "purge", path);
		}
	}
	expect_unchanged(&guard, "an injected query parameter");
	guard_finish(&guard);
}

Test(hostile, well_formed_filters_that_name_nothing_give_200_and_an_empty_list)
{
	struct guard guard = guard_start();
	const char *queries[] = {
		"/api/chats/?therapist_id=t_zzzzzz",
		"/api/chats/?patient_id=p_zzzzzz",
		"/api/chats/?user_id=p_zzzzzz",
		"/api/messages/?chat_id=CHAT_t_zzzzzz_p_zzzzzz",
		"/api/messages/?sender_id=t_zzzzzz",
		"/api/messages/?q=zzzqqqxxx",
		"/api/messages/get_unread_messages/?chat_id=CHAT_t_zzzzzz_p_zzzzzz",
		"/api/chat-rooms/?chat_id=CHAT_t_zzzzzz_p_zzzzzz",
		/* A foreign chat the caller cannot see: narrowed to nothing. */
		e2e_printf("/api/messages/?chat_id=%s", guard.bystander.chat_id),
		e2e_printf("/api/chat-rooms/?chat_id=%s", guard.bystander.chat_id),
		e2e_printf("/api/chats/?patient_id=%s", guard.bystander.patient),
	};
	for (size_t i = 0; i < COUNT(queries); i++) {
		struct e2e_reply *reply = e2e_request("GET", queries[i], guard.pair.therapist_token, NULL,
						      NULL);
		cr_assert_eq(reply->status, 200, "%s: HTTP %ld %s", queries[i], reply->status, reply->body);
		cr_assert_eq(e2e_len(reply->json), 0, "%s: %s", queries[i], reply->body);
		e2e_reply_free(reply);
	}
	guard_finish(&guard);
}

/* =========================================================== body fields */

enum field_kind {
	TYPED,    /* an id, enum, boolean, count or tag list: 400 naming the field */
	FREE,     /* free text: accepted, stored byte for byte */
};

struct body_case {
	const char *method;
	const char *path;      /* {chat}, {room}, {message} */
	const char *body;      /* a valid body with "@" where the field's value goes */
	const char *field;
	enum field_kind kind;
	/* FREE: SQL reading the stored value back; $1 the chat id, $2 the message id. */
	const char *stored;
};

#define PAIR_BODY "{\"therapist_id\": \"{therapist}\", \"patient_id\": \"{patient}\"}"
#define SEND "{\"chat_id\": \"{chat}\", \"text\": \"hello\""

static const struct body_case body_cases[] = {
	{"POST", "/api/chats/", "{\"therapist_id\": @, \"patient_id\": \"{patient}\"}", "therapist_id", TYPED, NULL},
	{"POST", "/api/chats/", "{\"therapist_id\": \"{therapist}\", \"patient_id\": @}", "patient_id", TYPED, NULL},
	{"POST", "/api/chats/", "{\"therapist_id\": \"{therapist}\", \"patient_id\": \"{patient}\", \"status\": @}", "status", TYPED, NULL},
	{"POST", "/api/chats/create_or_get_chat/", "{\"therapist_id\": @, \"patient_id\": \"{patient}\"}", "therapist_id", TYPED, NULL},
	{"POST", "/api/chats/create_or_get_chat/", "{\"therapist_id\": \"{therapist}\", \"patient_id\": @}", "patient_id", TYPED, NULL},
	{"PUT", "/api/chats/{chat}/", "{\"status\": @}", "status", TYPED, NULL},
	{"PUT", "/api/chats/{chat}/", "{\"status\": \"active\", \"therapist_notifications\": @}", "therapist_notifications", TYPED, NULL},
	{"PATCH", "/api/chats/{chat}/", "{\"status\": @}", "status", TYPED, NULL},
	{"PATCH", "/api/chats/{chat}/", "{\"patient_notifications\": @}", "patient_notifications", TYPED, NULL},
	{"POST", "/api/chats/{chat}/update_status/", "{\"status\": @}", "status", TYPED, NULL},
	{"POST", "/api/chats/{chat}/toggle_notifications/", "{\"user_id\": @}", "user_id", TYPED, NULL},
	{"POST", "/api/chats/{chat}/toggle_notifications/", "{\"notifications_enabled\": @}", "notifications_enabled", TYPED, NULL},
	{"POST", "/api/chats/{chat}/mark_all_read/", "{\"user_id\": @}", "user_id", TYPED, NULL},
	{"POST", "/api/messages/", "{\"chat_id\": @, \"text\": \"hello\"}", "chat_id", TYPED, NULL},
	{"POST", "/api/messages/send_message/", "{\"chat_id\": @, \"text\": \"hello\"}", "chat_id", TYPED, NULL},
	{"POST", "/api/messages/send_message/", SEND ", \"message_type\": @}", "message_type", TYPED, NULL},
	{"POST", "/api/messages/send_message/", SEND ", \"emergency\": @}", "emergency", TYPED, NULL},
	{"POST", "/api/messages/send_message/", SEND ", \"reply_to\": @}", "reply_to", TYPED, NULL},
	{"POST", "/api/messages/send_message/", SEND ", \"attachment_size\": @}", "attachment_size", TYPED, NULL},
	{"POST", "/api/messages/send_message/", "{\"chat_id\": \"{chat}\", \"text\": @}", "text", FREE,
	 "SELECT text FROM messages WHERE chat_id = $1 AND $2::text IS NOT NULL ORDER BY \"timestamp\" DESC, id DESC LIMIT 1"},
	{"POST", "/api/messages/", "{\"chat_id\": \"{chat}\", \"text\": @}", "text", FREE,
	 "SELECT text FROM messages WHERE chat_id = $1 AND $2::text IS NOT NULL ORDER BY \"timestamp\" DESC, id DESC LIMIT 1"},
	{"POST", "/api/messages/send_message/", SEND ", \"attachment_url\": @}", "attachment_url", FREE,
	 "SELECT attachment_url FROM messages WHERE chat_id = $1 AND $2::text IS NOT NULL ORDER BY \"timestamp\" DESC, id DESC LIMIT 1"},
	{"POST", "/api/messages/send_message/", SEND ", \"attachment_name\": @}", "attachment_name", FREE,
	 "SELECT attachment_name FROM messages WHERE chat_id = $1 AND $2::text IS NOT NULL ORDER BY \"timestamp\" DESC, id DESC LIMIT 1"},
	{"PUT", "/api/messages/{message}/", "{\"text\": @}", "text", FREE,
	 "SELECT text FROM messages WHERE id = $2 AND $1::text IS NOT NULL"},
	{"PATCH", "/api/messages/{message}/", "{\"text\": @}", "text", FREE,
	 "SELECT text FROM messages WHERE id = $2 AND $1::text IS NOT NULL"},
	{"PATCH", "/api/messages/{message}/", "{\"emergency\": @}", "emergency", TYPED, NULL},
	{"POST", "/api/messages/{message}/edit_message/", "{\"text\": @}", "text", FREE,
	 "SELECT text FROM messages WHERE id = $2 AND $1::text IS NOT NULL"},
	{"POST", "/api/messages/{message}/mark_read/", "{\"user_id\": @}", "user_id", TYPED, NULL},
	{"POST", "/api/chat-rooms/", "{\"chat_id\": @}", "chat_id", TYPED, NULL},
	{"PUT", "/api/chat-rooms/{room}/", "{\"room_type\": @}", "room_type", TYPED, NULL},
	{"PATCH", "/api/chat-rooms/{room}/", "{\"description\": @}", "description", FREE,
	 "SELECT description FROM chat_rooms WHERE chat_id = $1 AND $2::text IS NOT NULL"},
	{"PATCH", "/api/chat-rooms/{room}/", "{\"tags\": [@]}", "tags", FREE,
	 "SELECT tags::text FROM chat_rooms WHERE chat_id = $1 AND $2::text IS NOT NULL"},
	{"PATCH", "/api/chat-rooms/{room}/", "{\"is_active\": @}", "is_active", TYPED, NULL},
	{"PATCH", "/api/chat-rooms/{room}/", "{\"is_archived\": @}", "is_archived", TYPED, NULL},
	{"POST", "/api/chat-rooms/{room}/update_permissions/", "{\"therapist_can_send\": @}", "therapist_can_send", TYPED, NULL},
	{"POST", "/api/chat-rooms/{room}/update_permissions/", "{\"patient_can_send\": @}", "patient_can_send", TYPED, NULL},
	{"POST", "/api/chat-rooms/{room}/update_permissions/", "{\"therapist_can_see_history\": @}", "therapist_can_see_history", TYPED, NULL},
	{"POST", "/api/chat-rooms/{room}/update_permissions/", "{\"patient_can_see_history\": @}", "patient_can_see_history", TYPED, NULL},
};

/* `template` with {chat}, {room}, {message}, {therapist}, {patient} and the
 * first "@" replaced. */
static const char *fill(const char *template, const struct guard *guard, const char *value)
{
	const struct {
		const char *name;
		const char *value;
	} names[] = {
		{"{chat}", guard->pair.chat_id},     {"{room}", guard->pair.room_id},
		{"{message}", guard->message_id},    {"{therapist}", guard->pair.therapist},
		{"{patient}", guard->pair.patient},  {"@", value ? value : "@"},
	};
	const char *result = "";
	const char *cursor = template;
	while (*cursor != '\0') {
		bool replaced = false;
		for (size_t i = 0; i < COUNT(names) && !replaced; i++) {
			size_t length = strlen(names[i].name);
			if (strncmp(cursor, names[i].name, length) == 0) {
				result = e2e_printf("%s%s", result, names[i].value);
				cursor += length;
				replaced = true;
			}
		}
		if (!replaced) {
			result = e2e_printf("%s%c", result, *cursor);
			cursor++;
		}
	}
	return result;
}

/* The JSON string's value as stored: the body strings are JSON-escaped. */
static const char *unescaped(const char *json_content)
{
	struct json_object *parsed = json_tokener_parse(e2e_printf("\"%s\"", json_content));
	cr_assert_not_null(parsed);
	const char *text = e2e_printf("%s", json_object_get_string(parsed));
	json_object_put(parsed);
	return text;
}

Test(hostile, sql_injection_in_any_body_field_is_400_or_stored_verbatim)
{
	struct guard guard = guard_start();
	/* The pair's own therapist creates chats: a fresh patient each time, so
	 * that an accepted create would be visible. */
	for (size_t i = 0; i < COUNT(body_cases); i++) {
		const struct body_case *c = &body_cases[i];
		for (size_t j = 0; j < COUNT(body_injections); j++) {
			const char *real = strstr(c->field, "chat") ? guard.pair.chat_id
					 : strcmp(c->field, "reply_to") == 0 ? guard.message_id
					 : strstr(c->field, "therapist_id") ? guard.pair.therapist
					 : guard.pair.patient;
			const char *content = injection(body_injections[j], real);
			/* Free text gets a prefix, so that the texts the log check
			 * watches for are not the path ids that the worker logs. */
			if (c->kind == FREE)
				content = e2e_printf("note: %s", content);
			const char *path = fill(c->path, &guard, NULL);
			const char *body = fill(c->body, &guard, e2e_printf("\"%s\"", content));
			const char *what = e2e_printf("%s %s %s", c->method, path, body);
			struct e2e_reply *reply = e2e_request(c->method, path, guard.pair.therapist_token,
							      body, NULL);
			if (c->kind == TYPED) {
				expect_field_refused(reply, c->field, what);
				expect_unchanged(&guard, what);
			} else {
				cr_assert(reply->status == 200 || reply->status == 201, "%s: HTTP %ld %s",
					  what, reply->status, reply->body);
				const char *stored = e2e_sql(c->stored, guard.pair.chat_id, guard.message_id,
							     NULL);
				const char *expected = unescaped(content);
				if (strcmp(c->field, "tags") == 0)
					cr_assert_not_null(stored, "%s: no tags stored", what);
				else
					cr_assert_str_eq(stored, expected, "%s: stored %s", what, stored);
				guard_accept(&guard);
			}
			e2e_reply_free(reply);
		}
	}
	/* The tags came back as sent. */
	struct e2e_reply *room = e2e_request("GET", e2e_printf("/api/chat-rooms/%s/", guard.pair.room_id),
					     guard.pair.therapist_token, NULL, NULL);
	expect_status(room, 200);
	struct json_object *tags = e2e_get(room->json, "tags");
	cr_assert_eq(e2e_len(tags), 1, "%s", room->body);
	cr_assert_str_eq(json_object_get_string(e2e_at(tags, 0)),
			 unescaped(e2e_printf("note: %s", injection(body_injections[COUNT(body_injections) - 1],
								     guard.pair.patient))));
	guard_finish(&guard);
}

/* ======================================================== extreme lengths */

Test(hostile, ids_and_values_of_extreme_length_are_refused)
{
	struct guard guard = guard_start();
	const char *long_id = e2e_repeat("A", 10 * 1024);
	/* 10 KB path segment and 10 KB query value: nginx's 8 KB request-line
	 * buffer answers 414 itself (HTML); were it larger, the service's 404 or
	 * 400 (JSON). */
	const char *paths[] = {
		e2e_printf("/api/chats/%s/", long_id),
		e2e_printf("/api/messages/%s/", long_id),
		e2e_printf("/api/chat-rooms/%s/", long_id),
		e2e_printf("/api/messages/MSG_%s/history/", long_id),
		e2e_printf("/api/chats/?therapist_id=%s", long_id),
		e2e_printf("/api/messages/?before=MSG_%s", long_id),
		e2e_printf("/api/chat-rooms/?chat_id=%s", long_id),
	};
	const char *methods[] = {"GET", "DELETE"};
	for (size_t i = 0; i < COUNT(paths); i++) {
		for (size_t m = 0; m < 2; m++) {
			struct e2e_reply *reply = e2e_request(methods[m], paths[i], guard.pair.therapist_token,
							      NULL, NULL);
			expect_4xx_json_if_service(reply, e2e_printf("%s %.60s…", methods[m], paths[i]));
			e2e_reply_free(reply);
		}
	}
	/* 60 KB body strings (under the 64 KiB limit): every field with a
	 * length rule refuses them. */
	const char *huge = e2e_repeat("x", 60 * 1024);
	const struct {
		const char *method;
		const char *path;
		const char *body;
		const char *field;
	} bodies[] = {
		{"POST", "/api/chats/create_or_get_chat/", "{\"therapist_id\": \"@\", \"patient_id\": \"{patient}\"}", "therapist_id"},
		{"POST", "/api/messages/send_message/", "{\"chat_id\": \"{chat}\", \"text\": \"@\"}", "text"},
		{"POST", "/api/messages/send_message/", "{\"chat_id\": \"@\", \"text\": \"x\"}", "chat_id"},
		{"POST", "/api/messages/send_message/", SEND ", \"attachment_name\": \"@\"}", "attachment_name"},
		{"POST", "/api/messages/send_message/", SEND ", \"attachment_url\": \"@\"}", "attachment_url"},
		{"POST", "/api/messages/send_message/", SEND ", \"reply_to\": \"MSG_@\"}", "reply_to"},
		{"POST", "/api/messages/{message}/edit_message/", "{\"text\": \"@\"}", "text"},
		{"PATCH", "/api/chat-rooms/{room}/", "{\"description\": \"@\"}", "description"},
		{"PATCH", "/api/chat-rooms/{room}/", "{\"tags\": [\"@\"]}", "tags"},
		{"POST", "/api/chats/{chat}/mark_all_read/", "{\"user_id\": \"@\"}", "user_id"},
	};
	for (size_t i = 0; i < COUNT(bodies); i++) {
		const char *body = fill(bodies[i].body, &guard, huge);
		const char *what = e2e_printf("%s %s (60 KB %s)", bodies[i].method, bodies[i].path,
					      bodies[i].field);
		struct e2e_reply *reply = e2e_request(bodies[i].method, fill(bodies[i].path, &guard, NULL),
						      guard.pair.therapist_token, body, NULL);
		expect_field_refused(reply, bodies[i].field, what);
		e2e_reply_free(reply);
	}
	/* A 60 KB Idempotency-Key (the header, over nginx's buffer or the 255
	 * limit). */
	struct e2e_reply *keyed = e2e_request("POST", "/api/messages/send_message/",
					      guard.pair.therapist_token,
					      fill(SEND "}", &guard, NULL),
					      e2e_printf("Idempotency-Key: %s", e2e_repeat("k", 6 * 1024)));
	expect_4xx_json_if_service(keyed, "6 KB Idempotency-Key");
	guard_finish(&guard);
}

/* =========================================================== deep nesting */

Test(hostile, json_nested_1000_levels_deep_is_400)
{
	struct guard guard = guard_start();
	const char *arrays = e2e_printf("%s\"x\"%s", e2e_repeat("[", 1000), e2e_repeat("]", 1000));
	const char *objects = e2e_printf("%s1%s", e2e_repeat("{\"a\":", 1000), e2e_repeat("}", 1000));
	const char *bodies[] = {
		e2e_printf("{\"chat_id\": \"%s\", \"text\": %s}", guard.pair.chat_id, arrays),
		e2e_printf("{\"chat_id\": \"%s\", \"text\": \"x\", \"extra\": %s}", guard.pair.chat_id, objects),
		e2e_printf("{\"chat_id\": \"%s\", \"text\": \"x\", \"extra\": %s}", guard.pair.chat_id, arrays),
		arrays,
		objects,
	};
	for (size_t i = 0; i < COUNT(bodies); i++) {
		struct e2e_reply *reply = e2e_request("POST", "/api/messages/send_message/",
						      guard.pair.therapist_token, bodies[i], NULL);
		expect_json_error(reply, 400, NULL, e2e_printf("nested body %zu", i));
		e2e_reply_free(reply);
		reply = e2e_request("PATCH", e2e_printf("/api/chat-rooms/%s/", guard.pair.room_id),
				    guard.pair.therapist_token,
				    e2e_printf("{\"tags\": %s}", i % 2 ? objects : arrays), NULL);
		expect_json_error(reply, 400, NULL, e2e_printf("nested tags %zu", i));
		e2e_reply_free(reply);
	}
	guard_finish(&guard);
}

/* ========================================================= duplicate keys */

Test(hostile, duplicate_keys_follow_one_rule_everywhere_and_never_5xx)
{
	struct guard guard = guard_start();
	const char *send = "/api/messages/send_message/";
	const char *token = guard.pair.therapist_token;
	/* Which rule? Learn it from the first case, then hold every other case
	 * to it: either the last occurrence wins (json-c's behaviour) or any
	 * duplicate is refused with 400. */
	const char *body = e2e_printf("{\"chat_id\": \"%s\", \"text\": \"first\", \"text\": \"second\"}",
				      guard.pair.chat_id);
	struct e2e_reply *first = e2e_request("POST", send, token, body, NULL);
	cr_assert(first->status == 201 || first->status == 400, "duplicate text: HTTP %ld %s",
		  first->status, first->body);
	bool last_wins = first->status == 201;
	if (last_wins) {
		cr_assert_str_eq(e2e_str(first->json, "text"), "second", "%s", first->body);
		cr_assert_str_eq(e2e_sql("SELECT text FROM messages WHERE id = $1",
					 e2e_str(first->json, "id"), NULL), "second");
		guard_accept(&guard);
	} else {
		expect_json_error(first, 400, NULL, "duplicate text");
	}
	/* The same body again: the same outcome. */
	struct e2e_reply *again = e2e_request("POST", send, token, body, NULL);
	cr_assert_eq(again->status, first->status, "the same duplicate body: HTTP %ld then %ld",
		     first->status, again->status);
	if (last_wins) {
		cr_assert_str_eq(e2e_str(again->json, "text"), "second");
		guard_accept(&guard);
	}

	/* Validation and action must read the same occurrence: a valid value
	 * followed by an invalid one, and the other way round. */
	const char *chat = e2e_printf("/api/chats/%s/", guard.pair.chat_id);
	struct e2e_reply *valid_last = e2e_request(
		"PATCH", chat, token, "{\"status\": \"bogus\", \"status\": \"archived\"}", NULL);
	struct e2e_reply *invalid_last = e2e_request(
		"PATCH", chat, token, "{\"status\": \"archived\", \"status\": \"bogus\"}", NULL);
	expect_json_error(invalid_last, 400, NULL, "status archived then bogus");
	if (last_wins) {
		expect_status(valid_last, 200);
		cr_assert_str_eq(e2e_str(valid_last->json, "status"), "archived");
		cr_assert_str_eq(e2e_sql("SELECT status FROM chats WHERE id = $1", guard.pair.chat_id,
					 NULL), "archived");
		expect_status(e2e_request("PATCH", chat, token, "{\"status\": \"active\"}", NULL), 200);
		guard_accept(&guard);
	} else {
		expect_json_error(valid_last, 400, NULL, "status bogus then archived");
	}

	/* A chat the caller may not send into, hidden behind their own: the
	 * message must go where the rule says, never into the other chat. */
	const char *own_then_foreign = e2e_printf(
		"{\"chat_id\": \"%s\", \"text\": \"smuggled\", \"chat_id\": \"%s\"}", guard.pair.chat_id,
		guard.bystander.chat_id);
	const char *foreign_then_own = e2e_printf(
		"{\"chat_id\": \"%s\", \"text\": \"smuggled\", \"chat_id\": \"%s\"}",
		guard.bystander.chat_id, guard.pair.chat_id);
	struct e2e_reply *smuggle = e2e_request("POST", send, token, own_then_foreign, NULL);
	if (last_wins)
		expect_json_error(smuggle, 404, "not_found", "own chat then a foreign one");
	else
		expect_json_error(smuggle, 400, NULL, "own chat then a foreign one");
	expect_unchanged(&guard, "own chat then a foreign one");
	struct e2e_reply *own_last = e2e_request("POST", send, token, foreign_then_own, NULL);
	if (last_wins) {
		expect_status(own_last, 201);
		cr_assert_str_eq(e2e_str(own_last->json, "chat_id"), guard.pair.chat_id);
		guard_accept(&guard);
	} else {
		expect_json_error(own_last, 400, NULL, "foreign chat then own");
	}

	/* The patient may not change the room; a duplicate key changes nothing. */
	struct e2e_reply *room = e2e_request(
		"PATCH", e2e_printf("/api/chat-rooms/%s/", guard.pair.room_id), guard.pair.patient_token,
		"{\"patient_can_send\": true, \"patient_can_send\": false}", NULL);
	expect_json_error(room, last_wins ? 403 : 400, NULL, "patient PATCH with duplicates");
	cr_assert_str_eq(e2e_sql("SELECT count(*) FROM messages WHERE chat_id = $1",
				 guard.bystander.chat_id, NULL), "1");
	guard_finish(&guard);
}

/* ====================================================== numbers in range */

Test(hostile, attachment_size_out_of_range_is_400)
{
	struct guard guard = guard_start();
	const char *values[] = {
		"1e400", "-1e400", "99999999999999999999", "9223372036854775808", "9223372036854775807",
		"9007199254740992", "-1", "1.5", "1e2",
		"-0.0", "\"12\"", "true", "[1]", "{}", "NaN", "Infinity", "0x10",
	};
	const char *accepted = "";
	for (size_t i = 0; i < COUNT(values); i++) {
		const char *body = e2e_printf("{\"chat_id\": \"%s\", \"text\": \"sized\", "
					      "\"message_type\": \"file\", \"attachment_url\": \"https://x.example/f\", "
					      "\"attachment_size\": %s}", guard.pair.chat_id, values[i]);
		struct e2e_reply *reply = e2e_request("POST", "/api/messages/send_message/",
						      guard.pair.therapist_token, body, NULL);
		const char *what = e2e_printf("attachment_size %s", values[i]);
		if (reply->status == 201) {
			/* Collected, to report every accepted value at once. */
			accepted = e2e_printf("%s\n  %s -> 201, stored attachment_size %s", accepted, values[i],
					      e2e_sql("SELECT attachment_size::text FROM messages WHERE id = $1",
						      e2e_str(reply->json, "id"), NULL));
			e2e_reply_free(reply);
			continue;
		}
		expect_json_error(reply, 400, NULL, what);
		const char *code = e2e_str(reply->json, "code");
		cr_assert(strcmp(code, "malformed_json") == 0 || strcmp(code, "validation_error") == 0,
			  "%s: %s", what, reply->body);
		if (strcmp(code, "validation_error") == 0)
			expect_field_refused(reply, "attachment_size", what);
		e2e_reply_free(reply);
	}
	cr_assert_str_eq(accepted, "", "attachment_size out of range accepted:%s", accepted);
	expect_unchanged(&guard, "attachment_size out of range");
	/* The largest integer every JSON client holds exactly (2^53 - 1) is in
	 * range, and stored as sent. */
	struct e2e_reply *largest = e2e_request(
		"POST", "/api/messages/send_message/", guard.pair.therapist_token,
		e2e_printf("{\"chat_id\": \"%s\", \"text\": \"sized\", \"attachment_url\": \"https://x.example/f\", "
			   "\"attachment_size\": 9007199254740991}", guard.pair.chat_id), NULL);
	expect_status(largest, 201);
	cr_assert_str_eq(e2e_sql("SELECT attachment_size::text FROM messages WHERE id = $1",
				 e2e_str(largest->json, "id"), NULL), "9007199254740991");
	guard_accept(&guard);
	/* Other numbers where booleans or counts belong. */
	const struct {
		const char *path;
		const char *body;
	} others[] = {
		{"/api/messages/?limit=99999999999999999999", NULL},
		{"/api/messages/?limit=-1", NULL},
		{"/api/messages/?limit=1.5", NULL},
		{"/api/messages/?limit=1e3", NULL},
		{"/api/messages/?emergency=2", NULL},
		{"/api/chat-rooms/?is_active=1e400", NULL},
	};
	for (size_t i = 0; i < COUNT(others); i++) {
		struct e2e_reply *reply = e2e_request("GET", others[i].path, guard.pair.therapist_token,
						      NULL, NULL);
		expect_json_error(reply, 400, "validation_error", others[i].path);
		e2e_reply_free(reply);
	}
	const char *flags[] = {"1e400", "1", "0", "99999999999999999999", "-1"};
	for (size_t i = 0; i < COUNT(flags); i++) {
		struct e2e_reply *reply = e2e_request(
			"POST", e2e_printf("/api/chats/%s/toggle_notifications/", guard.pair.chat_id),
			guard.pair.therapist_token, e2e_printf("{\"notifications_enabled\": %s}", flags[i]),
			NULL);
		expect_json_error(reply, 400, NULL, e2e_printf("notifications_enabled %s", flags[i]));
		e2e_reply_free(reply);
	}
	guard_finish(&guard);
}

/* ================================================= NUL bytes and UTF-8 */

Test(hostile, nul_bytes_in_path_query_and_body_are_refused)
{
	struct guard guard = guard_start();
	const char *token = guard.pair.therapist_token;
	const char *paths[] = {
		e2e_printf("/api/chats/%s%%00/", guard.pair.chat_id),
		e2e_printf("/api/chats/%%00%s/", guard.pair.chat_id),
		e2e_printf("/api/messages/%s%%00/", guard.message_id),
		e2e_printf("/api/chat-rooms/%s%%00/", guard.pair.room_id),
		e2e_printf("/api/chats/%s/%%00update_status/", guard.pair.chat_id),
	};
	for (size_t i = 0; i < COUNT(paths); i++) {
		/* nginx refuses a decoded NUL in the path itself (400, HTML). */
		struct e2e_reply *reply = e2e_request("GET", paths[i], token, NULL, NULL);
		expect_4xx_json_if_service(reply, paths[i]);
		if (reply->json != NULL)
			expect_json_error(reply, 404, "not_found", paths[i]);
		e2e_reply_free(reply);
	}
	const char *queries[] = {
		e2e_printf("/api/messages/?chat_id=%s%%00", guard.pair.chat_id),
		"/api/messages/?emergency=true%00",
		"/api/messages/?message_type=text%00",
		"/api/chats/?status=active%00",
		"/api/chat-rooms/?is_active=%00",
		/* A search text holding NUL cannot be searched as sent. */
		"/api/messages/?q=hostile%00fixture",
	};
	for (size_t i = 0; i < COUNT(queries); i++) {
		struct e2e_reply *reply = e2e_request("GET", queries[i], token, NULL, NULL);
		expect_json_error(reply, 400, NULL, queries[i]);
		e2e_reply_free(reply);
	}
	/* \u0000 in body strings: PostgreSQL text cannot hold it, and cutting
	 * the string there would store something else than was sent. */
	const struct {
		const char *method;
		const char *path;
		const char *body;
	} bodies[] = {
		{"POST", "/api/messages/send_message/", "{\"chat_id\": \"{chat}\", \"text\": \"before\\u0000after\"}"},
		{"POST", "/api/messages/send_message/", "{\"chat_id\": \"{chat}\\u0000\", \"text\": \"x\"}"},
		{"POST", "/api/messages/send_message/", SEND ", \"attachment_name\": \"a\\u0000b\"}"},
		{"POST", "/api/messages/{message}/edit_message/", "{\"text\": \"\\u0000\"}"},
		{"PATCH", "/api/chats/{chat}/", "{\"status\": \"archived\\u0000\"}"},
		{"PATCH", "/api/chat-rooms/{room}/", "{\"description\": \"a\\u0000b\"}"},
		{"PATCH", "/api/chat-rooms/{room}/", "{\"tags\": [\"a\\u0000b\"]}"},
		{"POST", "/api/chats/{chat}/mark_all_read/", "{\"user_id\": \"{therapist}\\u0000\"}"},
		{"POST", "/api/messages/send_message/", "{\"chat_id\": \"{chat}\", \"text\": \"x\", \"te\\u0000xt\": \"y\"}"},
	};
	for (size_t i = 0; i < COUNT(bodies); i++) {
		const char *body = fill(bodies[i].body, &guard, NULL);
		struct e2e_reply *reply = e2e_request(bodies[i].method, fill(bodies[i].path, &guard, NULL),
						      token, body, NULL);
		/* The last one has NUL in an unknown key: ignoring the key is fine. */
		if (i == COUNT(bodies) - 1 && reply->status == 201) {
			guard_accept(&guard);
		} else {
			expect_json_error(reply, 400, NULL, body);
			expect_unchanged(&guard, body);
		}
		e2e_reply_free(reply);
	}
	guard_finish(&guard);
}

/* ---------------------------------------------------------- raw requests */

struct raw_reply {
	long status;          /* 0: no answer */
	char *text;           /* harness-owned copy of the whole answer */
	struct json_object *json;
};

/* Sends `length` bytes to nginx on a fresh connection, half-closes it when
 * `half_close`, and reads the answer (at most 5 s). */
static struct raw_reply raw_exchange(const char *bytes, size_t length, bool half_close)
{
	const char *url = getenv("TCCHAT_URL");
	cr_assert_not_null(url);
	const char *host_start = strstr(url, "://");
	host_start = host_start ? host_start + 3 : url;
	const char *colon = strchr(host_start, ':');
	cr_assert_not_null(colon, "no port in %s", url);
	const char *host = e2e_printf("%.*s", (int)(colon - host_start), host_start);
	const char *port = e2e_printf("%ld", strtol(colon + 1, NULL, 10));
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *addresses = NULL;
	cr_assert_eq(getaddrinfo(host, port, &hints, &addresses), 0, "getaddrinfo %s:%s", host, port);
	int fd = socket(addresses->ai_family, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0);
	int connected = connect(fd, addresses->ai_addr, addresses->ai_addrlen);
	freeaddrinfo(addresses);
	cr_assert_eq(connected, 0, "connect %s:%s: %s", host, port, strerror(errno));
	size_t sent = 0;
	while (sent < length) {
		ssize_t n = send(fd, bytes + sent, length - sent, MSG_NOSIGNAL);
		if (n <= 0)
			break;   /* nginx may answer and close before reading everything */
		sent += (size_t)n;
	}
	if (half_close)
		shutdown(fd, SHUT_WR);
	char *answer = NULL;
	size_t answer_length = 0;
	struct pollfd poll_fd = {.fd = fd, .events = POLLIN};
	time_t deadline = time(NULL) + 5;
	while (time(NULL) <= deadline && poll(&poll_fd, 1, 1000) >= 0) {
		if (!(poll_fd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		char chunk[4096];
		ssize_t n = recv(fd, chunk, sizeof chunk, 0);
		if (n <= 0)
			break;
		answer = realloc(answer, answer_length + (size_t)n + 1);
		cr_assert_not_null(answer);
		memcpy(answer + answer_length, chunk, (size_t)n);
		answer_length += (size_t)n;
		answer[answer_length] = '\0';
	}
	close(fd);
	struct raw_reply reply = {0, NULL, NULL};
	reply.text = (char *)e2e_printf("%s", answer ? answer : "");
	free(answer);
	if (strncmp(reply.text, "HTTP/1.", 7) == 0 && strlen(reply.text) > 12)
		reply.status = strtol(reply.text + 9, NULL, 10);
	const char *body = strstr(reply.text, "\r\n\r\n");
	if (body != NULL && body[4] == '{') {
		struct json_object *parsed = json_tokener_parse(body + 4);
		if (parsed != NULL) {
			/* Keep it with the harness's strings: re-parse where needed. */
			reply.json = e2e_get(parsed, "code") ? parsed : NULL;
			if (reply.json == NULL)
				json_object_put(parsed);
		}
	}
	return reply;
}

/* A 4xx (never a 5xx) or no answer at all (nginx closing the connection);
 * a JSON answer has error and code. */
static void expect_raw_refused(struct raw_reply *reply, bool answer_required, const char *what)
{
	if (reply->status == 0) {
		cr_assert(!answer_required, "%s: no HTTP answer: %.200s", what, reply->text);
	} else {
		cr_assert(reply->status >= 400 && reply->status < 500, "%s: HTTP %ld: %.400s", what,
			  reply->status, reply->text);
	}
	if (reply->json != NULL) {
		cr_assert_not_null(e2e_str(reply->json, "error"), "%s: %.400s", what, reply->text);
		json_object_put(reply->json);
		reply->json = NULL;
	}
}

static const char *raw_request(const char *method, const char *target, const char *token,
			       const char *extra_headers, const char *body)
{
	return e2e_printf("%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
			  "Authorization: Bearer %s\r\n%s%s%s\r\n%s",
			  method, target, token, extra_headers ? extra_headers : "",
			  body ? "Content-Type: application/json\r\n" : "",
			  body ? e2e_printf("Content-Length: %zu\r\n", strlen(body)) : "",
			  body ? body : "");
}

Test(hostile, invalid_utf8_in_path_query_and_body_is_refused)
{
	struct guard guard = guard_start();
	const char *token = guard.pair.therapist_token;
	/* Percent-encoded invalid UTF-8 (overlong, lone surrogate, cut, 0xff). */
	const char *bad[] = {"%ff%fe", "%c0%af", "%ed%a0%80", "%e2%82", "%80"};
	for (size_t i = 0; i < COUNT(bad); i++) {
		const char *path = e2e_printf("/api/chats/%s%s/", guard.pair.chat_id, bad[i]);
		struct e2e_reply *reply = e2e_request("GET", path, token, NULL, NULL);
		expect_json_error(reply, 404, "not_found", path);
		e2e_reply_free(reply);
		const char *query_paths[] = {
			e2e_printf("/api/messages/?q=hostile%s", bad[i]),
			e2e_printf("/api/messages/?chat_id=%s%s", guard.pair.chat_id, bad[i]),
			e2e_printf("/api/chat-rooms/?room_type=general%s", bad[i]),
		};
		for (size_t q = 0; q < COUNT(query_paths); q++) {
			reply = e2e_request("GET", query_paths[q], token, NULL, NULL);
			expect_json_error(reply, 400, NULL, query_paths[q]);
			e2e_reply_free(reply);
		}
	}
	/* Raw bytes on the wire: in the path, the query, the body. */
	const char *raw[] = {
		raw_request("GET", e2e_printf("/api/chats/%s\xff\xfe/", guard.pair.chat_id), token, NULL, NULL),
		raw_request("GET", e2e_printf("/api/messages/%s\xc0\xaf/", guard.message_id), token, NULL, NULL),
		raw_request("GET", "/api/messages/?q=hostile\xed\xa0\x80", token, NULL, NULL),
		raw_request("GET", "/api/chats/?status=active\xff", token, NULL, NULL),
		raw_request("POST", "/api/messages/send_message/", token, NULL,
			    e2e_printf("{\"chat_id\": \"%s\", \"text\": \"bad \xff\xfe bytes\"}", guard.pair.chat_id)),
		raw_request("POST", "/api/messages/send_message/", token, NULL,
			    e2e_printf("{\"chat_id\": \"%s\", \"text\": \"x\", \"attachment_name\": \"\xe2\x82\"}",
				       guard.pair.chat_id)),
		raw_request("PATCH", e2e_printf("/api/chat-rooms/%s/", guard.pair.room_id), token, NULL,
			    "{\"tags\": [\"\xc0\xaf\"]}"),
		raw_request("POST", "/api/messages/send_message/", token,
			    "Idempotency-Key: k\xff\xfe\r\n",
			    e2e_printf("{\"chat_id\": \"%s\", \"text\": \"keyed\"}", guard.pair.chat_id)),
	};
	for (size_t i = 0; i < COUNT(raw); i++) {
		struct raw_reply reply = raw_exchange(raw[i], strlen(raw[i]), false);
		const char *what = e2e_printf("raw request %zu: %.80s", i, raw[i]);
		expect_raw_refused(&reply, true, what);
		expect_unchanged(&guard, what);
	}
	/* Raw NUL and control bytes in the request line: nginx's own 400. */
	const char nul_path[] = "GET /api/chats/CHAT\0x/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
	struct raw_reply nul = raw_exchange(nul_path, sizeof nul_path - 1, false);
	expect_raw_refused(&nul, false, "raw NUL in the path");
	const char *control = raw_request("GET", "/api/messages/?q=a\x01\x7f", token, NULL, NULL);
	struct raw_reply control_reply = raw_exchange(control, strlen(control), false);
	expect_raw_refused(&control_reply, false, "raw control bytes in the query");
	guard_finish(&guard);
}

/* ================================================================ headers */

Test(hostile, header_floods_and_huge_headers_never_5xx_and_refusals_reach_nothing)
{
	struct guard guard = guard_start();
	const char *body = e2e_printf("{\"chat_id\": \"%s\", \"text\": \"flooded\"}", guard.pair.chat_id);
	/* 200 headers: small enough for nginx, so the service gets 200+ FastCGI
	 * params; and 1000 headers: over nginx's 32 KB of header buffers. */
	size_t counts[] = {200, 1000};
	for (size_t k = 0; k < 2; k++) {
		const char **headers = calloc(counts[k], sizeof *headers);
		cr_assert_not_null(headers);
		for (size_t i = 0; i < counts[k]; i++)
			headers[i] = e2e_printf("X-Flood-%zu: %s", i, e2e_repeat("v", 24));
		struct e2e_reply *reply = e2e_request_raw("POST", "/api/messages/send_message/",
							  guard.pair.therapist_token, body, strlen(body),
							  headers, counts[k]);
		free(headers);
		const char *what = e2e_printf("%zu headers", counts[k]);
		cr_assert(reply->status < 500, "%s: HTTP %ld %s", what, reply->status, reply->body);
		if (reply->status == 201) {
			cr_assert_str_eq(e2e_sql("SELECT text FROM messages WHERE id = $1",
						 e2e_str(reply->json, "id"), NULL), "flooded");
			guard_accept(&guard);
		} else {
			expect_4xx_json_if_service(reply, what);
			expect_unchanged(&guard, what);
		}
		e2e_reply_free(reply);
	}
	/* One header of 16 KB (over nginx's 8 KB buffer), a 16 KB cookie, and
	 * four headers of 7 KB. */
	const char *big = e2e_repeat("b", 16 * 1024);
	const char *one[] = {e2e_printf("X-Big: %s", big)};
	const char *cookie[] = {e2e_printf("Cookie: session=%s", big)};
	const char *four[] = {
		e2e_printf("X-A: %s", e2e_repeat("a", 7 * 1024)), e2e_printf("X-B: %s", e2e_repeat("a", 7 * 1024)),
		e2e_printf("X-C: %s", e2e_repeat("a", 7 * 1024)), e2e_printf("X-D: %s", e2e_repeat("a", 7 * 1024)),
		e2e_printf("X-E: %s", e2e_repeat("a", 7 * 1024)),
	};
	struct {
		const char *const *headers;
		size_t count;
		const char *what;
	} sets[] = {{one, 1, "a 16 KB header"}, {cookie, 1, "a 16 KB cookie"}, {four, 5, "five 7 KB headers"}};
	for (size_t s = 0; s < COUNT(sets); s++) {
		struct e2e_reply *reply = e2e_request_raw("POST", "/api/messages/send_message/",
							  guard.pair.therapist_token, body, strlen(body),
							  sets[s].headers, sets[s].count);
		expect_4xx_json_if_service(reply, sets[s].what);
		expect_unchanged(&guard, sets[s].what);
		e2e_reply_free(reply);
	}
	guard_finish(&guard);
}

/* ================================================================= tokens */

static const char *base64url(const char *data, size_t length)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *out = calloc(length * 4 / 3 + 4, 1);
	cr_assert_not_null(out);
	size_t o = 0;
	for (size_t i = 0; i < length; i += 3) {
		unsigned value = (unsigned char)data[i] << 16;
		if (i + 1 < length)
			value |= (unsigned char)data[i + 1] << 8;
		if (i + 2 < length)
			value |= (unsigned char)data[i + 2];
		out[o++] = alphabet[(value >> 18) & 63];
		out[o++] = alphabet[(value >> 12) & 63];
		if (i + 1 < length)
			out[o++] = alphabet[(value >> 6) & 63];
		if (i + 2 < length)
			out[o++] = alphabet[value & 63];
	}
	const char *result = e2e_printf("%s", out);
	free(out);
	return result;
}

/* header.payload.signature from JSON texts and a signature as given. */
static const char *token_craft(const char *header, const char *payload, const char *signature)
{
	return e2e_printf("%s.%s.%s", base64url(header, strlen(header)), base64url(payload, strlen(payload)),
			  signature);
}

/* An access token's claims for `user_id` (role admin when `admin`). */
static const char *claims_json(const char *user_id, bool admin)
{
	long now = (long)time(NULL);
	return e2e_printf("{\"user_id\": \"%s\",%s \"token_type\": \"access\", \"iat\": %ld, \"exp\": %ld}",
			  user_id, admin ? " \"role\": \"admin\"," : "", now, now + 600);
}

static const char *read_key(const char *name)
{
	const char *srcdir = getenv("TCCHAT_SRCDIR");
	const char *path = e2e_printf("%s/t/keys/%s", srcdir ? srcdir : ".", name);
	FILE *file = fopen(path, "rb");
	cr_assert_not_null(file, "%s: %s", path, strerror(errno));
	char buffer[8192];
	size_t length = fread(buffer, 1, sizeof buffer - 1, file);
	fclose(file);
	buffer[length] = '\0';
	return e2e_printf("%s", buffer);
}

/* A token signed by libjwt with `key`, with extra header members. */
static const char *token_signed(jwt_alg_t algorithm, const char *key, const char *user_id, bool admin,
				const char *const *header_pairs, size_t header_count)
{
	jwt_t *jwt = NULL;
	cr_assert_eq(jwt_new(&jwt), 0);
	long now = (long)time(NULL);
	jwt_add_grant(jwt, "user_id", user_id);
	if (admin)
		jwt_add_grant(jwt, "role", "admin");
	jwt_add_grant(jwt, "token_type", "access");
	jwt_add_grant_int(jwt, "iat", now);
	jwt_add_grant_int(jwt, "exp", now + 600);
	for (size_t i = 0; i + 1 < header_count * 2; i += 2)
		cr_assert_eq(jwt_add_header(jwt, header_pairs[i], header_pairs[i + 1]), 0, "jwt_add_header %s",
			     header_pairs[i]);
	cr_assert_eq(jwt_set_alg(jwt, algorithm, (const unsigned char *)key, (int)strlen(key)), 0,
		     "jwt_set_alg");
	char *encoded = jwt_encode_str(jwt);
	jwt_free(jwt);
	cr_assert_not_null(encoded);
	const char *token = e2e_printf("%s", encoded);
	free(encoded);
	return token;
}

/* The token is refused with 401 invalid_token on a read and on a write,
 * and nothing changed. */
static void expect_token_refused(const struct guard *guard, const char *token, const char *what)
{
	const char *send = e2e_printf("{\"chat_id\": \"%s\", \"text\": \"forged\"}", guard->pair.chat_id);
	struct e2e_reply *replies[] = {
		e2e_request("GET", e2e_printf("/api/chats/%s/", guard->pair.chat_id), token, NULL, NULL),
		e2e_request("POST", "/api/messages/send_message/", token, send, NULL),
		e2e_request("DELETE", e2e_printf("/api/chats/%s/?purge=true", guard->pair.chat_id), token,
			    NULL, NULL),
	};
	for (size_t i = 0; i < COUNT(replies); i++) {
		expect_json_error(replies[i], 401, "invalid_token", what);
		e2e_reply_free(replies[i]);
	}
	expect_unchanged(guard, what);
}

Test(hostile, a_token_of_100_kb_is_refused_without_a_5xx)
{
	struct guard guard = guard_start();
	/* Garbage, and a well-formed token with a 100 KB claim: over nginx's
	 * header buffers, so nginx answers 400 itself; either way a 4xx. */
	const char *garbage = e2e_repeat("A", 100 * 1024);
	const char *segments = e2e_printf("eyJhbGciOiJIUzI1NiJ9.%s.sig", e2e_repeat("QUFB", 25 * 1024));
	const char *tokens[] = {garbage, segments};
	for (size_t i = 0; i < COUNT(tokens); i++) {
		struct e2e_reply *reply = e2e_request("GET", "/api/chats/", tokens[i], NULL, NULL);
		expect_4xx_json_if_service(reply, "100 KB token");
		if (reply->json != NULL)
			expect_json_error(reply, 401, "invalid_token", "100 KB token");
		e2e_reply_free(reply);
		reply = e2e_request("POST", "/api/messages/send_message/", tokens[i],
				    e2e_printf("{\"chat_id\": \"%s\", \"text\": \"big token\"}", guard.pair.chat_id),
				    NULL);
		expect_4xx_json_if_service(reply, "100 KB token (send)");
		e2e_reply_free(reply);
	}
	/* 7 KB of garbage fits nginx's buffer: the service answers 401. */
	expect_token_refused(&guard, e2e_repeat("B", 7 * 1024), "7 KB token");
	guard_finish(&guard);
}

/*
 * Algorithm confusion. The stack verifies HS256 with its secret; a token
 * whose HS256 key is the RSA public key (the classic RS256 → HS256 attack
 * needs the service to take the PEM as an HMAC secret) is simply signed with
 * another secret: 401. The RS256/ES256 configurations are covered by
 * t/unit_auth.c (its "algorithm" tests): HS256 tokens signed with the configured RSA or
 * EC public key PEM are refused ("algorithm not allowed") under an RS256 or
 * ES256 configuration, as are HS256 under RS256/ES256, RS256 and HS384/HS512
 * under HS256, ES256 under RS256, alg none, a missing alg, and alg compared
 * exactly ("hs256", "HS256\u0000", ["HS256"]); its "signature" tests cover tampered
 * RS256 payloads and garbage ES256 signatures.
 */
Test(hostile, an_hs256_token_signed_with_the_rsa_public_key_is_invalid_token)
{
	struct guard guard = guard_start();
	const char *pem = read_key("rsa_public.pem");
	expect_token_refused(&guard, token_signed(JWT_ALG_HS256, pem, guard.pair.therapist, false, NULL, 0),
			     "HS256 with the RSA public key, as the therapist");
	expect_token_refused(&guard, token_signed(JWT_ALG_HS256, pem, "admin-forged", true, NULL, 0),
			     "HS256 with the RSA public key, as an admin");
	expect_token_refused(&guard, token_signed(JWT_ALG_HS256, read_key("ec_public.pem"),
						  "admin-forged", true, NULL, 0),
			     "HS256 with the EC public key, as an admin");
	/* The RS256 token the RSA key pair would sign: another algorithm. */
	expect_token_refused(&guard, token_signed(JWT_ALG_RS256, read_key("rsa_private.pem"), "admin-forged",
						  true, NULL, 0), "RS256 under HS256");
	guard_finish(&guard);
}

Test(hostile, alg_none_with_an_empty_signature_is_invalid_token)
{
	struct guard guard = guard_start();
	const char *admin_claims = claims_json("admin-forged", true);
	const char *therapist_claims = claims_json(guard.pair.therapist, false);
	const char *headers[] = {
		"{\"alg\": \"none\", \"typ\": \"JWT\"}", "{\"alg\": \"None\"}", "{\"alg\": \"NONE\"}",
		"{\"alg\": \"nOnE\"}", "{\"alg\": \"\"}", "{\"typ\": \"JWT\"}", "{\"alg\": null}",
		"{\"alg\": \"none\", \"alg\": \"HS256\"}", "{\"alg\": \"HS256\", \"alg\": \"none\"}",
	};
	/* A genuine signature to graft onto the forged header. */
	const char *genuine = e2e_token(guard.pair.therapist);
	const char *genuine_signature = strrchr(genuine, '.') + 1;
	for (size_t i = 0; i < COUNT(headers); i++) {
		expect_token_refused(&guard, token_craft(headers[i], admin_claims, ""),
				     e2e_printf("%s, admin, empty signature", headers[i]));
		expect_token_refused(&guard, token_craft(headers[i], therapist_claims, ""),
				     e2e_printf("%s, therapist, empty signature", headers[i]));
		expect_token_refused(&guard, token_craft(headers[i], therapist_claims, genuine_signature),
				     e2e_printf("%s, a grafted signature", headers[i]));
	}
	/* libjwt's own alg none token, and one without the last dot. */
	struct e2e_claims claims = e2e_claims_default(guard.pair.therapist);
	claims.algorithm = "none";
	const char *none = e2e_token_claims(&claims);
	expect_token_refused(&guard, none, "libjwt alg none");
	expect_token_refused(&guard, e2e_printf("%.*s", (int)(strrchr(none, '.') - none), none),
			     "alg none without the signature part");
	guard_finish(&guard);
}

Test(hostile, kid_jku_and_x5u_tricks_are_invalid_token)
{
	struct guard guard = guard_start();
	const char *attacker = "attacker-secret-0123456789-abcdefghijklmnop";
	const char *user = guard.pair.therapist;
	const struct {
		const char *header[4];
		size_t count;
		const char *key;
		jwt_alg_t algorithm;
	} cases[] = {
		/* kid naming a file whose content the attacker knows or controls. */
		{{"kid", "../../../../../../etc/passwd"}, 1, attacker, JWT_ALG_HS256},
		{{"kid", "../../../../../../dev/null"}, 1, "\n", JWT_ALG_HS256},
		{{"kid", "/proc/self/environ"}, 1, attacker, JWT_ALG_HS256},
		/* kid carrying SQL that would select the attacker's key. */
		{{"kid", "' UNION SELECT 'attacker-secret-0123456789-abcdefghijklmnop' --"}, 1, attacker,
		 JWT_ALG_HS256},
		{{"kid", "x'; DROP TABLE chats; --"}, 1, attacker, JWT_ALG_HS256},
		{{"kid", "|cat /etc/passwd"}, 1, attacker, JWT_ALG_HS256},
		/* Keys fetched from elsewhere, signed by the attacker's key pair. */
		{{"jku", "https://attacker.example/jwks.json"}, 1, NULL, JWT_ALG_RS256},
		{{"x5u", "https://attacker.example/cert.pem"}, 1, NULL, JWT_ALG_RS256},
		{{"jku", "https://attacker.example/jwks.json"}, 1, attacker, JWT_ALG_HS256},
		{{"x5u", "https://attacker.example/cert.pem", "kid", "../../etc/passwd"}, 2, attacker,
		 JWT_ALG_HS256},
	};
	const char *rsa_private = read_key("rsa_private.pem");
	for (size_t i = 0; i < COUNT(cases); i++) {
		const char *key = cases[i].key ? cases[i].key : rsa_private;
		const char *token = token_signed(cases[i].algorithm, key, user, false, cases[i].header,
						 cases[i].count);
		const char *what = e2e_printf("%s %s", cases[i].header[0], cases[i].header[1]);
		expect_token_refused(&guard, token, what);
		token = token_signed(cases[i].algorithm, key, "admin-forged", true, cases[i].header,
				     cases[i].count);
		expect_token_refused(&guard, token, e2e_printf("%s (admin)", what));
	}
	/* jwk embedded in the header (the key to verify with, sent by the
	 * attacker), crafted by hand: {"alg":"HS256","jwk":{"kty":"oct","k":…}}. */
	expect_token_refused(&guard, token_craft("{\"alg\": \"HS256\", \"jwk\": {\"kty\": \"oct\", \"k\": \"YQ\"}}",
						 claims_json("admin-forged", true), "c2ln"), "embedded jwk");
	guard_finish(&guard);
}

/* ========================================================= Content-Length */

Test(hostile, a_content_length_that_lies_never_5xx_and_changes_nothing)
{
	struct guard guard = guard_start();
	const char *body = e2e_printf("{\"chat_id\": \"%s\", \"text\": \"content length lie\"}",
				      guard.pair.chat_id);
	size_t length = strlen(body);
	const char *token = guard.pair.therapist_token;
	const char *start = e2e_printf("POST /api/messages/send_message/ HTTP/1.1\r\nHost: localhost\r\n"
				       "Connection: close\r\nAuthorization: Bearer %s\r\n"
				       "Content-Type: application/json\r\n", token);
	/* Shorter: the service sees a cut body (malformed JSON, 400); the rest
	 * is a garbage next request that nginx refuses or drops. */
	const char *shorter = e2e_printf("%sContent-Length: %zu\r\n\r\n%s", start, length - 10, body);
	struct raw_reply reply = raw_exchange(shorter, strlen(shorter), false);
	expect_raw_refused(&reply, true, "Content-Length 10 bytes short");
	cr_assert_eq(reply.status, 400, "Content-Length short: %.300s", reply.text);
	expect_unchanged(&guard, "Content-Length short");
	/* Longer, then the client half-closes: nginx gives up on the body. */
	const char *longer = e2e_printf("%sContent-Length: %zu\r\n\r\n%s", start, length + 100, body);
	reply = raw_exchange(longer, strlen(longer), true);
	expect_raw_refused(&reply, false, "Content-Length 100 bytes long");
	expect_unchanged(&guard, "Content-Length long");
	/* Negative, huge, two different values, and with chunked encoding. */
	const char *lies[] = {
		e2e_printf("%sContent-Length: -1\r\n\r\n%s", start, body),
		e2e_printf("%sContent-Length: 99999999999999999999\r\n\r\n%s", start, body),
		e2e_printf("%sContent-Length: %zu\r\nContent-Length: %zu\r\n\r\n%s", start, length, length - 5, body),
		e2e_printf("%sContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n%zx\r\n%s\r\n0\r\n\r\n", start,
			   length, body),
		e2e_printf("%sContent-Length: 1e3\r\n\r\n%s", start, body),
	};
	for (size_t i = 0; i < COUNT(lies); i++) {
		reply = raw_exchange(lies[i], strlen(lies[i]), true);
		const char *what = e2e_printf("Content-Length lie %zu", i);
		/* Chunked with a Content-Length: nginx may use the chunked body
		 * (RFC 9112) — then the message is sent once, correctly. */
		if (i == 3 && reply.status == 201) {
			guard_accept(&guard);
			continue;
		}
		expect_raw_refused(&reply, false, what);
		expect_unchanged(&guard, what);
	}
	guard_finish(&guard);
}
