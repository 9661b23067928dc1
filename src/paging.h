/*
 * List paging (API.md section 4): `limit` (default 100, at most 500) and an
 * opaque `cursor`; a page answers a JSON array and, when more rows exist, a
 * Link header with rel="next" that repeats the query with the next cursor.
 */
#ifndef TCCHAT_PAGING_H
#define TCCHAT_PAGING_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "cursor.h"
#include "db.h"
#include "http.h"

#define PAGE_LIMIT_DEFAULT 100
#define PAGE_LIMIT_MAX 500

struct page {
	long limit;
	/* The SQL LIMIT: one row more than shown tells whether a next page exists. */
	char fetch_limit[24];
	/* `limit` as text, for statements that act on the rows shown. */
	char shown_limit[24];
	/* The keys of the row the page starts after; all NULL on the first page. */
	char *keys[CURSOR_KEYS_MAX];
	size_t key_count;
};

/* Reads `limit` and `cursor` (of `key_count` keys). On a bad value fills
 * the response with 400 and returns false. */
bool page_parse(const struct request *request, size_t key_count, struct page *page,
		struct response *response);

/*
 * Answers 200 with the array of column 0 (JSON text) of up to page->limit
 * rows of `result`. Columns 1..key_count of the last row shown are its sort
 * keys, which make the next cursor when `result` holds one row more.
 */
void page_respond(const struct page *page, const struct request *request, const PGresult *result,
		  struct response *response);

/* Runs the list statement `id` and answers its page (page_respond), or
 * the statement's failure. */
void page_query(const struct page *page, const struct request *request, struct db *db, enum statement_id id,
		const char *const *params, struct response *response);

void page_free(struct page *page);

#endif
