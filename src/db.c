/*
 * The worker's PostgreSQL connection. Connecting is lazy and repeated after
 * a failure, so a worker outlives a database restart; every statement is
 * prepared once per connection; failures are mapped by SQLSTATE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "http.h"
#include "log.h"
#include "metrics.h"

struct db {
	const struct config *config;
	PGconn *connection;       /* NULL until connected, and after a broken connection */
	enum db_failure failure;  /* of the last call */
	bool down;                /* the last attempt to connect failed (logged once an outage) */
	char failure_cause[64];   /* the failed statement and its SQLSTATE; never client data */
};

/* SQLSTATE prefixes (a class of two characters, or a whole code) and the
 * failure each means for the client; the first match wins. */
static const struct {
	const char *sqlstate;
	enum db_failure failure;
} sqlstate_failures[] = {
	{"08", DB_FAILURE_UNAVAILABLE},    /* connection exception */
	{"57014", DB_FAILURE_UNAVAILABLE}, /* query canceled: statement_timeout */
	{"57P", DB_FAILURE_UNAVAILABLE},   /* admin or crash shutdown, cannot connect now */
	{"53", DB_FAILURE_UNAVAILABLE},    /* insufficient resources */
	{"40", DB_FAILURE_UNAVAILABLE},    /* serialization failure, deadlock: try again */
	{"23505", DB_FAILURE_CONFLICT},    /* unique violation */
	{"23P01", DB_FAILURE_CONFLICT},    /* exclusion violation */
	{"23", DB_FAILURE_INVALID},        /* other integrity constraints */
	{"22", DB_FAILURE_INVALID},        /* data exception */
};

struct db *db_new(const struct config *config)
{
	struct db *db = calloc(1, sizeof *db);
	if (db == NULL)
		abort();
	db->config = config;
	return db;
}

static void db_disconnect(struct db *db)
{
	if (db->connection != NULL) {
		PQfinish(db->connection);
		db->connection = NULL;
	}
}

void db_free(struct db *db)
{
	if (db == NULL)
		return;
	db_disconnect(db);
	free(db);
}

static bool db_exec_command(struct db *db, const char *sql)
{
	PGresult *result = PQexec(db->connection, sql);
	bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
	PQclear(result);
	return ok;
}

/* The type oid of text: every parameter is passed as text. */
#define TEXT_OID 25

static bool db_prepare_all(struct db *db)
{
	Oid types[STATEMENT_PARAMS_MAX];
	for (int i = 0; i < STATEMENT_PARAMS_MAX; i++)
		types[i] = TEXT_OID;
	for (int i = 0; i < STATEMENT__MAX; i++) {
		PGresult *result = PQprepare(db->connection, statements[i].name, statements[i].sql,
					     statements[i].param_count, types);
		bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
		if (!ok) {
			const char *sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
			log_error("db: cannot prepare statement %s (SQLSTATE %s); is the schema migrated?",
				  statements[i].name, sqlstate ? sqlstate : "none");
		}
		PQclear(result);
		if (!ok)
			return false;
	}
	return true;
}

bool db_ready(struct db *db)
{
	if (db->connection != NULL && PQstatus(db->connection) == CONNECTION_OK)
		return true;
	db_disconnect(db);
	char timeout[16];
	snprintf(timeout, sizeof timeout, "%ld", db->config->db_connect_timeout_seconds);
	/* Our defaults first: the operator's connection string overrides them. */
	const char *keywords[] = {"connect_timeout", "application_name", "dbname", NULL};
	const char *values[] = {timeout, "tcchat", db->config->database_url, NULL};
	db->connection = PQconnectdbParams(keywords, values, 1);
	if (PQstatus(db->connection) != CONNECTION_OK) {
		/* Once per outage: every request tries again, and would log it. */
		if (!db->down)
			log_warn("db: cannot connect to the database; requests answer 503 until it is back");
		db->down = true;
		metrics_record_db_error();
		goto failed;
	}
	/*
	 * Timestamps print in UTC and ISO form, as represent.c reads them. The
	 * cost of a random page is that of a cached one: the statements' generic
	 * plans must prefer index scans in key order, which stop at the end of a
	 * page, to reading a whole chat and sorting it.
	 */
	char setting[160];
	snprintf(setting, sizeof setting,
		 "SET statement_timeout = %ld; SET TIME ZONE 'UTC'; SET DateStyle = 'ISO'; SET random_page_cost = 1.1",
		 db->config->statement_timeout_ms);
	if (!db_exec_command(db, setting) || !db_prepare_all(db))
		goto failed;
	log_info("db: connected, %d statements prepared", STATEMENT__MAX);
	db->down = false;
	return true;
failed:
	db_disconnect(db);
	db->failure = DB_FAILURE_UNAVAILABLE;
	snprintf(db->failure_cause, sizeof db->failure_cause, "connect");
	return false;
}

static enum db_failure failure_from_sqlstate(const char *sqlstate)
{
	if (sqlstate == NULL)
		return DB_FAILURE_UNAVAILABLE;
	for (size_t i = 0; i < sizeof sqlstate_failures / sizeof sqlstate_failures[0]; i++)
		if (strncmp(sqlstate, sqlstate_failures[i].sqlstate, strlen(sqlstate_failures[i].sqlstate)) == 0)
			return sqlstate_failures[i].failure;
	return DB_FAILURE_INTERNAL;
}

/* Records why `result` failed; forgets a connection that broke. */
static void db_record_failure(struct db *db, const char *what, PGresult *result)
{
	const char *sqlstate = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : NULL;
	db->failure = failure_from_sqlstate(sqlstate);
	if (PQstatus(db->connection) != CONNECTION_OK)
		db->failure = DB_FAILURE_UNAVAILABLE;
	/* Only the statement's name and SQLSTATE: the message may quote values.
	 * The request's log line carries them (db_failure_respond), with its id. */
	snprintf(db->failure_cause, sizeof db->failure_cause, "%s:%s", what, sqlstate ? sqlstate : "none");
	if (db->failure == DB_FAILURE_INTERNAL || db->failure == DB_FAILURE_UNAVAILABLE)
		metrics_record_db_error();
	log_debug("db: %s failed, SQLSTATE %s", what, sqlstate ? sqlstate : "none");
	if (PQstatus(db->connection) != CONNECTION_OK)
		db_disconnect(db);
}

/* A deadlock or a serialization failure (SQLSTATE class 40): the
 * transaction, a request's statement or pair of statements, was rolled
 * back whole, and running it again may well succeed. */
static bool failure_is_transient(const PGresult *result)
{
	const char *sqlstate = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : NULL;
	return sqlstate != NULL && strncmp(sqlstate, "40", 2) == 0;
}

/* How many times a transaction that failed transiently is run, in all. */
#define TRANSIENT_ATTEMPTS 3

/* Before running such a transaction again: long enough for the one it
 * collided with, still running, to go on first (else the same locks, taken
 * again at once, would collide again), and longer each time. */
static void transient_backoff(int attempt)
{
	struct timespec pause = {.tv_sec = 0, .tv_nsec = 50L * 1000 * 1000 * attempt};
	nanosleep(&pause, NULL);
}

PGresult *db_run(struct db *db, enum statement_id id, const char *const *params)
{
	db->failure = DB_FAILURE_NONE;
	if (!db_ready(db))
		return NULL;
	for (int attempt = 1;; attempt++) {
		PGresult *result = PQexecPrepared(db->connection, statements[id].name, statements[id].param_count,
						  params, NULL, NULL, 0);
		ExecStatusType status = PQresultStatus(result);
		if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
			return result;
		if (attempt < TRANSIENT_ATTEMPTS && failure_is_transient(result)) {
			log_debug("db: %s failed transiently, running it again", statements[id].name);
			PQclear(result);
			transient_backoff(attempt);
			continue;
		}
		db_record_failure(db, statements[id].name, result);
		PQclear(result);
		return NULL;
	}
}

/* Reads the results of one query of a pipeline: the first result, the
 * rest cleared, up to the NULL that ends them. */
static PGresult *db_pipeline_result(PGconn *connection)
{
	PGresult *first = NULL, *next;
	while ((next = PQgetResult(connection)) != NULL) {
		if (first == NULL)
			first = next;
		else
			PQclear(next);
	}
	return first;
}

static bool result_ok(const PGresult *result)
{
	ExecStatusType status = PQresultStatus(result);
	return status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK;
}

/* One run of db_run_pair's pipeline: false when it could not be run or
 * ended (the failure recorded, the connection dropped), else true with
 * both results, which may be errors, in `results`. */
static bool pair_run_once(struct db *db, enum statement_id first_id, const char *const *first_params,
			  enum statement_id second_id, const char *const *second_params, PGresult *results[2])
{
	PGconn *connection = db->connection;
	results[0] = results[1] = NULL;
	if (!PQenterPipelineMode(connection) ||
	    !PQsendQueryPrepared(connection, statements[first_id].name, statements[first_id].param_count,
				 first_params, NULL, NULL, 0) ||
	    !PQsendQueryPrepared(connection, statements[second_id].name, statements[second_id].param_count,
				 second_params, NULL, NULL, 0) ||
	    !PQpipelineSync(connection)) {
		db_record_failure(db, statements[first_id].name, NULL);
		db_disconnect(db);
		return false;
	}
	results[0] = db_pipeline_result(connection);
	results[1] = db_pipeline_result(connection);
	/* The sync's own result ends the pipeline. */
	PGresult *sync = PQgetResult(connection);
	bool synced = PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
	PQclear(sync);
	if (!synced || !PQexitPipelineMode(connection)) {
		db_record_failure(db, statements[first_id].name, results[0]);
		db_disconnect(db);
		PQclear(results[0]);
		PQclear(results[1]);
		return false;
	}
	return true;
}

bool db_run_pair(struct db *db, enum statement_id first_id, const char *const *first_params,
		 enum statement_id second_id, const char *const *second_params, PGresult **first,
		 PGresult **second)
{
	*first = *second = NULL;
	db->failure = DB_FAILURE_NONE;
	if (!db_ready(db))
		return false;
	for (int attempt = 1;; attempt++) {
		PGresult *results[2];
		if (!pair_run_once(db, first_id, first_params, second_id, second_params, results))
			return false;
		if (result_ok(results[0]) && result_ok(results[1])) {
			*first = results[0];
			*second = results[1];
			return true;
		}
		bool first_failed = !result_ok(results[0]);
		PGresult *failed = first_failed ? results[0] : results[1];
		bool again = attempt < TRANSIENT_ATTEMPTS && failure_is_transient(failed);
		if (again)
			log_debug("db: %s failed transiently, running it again",
				  statements[first_failed ? first_id : second_id].name);
		else
			db_record_failure(db, statements[first_failed ? first_id : second_id].name, failed);
		PQclear(results[0]);
		PQclear(results[1]);
		if (!again)
			return false;
		transient_backoff(attempt);
	}
}

void db_end_request(struct db *db)
{
	if (db->connection == NULL)
		return;
	PGTransactionStatusType status = PQtransactionStatus(db->connection);
	if (status == PQTRANS_INTRANS || status == PQTRANS_INERROR) {
		if (!db_exec_command(db, "ROLLBACK"))
			db_disconnect(db);
	} else if (status != PQTRANS_IDLE) {
		db_disconnect(db);
	}
}

void db_failure_respond(const struct db *db, struct response *response)
{
	switch (db->failure) {
	case DB_FAILURE_UNAVAILABLE:
		response_error(response, 503, "unavailable",
			       "The service is temporarily unavailable; try again shortly.", NULL);
		break;
	case DB_FAILURE_CONFLICT:
		response_error(response, 409, "conflict", "The request conflicts with the current state.", NULL);
		break;
	case DB_FAILURE_INVALID:
		response_error(response, 400, "validation_error", "Invalid input.", NULL);
		break;
	default:
		response_internal(response);
		break;
	}
	snprintf(response->cause, sizeof response->cause, "%s", db->failure_cause);
}
