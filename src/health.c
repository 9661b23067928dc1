/*
 * GET /healthz: one trivial query; 200 when the database answers, else 503.
 */
#include <string.h>

#include "health.h"

void health_get(struct request *request, struct db *db, struct response *response)
{
	(void)request;
	PGresult *result = handler_run(db, STATEMENT_HEALTH, NULL, response);
	if (result == NULL)
		return;
	PQclear(result);
	response_set_json(response, 200, strdup("{\"status\":\"ok\"}"));
}
