/*
 * What every resource handler shares: the handler signature, running a
 * statement with the caller's id and role, and the common answers.
 */
#ifndef TCCHAT_HANDLER_H
#define TCCHAT_HANDLER_H

#include <libpq-fe.h>

#include "buf.h"
#include "db.h"
#include "http.h"

struct json_object;

/* A handler fills `response` from `request`; it never sees the transport. */
typedef void handler_fn(struct request *request, struct db *db, struct response *response);

/* The first two parameters of every statement: the caller's id and role. */
#define CALLER_PARAMS(request) (request)->caller.id, role_names[(request)->caller.role]

/* Runs `id`; on failure fills the response with the mapped error and
 * returns NULL. The caller PQclear()s a result. */
PGresult *handler_run(struct db *db, enum statement_id id, const char *const *params,
		      struct response *response);

/* Writes row 0 of a result, from column `first` on, as a JSON value. */
typedef void row_writer(struct buf *out, const PGresult *result, int first, const struct identity *caller);

/* Answers `status` with row 0 of `result` written by `write` from column
 * `first`; 404 when there is no row or that column is NULL. Clears
 * `result`. */
void handler_respond_row(PGresult *result, int first, row_writer *write, int status,
			 const struct request *request, struct response *response);

/* Answers `status` with `object`, which it puts. */
void handler_respond_object(struct json_object *object, int status, struct response *response);

/*
 * For an action that matched no row: 404 when the `visibility` statement
 * (params: caller id, role, object id) finds nothing for the caller, since
 * what a caller cannot see does not exist for them; else 403 `message`.
 */
void handler_refuse(struct db *db, enum statement_id visibility, const struct request *request,
		    const char *message, struct response *response);

/* The caller is an admin. */
bool caller_is_admin(const struct request *request);

#endif
