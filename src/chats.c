/*
 * The Chats resource: a therapist–patient pair's conversation, its status
 * and notification settings, listed and changed by its participants and
 * admins (API.md section 4). Visibility is decided in SQL; a chat the
 * caller does not take part in answers 404.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "chats.h"
#include "columns.h"
#include "paging.h"
#include "represent.h"
#include "validate.h"

static const char *const orderings[] = {"priority", NULL};

/* ---------------------------------------------------------------- lists */

enum { LIST_THERAPIST, LIST_PATIENT, LIST_STATUS, LIST_USER, LIST_ORDERING };
static const struct field_rule list_rules[] = {
	[LIST_THERAPIST] = {"therapist_id", FIELD_THERAPIST_ID},
	[LIST_PATIENT] = {"patient_id", FIELD_PATIENT_ID},
	[LIST_STATUS] = {"status", FIELD_CHOICE, .choices = chat_statuses},
	[LIST_USER] = {"user_id", FIELD_USER_ID},
	[LIST_ORDERING] = {"ordering", FIELD_CHOICE, .choices = orderings},
};

static void chat_list_row(struct buf *out, const PGresult *result, int row, const struct request *request,
			  const void *context)
{
	(void)context;
	represent_chat(out, result, row, 0, &request->caller, false);
}

/* Newest first; the sort keys are the chat's updated_at and id. */
static const struct page_shape by_update = {
	chat_list_row, 2, {CHAT_UPDATED_AT, CHAT_ID}, {"infinity", ""},
};
/* Highest priority first: the keys are the priority, which follows the
 * chat's list columns, then its updated_at and id. */
static const struct page_shape by_priority = {
	chat_list_row, 3, {CHAT_LIST__COLUMNS, CHAT_UPDATED_AT, CHAT_ID}, {"2147483647", "infinity", ""},
};

/* Lists the caller's chats narrowed by the filters, a page at a time. */
static void chats_list_page(struct request *request, struct db *db, struct response *response,
			    const char *status, const char *user, bool priority_first, const char *therapist,
			    const char *patient)
{
	static const enum statement_id lists[2][2] = {
		{STATEMENT_CHAT_LIST, STATEMENT_CHAT_LIST_ADMIN},
		{STATEMENT_CHAT_LIST_BY_PRIORITY, STATEMENT_CHAT_LIST_BY_PRIORITY_ADMIN},
	};
	const struct page_shape *shape = priority_first ? &by_priority : &by_update;
	struct page page;
	if (!page_parse(request, shape, &page, response))
		goto done;
	const char *params[STATEMENT_PARAMS_MAX] = {CALLER_PARAMS(request), therapist, patient, status, user};
	for (size_t i = 0; i < shape->key_count; i++)
		params[6 + i] = page.keys[i];
	params[6 + shape->key_count] = page.fetch_limit;
	page_query(&page, request, db, lists[priority_first][caller_is_admin(request)], params, response);
done:
	page_free(&page);
}

void chats_list(struct request *request, struct db *db, struct response *response)
{
	struct fields query;
	if (validate_query(request, list_rules, sizeof list_rules / sizeof list_rules[0], &query, response)) {
		const struct field_value *v = query.values;
		chats_list_page(request, db, response, v[LIST_STATUS].text, v[LIST_USER].text,
				v[LIST_ORDERING].present, v[LIST_THERAPIST].text, v[LIST_PATIENT].text);
	}
	fields_free(&query);
}

static const struct field_rule user_rules[] = {{.name = "user_id", .kind = FIELD_USER_ID}};

/* A `user_id` other than the caller's own is an admin's privilege. */
static bool caller_may_act_for(const struct request *request, const char *user_id)
{
	return caller_is_admin(request) || strcmp(user_id, request->caller.id) == 0;
}

void chats_user_chats(struct request *request, struct db *db, struct response *response)
{
	struct fields query;
	if (!validate_query(request, user_rules, 1, &query, response))
		goto done;
	const char *user = query.values[0].present ? query.values[0].text : request->caller.id;
	if (!caller_may_act_for(request, user)) {
		response_forbidden(response, "You may only list your own chats.");
		goto done;
	}
	if (caller_is_admin(request)) {
		chats_list_page(request, db, response, "active", user, false, NULL, NULL);
	} else {
		/* Their own list, by the statement of their side of the pair. */
		struct page page;
		if (page_parse(request, &by_update, &page, response)) {
			const char *params[] = {CALLER_PARAMS(request), page.keys[0], page.keys[1], page.fetch_limit};
			page_query(&page, request, db,
				   request->caller.role == ROLE_THERAPIST ? STATEMENT_USER_CHATS_OF_THERAPIST
									  : STATEMENT_USER_CHATS_OF_PATIENT,
				   params, response);
		}
		page_free(&page);
	}
done:
	fields_free(&query);
}

/* ---------------------------------------------------------------- creation */

enum { CREATE_THERAPIST, CREATE_PATIENT, CREATE_STATUS };
static const struct field_rule create_rules[] = {
	[CREATE_THERAPIST] = {"therapist_id", FIELD_THERAPIST_ID, .required = true},
	[CREATE_PATIENT] = {"patient_id", FIELD_PATIENT_ID, .required = true},
	[CREATE_STATUS] = {"status", FIELD_CHOICE, .choices = chat_statuses},
};

/* The id of a pair's chat: `existing` holds at least CHAT_ID_SIZE bytes. */
#define CHAT_ID_SIZE 32

/*
 * Creates the chat of the pair named in the body, with its room. Answers
 * 201 and returns true when it did; returns false with the response filled
 * in every other case, except that an existing chat is left to the caller:
 * its id is written to `existing`, and the response is untouched.
 */
static bool chat_create(struct request *request, struct db *db, struct response *response, bool with_status,
			char *existing)
{
	struct fields fields;
	bool created = false;
	existing[0] = '\0';
	if (!validate_request_body(request, create_rules, with_status ? 3 : 2, &fields, response))
		goto done;
	const char *therapist = fields.values[CREATE_THERAPIST].text;
	const char *patient = fields.values[CREATE_PATIENT].text;
	if (!caller_is_admin(request) && strcmp(request->caller.id, therapist) != 0 &&
	    strcmp(request->caller.id, patient) != 0) {
		response_forbidden(response, "You may only create chats you take part in.");
		goto done;
	}
	const char *params[] = {CALLER_PARAMS(request), therapist, patient,
				with_status ? fields.values[CREATE_STATUS].text : NULL};
	PGresult *result = handler_run(db, STATEMENT_CHAT_CREATE, params, response);
	if (result == NULL)
		goto done;
	if (strcmp(PQgetvalue(result, 0, 0), "t") != 0)
		response_error(response, 404, "not_found", "Therapist not found.", NULL);
	else if (strcmp(PQgetvalue(result, 0, 1), "t") != 0)
		response_error(response, 404, "not_found", "Patient not found.", NULL);
	else if (PQgetisnull(result, 0, 2))
		snprintf(existing, CHAT_ID_SIZE, "CHAT_%s_%s", therapist, patient);
	else
		created = true;
	if (created)
		handler_respond_row(result, 2, represent_chat_detail, 201, request, response);
	else
		PQclear(result);
done:
	fields_free(&fields);
	return created;
}

void chats_create(struct request *request, struct db *db, struct response *response)
{
	char existing[CHAT_ID_SIZE];
	if (!chat_create(request, db, response, true, existing) && existing[0])
		response_error(response, 409, "conflict", "A chat for this therapist and patient already exists.",
			       NULL);
}

void chats_create_or_get(struct request *request, struct db *db, struct response *response)
{
	char existing[CHAT_ID_SIZE];
	if (chat_create(request, db, response, false, existing) || !existing[0])
		return;
	const char *params[] = {CALLER_PARAMS(request), existing};
	PGresult *result = handler_run(db, STATEMENT_CHAT_GET, params, response);
	if (result != NULL)
		handler_respond_row(result, 0, represent_chat_detail, 200, request, response);
}

/* ---------------------------------------------------------------- one chat */

void chats_get(struct request *request, struct db *db, struct response *response)
{
	const char *params[] = {CALLER_PARAMS(request), request->path_id};
	PGresult *result = handler_run(db, STATEMENT_CHAT_GET, params, response);
	if (result != NULL)
		handler_respond_row(result, 0, represent_chat_detail, 200, request, response);
}

/* Sets status and notifications (NULL keeps one). Returns the result with
 * the chat's columns, or NULL with the response filled (404 included). */
static PGresult *chat_update(struct request *request, struct db *db, struct response *response, const char *status,
			     const char *therapist_notifications, const char *patient_notifications)
{
	const char *params[] = {CALLER_PARAMS(request), request->path_id, status, therapist_notifications,
				patient_notifications};
	PGresult *result = handler_run(db, STATEMENT_CHAT_UPDATE, params, response);
	if (result != NULL && PQntuples(result) == 0) {
		response_not_found(response);
		PQclear(result);
		result = NULL;
	}
	return result;
}

enum { UPDATE_STATUS, UPDATE_THERAPIST_NOTIFICATIONS, UPDATE_PATIENT_NOTIFICATIONS };
static const struct field_rule put_rules[] = {
	[UPDATE_STATUS] = {"status", FIELD_CHOICE, .required = true, .choices = chat_statuses},
	[UPDATE_THERAPIST_NOTIFICATIONS] = {"therapist_notifications", FIELD_BOOLEAN},
	[UPDATE_PATIENT_NOTIFICATIONS] = {"patient_notifications", FIELD_BOOLEAN},
};
static const struct field_rule patch_rules[] = {
	[UPDATE_STATUS] = {"status", FIELD_CHOICE, .choices = chat_statuses},
	[UPDATE_THERAPIST_NOTIFICATIONS] = {"therapist_notifications", FIELD_BOOLEAN},
	[UPDATE_PATIENT_NOTIFICATIONS] = {"patient_notifications", FIELD_BOOLEAN},
};

static void chat_write(struct request *request, struct db *db, struct response *response,
		       const struct field_rule *rules)
{
	struct fields fields;
	if (!validate_request_body(request, rules, 3, &fields, response))
		goto done;
	/* A participant sets only their own notifications. */
	enum role role = request->caller.role;
	if ((role == ROLE_THERAPIST && fields.values[UPDATE_PATIENT_NOTIFICATIONS].present) ||
	    (role == ROLE_PATIENT && fields.values[UPDATE_THERAPIST_NOTIFICATIONS].present)) {
		handler_refuse(db, STATEMENT_CHAT_VISIBLE, request,
			       "You may only change your own notification setting.", response);
		goto done;
	}
	PGresult *result = chat_update(request, db, response, fields.values[UPDATE_STATUS].text,
				       fields.values[UPDATE_THERAPIST_NOTIFICATIONS].text,
				       fields.values[UPDATE_PATIENT_NOTIFICATIONS].text);
	if (result != NULL)
		handler_respond_row(result, 0, represent_chat_detail, 200, request, response);
done:
	fields_free(&fields);
}

void chats_put(struct request *request, struct db *db, struct response *response)
{
	chat_write(request, db, response, put_rules);
}

void chats_patch(struct request *request, struct db *db, struct response *response)
{
	chat_write(request, db, response, patch_rules);
}

static const struct field_rule delete_rules[] = {{.name = "purge", .kind = FIELD_BOOLEAN}};

void chats_delete(struct request *request, struct db *db, struct response *response)
{
	struct fields query;
	if (!validate_query(request, delete_rules, 1, &query, response))
		goto done;
	bool purge = query.values[0].present && strcmp(query.values[0].text, "true") == 0;
	PGresult *result = NULL;
	if (purge && !caller_is_admin(request)) {
		handler_refuse(db, STATEMENT_CHAT_VISIBLE, request, "Only an admin may purge a chat.", response);
	} else if (purge) {
		const char *params[] = {CALLER_PARAMS(request), request->path_id};
		result = handler_run(db, STATEMENT_CHAT_PURGE, params, response);
		if (result != NULL && PQntuples(result) == 0)
			response_not_found(response);
		else if (result != NULL)
			response_set_json(response, 204, NULL);
	} else {
		result = chat_update(request, db, response, "deleted", NULL, NULL);
		if (result != NULL)
			response_set_json(response, 204, NULL);
	}
	PQclear(result);
done:
	fields_free(&query);
}

/* ---------------------------------------------------------------- actions */

static const struct field_rule status_rules[] = {
	{"status", FIELD_CHOICE, .required = true, .choices = chat_statuses},
};

void chats_update_status(struct request *request, struct db *db, struct response *response)
{
	struct fields fields;
	if (!validate_request_body(request, status_rules, 1, &fields, response))
		goto done;
	const char *status = fields.values[0].text;
	PGresult *result = chat_update(request, db, response, status, NULL, NULL);
	if (result == NULL)
		goto done;
	PQclear(result);
	char message[64];
	snprintf(message, sizeof message, "Chat status updated to %s", status);
	struct json_object *answer = json_object_new_object();
	json_object_object_add(answer, "message", json_object_new_string(message));
	json_object_object_add(answer, "new_status", json_object_new_string(status));
	handler_respond_object(answer, 200, response);
done:
	fields_free(&fields);
}

enum { TOGGLE_USER, TOGGLE_ENABLED };
static const struct field_rule toggle_rules[] = {
	[TOGGLE_USER] = {"user_id", FIELD_USER_ID},
	[TOGGLE_ENABLED] = {"notifications_enabled", FIELD_BOOLEAN},
};

/* The body's user_id, or the caller when it names none. */
static const char *acting_user(const struct request *request, const struct fields *fields, int index)
{
	return fields->values[index].present ? fields->values[index].text : request->caller.id;
}

void chats_toggle_notifications(struct request *request, struct db *db, struct response *response)
{
	struct fields fields;
	if (!validate_request_body(request, toggle_rules, 2, &fields, response))
		goto done;
	const char *user = acting_user(request, &fields, TOGGLE_USER);
	const char *enabled = fields.values[TOGGLE_ENABLED].present ? fields.values[TOGGLE_ENABLED].text : "true";
	if (!caller_may_act_for(request, user)) {
		handler_refuse(db, STATEMENT_CHAT_VISIBLE, request, "You may only change your own notifications.",
			       response);
		goto done;
	}
	const char *params[] = {CALLER_PARAMS(request), request->path_id, user, enabled};
	PGresult *result = handler_run(db, STATEMENT_CHAT_SET_NOTIFICATIONS, params, response);
	if (result == NULL)
		goto done;
	if (PQntuples(result) == 0) {
		handler_refuse(db, STATEMENT_CHAT_VISIBLE, request, "That user does not take part in this chat.",
			       response);
	} else {
		bool on = strcmp(enabled, "true") == 0;
		struct json_object *answer = json_object_new_object();
		json_object_object_add(answer, "message",
				       json_object_new_string(on ? "Notifications enabled" : "Notifications disabled"));
		json_object_object_add(answer, "notifications_enabled", json_object_new_boolean(on));
		handler_respond_object(answer, 200, response);
	}
	PQclear(result);
done:
	fields_free(&fields);
}

void chats_mark_all_read(struct request *request, struct db *db, struct response *response)
{
	struct fields fields;
	if (!validate_request_body(request, user_rules, 1, &fields, response))
		goto done;
	const char *user = acting_user(request, &fields, 0);
	if (!caller_may_act_for(request, user)) {
		handler_refuse(db, STATEMENT_CHAT_VISIBLE, request, "You may only mark your own messages read.",
			       response);
		goto done;
	}
	const char *params[] = {CALLER_PARAMS(request), request->path_id, user};
	PGresult *result = handler_run(db, STATEMENT_CHAT_MARK_ALL_READ, params, response);
	if (result == NULL)
		goto done;
	if (PQntuples(result) == 0) {
		handler_refuse(db, STATEMENT_CHAT_VISIBLE, request, "That user does not take part in this chat.",
			       response);
	} else {
		struct json_object *answer = json_object_new_object();
		json_object_object_add(answer, "message", json_object_new_string("All messages marked as read"));
		json_object_object_add(answer, "unread_count", json_object_new_int(atoi(PQgetvalue(result, 0, 1))));
		json_object_object_add(answer, "marked", json_object_new_int(atoi(PQgetvalue(result, 0, 0))));
		handler_respond_object(answer, 200, response);
	}
	PQclear(result);
done:
	fields_free(&fields);
}
