/*
 * End-to-end: least privilege. The workers' database role can do what the
 * service needs and nothing else: no DDL, no TRUNCATE, no DELETE but the
 * admin purges, no writes to the directory.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <libpq-fe.h>

#include "e2e.h"

E2E_SUITE(privileges);

/* Runs `statement` as the workers' role inside a transaction that is
 * rolled back, and returns its SQLSTATE ("" when it succeeded). */
static const char *sqlstate_as_worker(const char *statement)
{
	static char sqlstate[6];
	PGconn *connection = PQconnectdb(getenv("TCCHAT_DATABASE_URL"));
	cr_assert_eq(PQstatus(connection), CONNECTION_OK, "%s", PQerrorMessage(connection));
	PQclear(PQexec(connection, "BEGIN"));
	PGresult *result = PQexec(connection, statement);
	const char *state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
	snprintf(sqlstate, sizeof sqlstate, "%s", state ? state : "");
	PQclear(result);
	PQclear(PQexec(connection, "ROLLBACK"));
	PQfinish(connection);
	return sqlstate;
}

Test(privileges, the_workers_role_cannot_change_the_schema_or_destroy_data)
{
	static const char *const refused[] = {
		"CREATE TABLE intruder (id int)",
		"DROP TABLE messages",
		"ALTER TABLE messages ADD COLUMN intruder int",
		"TRUNCATE messages",
		"TRUNCATE chats CASCADE",
		"DELETE FROM messages",
		"DELETE FROM message_edits",
		"INSERT INTO therapists (id) VALUES ('t_zzzzzz')",
		"UPDATE patients SET first_name = 'x'",
		"DELETE FROM therapists",
		"CREATE FUNCTION intruder() RETURNS int LANGUAGE sql AS 'SELECT 1'",
		"DROP FUNCTION tc_message_send",
		"UPDATE schema_migrations SET version = 'x'",
	};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		cr_expect_str_eq(sqlstate_as_worker(refused[i]), "42501", "%s was not refused for lack of privilege",
				 refused[i]);
}

Test(privileges, the_workers_role_can_do_what_the_service_needs)
{
	static const char *const allowed[] = {
		"SELECT count(*) FROM therapists",
		"SELECT count(*) FROM messages",
		"UPDATE chats SET status = status WHERE false",
		"DELETE FROM chats WHERE false",
		"DELETE FROM chat_rooms WHERE false",
		"DELETE FROM idempotency_keys WHERE false",
		"INSERT INTO message_edits (message_id, previous_text, edited_by)"
		" SELECT id, text, sender_id FROM messages WHERE false",
	};
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		cr_expect_str_eq(sqlstate_as_worker(allowed[i]), "", "%s was refused", allowed[i]);
}
