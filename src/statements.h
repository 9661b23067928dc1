/*
 * Every SQL statement the worker runs, named in one table and prepared once
 * per connection. Every parameter is typed text (casts in the SQL say the
 * rest); $1 is always the caller's id and $2 the caller's role, so that
 * visibility is decided in the same statement as the work.
 */
#ifndef TCCHAT_STATEMENTS_H
#define TCCHAT_STATEMENTS_H

enum statement_id {
	STATEMENT_HEALTH,
	STATEMENT_CHAT_VISIBLE,
	STATEMENT_CHAT_GET,
	STATEMENT_CHAT_LIST,
	STATEMENT_CHAT_LIST_BY_PRIORITY,
	STATEMENT_CHAT_CREATE,
	STATEMENT_CHAT_UPDATE,
	STATEMENT_CHAT_SET_NOTIFICATIONS,
	STATEMENT_CHAT_MARK_ALL_READ,
	STATEMENT_CHAT_PURGE,
	STATEMENT_MESSAGE_LIST,
	STATEMENT_MESSAGE_LIST_NEWEST_FIRST,
	STATEMENT_MESSAGE_UNREAD,
	STATEMENT_MESSAGE_GET,
	STATEMENT_MESSAGE_HISTORY,
	STATEMENT_MESSAGE_SEND,
	STATEMENT_MESSAGE_EDIT,
	STATEMENT_MESSAGE_MARK_EMERGENCY,
	STATEMENT_MESSAGE_MARK_READ,
	STATEMENT_MESSAGE_DELETE,
	STATEMENT_ROOM_VISIBLE,
	STATEMENT_ROOM_GET,
	STATEMENT_ROOM_LIST,
	STATEMENT_ROOM_CREATE,
	STATEMENT_ROOM_UPDATE,
	STATEMENT_ROOM_DELETE,
	STATEMENT__MAX
};

/* The most parameters a statement takes. */
#define STATEMENT_PARAMS_MAX 16

struct statement {
	const char *name;
	const char *sql;
	int param_count;
};

extern const struct statement statements[STATEMENT__MAX];

#endif
