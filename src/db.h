/*
 * The worker's one PostgreSQL connection: (re)connecting, preparing every
 * statement of statements.c once per connection, running them, and turning
 * a failure's SQLSTATE into the API's status and error.
 */
#ifndef TCCHAT_DB_H
#define TCCHAT_DB_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "config.h"
#include "statements.h"

struct response;

enum db_failure {
	DB_FAILURE_NONE,
	DB_FAILURE_UNAVAILABLE,   /* connection lost or refused, timeout, shutdown → 503 */
	DB_FAILURE_CONFLICT,      /* a unique or exclusion constraint → 409 */
	DB_FAILURE_INVALID,       /* a data exception or check/foreign key violation → 400 */
	DB_FAILURE_INTERNAL,      /* anything else → 500 */
	DB_FAILURE__MAX
};

struct db;

/* Does not connect: the first db_ready() does. The config must outlive it. */
struct db *db_new(const struct config *config);
void db_free(struct db *db);

/* Connects and prepares the statements if the connection is not up. False
 * (with the failure recorded) when the database cannot be reached. */
bool db_ready(struct db *db);

/*
 * Runs a prepared statement with text parameters (NULL for SQL NULL; the
 * count comes from the statement table). Returns the result, which the
 * caller PQclear()s, or NULL on failure with the failure recorded.
 */
PGresult *db_run(struct db *db, enum statement_id id, const char *const *params);

/*
 * Runs two prepared statements in one round trip and one transaction
 * (libpq's pipeline mode), so that the second sees what the first wrote.
 * Fills `*first` and `*second` with their results, which the caller
 * PQclear()s; on failure both are NULL, the failure is recorded, and
 * neither statement's work stays.
 */
bool db_run_pair(struct db *db, enum statement_id first_id, const char *const *first_params,
		 enum statement_id second_id, const char *const *second_params, PGresult **first,
		 PGresult **second);

/* Rolls back whatever a request left open; called after every request. */
void db_end_request(struct db *db);

/* Fills `response` with the API error for the last failure (503, 409, 400
 * or 500), never with database text. */
void db_failure_respond(const struct db *db, struct response *response);

#endif
