/*
 * List paging (API.md section 4): `limit` (default 100, at most 500) and an
 * opaque `cursor`; a page answers a JSON array and, when more rows exist, a
 * Link header with rel="next" that repeats the query with the next cursor.
 * Lists are keyset-paged: the cursor holds the sort keys of the last row
 * shown, and the next page starts after them.
 */
#ifndef TCCHAT_PAGING_H
#define TCCHAT_PAGING_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "buf.h"
#include "cursor.h"
#include "db.h"
#include "http.h"

#define PAGE_LIMIT_DEFAULT 100
#define PAGE_LIMIT_MAX 500

/* Writes row `row` of a list's result as a JSON value; `context` is what
 * the list passed to page_respond. */
typedef void page_row_writer(struct buf *out, const PGresult *result, int row, const struct request *request,
			     const void *context);

/* What a list's rows look like. */
struct page_shape {
	page_row_writer *write_row;
	size_t key_count;
	int key_columns[CURSOR_KEYS_MAX];       /* where a row's sort keys stand */
	const char *first_keys[CURSOR_KEYS_MAX]; /* keys sorting before every row: the first page */
};

struct page {
	const struct page_shape *shape;
	long limit;
	/* The SQL LIMIT: one row more than shown tells whether a next page exists. */
	char fetch_limit[24];
	/* The keys the page starts after: the cursor's, or the shape's first. */
	const char *keys[CURSOR_KEYS_MAX];
	char *decoded[CURSOR_KEYS_MAX];
};

/* Reads `limit` and `cursor`. On a bad value fills the response with 400
 * and returns false. */
bool page_parse(const struct request *request, const struct page_shape *shape, struct page *page,
		struct response *response);

/* How many rows of a list statement's result the page shows. */
int page_rows_shown(const struct page *page, const PGresult *result);

/* Answers 200 with the array of the rows shown, each written with
 * `context`, and the Link to the next page when `result` holds one row
 * more. */
void page_respond(const struct page *page, const struct request *request, const PGresult *result,
		  const void *context, struct response *response);

/* Runs the list statement `id` and answers the page of its rows: up to
 * page->limit of them, and a Link to the next page when there is one row
 * more; or the statement's failure. */
void page_query(const struct page *page, const struct request *request, struct db *db, enum statement_id id,
		const char *const *params, struct response *response);

void page_free(struct page *page);

#endif
