/*
 * Shared handler steps: running statements and the common answers.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "handler.h"

PGresult *handler_run(struct db *db, enum statement_id id, const char *const *params, struct response *response)
{
	PGresult *result = db_run(db, id, params);
	if (result == NULL)
		db_failure_respond(db, response);
	return result;
}

void handler_respond_row(PGresult *result, int first, row_writer *write, int status,
			 const struct request *request, struct response *response)
{
	if (PQntuples(result) == 0 || PQgetisnull(result, 0, first)) {
		response_not_found(response);
	} else {
		struct buf out = {0};
		write(&out, result, first, &request->caller);
		response_set_json(response, status, buf_take(&out));
	}
	PQclear(result);
}

void handler_respond_object(struct json_object *object, int status, struct response *response)
{
	response_set_json(response, status,
			  strdup(json_object_to_json_string_ext(object, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE)));
	json_object_put(object);
}

void handler_refuse(struct db *db, enum statement_id visibility, const struct request *request,
		    const char *message, struct response *response)
{
	const char *params[] = {CALLER_PARAMS(request), request->path_id};
	PGresult *result = handler_run(db, visibility, params, response);
	if (result == NULL)
		return;
	if (PQntuples(result) == 0)
		response_not_found(response);
	else
		response_forbidden(response, message);
	PQclear(result);
}

bool caller_is_admin(const struct request *request)
{
	return request->caller.role == ROLE_ADMIN;
}
