/*
 * Request metrics for GET /metrics (Prometheus text format): requests by
 * route and status, a latency histogram per route, database errors and
 * each worker's start time. They live in a file-backed shared table that
 * every worker of a host maps, one slot per worker, so that one scrape sees
 * all workers; a slot outlives its worker, so counters never go back.
 */
#ifndef TCCHAT_METRICS_H
#define TCCHAT_METRICS_H

#include <stdbool.h>
#include <stddef.h>

/* Routes the table can count, the last one standing for unmatched paths. */
#define METRICS_ROUTES_MAX 32

/*
 * Maps the table at `path` (created if missing) and claims a slot for this
 * process. With `path` NULL, or when the file cannot be used (the reason
 * is written to `error`, and false returned), metrics are kept in private
 * memory: this worker's alone.
 */
bool metrics_open(const char *path, char *error, size_t error_size);
void metrics_close(void);

/* Counts a request of route `route` (an index below METRICS_ROUTES_MAX). */
void metrics_record_request(size_t route, int status, double milliseconds);
void metrics_record_db_error(void);

/* The Prometheus text of every slot, routes named by `route_names`
 * (`route_count` of them). The caller frees it. */
char *metrics_render(const char *const *route_names, size_t route_count);

#endif
