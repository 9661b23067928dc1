/*
 * End-to-end authorization matrix (issue 5, point 4): every endpoint of
 * API.md section 4 — Chats, Messages, ChatRooms, each method and custom
 * action — called by each of seven callers, with a valid body for that
 * endpoint, against the status API.md requires:
 *
 *   therapist  the chat's therapist        other-T  a therapist not in the chat
 *   patient    the chat's patient          other-P  a patient not in the chat
 *   admin      a token with role admin     no-token no Authorization header
 *   expired    the chat's therapist's token, expired an hour ago
 *
 * The rules the table encodes (API.md section 2): for anyone but the chat's
 * participants and admins the chat, its room and its messages do not exist
 * (404 on every endpoint of them; a list leaves them out, 200 without the
 * object); 403 is for a participant (or admin) who may see the object but not
 * do the action; creating for a pair the caller is not part of is 403; 401
 * without a valid token (not_authenticated without one, invalid_token for an
 * expired one). Every error cell also checks the error code.
 *
 * How each row runs: one fixture of its own (a fresh pair, with a chat, a
 * message or a room as the row needs) serves every cell that must be refused
 * and every stranger's cell; a snapshot of the fixture's rows (chat, room,
 * messages, edit history) taken before and after those cells must be equal —
 * a refused call changes nothing. Each cell that must succeed on an endpoint
 * that changes state gets a fresh fixture of its own, so no cell depends on
 * another. Three tests (one per resource) run in parallel with the rest of
 * the suite; each prints its part of the matrix, expected against got.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e.h"

E2E_SUITE(matrix);

/* ============================================================ the table */

enum caller { THERAPIST, PATIENT, OTHER_THERAPIST, OTHER_PATIENT, ADMIN, NO_TOKEN, EXPIRED, CALLERS };

static const char *const caller_names[CALLERS] = {
	"therapist", "patient", "other-T", "other-P", "admin", "no-token", "expired",
};

/* A list cell: 200 with the row's object in the array, or 200 without it. */
#define SEEN (-1)
#define HIDDEN (-2)

/* What a row's endpoint needs before it is called. */
enum fixture {
	PAIR,        /* a therapist and a patient, no chat yet */
	CHAT,        /* their chat (and its room) */
	MESSAGE,     /* their chat and a message from the therapist, unread */
	ROOMLESS,    /* their chat, whose room an admin has deleted */
};

struct row {
	const char *method;
	/* Path and body templates: {chat}, {room}, {message}, {therapist} and
	 * {patient} name the fixture's objects. */
	const char *path;
	const char *body;
	enum fixture fixture;
	bool mutates;        /* a success cell changes state: it gets a fresh fixture */
	const char *find;    /* lists: the template of the id to look for */
	int expected[CALLERS];
};

/* Columns: therapist, patient, other-T, other-P, admin, no-token, expired. */
static const struct row chat_rows[] = {
	{"GET", "/api/chats/?limit=500", NULL, CHAT, false, "{chat}",
	 {SEEN, SEEN, HIDDEN, HIDDEN, SEEN, 401, 401}},
	/* user_id here is a list filter (narrowing), not an acting user_id. */
	{"GET", "/api/chats/?user_id={patient}", NULL, CHAT, false, "{chat}",
	 {SEEN, SEEN, HIDDEN, HIDDEN, SEEN, 401, 401}},
	{"POST", "/api/chats/", "{\"therapist_id\": \"{therapist}\", \"patient_id\": \"{patient}\"}",
	 PAIR, true, NULL, {201, 201, 403, 403, 201, 401, 401}},
	{"GET", "/api/chats/{chat}/", NULL, CHAT, false, NULL,
	 {200, 200, 404, 404, 200, 401, 401}},
	{"PUT", "/api/chats/{chat}/", "{\"status\": \"archived\"}", CHAT, true, NULL,
	 {200, 200, 404, 404, 200, 401, 401}},
	{"PATCH", "/api/chats/{chat}/", "{\"status\": \"archived\"}", CHAT, true, NULL,
	 {200, 200, 404, 404, 200, 401, 401}},
	/* A participant may set only their own notifications field. */
	{"PATCH", "/api/chats/{chat}/", "{\"therapist_notifications\": false}", CHAT, true, NULL,
	 {200, 403, 404, 404, 200, 401, 401}},
	{"PATCH", "/api/chats/{chat}/", "{\"patient_notifications\": false}", CHAT, true, NULL,
	 {403, 200, 404, 404, 200, 401, 401}},
	{"DELETE", "/api/chats/{chat}/", NULL, CHAT, true, NULL,
	 {204, 204, 404, 404, 204, 401, 401}},
	{"DELETE", "/api/chats/{chat}/?purge=true", NULL, CHAT, true, NULL,
	 {403, 403, 404, 404, 204, 401, 401}},
	{"POST", "/api/chats/create_or_get_chat/",
	 "{\"therapist_id\": \"{therapist}\", \"patient_id\": \"{patient}\"}", PAIR, true, NULL,
	 {201, 201, 403, 403, 201, 401, 401}},
	/* The same for a pair whose chat exists: 200, and still 403 for strangers
	 * (API.md: "whether or not that chat exists"). */
	{"POST", "/api/chats/create_or_get_chat/",
	 "{\"therapist_id\": \"{therapist}\", \"patient_id\": \"{patient}\"}", CHAT, false, NULL,
	 {200, 200, 403, 403, 200, 401, 401}},
	/* Left open by API.md: an admin's own active chats. user_id defaults to
	 * the caller and an admin takes part in no chat, so the list is empty. */
	{"GET", "/api/chats/get_user_chats/", NULL, CHAT, false, "{chat}",
	 {SEEN, SEEN, HIDDEN, HIDDEN, HIDDEN, 401, 401}},
	/* Here user_id is the acting user (section 2, identity): another user's
	 * id is 403 for anyone but an admin — strangers included, as the answer
	 * is the same for every user id and reveals no chat. */
	{"GET", "/api/chats/get_user_chats/?user_id={therapist}", NULL, CHAT, false, "{chat}",
	 {SEEN, 403, 403, 403, SEEN, 401, 401}},
	{"POST", "/api/chats/{chat}/update_status/", "{\"status\": \"archived\"}", CHAT, true, NULL,
	 {200, 200, 404, 404, 200, 401, 401}},
	/* Left open by API.md: an admin without user_id acts for themself, a
	 * user who is not a participant → 403 (as the endpoint says). */
	{"POST", "/api/chats/{chat}/toggle_notifications/", "{\"notifications_enabled\": false}",
	 CHAT, true, NULL, {200, 200, 404, 404, 403, 401, 401}},
	{"POST", "/api/chats/{chat}/toggle_notifications/",
	 "{\"user_id\": \"{therapist}\", \"notifications_enabled\": false}", CHAT, true, NULL,
	 {200, 403, 404, 404, 200, 401, 401}},
	/* Left open by API.md: as toggle_notifications, an admin without user_id
	 * names a user who takes no part in the chat → 403. */
	{"POST", "/api/chats/{chat}/mark_all_read/", "{}", MESSAGE, true, NULL,
	 {200, 200, 404, 404, 403, 401, 401}},
	{"POST", "/api/chats/{chat}/mark_all_read/", "{\"user_id\": \"{patient}\"}", MESSAGE, true,
	 NULL, {403, 200, 404, 404, 200, 401, 401}},
};

/* The fixture's message is the therapist's, to the patient. */
static const struct row message_rows[] = {
	{"GET", "/api/messages/?order=desc&limit=500", NULL, MESSAGE, false, "{message}",
	 {SEEN, SEEN, HIDDEN, HIDDEN, SEEN, 401, 401}},
	{"GET", "/api/messages/?chat_id={chat}", NULL, MESSAGE, false, "{message}",
	 {SEEN, SEEN, HIDDEN, HIDDEN, SEEN, 401, 401}},
	/* "an admin may send into any chat" (API.md, message_type). */
	{"POST", "/api/messages/", "{\"chat_id\": \"{chat}\", \"text\": \"matrix hello\"}", CHAT,
	 true, NULL, {201, 201, 404, 404, 201, 401, 401}},
	{"POST", "/api/messages/send_message/",
	 "{\"chat_id\": \"{chat}\", \"text\": \"matrix hello\"}", CHAT, true, NULL,
	 {201, 201, 404, 404, 201, 401, 401}},
	/* system messages: admins only; strangers still get 404 first. */
	{"POST", "/api/messages/send_message/",
	 "{\"chat_id\": \"{chat}\", \"text\": \"matrix notice\", \"message_type\": \"system\"}", CHAT,
	 true, NULL, {403, 403, 404, 404, 201, 401, 401}},
	{"GET", "/api/messages/{message}/", NULL, MESSAGE, false, NULL,
	 {200, 200, 404, 404, 200, 401, 401}},
	/* PUT/PATCH/edit_message: "sender" only — an admin sees the message but
	 * is not its sender → 403 (decided from the who column, which names
	 * admins for DELETE but not here). */
	{"PUT", "/api/messages/{message}/", "{\"text\": \"matrix edit\"}", MESSAGE, true, NULL,
	 {200, 403, 404, 404, 403, 401, 401}},
	{"PATCH", "/api/messages/{message}/", "{\"emergency\": true}", MESSAGE, true, NULL,
	 {200, 403, 404, 404, 403, 401, 401}},
	{"DELETE", "/api/messages/{message}/", NULL, MESSAGE, true, NULL,
	 {204, 204, 404, 404, 204, 401, 401}},
	/* mark_emergency: "participant" — an admin is not one → 403. */
	{"POST", "/api/messages/{message}/mark_emergency/", "{}", MESSAGE, true, NULL,
	 {200, 200, 404, 404, 403, 401, 401}},
	/* mark_read: the recipient; the sender → 400 (API.md); an admin is not
	 * the recipient and may not act for one (user_id must be the caller) →
	 * 403. */
	{"POST", "/api/messages/{message}/mark_read/", "{}", MESSAGE, true, NULL,
	 {400, 200, 404, 404, 403, 401, 401}},
	{"POST", "/api/messages/{message}/edit_message/", "{\"text\": \"matrix edit\"}", MESSAGE, true,
	 NULL, {200, 403, 404, 404, 403, 401, 401}},
	{"POST", "/api/messages/{message}/delete_message/", "{}", MESSAGE, true, NULL,
	 {200, 200, 404, 404, 200, 401, 401}},
	{"GET", "/api/messages/{message}/history/", NULL, MESSAGE, false, NULL,
	 {200, 200, 404, 404, 200, 401, 401}},
	/* The caller's own unread messages: the therapist sent it, the patient
	 * has it unread; an admin (left open by API.md) receives no message. */
	{"GET", "/api/messages/get_unread_messages/", NULL, MESSAGE, false, "{message}",
	 {HIDDEN, SEEN, HIDDEN, HIDDEN, HIDDEN, 401, 401}},
	/* An acting user_id (section 2, identity): another user's → 403 but for
	 * admins, strangers included (as for get_user_chats). */
	{"GET", "/api/messages/get_unread_messages/?user_id={patient}", NULL, MESSAGE, false,
	 "{message}", {403, SEEN, 403, 403, SEEN, 401, 401}},
	/* A chat_id filter narrows: strangers get 200 []. */
	{"GET", "/api/messages/get_unread_messages/?chat_id={chat}", NULL, MESSAGE, false,
	 "{message}", {HIDDEN, SEEN, HIDDEN, HIDDEN, HIDDEN, 401, 401}},
};

static const struct row room_rows[] = {
	{"GET", "/api/chat-rooms/?limit=500", NULL, CHAT, false, "{room}",
	 {SEEN, SEEN, HIDDEN, HIDDEN, SEEN, 401, 401}},
	{"GET", "/api/chat-rooms/?chat_id={chat}", NULL, CHAT, false, "{room}",
	 {SEEN, SEEN, HIDDEN, HIDDEN, SEEN, 401, 401}},
	/* "the chat's therapist, admin": the patient → 403; strangers → 403
	 * (creating for a pair the caller is not part of, section 2). */
	{"POST", "/api/chat-rooms/", "{\"chat_id\": \"{chat}\"}", ROOMLESS, true, NULL,
	 {201, 403, 403, 403, 201, 401, 401}},
	{"GET", "/api/chat-rooms/{room}/", NULL, CHAT, false, NULL,
	 {200, 200, 404, 404, 200, 401, 401}},
	{"PUT", "/api/chat-rooms/{room}/", "{\"room_type\": \"therapy\"}", CHAT, true, NULL,
	 {200, 403, 404, 404, 200, 401, 401}},
	{"PATCH", "/api/chat-rooms/{room}/", "{\"description\": \"matrix\"}", CHAT, true, NULL,
	 {200, 403, 404, 404, 200, 401, 401}},
	{"DELETE", "/api/chat-rooms/{room}/", NULL, CHAT, true, NULL,
	 {403, 403, 404, 404, 204, 401, 401}},
	{"POST", "/api/chat-rooms/{room}/update_permissions/", "{\"patient_can_send\": false}", CHAT,
	 true, NULL, {200, 403, 404, 404, 200, 401, 401}},
	{"POST", "/api/chat-rooms/{room}/archive_room/", "{}", CHAT, true, NULL,
	 {200, 403, 404, 404, 200, 401, 401}},
	{"POST", "/api/chat-rooms/{room}/activate_room/", "{}", CHAT, true, NULL,
	 {200, 403, 404, 404, 200, 401, 401}},
};

/* ============================================================ fixtures */

struct fixture_objects {
	struct e2e_pair pair;
	const char *message_id;   /* MESSAGE only */
	const char *expired_token;
};

static struct fixture_objects fixture_new(enum fixture kind)
{
	struct fixture_objects objects = {.message_id = NULL};
	objects.pair = kind == PAIR ? e2e_pair_new() : e2e_pair_with_chat();
	struct e2e_claims claims = e2e_claims_default(objects.pair.therapist);
	claims.exp = -3600;
	claims.iat = -7200;
	objects.expired_token = e2e_token_claims(&claims);
	if (kind == MESSAGE) {
		struct e2e_reply *sent = e2e_request(
			"POST", "/api/messages/send_message/", objects.pair.therapist_token,
			e2e_printf("{\"chat_id\": \"%s\", \"text\": \"matrix fixture\"}",
				   objects.pair.chat_id), NULL);
		cr_assert_eq(sent->status, 201, "fixture message: HTTP %ld %s", sent->status, sent->body);
		objects.message_id = e2e_printf("%s", e2e_str(sent->json, "id"));
		e2e_reply_free(sent);
	} else if (kind == ROOMLESS) {
		struct e2e_reply *deleted = e2e_request(
			"DELETE", e2e_printf("/api/chat-rooms/%s/", objects.pair.room_id),
			e2e_admin_token(), NULL, NULL);
		cr_assert_eq(deleted->status, 204, "fixture room delete: HTTP %ld %s", deleted->status,
			     deleted->body);
		e2e_reply_free(deleted);
	}
	return objects;
}

/* `template` with {chat}, {room}, {message}, {therapist}, {patient} replaced. */
static const char *expand(const char *template, const struct fixture_objects *objects)
{
	if (template == NULL)
		return NULL;
	const struct {
		const char *name;
		const char *value;
	} names[] = {
		{"{chat}", objects->pair.chat_id},
		{"{room}", objects->pair.room_id},
		{"{message}", objects->message_id ? objects->message_id : "MSG_0_none"},
		{"{therapist}", objects->pair.therapist},
		{"{patient}", objects->pair.patient},
	};
	const char *result = "";
	const char *cursor = template;
	while (*cursor != '\0') {
		bool replaced = false;
		for (size_t i = 0; i < sizeof names / sizeof names[0] && !replaced; i++) {
			size_t length = strlen(names[i].name);
			if (strncmp(cursor, names[i].name, length) == 0) {
				result = e2e_printf("%s%s", result, names[i].value);
				cursor += length;
				replaced = true;
			}
		}
		if (!replaced) {
			size_t plain = strcspn(cursor + 1, "{") + 1;
			result = e2e_printf("%s%.*s", result, (int)plain, cursor);
			cursor += plain;
		}
	}
	return result;
}

/* Everything the service keeps about the fixture's chat, as one string. */
static const char *snapshot(const struct fixture_objects *objects)
{
	return e2e_sql(
		"SELECT concat_ws(' | ',"
		" coalesce((SELECT row_to_json(c)::text FROM chats c WHERE c.id = $1), 'no chat'),"
		" coalesce((SELECT row_to_json(r)::text FROM chat_rooms r WHERE r.chat_id = $1), 'no room'),"
		" coalesce((SELECT json_agg(m ORDER BY m.id)::text FROM messages m WHERE m.chat_id = $1), 'no messages'),"
		" (SELECT count(*)::text FROM message_edits e JOIN messages m ON m.id = e.message_id"
		"  WHERE m.chat_id = $1),"
		" (SELECT count(*)::text FROM chats c WHERE c.therapist_id = $2 OR c.patient_id = $3))",
		objects->pair.chat_id, objects->pair.therapist, objects->pair.patient, NULL);
}

/* ============================================================== running */

struct strangers {
	const char *therapist_token;
	const char *patient_token;
	const char *admin_token;
};

static const char *token_of(enum caller caller, const struct fixture_objects *objects,
			    const struct strangers *strangers)
{
	switch (caller) {
	case THERAPIST: return objects->pair.therapist_token;
	case PATIENT: return objects->pair.patient_token;
	case OTHER_THERAPIST: return strangers->therapist_token;
	case OTHER_PATIENT: return strangers->patient_token;
	case ADMIN: return strangers->admin_token;
	case NO_TOKEN: return NULL;
	case EXPIRED: return objects->expired_token;
	case CALLERS: break;
	}
	return NULL;
}

static const char *cell_text(int cell)
{
	if (cell == SEEN)
		return "200+";
	if (cell == HIDDEN)
		return "200-";
	return e2e_printf("%d", cell);
}

static const char *error_code_for(int status, enum caller caller)
{
	switch (status) {
	case 400: return "validation_error";
	case 401: return caller == NO_TOKEN ? "not_authenticated" : "invalid_token";
	case 403: return "forbidden";
	case 404: return "not_found";
	default: return NULL;
	}
}

/* Calls the row's endpoint as `caller`; the cell it got (SEEN/HIDDEN for a
 * list's 200) and, in *problem, what else is wrong with the answer. */
static int run_cell(const struct row *row, enum caller caller, const struct fixture_objects *objects,
		    const struct strangers *strangers, const char **problem)
{
	const char *path = expand(row->path, objects);
	const char *body = expand(row->body, objects);
	struct e2e_reply *reply = e2e_request(row->method, path, token_of(caller, objects, strangers),
					      body, NULL);
	int got = (int)reply->status;
	*problem = NULL;
	if (got == 200 && row->find != NULL) {
		if (reply->json == NULL || !json_object_is_type(reply->json, json_type_array)) {
			*problem = e2e_printf("not a JSON array: %.200s", reply->body);
		} else {
			got = e2e_find_id(reply->json, expand(row->find, objects)) ? SEEN : HIDDEN;
		}
	} else if (got >= 400) {
		const char *want = error_code_for(got, caller);
		const char *code = e2e_str(reply->json, "code");
		if (code == NULL || e2e_str(reply->json, "error") == NULL)
			*problem = e2e_printf("no JSON error body: %.200s", reply->body);
		else if (want != NULL && strcmp(code, want) != 0)
			*problem = e2e_printf("code %s, expected %s", code, want);
	}
	if (got != row->expected[caller] && *problem == NULL)
		*problem = e2e_printf("%.300s", reply->body);
	e2e_reply_free(reply);
	return got;
}

static bool success_cell(const struct row *row, enum caller caller)
{
	int expected = row->expected[caller];
	return caller != OTHER_THERAPIST && caller != OTHER_PATIENT && expected < 400;
}

/* "METHOD path body", the body without the spaces after ':' and ','; a row
 * on a pair without a chat says so. */
static const char *row_label(const struct row *row)
{
	const char *body = "";
	if (row->body != NULL) {
		body = " ";
		for (const char *p = row->body; *p != '\0'; p++)
			if (!(*p == ' ' && p > row->body && (p[-1] == ':' || p[-1] == ',')))
				body = e2e_printf("%s%c", body, *p);
	}
	return e2e_printf("%s %s%s%s", row->method, row->path, body,
			  row->fixture == PAIR ? " [no chat yet]" : "");
}

/* Runs every row, prints the matrix and fails on any cell that differs. */
static void run_matrix(const char *title, const struct row *rows, size_t count)
{
	struct strangers strangers = {
		.therapist_token = e2e_token(e2e_new_therapist()),
		.patient_token = e2e_token(e2e_new_patient()),
		.admin_token = e2e_admin_token(),
	};
	int width = 8;
	for (size_t r = 0; r < count; r++) {
		int length = (int)strlen(row_label(&rows[r]));
		if (length > width)
			width = length;
	}
	const char *table = e2e_printf("\nAuthorization matrix: %s (cell: expected status; 200+ listed, "
				       "200- left out of the list; EXP>GOT* where they differ)\n"
				       "%-*s", title, width, "endpoint");
	for (int c = 0; c < CALLERS; c++)
		table = e2e_printf("%s %-9s", table, caller_names[c]);
	table = e2e_printf("%s\n", table);
	const char *failures = "";
	size_t failed = 0;

	for (size_t r = 0; r < count; r++) {
		const struct row *row = &rows[r];
		int got[CALLERS];
		const char *problems[CALLERS] = {NULL};
		const char *snapshot_problem = NULL;

		/* Refusals and strangers first, on one fixture that must not change. */
		struct fixture_objects shared = fixture_new(row->fixture);
		const char *before = snapshot(&shared);
		for (int c = 0; c < CALLERS; c++)
			if (!success_cell(row, (enum caller)c))
				got[c] = run_cell(row, (enum caller)c, &shared, &strangers, &problems[c]);
		const char *after = snapshot(&shared);
		if (strcmp(before, after) != 0)
			snapshot_problem = e2e_printf("a refused call changed the data:\n    before %s\n"
						      "    after  %s", before, after);
		/* Then each success, on a fixture of its own when it changes state. */
		for (int c = 0; c < CALLERS; c++) {
			if (!success_cell(row, (enum caller)c))
				continue;
			struct fixture_objects own = row->mutates ? fixture_new(row->fixture) : shared;
			got[c] = run_cell(row, (enum caller)c, &own, &strangers, &problems[c]);
		}

		const char *line = e2e_printf("%-*s", width, row_label(row));
		for (int c = 0; c < CALLERS; c++) {
			bool same = got[c] == row->expected[c] && problems[c] == NULL;
			const char *cell = same ? cell_text(got[c])
						: e2e_printf("%s>%s*", cell_text(row->expected[c]),
							     cell_text(got[c]));
			line = e2e_printf("%s %-9s", line, cell);
			if (!same) {
				failed++;
				failures = e2e_printf("%s\n  %s %s as %s: expected %s, got %s: %s", failures,
						      row->method, expand(row->path, &shared),
						      caller_names[c], cell_text(row->expected[c]),
						      cell_text(got[c]), problems[c] ? problems[c] : "");
			}
		}
		if (snapshot_problem != NULL) {
			failed++;
			failures = e2e_printf("%s\n  %s %s: %s", failures, row->method, row->path,
					      snapshot_problem);
			line = e2e_printf("%s  (a refusal changed data)", line);
		}
		table = e2e_printf("%s%s\n", table, line);
	}
	table = e2e_printf("%s%zu rows x %d callers, %zu cell(s) differ\n", table, count, CALLERS,
			   failed);
	fputs(table, stderr);
	fflush(stderr);
	cr_assert_eq(failed, 0, "%s: %zu cell(s) differ from API.md:%s", title, failed, failures);
}

/* ================================================================ tests */

Test(matrix, chats_answer_each_caller_as_api_md_requires)
{
	run_matrix("Chats", chat_rows, sizeof chat_rows / sizeof chat_rows[0]);
}

Test(matrix, messages_answer_each_caller_as_api_md_requires)
{
	run_matrix("Messages", message_rows, sizeof message_rows / sizeof message_rows[0]);
}

Test(matrix, chat_rooms_answer_each_caller_as_api_md_requires)
{
	run_matrix("ChatRooms", room_rows, sizeof room_rows / sizeof room_rows[0]);
}
