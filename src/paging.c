/*
 * List paging: limit and cursor in, JSON array and Link header out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "paging.h"

static void page_bad_parameter(struct response *response, const char *name, const char *message)
{
	struct json_object *fields = json_object_new_object();
	struct json_object *messages = json_object_new_array();
	json_object_array_add(messages, json_object_new_string(message));
	json_object_object_add(fields, name, messages);
	char sentence[64];
	snprintf(sentence, sizeof sentence, "Invalid value for %s.", name);
	response_error(response, 400, "validation_error", sentence, fields);
}

/* A page size: a whole number from 1 to PAGE_LIMIT_MAX, digits only. */
static bool limit_parse(const char *text, long *limit)
{
	char *end;
	errno = 0;
	long value = strtol(text, &end, 10);
	if (text[0] < '0' || text[0] > '9' || errno || *end || value < 1 || value > PAGE_LIMIT_MAX)
		return false;
	*limit = value;
	return true;
}

bool page_parse(const struct request *request, const struct page_shape *shape, struct page *page,
		struct response *response)
{
	*page = (struct page){.shape = shape, .limit = PAGE_LIMIT_DEFAULT};
	for (size_t i = 0; i < shape->key_count; i++)
		page->keys[i] = shape->first_keys[i];
	const char *limit = request_param(request, "limit");
	if (request_param_malformed(request, "limit") || (limit != NULL && !limit_parse(limit, &page->limit))) {
		page_bad_parameter(response, "limit", "Ensure this value is a whole number from 1 to 500.");
		return false;
	}
	snprintf(page->fetch_limit, sizeof page->fetch_limit, "%ld", page->limit + 1);
	const char *cursor = request_param(request, "cursor");
	if (request_param_malformed(request, "cursor") ||
	    (cursor != NULL && !cursor_decode(cursor, shape->key_count, page->decoded))) {
		page_bad_parameter(response, "cursor", "Invalid cursor.");
		return false;
	}
	if (cursor != NULL)
		for (size_t i = 0; i < shape->key_count; i++)
			page->keys[i] = page->decoded[i];
	return true;
}

/* Appends `text`, escaping what may not stand in a URI inside a Link header. */
static void append_uri_path(struct buf *out, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~/%!$&'()*+,;=:@", *p) != NULL) {
			buf_append_char(out, (char)*p);
		} else {
			buf_append_char(out, '%');
			buf_append_char(out, hex[*p >> 4]);
			buf_append_char(out, hex[*p & 15]);
		}
	}
}

static bool host_is_plain(const char *host)
{
	if (host == NULL || *host == '\0' || strlen(host) > 255)
		return false;
	for (const char *p = host; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr(".-:[]", *p) != NULL))
			return false;
	return true;
}

/* The Link header for the page after the one shown: the same path and
 * query, with the cursor replaced. */
static char *page_next_link(const struct request *request, const char *cursor)
{
	struct buf link = {0};
	buf_append_char(&link, '<');
	if (host_is_plain(request->host))
		buf_printf(&link, "%s://%s", request->https ? "https" : "http", request->host);
	append_uri_path(&link, request->path);
	buf_append_char(&link, '?');
	for (size_t i = 0; i < request->param_count; i++) {
		if (strcmp(request->params[i].name, "cursor") == 0 || request->params[i].value == NULL)
			continue;
		percent_encode(&link, request->params[i].name);
		buf_append_char(&link, '=');
		percent_encode(&link, request->params[i].value);
		buf_append_char(&link, '&');
	}
	buf_append_str(&link, "cursor=");
	percent_encode(&link, cursor);
	buf_append_str(&link, ">; rel=\"next\"");
	return buf_take(&link);
}

int page_rows_shown(const struct page *page, const PGresult *result)
{
	int rows = PQntuples(result);
	return rows > page->limit ? (int)page->limit : rows;
}

void page_respond(const struct page *page, const struct request *request, const PGresult *result,
		  const void *context, struct response *response)
{
	struct buf body = {0};
	int rows = PQntuples(result);
	int shown = page_rows_shown(page, result);
	buf_append_char(&body, '[');
	for (int row = 0; row < shown; row++) {
		if (row > 0)
			buf_append_char(&body, ',');
		page->shape->write_row(&body, result, row, request, context);
	}
	buf_append_char(&body, ']');
	response_set_json(response, 200, buf_take(&body));
	if (rows > shown && shown > 0) {
		const char *keys[CURSOR_KEYS_MAX];
		for (size_t i = 0; i < page->shape->key_count; i++)
			keys[i] = PQgetvalue(result, shown - 1, page->shape->key_columns[i]);
		char *cursor = cursor_encode(keys, page->shape->key_count);
		free(response->link);
		response->link = page_next_link(request, cursor);
		free(cursor);
	}
}

void page_query(const struct page *page, const struct request *request, struct db *db, enum statement_id id,
		const char *const *params, struct response *response)
{
	PGresult *result = db_run(db, id, params);
	if (result == NULL) {
		db_failure_respond(db, response);
		return;
	}
	page_respond(page, request, result, NULL, response);
	PQclear(result);
}

void page_free(struct page *page)
{
	if (page == NULL || page->shape == NULL)
		return;
	cursor_keys_free(page->decoded, page->shape->key_count);
}
