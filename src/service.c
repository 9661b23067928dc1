/*
 * The service endpoints: /healthz runs one trivial query (200 when the
 * database answers, else 503); /metrics renders the shared metrics table.
 */
#include <string.h>

#include "metrics.h"
#include "router.h"
#include "service.h"

void service_health(struct request *request, struct db *db, struct response *response)
{
	(void)request;
	PGresult *result = handler_run(db, STATEMENT_HEALTH, NULL, response);
	if (result == NULL)
		return;
	PQclear(result);
	response_set_json(response, 200, strdup("{\"status\":\"ok\"}"));
}

void service_metrics(struct request *request, struct db *db, struct response *response)
{
	(void)request;
	(void)db;
	size_t route_count;
	const char *const *names = router_route_names(&route_count);
	response_set_json(response, 200, metrics_render(names, route_count));
	response->content_type = "text/plain; version=0.0.4; charset=utf-8";
}
