/*
 * The Messages resource: sending, listing with delivery receipts, reading,
 * editing with history, soft deletion and read marks. Every write is one
 * call of a tc_message_* function of sql/, which keeps the chat's unread
 * counts and preview true in the same transaction and answers an outcome
 * word that the table below turns into the API's status. The message comes
 * back as GET shows it: a send's from the function itself, the others' read
 * back in the same round trip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "columns.h"
#include "delivery.h"
#include "ids.h"
#include "messages.h"
#include "paging.h"
#include "represent.h"
#include "validate.h"

#define TEXT_MAX 10000
#define IDEMPOTENCY_KEY_MAX 255

/* ---------------------------------------------------------------- outcomes */

struct outcome {
	const char *name;
	int status;
	const char *code;       /* NULL for success */
	const char *message;
	const char *field;      /* a validation error names this field */
};

static const struct outcome outcomes[] = {
	{"ok", 200, NULL, NULL, NULL},
	{"created", 201, NULL, NULL, NULL},
	{"replayed", 200, NULL, NULL, NULL},
	{"not_found", 404, "not_found", "Not found.", NULL},
	{"history_hidden", 403, "forbidden", "The history of this chat is hidden from you.", NULL},
	{"not_sender", 403, "forbidden", "Only the sender may change this message.", NULL},
	{"not_participant", 403, "forbidden", "Only the chat's participants may do this.", NULL},
	{"system_admin_only", 403, "forbidden", "Only admins may send system messages.", NULL},
	{"cannot_send", 403, "forbidden", "This chat's room does not let you send messages.", NULL},
	{"chat_inactive", 409, "conflict", "Messages can only be sent to an active chat.", NULL},
	{"deleted", 409, "conflict", "A deleted message cannot be edited.", NULL},
	{"key_reused", 409, "conflict", "This Idempotency-Key was used for a different request.", NULL},
	{"bad_reply", 400, "validation_error", "reply_to must name a message of the same chat.", "reply_to"},
	{"own_message", 400, "validation_error", "You cannot mark your own message as read.", NULL},
	{"rate_limited", 429, "rate_limited", "Too many emergency messages in a row; send a regular message first.",
	 NULL},
};

static struct json_object *field_error(const char *field, const char *message)
{
	struct json_object *fields = json_object_new_object(), *messages = json_object_new_array();
	json_object_array_add(messages, json_object_new_string(message));
	json_object_object_add(fields, field, messages);
	return fields;
}

static PGresult *message_read(struct request *request, struct db *db, const char *id, struct response *response);

/*
 * Looks up the outcome word of a tc_message_* function. Returns it when it
 * is a success; otherwise fills the response with its error (500 for a word
 * the table lacks) and returns NULL.
 */
static const struct outcome *outcome_success(const char *name, struct response *response)
{
	const struct outcome *outcome = NULL;
	for (size_t i = 0; i < sizeof outcomes / sizeof outcomes[0]; i++)
		if (strcmp(name, outcomes[i].name) == 0)
			outcome = &outcomes[i];
	if (outcome == NULL) {
		response_internal(response);
		return NULL;
	}
	if (outcome->code != NULL) {
		response_error(response, outcome->status, outcome->code, outcome->message,
			       outcome->field ? field_error(outcome->field, outcome->message) : NULL);
		return NULL;
	}
	return outcome;
}

/*
 * Runs a tc_message_* statement on message `id` and reads the message back
 * in the same round trip and transaction (row 0: access, then the columns
 * of columns.h). On success returns that result, with the outcome's status
 * in `*status`; otherwise fills the response and returns NULL.
 */
static PGresult *message_write(struct request *request, struct db *db, enum statement_id statement,
			       const char *const *params, const char *id, struct response *response,
			       int *status)
{
	const char *read_params[] = {CALLER_PARAMS(request), id};
	PGresult *written, *message;
	if (!db_run_pair(db, statement, params, STATEMENT_MESSAGE_GET, read_params, &written, &message)) {
		db_failure_respond(db, response);
		return NULL;
	}
	const struct outcome *outcome = outcome_success(PQgetvalue(written, 0, 0), response);
	PQclear(written);
	if (outcome == NULL) {
		PQclear(message);
		return NULL;
	}
	*status = outcome->status;
	return message;
}

/* The kinds of the fields an action's answer takes from the message. */
enum answer_kind { ANSWER_STRING, ANSWER_BOOLEAN, ANSWER_TIME };

struct answer_field {
	const char *name;
	int column;             /* of columns.h */
	enum answer_kind kind;
};

/* Answers {"message": message} and the named fields of `result`, which it
 * clears. */
static void respond_action(PGresult *result, const char *message, const struct answer_field *fields,
			   struct response *response)
{
	struct buf out = {0};
	buf_append_str(&out, "{\"message\":");
	represent_string(&out, message);
	for (; fields->name; fields++) {
		/* Column 0 is the access word; the message's columns follow. */
		const char *value = PQgetisnull(result, 0, 1 + fields->column)
					    ? NULL : PQgetvalue(result, 0, 1 + fields->column);
		buf_printf(&out, ",\"%s\":", fields->name);
		if (fields->kind == ANSWER_TIME)
			represent_time(&out, value);
		else if (fields->kind == ANSWER_BOOLEAN)
			buf_append_str(&out, value == NULL ? "null" : value[0] == 't' ? "true" : "false");
		else
			represent_string(&out, value);
	}
	buf_append_char(&out, '}');
	response_set_json(response, 200, buf_take(&out));
	PQclear(result);
}

/* ---------------------------------------------------------------- lists */

static const char *const orders[] = {"asc", "desc", NULL};

enum {
	LIST_CHAT,
	LIST_SENDER,
	LIST_EMERGENCY,
	LIST_TYPE,
	LIST_READ_STATUS,
	LIST_EXCLUDE_DELETED,
	LIST_BEFORE,
	LIST_AFTER,
	LIST_SEARCH,
	LIST_ORDER,
	LIST__MAX
};
static const struct field_rule list_rules[] = {
	[LIST_CHAT] = {"chat_id", FIELD_CHAT_ID},
	[LIST_SENDER] = {"sender_id", FIELD_ANY_USER_ID},
	[LIST_EMERGENCY] = {"emergency", FIELD_BOOLEAN},
	[LIST_TYPE] = {"message_type", FIELD_CHOICE, .choices = message_types},
	[LIST_READ_STATUS] = {"read_status", FIELD_CHOICE, .choices = read_statuses},
	[LIST_EXCLUDE_DELETED] = {"exclude_deleted", FIELD_BOOLEAN},
	[LIST_BEFORE] = {"before", FIELD_MESSAGE_ID},
	[LIST_AFTER] = {"after", FIELD_MESSAGE_ID},
	[LIST_SEARCH] = {"q", FIELD_STRING, .min_length = 1, .max_length = 200},
	[LIST_ORDER] = {"order", FIELD_CHOICE, .choices = orders},
};

static void message_list_row(struct buf *out, const PGresult *result, int row, const struct request *request,
			     const void *context)
{
	const bool *delivered = context;
	represent_message(out, result, row, 0, &request->caller, false, delivered[row]);
}

/* Oldest first, or newest first; the sort keys are the message's
 * timestamp and id. */
static const struct page_shape oldest_first = {
	message_list_row, 2, {MESSAGE_TIMESTAMP, MESSAGE_ID}, {"-infinity", ""},
};
static const struct page_shape newest_first = {
	message_list_row, 2, {MESSAGE_TIMESTAMP, MESSAGE_ID}, {"infinity", ""},
};

/* Runs a page statement, delivers what the page shows to `recipient` (the
 * caller, or NULL for nobody), and answers the page. */
static void message_page_query(const struct page *page, const struct request *request, struct db *db,
			       enum statement_id id, const char *const *params, const char *recipient,
			       struct response *response)
{
	PGresult *result = handler_run(db, id, params, response);
	if (result == NULL)
		return;
	bool delivered[PAGE_LIMIT_MAX];
	if (delivery_deliver_shown(result, page_rows_shown(page, result), recipient, request, db, delivered,
				   response))
		page_respond(page, request, result, delivered, response);
	PQclear(result);
}

/* The list asks for nothing but one chat's page, as apps mostly do. */
static bool list_is_unfiltered(const struct field_value *v)
{
	for (int i = 0; i < LIST__MAX; i++) {
		if (i == LIST_CHAT || i == LIST_ORDER || !v[i].present)
			continue;
		if (i != LIST_EXCLUDE_DELETED || strcmp(v[i].text, "true") != 0)
			return false;
	}
	return v[LIST_CHAT].present;
}

void messages_list(struct request *request, struct db *db, struct response *response)
{
	/* [of one chat][newest first] */
	static const enum statement_id lists[2][2] = {
		{STATEMENT_MESSAGE_LIST, STATEMENT_MESSAGE_LIST_NEWEST_FIRST},
		{STATEMENT_MESSAGE_LIST_OF_CHAT, STATEMENT_MESSAGE_LIST_OF_CHAT_NEWEST_FIRST},
	};
	struct fields query;
	struct page page = {0};
	if (!validate_query(request, list_rules, LIST__MAX, &query, response))
		goto done;
	const struct field_value *v = query.values;
	bool descending = v[LIST_ORDER].present && strcmp(v[LIST_ORDER].text, "desc") == 0;
	if (!page_parse(request, descending ? &newest_first : &oldest_first, &page, response))
		goto done;
	/* A listing delivers to its caller, unless an admin. */
	const char *recipient = caller_is_admin(request) ? NULL : request->caller.id;
	if (list_is_unfiltered(v)) {
		const char *params[] = {CALLER_PARAMS(request), v[LIST_CHAT].text, page.keys[0], page.keys[1],
					page.fetch_limit};
		message_page_query(&page, request, db,
				   descending ? STATEMENT_MESSAGE_LIST_OF_CHAT_UNFILTERED_NEWEST_FIRST
					      : STATEMENT_MESSAGE_LIST_OF_CHAT_UNFILTERED,
				   params, recipient, response);
	} else {
		/* Apps sync from what any list across their chats showed them:
		 * such a list stops at the sync horizon, read first
		 * (sql/010_sync_horizon.sql). */
		PGresult *horizon = NULL;
		if (!v[LIST_CHAT].present) {
			const char *caller[] = {CALLER_PARAMS(request)};
			horizon = handler_run(db, STATEMENT_SYNC_HORIZON, caller, response);
			if (horizon == NULL)
				goto done;
		}
		const char *params[] = {CALLER_PARAMS(request), v[LIST_CHAT].text, v[LIST_SENDER].text,
					v[LIST_EMERGENCY].text, v[LIST_TYPE].text, v[LIST_READ_STATUS].text,
					v[LIST_EXCLUDE_DELETED].present ? v[LIST_EXCLUDE_DELETED].text : "true",
					v[LIST_BEFORE].text, v[LIST_AFTER].text, v[LIST_SEARCH].text,
					page.keys[0], page.keys[1], page.fetch_limit,
					horizon ? PQgetvalue(horizon, 0, 0) : NULL};
		message_page_query(&page, request, db, lists[v[LIST_CHAT].present][descending], params, recipient,
				   response);
		PQclear(horizon);
	}
done:
	page_free(&page);
	fields_free(&query);
}

enum { UNREAD_USER, UNREAD_CHAT };
static const struct field_rule unread_rules[] = {
	[UNREAD_USER] = {"user_id", FIELD_USER_ID},
	[UNREAD_CHAT] = {"chat_id", FIELD_CHAT_ID},
};

void messages_unread(struct request *request, struct db *db, struct response *response)
{
	struct fields query;
	struct page page = {0};
	if (!validate_query(request, unread_rules, 2, &query, response) ||
	    !page_parse(request, &oldest_first, &page, response))
		goto done;
	const char *user = query.values[UNREAD_USER].present ? query.values[UNREAD_USER].text : request->caller.id;
	if (!caller_is_admin(request) && strcmp(user, request->caller.id) != 0) {
		response_forbidden(response, "You may only list your own unread messages.");
		goto done;
	}
	const char *params[] = {CALLER_PARAMS(request), user, query.values[UNREAD_CHAT].text, page.keys[0],
				page.keys[1], page.fetch_limit};
	/* Only the user's own listing delivers. */
	const char *recipient = strcmp(user, request->caller.id) == 0 ? request->caller.id : NULL;
	message_page_query(&page, request, db, STATEMENT_MESSAGE_UNREAD, params, recipient, response);
done:
	page_free(&page);
	fields_free(&query);
}

/* ---------------------------------------------------------------- reading */

/* Reads message `id` as the caller may see it. Returns the result (row 0:
 * access, then the columns of columns.h) or NULL with 404 or 403 filled. */
static PGresult *message_read(struct request *request, struct db *db, const char *id, struct response *response)
{
	const char *params[] = {CALLER_PARAMS(request), id};
	PGresult *result = handler_run(db, STATEMENT_MESSAGE_GET, params, response);
	if (result == NULL)
		return NULL;
	if (PQntuples(result) == 0)
		response_not_found(response);
	else if (strcmp(PQgetvalue(result, 0, 0), "full") != 0)
		response_forbidden(response, "The history of this chat is hidden from you.");
	else
		return result;
	PQclear(result);
	return NULL;
}

void messages_get(struct request *request, struct db *db, struct response *response)
{
	PGresult *result = message_read(request, db, request->path_id, response);
	if (result != NULL)
		handler_respond_row(result, 1, represent_message_detail, 200, request, response);
}

static void edit_row(struct buf *out, const PGresult *result, int row, const struct request *request,
		     const void *context)
{
	(void)context;
	represent_edit(out, result, row, 0, &request->caller);
}

/* Oldest first; the sort keys are the edit's edited_at and its id, which
 * follows its columns. */
static const struct page_shape edits_oldest_first = {
	edit_row, 2, {EDIT_EDITED_AT, EDIT__COLUMNS}, {"-infinity", "0"},
};

void messages_history(struct request *request, struct db *db, struct response *response)
{
	struct page page = {0};
	PGresult *message = NULL;
	if (!page_parse(request, &edits_oldest_first, &page, response))
		goto done;
	/* The edits are listed where the message itself may be read. */
	message = message_read(request, db, request->path_id, response);
	if (message == NULL)
		goto done;
	const char *params[] = {CALLER_PARAMS(request), request->path_id, page.keys[0], page.keys[1],
				page.fetch_limit};
	page_query(&page, request, db, STATEMENT_MESSAGE_HISTORY, params, response);
done:
	PQclear(message);
	page_free(&page);
}

/* ---------------------------------------------------------------- sending */

enum {
	SEND_CHAT,
	SEND_TEXT,
	SEND_TYPE,
	SEND_EMERGENCY,
	SEND_REPLY_TO,
	SEND_ATTACHMENT_URL,
	SEND_ATTACHMENT_NAME,
	SEND_ATTACHMENT_SIZE,
	SEND__MAX
};
static const struct field_rule send_rules[] = {
	[SEND_CHAT] = {"chat_id", FIELD_CHAT_ID, .required = true},
	[SEND_TEXT] = {"text", FIELD_STRING, .required = true, .min_length = 1, .max_length = TEXT_MAX},
	[SEND_TYPE] = {"message_type", FIELD_CHOICE, .choices = message_types},
	[SEND_EMERGENCY] = {"emergency", FIELD_BOOLEAN},
	[SEND_REPLY_TO] = {"reply_to", FIELD_MESSAGE_ID, .nullable = true},
	[SEND_ATTACHMENT_URL] = {"attachment_url", FIELD_STRING, .nullable = true, .min_length = 1,
				 .max_length = 2048},
	[SEND_ATTACHMENT_NAME] = {"attachment_name", FIELD_STRING, .nullable = true, .max_length = 255},
	[SEND_ATTACHMENT_SIZE] = {"attachment_size", FIELD_COUNT, .nullable = true},
};

/* 1..255 printable ASCII characters. */
static bool idempotency_key_valid(const char *key)
{
	size_t length = strlen(key);
	if (length < 1 || length > IDEMPOTENCY_KEY_MAX)
		return false;
	for (size_t i = 0; i < length; i++)
		if (key[i] < 0x20 || key[i] > 0x7e)
			return false;
	return true;
}

void messages_send(struct request *request, struct db *db, struct response *response)
{
	struct fields fields;
	if (!validate_request_body(request, send_rules, SEND__MAX, &fields, response))
		goto done;
	const struct field_value *v = fields.values;
	const char *type = v[SEND_TYPE].present ? v[SEND_TYPE].text : "text";
	if ((strcmp(type, "image") == 0 || strcmp(type, "file") == 0) && v[SEND_ATTACHMENT_URL].text == NULL) {
		response_error(response, 400, "validation_error", "Image and file messages need an attachment_url.",
			       field_error("attachment_url", "This field is required for image and file messages."));
		goto done;
	}
	if (request->idempotency_key != NULL && !idempotency_key_valid(request->idempotency_key)) {
		response_error(response, 400, "validation_error", "Invalid Idempotency-Key header.",
			       field_error("Idempotency-Key", "Use 1 to 255 printable ASCII characters."));
		goto done;
	}
	char id[MESSAGE_ID_SIZE];
	id_new_message(id);
	const char *params[] = {CALLER_PARAMS(request), v[SEND_CHAT].text, id, v[SEND_TEXT].text,
				v[SEND_EMERGENCY].present ? v[SEND_EMERGENCY].text : "false", type,
				v[SEND_REPLY_TO].text, v[SEND_ATTACHMENT_URL].text, v[SEND_ATTACHMENT_NAME].text,
				v[SEND_ATTACHMENT_SIZE].text, request->idempotency_key};
	/* One row: the outcome, the message's id, then (when created) its
	 * columns. */
	PGresult *sent = handler_run(db, STATEMENT_MESSAGE_SEND, params, response);
	if (sent == NULL)
		goto done;
	const struct outcome *outcome = outcome_success(PQgetvalue(sent, 0, 0), response);
	if (outcome == NULL) {
		PQclear(sent);
	} else if (strcmp(PQgetvalue(sent, 0, 1), id) == 0) {
		handler_respond_row(sent, 2, represent_message_detail, outcome->status, request, response);
	} else {
		/* A replayed send answers with the message its key first made. */
		PGresult *first = message_read(request, db, PQgetvalue(sent, 0, 1), response);
		PQclear(sent);
		if (first != NULL)
			handler_respond_row(first, 1, represent_message_detail, outcome->status, request, response);
	}
done:
	fields_free(&fields);
}

/* ---------------------------------------------------------------- changes */

enum { EDIT_TEXT, EDIT_EMERGENCY };
static const struct field_rule put_rules[] = {
	[EDIT_TEXT] = {"text", FIELD_STRING, .required = true, .min_length = 1, .max_length = TEXT_MAX},
	[EDIT_EMERGENCY] = {"emergency", FIELD_BOOLEAN},
};
static const struct field_rule patch_rules[] = {
	[EDIT_TEXT] = {"text", FIELD_STRING, .min_length = 1, .max_length = TEXT_MAX},
	[EDIT_EMERGENCY] = {"emergency", FIELD_BOOLEAN},
};

/* Validates `rule_count` of `rules` and applies them as an edit. Returns
 * the message as message_read reads it, or NULL with the response filled. */
static PGresult *message_edit(struct request *request, struct db *db, struct response *response,
			      const struct field_rule *rules, size_t rule_count)
{
	PGresult *message = NULL;
	struct fields fields;
	if (validate_request_body(request, rules, rule_count, &fields, response)) {
		const char *params[] = {CALLER_PARAMS(request), request->path_id, fields.values[EDIT_TEXT].text,
					rule_count > EDIT_EMERGENCY ? fields.values[EDIT_EMERGENCY].text : NULL};
		int status;
		message = message_write(request, db, STATEMENT_MESSAGE_EDIT, params, request->path_id, response,
					&status);
	}
	fields_free(&fields);
	return message;
}

static void message_write_detail(struct request *request, struct db *db, struct response *response,
				 const struct field_rule *rules)
{
	PGresult *message = message_edit(request, db, response, rules, 2);
	if (message != NULL)
		handler_respond_row(message, 1, represent_message_detail, 200, request, response);
}

void messages_put(struct request *request, struct db *db, struct response *response)
{
	message_write_detail(request, db, response, put_rules);
}

void messages_patch(struct request *request, struct db *db, struct response *response)
{
	message_write_detail(request, db, response, patch_rules);
}

void messages_edit(struct request *request, struct db *db, struct response *response)
{
	static const struct answer_field answer[] = {
		{"text", MESSAGE_TEXT, ANSWER_STRING},
		{"edited", MESSAGE_EDITED, ANSWER_BOOLEAN},
		{"edited_at", MESSAGE_EDITED_AT, ANSWER_TIME},
		{NULL, 0, 0},
	};
	PGresult *message = message_edit(request, db, response, put_rules, 1);
	if (message != NULL)
		respond_action(message, "Message edited successfully", answer, response);
}

/* Runs one of the single-message actions on the message of the path. */
static PGresult *message_act(struct request *request, struct db *db, struct response *response,
			     enum statement_id id)
{
	const char *params[] = {CALLER_PARAMS(request), request->path_id};
	int status;
	return message_write(request, db, id, params, request->path_id, response, &status);
}

void messages_delete(struct request *request, struct db *db, struct response *response)
{
	PGresult *message = message_act(request, db, response, STATEMENT_MESSAGE_DELETE);
	if (message != NULL)
		response_set_json(response, 204, NULL);
	PQclear(message);
}

void messages_delete_action(struct request *request, struct db *db, struct response *response)
{
	static const struct answer_field answer[] = {
		{"deleted", MESSAGE_DELETED, ANSWER_BOOLEAN},
		{"deleted_at", MESSAGE_DELETED_AT, ANSWER_TIME},
		{NULL, 0, 0},
	};
	if (!validate_action_body(request, response))
		return;
	PGresult *message = message_act(request, db, response, STATEMENT_MESSAGE_DELETE);
	if (message != NULL)
		respond_action(message, "Message deleted successfully", answer, response);
}

void messages_mark_emergency(struct request *request, struct db *db, struct response *response)
{
	static const struct answer_field answer[] = {{"emergency", MESSAGE_EMERGENCY, ANSWER_BOOLEAN}, {NULL, 0, 0}};
	if (!validate_action_body(request, response))
		return;
	PGresult *message = message_act(request, db, response, STATEMENT_MESSAGE_MARK_EMERGENCY);
	if (message != NULL)
		respond_action(message, "Message marked as emergency", answer, response);
}

static const struct field_rule mark_read_rules[] = {{.name = "user_id", .kind = FIELD_USER_ID}};

void messages_mark_read(struct request *request, struct db *db, struct response *response)
{
	static const struct answer_field answer[] = {
		{"read_status", MESSAGE_READ_STATUS, ANSWER_STRING},
		{"read_at", MESSAGE_READ_AT, ANSWER_TIME},
		{NULL, 0, 0},
	};
	struct fields fields;
	if (!validate_request_body(request, mark_read_rules, 1, &fields, response))
		goto done;
	/* Only the recipient marks a message read, for themselves. */
	if (fields.values[0].present && strcmp(fields.values[0].text, request->caller.id) != 0) {
		handler_refuse(db, STATEMENT_MESSAGE_GET, request, "You may only mark messages read for yourself.",
			       response);
		goto done;
	}
	PGresult *message = message_act(request, db, response, STATEMENT_MESSAGE_MARK_READ);
	if (message != NULL)
		respond_action(message, "Message marked as read", answer, response);
done:
	fields_free(&fields);
}
