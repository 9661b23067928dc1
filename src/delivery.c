/*
 * Delivery receipts. The page is read first and the messages it may
 * deliver are marked in a second statement, only when there are any: most
 * pages show nothing new, and a page statement without a data-modifying
 * part is the cheaper one to run. Each statement is one transaction; what
 * the page shows is its snapshot, with "delivered" for what this request
 * changed.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "columns.h"
#include "delivery.h"
#include "handler.h"

/* Appends `text` as an element of a PostgreSQL array literal. */
static void append_array_element(struct buf *out, const char *text)
{
	buf_append_char(out, '"');
	for (const char *p = text; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_append_char(out, '\\');
		buf_append_char(out, *p);
	}
	buf_append_char(out, '"');
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Whether row `row` of a page may be delivered to `recipient`. */
static bool deliverable(const PGresult *page, int row, const char *recipient)
{
	return recipient != NULL && strcmp(PQgetvalue(page, row, MESSAGE_READ_STATUS), "sent") == 0 &&
	       strcmp(PQgetvalue(page, row, MESSAGE_SENDER_ID), recipient) != 0;
}

bool delivery_deliver_shown(const PGresult *page, int shown, const char *recipient, const struct request *request,
			    struct db *db, bool *delivered, struct response *response)
{
	struct buf ids = {0};
	for (int row = 0; row < shown; row++) {
		delivered[row] = false;
		if (!deliverable(page, row, recipient))
			continue;
		buf_append_char(&ids, ids.length == 0 ? '{' : ',');
		append_array_element(&ids, PQgetvalue(page, row, MESSAGE_ID));
	}
	if (ids.length == 0)
		return true;
	buf_append_char(&ids, '}');
	const char *params[] = {CALLER_PARAMS(request), ids.data};
	PGresult *result = handler_run(db, STATEMENT_MESSAGE_DELIVER, params, response);
	buf_free(&ids);
	if (result == NULL)
		return false;

	/* The ids it delivered, sorted, looked up row by row. */
	int count = PQntuples(result);
	const char **done = malloc(((size_t)count + 1) * sizeof *done);
	if (done == NULL)
		abort();
	for (int i = 0; i < count; i++)
		done[i] = PQgetvalue(result, i, 0);
	qsort(done, (size_t)count, sizeof *done, compare_strings);
	for (int row = 0; row < shown; row++) {
		const char *id = PQgetvalue(page, row, MESSAGE_ID);
		delivered[row] = deliverable(page, row, recipient) &&
				 bsearch(&id, done, (size_t)count, sizeof *done, compare_strings) != NULL;
	}
	free(done);
	PQclear(result);
	return true;
}
