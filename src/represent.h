/*
 * The JSON representations of API.md section 3, written from the columns
 * of columns.h: chats, rooms and messages, in their list and detail forms,
 * as the caller may see them.
 */
#ifndef TCCHAT_REPRESENT_H
#define TCCHAT_REPRESENT_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "auth.h"
#include "buf.h"

/* A JSON string of `text` (valid UTF-8), or null for NULL. */
void represent_string(struct buf *out, const char *text);

/* An RFC 3339 UTC timestamp with microseconds from PostgreSQL's text of a
 * timestamptz printed in UTC ("2026-11-26 04:12:56.1234+00"), or null. */
void represent_time(struct buf *out, const char *text);

/* Each writes one object from row `row` of `result`, whose columns from
 * `first` on are those of columns.h. */
void represent_chat(struct buf *out, const PGresult *result, int row, int first, const struct identity *caller,
		    bool detail);
/* A room's detail embeds its chat, whose columns follow the room's. */
void represent_room(struct buf *out, const PGresult *result, int row, int first, const struct identity *caller,
		    bool detail);
/* `delivered`: the request that lists it has just moved it to delivered. */
void represent_message(struct buf *out, const PGresult *result, int row, int first,
		       const struct identity *caller, bool detail, bool delivered);
void represent_edit(struct buf *out, const PGresult *result, int row, int first, const struct identity *caller);

/* The detail forms of row 0, as handler_respond_row writes them. */
void represent_chat_detail(struct buf *out, const PGresult *result, int first, const struct identity *caller);
void represent_room_detail(struct buf *out, const PGresult *result, int first, const struct identity *caller);
void represent_message_detail(struct buf *out, const PGresult *result, int first, const struct identity *caller);

#endif
