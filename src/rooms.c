/*
 * The ChatRooms resource: each chat's room holds who may send and who may
 * see the history. Participants read it; only the chat's therapist or an
 * admin changes it, and only an admin deletes it (API.md section 4).
 */
#include <string.h>

#include <json-c/json.h>

#include "columns.h"
#include "ids.h"
#include "paging.h"
#include "represent.h"
#include "rooms.h"
#include "validate.h"

#define DESCRIPTION_MAX 2000

/* ---------------------------------------------------------------- list */

enum { LIST_ROOM_TYPE, LIST_ACTIVE, LIST_ARCHIVED, LIST_CHAT };
static const struct field_rule list_rules[] = {
	[LIST_ROOM_TYPE] = {"room_type", FIELD_CHOICE, .choices = room_types},
	[LIST_ACTIVE] = {"is_active", FIELD_BOOLEAN},
	[LIST_ARCHIVED] = {"is_archived", FIELD_BOOLEAN},
	[LIST_CHAT] = {"chat_id", FIELD_CHAT_ID},
};

static void room_list_row(struct buf *out, const PGresult *result, int row, const struct request *request,
			  const void *context)
{
	(void)context;
	represent_room(out, result, row, 0, &request->caller, false);
}

/* Newest first; the sort keys are the room's updated_at and id. */
static const struct page_shape by_update = {
	room_list_row, 2, {ROOM_UPDATED_AT, ROOM_ID}, {"infinity", ""},
};

void rooms_list(struct request *request, struct db *db, struct response *response)
{
	struct fields query;
	struct page page = {0};
	if (!validate_query(request, list_rules, sizeof list_rules / sizeof list_rules[0], &query, response) ||
	    !page_parse(request, &by_update, &page, response))
		goto done;
	const struct field_value *v = query.values;
	const char *params[] = {CALLER_PARAMS(request), v[LIST_ROOM_TYPE].text, v[LIST_ACTIVE].text,
				v[LIST_ARCHIVED].text, v[LIST_CHAT].text, page.keys[0], page.keys[1],
				page.fetch_limit};
	page_query(&page, request, db, STATEMENT_ROOM_LIST, params, response);
done:
	page_free(&page);
	fields_free(&query);
}

/* ---------------------------------------------------------------- fields */

/* The writable fields, in the order of the room statements' parameters. */
enum {
	SET_TYPE,
	SET_THERAPIST_CAN_SEND,
	SET_PATIENT_CAN_SEND,
	SET_THERAPIST_CAN_SEE_HISTORY,
	SET_PATIENT_CAN_SEE_HISTORY,
	SET_DESCRIPTION,
	SET_TAGS,
	SET_IS_ACTIVE,
	SET_IS_ARCHIVED,
	SET_CHAT,
	SET__MAX
};

#define ROOM_WRITABLE_RULES                                                                              \
	[SET_THERAPIST_CAN_SEND] = {"therapist_can_send", FIELD_BOOLEAN},                                \
	[SET_PATIENT_CAN_SEND] = {"patient_can_send", FIELD_BOOLEAN},                                    \
	[SET_THERAPIST_CAN_SEE_HISTORY] = {"therapist_can_see_history", FIELD_BOOLEAN},                  \
	[SET_PATIENT_CAN_SEE_HISTORY] = {"patient_can_see_history", FIELD_BOOLEAN},                      \
	[SET_DESCRIPTION] = {"description", FIELD_STRING, .nullable = true, .max_length = DESCRIPTION_MAX}, \
	[SET_TAGS] = {"tags", FIELD_TAGS},                                                               \
	[SET_IS_ACTIVE] = {"is_active", FIELD_BOOLEAN},                                                  \
	[SET_IS_ARCHIVED] = {"is_archived", FIELD_BOOLEAN}

static const struct field_rule create_rules[] = {
	[SET_TYPE] = {"room_type", FIELD_CHOICE, .choices = room_types},
	ROOM_WRITABLE_RULES,
	[SET_CHAT] = {"chat_id", FIELD_CHAT_ID, .required = true},
};
static const struct field_rule put_rules[] = {
	[SET_TYPE] = {"room_type", FIELD_CHOICE, .required = true, .choices = room_types},
	ROOM_WRITABLE_RULES,
};
static const struct field_rule patch_rules[] = {
	[SET_TYPE] = {"room_type", FIELD_CHOICE, .choices = room_types},
	ROOM_WRITABLE_RULES,
};
/* update_permissions reads only the four permissions, which stand in the
 * writable fields from SET_THERAPIST_CAN_SEND on. */
static const struct field_rule permission_rules[] = {
	{.name = "therapist_can_send", .kind = FIELD_BOOLEAN},
	{.name = "patient_can_send", .kind = FIELD_BOOLEAN},
	{.name = "therapist_can_see_history", .kind = FIELD_BOOLEAN},
	{.name = "patient_can_see_history", .kind = FIELD_BOOLEAN},
};
#define PERMISSION_COUNT (sizeof permission_rules / sizeof permission_rules[0])

/* ---------------------------------------------------------------- create */

void rooms_create(struct request *request, struct db *db, struct response *response)
{
	struct fields fields;
	if (!validate_request_body(request, create_rules, SET__MAX, &fields, response))
		goto done;
	const struct field_value *v = fields.values;
	/* The chat id names the pair, so a stranger is refused whether or not
	 * the chat exists. */
	if (!caller_is_admin(request) && !id_chat_has_participant(v[SET_CHAT].text, request->caller.id)) {
		response_forbidden(response, "You may only create rooms for chats you take part in.");
		goto done;
	}
	const char *params[] = {CALLER_PARAMS(request), v[SET_CHAT].text, v[SET_TYPE].text,
				v[SET_THERAPIST_CAN_SEND].text, v[SET_PATIENT_CAN_SEND].text,
				v[SET_THERAPIST_CAN_SEE_HISTORY].text, v[SET_PATIENT_CAN_SEE_HISTORY].text,
				v[SET_DESCRIPTION].text, v[SET_TAGS].text, v[SET_IS_ACTIVE].text,
				v[SET_IS_ARCHIVED].text};
	PGresult *result = handler_run(db, STATEMENT_ROOM_CREATE, params, response);
	if (result == NULL)
		goto done;
	if (strcmp(PQgetvalue(result, 0, 0), "t") != 0)
		response_not_found(response);
	else if (request->caller.role == ROLE_PATIENT)
		response_forbidden(response, "Only the chat's therapist or an admin may create its room.");
	else if (PQgetisnull(result, 0, 1))
		response_error(response, 409, "conflict", "This chat already has a room.", NULL);
	else {
		handler_respond_row(result, 1, represent_room_detail, 201, request, response);
		result = NULL;
	}
	PQclear(result);
done:
	fields_free(&fields);
}

/* ---------------------------------------------------------------- one room */

void rooms_get(struct request *request, struct db *db, struct response *response)
{
	const char *params[] = {CALLER_PARAMS(request), request->path_id};
	PGresult *result = handler_run(db, STATEMENT_ROOM_GET, params, response);
	if (result != NULL)
		handler_respond_row(result, 0, represent_room_detail, 200, request, response);
}

/* Applies the present fields of `v` to the room. Returns the result whose
 * row 0 holds the room's and its chat's columns, or NULL with the response
 * filled. */
static PGresult *room_update(struct request *request, struct db *db, struct response *response,
			     const struct field_value *v)
{
	const char *params[] = {CALLER_PARAMS(request), request->path_id, v[SET_TYPE].text,
				v[SET_THERAPIST_CAN_SEND].text, v[SET_PATIENT_CAN_SEND].text,
				v[SET_THERAPIST_CAN_SEE_HISTORY].text, v[SET_PATIENT_CAN_SEE_HISTORY].text,
				v[SET_DESCRIPTION].text, v[SET_DESCRIPTION].present ? "true" : "false",
				v[SET_TAGS].text, v[SET_IS_ACTIVE].text, v[SET_IS_ARCHIVED].text};
	PGresult *result = handler_run(db, STATEMENT_ROOM_UPDATE, params, response);
	if (result != NULL && PQntuples(result) == 0) {
		PQclear(result);
		result = NULL;
		handler_refuse(db, STATEMENT_ROOM_VISIBLE, request,
			       "Only the chat's therapist or an admin may change its room.", response);
	}
	return result;
}

static void room_write(struct request *request, struct db *db, struct response *response,
		       const struct field_rule *rules)
{
	struct fields fields;
	if (validate_request_body(request, rules, SET_CHAT, &fields, response)) {
		PGresult *result = room_update(request, db, response, fields.values);
		if (result != NULL)
			handler_respond_row(result, 0, represent_room_detail, 200, request, response);
	}
	fields_free(&fields);
}

void rooms_put(struct request *request, struct db *db, struct response *response)
{
	room_write(request, db, response, put_rules);
}

void rooms_patch(struct request *request, struct db *db, struct response *response)
{
	room_write(request, db, response, patch_rules);
}

void rooms_delete(struct request *request, struct db *db, struct response *response)
{
	if (!caller_is_admin(request)) {
		handler_refuse(db, STATEMENT_ROOM_VISIBLE, request, "Only an admin may delete a room.", response);
		return;
	}
	const char *params[] = {CALLER_PARAMS(request), request->path_id};
	PGresult *result = handler_run(db, STATEMENT_ROOM_DELETE, params, response);
	if (result == NULL)
		return;
	if (PQntuples(result) == 0)
		response_not_found(response);
	else
		response_set_json(response, 204, NULL);
	PQclear(result);
}

/* ---------------------------------------------------------------- actions */

/* A field of a room action's answer: its name and the room column. */
struct action_field {
	const char *name;
	int column;
};

/* Applies `v` and answers {"message": message} with the named boolean
 * fields of the room as it now is. */
static void room_action(struct request *request, struct db *db, struct response *response,
			const struct field_value *v, const char *message, const struct action_field *fields)
{
	PGresult *result = room_update(request, db, response, v);
	if (result == NULL)
		return;
	struct json_object *answer = json_object_new_object();
	json_object_object_add(answer, "message", json_object_new_string(message));
	for (; fields->name; fields++)
		json_object_object_add(answer, fields->name,
				       json_object_new_boolean(PQgetvalue(result, 0, fields->column)[0] == 't'));
	handler_respond_object(answer, 200, response);
	PQclear(result);
}

void rooms_update_permissions(struct request *request, struct db *db, struct response *response)
{
	static const struct action_field names[] = {
		{"therapist_can_send", ROOM_THERAPIST_CAN_SEND},
		{"patient_can_send", ROOM_PATIENT_CAN_SEND},
		{"therapist_can_see_history", ROOM_THERAPIST_CAN_SEE_HISTORY},
		{"patient_can_see_history", ROOM_PATIENT_CAN_SEE_HISTORY},
		{NULL, 0},
	};
	struct fields fields;
	struct field_value v[SET__MAX] = {0};
	if (validate_request_body(request, permission_rules, PERMISSION_COUNT, &fields, response)) {
		for (size_t i = 0; i < PERMISSION_COUNT; i++)
			v[SET_THERAPIST_CAN_SEND + i] = fields.values[i];
		room_action(request, db, response, v, "Room permissions updated successfully", names);
	}
	fields_free(&fields);
}

/* archive_room and activate_room: set is_active and is_archived. */
static void room_set_state(struct request *request, struct db *db, struct response *response, bool active)
{
	static const struct action_field names[] = {
		{"is_archived", ROOM_IS_ARCHIVED},
		{"is_active", ROOM_IS_ACTIVE},
		{NULL, 0},
	};
	if (!validate_action_body(request, response))
		return;
	struct field_value v[SET__MAX] = {0};
	v[SET_IS_ACTIVE] = (struct field_value){.present = true, .text = active ? "true" : "false"};
	v[SET_IS_ARCHIVED] = (struct field_value){.present = true, .text = active ? "false" : "true"};
	room_action(request, db, response, v,
		    active ? "Room activated successfully" : "Room archived successfully", names);
}

void rooms_archive(struct request *request, struct db *db, struct response *response)
{
	room_set_state(request, db, response, false);
}

void rooms_activate(struct request *request, struct db *db, struct response *response)
{
	room_set_state(request, db, response, true);
}
