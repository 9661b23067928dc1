/*
 * The statement table: every query of the worker, parameterised. Rows come
 * back as the plain columns of columns.h, which represent.c turns into
 * JSON. Hot statements keep their index predicate unconditional (no
 * "$n IS NULL OR" on it), so that PostgreSQL settles on one generic plan
 * per connection instead of planning every execution.
 */
#include "columns.h"
#include "statements.h"

/* The caller ($1, role $2) takes part in chat `c`, or is an admin. */
#define VISIBLE_TO_CALLER "($2 = 'admin' OR c.therapist_id = $1 OR c.patient_id = $1)"
/* The caller takes part in chat `c` (the participants' list statements). */
#define PARTICIPANT "(c.therapist_id = $1 OR c.patient_id = $1)"

/* Chat list filters: therapist_id $3, patient_id $4, status $5, user_id $6. */
#define CHAT_LIST_FILTERS                                                                           \
	" AND ($3::text IS NULL OR c.therapist_id = $3)"                                            \
	" AND ($4::text IS NULL OR c.patient_id = $4)"                                              \
	" AND ($5::text IS NULL OR c.status = $5)"                                                  \
	" AND ($6::text IS NULL OR c.therapist_id = $6 OR c.patient_id = $6)"

/* Newest updated_at first, after the cursor ($7 updated_at, $8 id: when
 * there is none, 'infinity' and ''), the chat's own columns. */
#define CHAT_LIST(VISIBLE)                                                                          \
	"SELECT " CHAT_LIST_COLUMNS " FROM chats c WHERE " VISIBLE CHAT_LIST_FILTERS                \
	" AND (c.updated_at, c.id) < ($7::timestamptz, $8::text)"                                   \
	" ORDER BY c.updated_at DESC, c.id DESC LIMIT $9::integer"

/* get_user_chats of a participant, the list apps ask for most: the
 * caller's ($1) active chats, found by their own side of the pair (SIDE),
 * newest first after the cursor ($3 updated_at, $4 id), limit $5. Every
 * caller's plan costs the same here, so PostgreSQL keeps one generic plan:
 * the shared list statement above, with its optional filters, was planned
 * again at every call (a patient's few chats made its custom plans look
 * cheaper than the generic one), and planning cost more than running. */
#define USER_CHATS(SIDE)                                                                            \
	"SELECT " CHAT_LIST_COLUMNS " FROM chats c WHERE c." SIDE " = $1 AND c.status = 'active'"   \
	" AND (c.updated_at, c.id) < ($3::timestamptz, $4::text)"                                   \
	" ORDER BY c.updated_at DESC, c.id DESC LIMIT $5::integer"

/* Highest priority_score first, then as above; the cursor is ($7
 * priority, $8 updated_at, $9 id). The priority follows the chat. */
#define CHAT_LIST_BY_PRIORITY(VISIBLE)                                                              \
	"SELECT ranked.*, priority FROM (SELECT " CHAT_LIST_COLUMNS                                 \
	" FROM chats c WHERE " VISIBLE CHAT_LIST_FILTERS ") ranked,"                                \
	" LATERAL (SELECT CASE WHEN ranked.has_unread_emergency THEN 1000 ELSE 0 END"               \
	"  + CASE $1 WHEN ranked.therapist_id THEN ranked.therapist_unread_count"                   \
	"   WHEN ranked.patient_id THEN ranked.patient_unread_count ELSE 0 END AS priority) score"  \
	" WHERE (priority, ranked.updated_at, ranked.id) < ($7::integer, $8::timestamptz, $9::text)" \
	" ORDER BY priority DESC, ranked.updated_at DESC, ranked.id DESC LIMIT $10::integer"

/* Room list filters: room_type $3, is_active $4, is_archived $5, chat_id $6;
 * newest updated_at first after the cursor ($7, $8). */
#define ROOM_LIST                                                                                   \
	"SELECT " ROOM_COLUMNS " FROM chat_rooms r JOIN chats c ON c.id = r.chat_id"                \
	" WHERE " VISIBLE_TO_CALLER                                                                 \
	" AND ($3::text IS NULL OR r.room_type = $3)"                                               \
	" AND ($4::boolean IS NULL OR r.is_active = $4::boolean)"                                   \
	" AND ($5::boolean IS NULL OR r.is_archived = $5::boolean)"                                 \
	" AND ($6::text IS NULL OR r.chat_id = $6)"                                                 \
	" AND (r.updated_at, r.id) < ($7::timestamptz, $8::text)"                                   \
	" ORDER BY r.updated_at DESC, r.id DESC LIMIT $9::integer"

/* Messages `m` of chats `c` with their rooms `h`, joined once per chat. */
#define MESSAGES_JOINED "messages m JOIN chats c ON c.id = m.chat_id LEFT JOIN chat_rooms h ON h.chat_id = c.id"

/* CALLER may read the history of chat `c` (room `h`): an admin, or a
 * participant whose side of the room allows it (a chat without a room
 * does). */
#define HISTORY_VISIBLE(CALLER)                                                                     \
	"($2 = 'admin' OR coalesce(CASE WHEN " CALLER " = c.therapist_id"                           \
	" THEN h.therapist_can_see_history ELSE h.patient_can_see_history END, true))"

/* The keyset condition and order of a page: ORDER is ASC or DESC, AFTER the
 * comparison (> or <) with the cursor (CURSOR_AT, CURSOR_ID: when there is
 * none, a bound before or after every message), FETCH the SQL limit. */
#define PAGE_ORDER(ORDER, AFTER, CURSOR_AT, CURSOR_ID, FETCH)                                       \
	" AND (m.\"timestamp\", m.id) " AFTER " (" CURSOR_AT "::timestamptz, " CURSOR_ID "::text)"  \
	" ORDER BY m.\"timestamp\" " ORDER ", m.id " ORDER " LIMIT " FETCH "::integer"

/* Within a chat whose history is hidden from them, a participant reads
 * only their own messages. */
#define HISTORY_FILTER " AND (m.sender_id = $1 OR " HISTORY_VISIBLE("$1") ")"

/* GET /api/messages/ filters, after the chat and the history: sender_id
 * $4, emergency $5, message_type $6, read_status $7, exclude_deleted $8,
 * before $9, after $10 (message ids), q $11 (only admins search deleted
 * text). */
#define MESSAGE_FILTERS                                                                             \
	" AND ($4::text IS NULL OR m.sender_id = $4)"                                               \
	" AND ($5::boolean IS NULL OR m.emergency = $5::boolean)"                                   \
	" AND ($6::text IS NULL OR m.message_type = $6)"                                            \
	" AND ($7::text IS NULL OR m.read_status = $7)"                                             \
	" AND (NOT $8::boolean OR NOT m.deleted)"                                                   \
	" AND ($9::text IS NULL OR (m.\"timestamp\", m.id) <"                                       \
	"  (SELECT b.\"timestamp\", b.id FROM messages b WHERE b.id = $9))"                         \
	" AND ($10::text IS NULL OR (m.\"timestamp\", m.id) >"                                      \
	"  (SELECT a.\"timestamp\", a.id FROM messages a WHERE a.id = $10))"                        \
	" AND ($11::text IS NULL OR (to_tsvector('simple', m.text) @@ plainto_tsquery('simple', $11)" \
	"  AND ($2 = 'admin' OR NOT m.deleted)))"

/* One chat's messages ($3) that pass FILTERS, from the cursor on (as in
 * PAGE_ORDER): the chat and its room are read once, then its messages in
 * index order. What is the same for every message of the page, whether
 * the caller sees the chat's history and the participants' names, is
 * computed once in `v`: OFFSET 0 keeps the planner from folding it back
 * into the expressions it would then compute once per message. */
#define PAGE_OF_CHAT(ORDER, AFTER, FILTERS, CURSOR_AT, CURSOR_ID, FETCH)                            \
	"SELECT " MESSAGE_LIST_COLUMNS_NAMED("v.therapist_name", "v.patient_name")                  \
	" FROM chats c LEFT JOIN chat_rooms h ON h.chat_id = c.id"                                  \
	" CROSS JOIN LATERAL (SELECT " HISTORY_VISIBLE("$1") " AS sees_history,"                    \
	"  " THERAPIST_FULL_NAME " AS therapist_name, " PATIENT_FULL_NAME " AS patient_name"        \
	"  OFFSET 0) v"                                                                             \
	" CROSS JOIN LATERAL (SELECT * FROM messages m WHERE m.chat_id = c.id"                      \
	" AND (v.sees_history OR m.sender_id = $1)" FILTERS                                         \
	PAGE_ORDER(ORDER, AFTER, CURSOR_AT, CURSOR_ID, FETCH) ") m"                                 \
	" WHERE c.id = $3 AND " VISIBLE_TO_CALLER

/* The page apps ask for most: one chat's messages with no filter but the
 * default exclude_deleted; the cursor is ($4, $5), the limit $6. Without
 * the optional filters the planner's row estimate stays near the truth,
 * and the one generic plan walks messages_chat_time in order and stops at
 * the limit, however long the chat. */
#define PAGE_OF_CHAT_UNFILTERED(ORDER, AFTER)                                                       \
	PAGE_OF_CHAT(ORDER, AFTER, " AND NOT m.deleted", "$4", "$5", "$6")

/* The messages of all the caller's chats ($3 NULL), older than the sync
 * horizon $15 (sql/010_sync_horizon.sql). */
#define PAGE_OF_CALLER(ORDER, AFTER)                                                                \
	"SELECT " MESSAGE_LIST_COLUMNS " FROM " MESSAGES_JOINED                                     \
	" WHERE " VISIBLE_TO_CALLER HISTORY_FILTER MESSAGE_FILTERS                                  \
	" AND ($15::timestamptz IS NULL OR m.\"timestamp\" < $15::timestamptz)"                    \
	PAGE_ORDER(ORDER, AFTER, "$12", "$13", "$14")

/* get_unread_messages for user $3 (the caller, or anyone for an admin): in
 * their chats (chat_id $4 narrows), not from them, not deleted, not read,
 * within the history they may see. Only their own listing delivers. */
#define PAGE_UNREAD                                                                                 \
	"SELECT " MESSAGE_LIST_COLUMNS " FROM " MESSAGES_JOINED                                     \
	" WHERE $3 IN (c.therapist_id, c.patient_id) AND ($2 = 'admin' OR $3 = $1)"                 \
	" AND m.sender_id <> $3 AND NOT m.deleted AND m.read_status <> 'read'"                      \
	" AND coalesce(CASE WHEN $3 = c.therapist_id THEN h.therapist_can_see_history"              \
	"  ELSE h.patient_can_see_history END, true)"                                               \
	" AND ($4::text IS NULL OR m.chat_id = $4)" PAGE_ORDER("ASC", ">", "$5", "$6", "$7")

const struct statement statements[STATEMENT__MAX] = {
	[STATEMENT_HEALTH] = {"health", "SELECT 1", 0},

	/* ------------------------------------------------------------ chats */

	[STATEMENT_CHAT_VISIBLE] = {"chat_visible",
		"SELECT 1 FROM chats c WHERE c.id = $3 AND " VISIBLE_TO_CALLER, 3},

	[STATEMENT_CHAT_GET] = {"chat_get",
		"SELECT " CHAT_COLUMNS " FROM chats c WHERE c.id = $3 AND " VISIBLE_TO_CALLER, 3},

	[STATEMENT_CHAT_LIST] = {"chat_list", CHAT_LIST(PARTICIPANT), 9},
	[STATEMENT_CHAT_LIST_ADMIN] = {"chat_list_admin", CHAT_LIST("true"), 9},
	[STATEMENT_USER_CHATS_OF_THERAPIST] = {"user_chats_of_therapist", USER_CHATS("therapist_id"), 5},
	[STATEMENT_USER_CHATS_OF_PATIENT] = {"user_chats_of_patient", USER_CHATS("patient_id"), 5},
	[STATEMENT_CHAT_LIST_BY_PRIORITY] = {"chat_list_by_priority", CHAT_LIST_BY_PRIORITY(PARTICIPANT), 10},
	[STATEMENT_CHAT_LIST_BY_PRIORITY_ADMIN] = {"chat_list_by_priority_admin", CHAT_LIST_BY_PRIORITY("true"), 10},

	/* Creates the chat of ($3 therapist, $4 patient) with status $5 and its
	 * room. Returns whether each is in the directory, then the new chat's
	 * columns, all NULL when the pair's chat already exists. */
	[STATEMENT_CHAT_CREATE] = {"chat_create",
		"WITH t AS (SELECT * FROM therapists WHERE id = $3),"
		" p AS (SELECT * FROM patients WHERE id = $4),"
		" chat AS (INSERT INTO chats (id, therapist_id, therapist_first_name, therapist_last_name,"
		"   patient_id, patient_first_name, patient_last_name, status)"
		"  SELECT 'CHAT_' || t.id || '_' || p.id, t.id, t.first_name, t.last_name,"
		"   p.id, p.first_name, p.last_name, coalesce($5, 'active') FROM t, p"
		"  ON CONFLICT DO NOTHING RETURNING *),"
		" room AS (INSERT INTO chat_rooms (id, chat_id)"
		"  SELECT 'ROOM_' || therapist_id || '_' || patient_id, id FROM chat ON CONFLICT DO NOTHING)"
		" SELECT EXISTS (SELECT 1 FROM t), EXISTS (SELECT 1 FROM p), " CHAT_COLUMNS
		" FROM (SELECT 1) one LEFT JOIN chat c ON true", 5},

	/* PUT/PATCH/update_status: $4 status, $5 therapist_notifications,
	 * $6 patient_notifications; NULL keeps a field. updated_at moves only
	 * when a value changes, to clock_timestamp(): read once the row is
	 * locked, it is later than the send the update may have waited for,
	 * where now(), the statement's start, could be earlier. */
	[STATEMENT_CHAT_UPDATE] = {"chat_update",
		"UPDATE chats c SET status = coalesce($4, c.status),"
		" therapist_notifications = coalesce($5::boolean, c.therapist_notifications),"
		" patient_notifications = coalesce($6::boolean, c.patient_notifications),"
		" updated_at = CASE WHEN (coalesce($4, c.status), coalesce($5::boolean, c.therapist_notifications),"
		"   coalesce($6::boolean, c.patient_notifications))"
		"   IS DISTINCT FROM (c.status, c.therapist_notifications, c.patient_notifications)"
		"  THEN clock_timestamp() ELSE c.updated_at END"
		" WHERE c.id = $3 AND " VISIBLE_TO_CALLER
		" RETURNING " CHAT_COLUMNS, 6},

	/* toggle_notifications: participant $4's flag becomes $5. */
	[STATEMENT_CHAT_SET_NOTIFICATIONS] = {"chat_set_notifications",
		"UPDATE chats c SET"
		" therapist_notifications = CASE WHEN c.therapist_id = $4 THEN $5::boolean ELSE c.therapist_notifications END,"
		" patient_notifications = CASE WHEN c.patient_id = $4 THEN $5::boolean ELSE c.patient_notifications END,"
		" updated_at = CASE WHEN $5::boolean IS DISTINCT FROM"
		"   (CASE WHEN c.therapist_id = $4 THEN c.therapist_notifications ELSE c.patient_notifications END)"
		"  THEN clock_timestamp() ELSE c.updated_at END"
		" WHERE c.id = $3 AND " VISIBLE_TO_CALLER " AND $4 IN (c.therapist_id, c.patient_id)"
		" RETURNING 1", 5},

	/* mark_all_read for participant $4: no row when the chat is not
	 * visible or $4 takes no part in it. */
	[STATEMENT_CHAT_MARK_ALL_READ] = {"chat_mark_all_read",
		"SELECT marked, unread FROM tc_chat_mark_all_read($1, $2, $3, $4)", 4},

	[STATEMENT_CHAT_PURGE] = {"chat_purge",
		"DELETE FROM chats c WHERE c.id = $3 AND $2 = 'admin' RETURNING 1", 3},

	/* ------------------------------------------------------------ messages */

	[STATEMENT_MESSAGE_LIST_OF_CHAT_UNFILTERED] = {"message_list_of_chat_unfiltered",
		PAGE_OF_CHAT_UNFILTERED("ASC", ">"), 6},
	[STATEMENT_MESSAGE_LIST_OF_CHAT_UNFILTERED_NEWEST_FIRST] = {"message_list_of_chat_unfiltered_newest_first",
		PAGE_OF_CHAT_UNFILTERED("DESC", "<"), 6},
	[STATEMENT_MESSAGE_LIST_OF_CHAT] = {"message_list_of_chat",
		PAGE_OF_CHAT("ASC", ">", MESSAGE_FILTERS, "$12", "$13", "$14"), 14},
	[STATEMENT_MESSAGE_LIST_OF_CHAT_NEWEST_FIRST] = {"message_list_of_chat_newest_first",
		PAGE_OF_CHAT("DESC", "<", MESSAGE_FILTERS, "$12", "$13", "$14"), 14},
	[STATEMENT_MESSAGE_LIST] = {"message_list", PAGE_OF_CALLER("ASC", ">"), 15},
	[STATEMENT_MESSAGE_LIST_NEWEST_FIRST] = {"message_list_newest_first", PAGE_OF_CALLER("DESC", "<"), 15},
	[STATEMENT_SYNC_HORIZON] = {"sync_horizon", "SELECT tc_sync_horizon($1, $2)", 2},
	[STATEMENT_MESSAGE_UNREAD] = {"message_unread", PAGE_UNREAD, 7},

	/* Delivers to the caller the messages $3 (a text array of the ids a
	 * page showed them as deliverable): those still "sent" and not from
	 * the caller become "delivered", skipping any that another request
	 * holds. Answers the ids it delivered. */
	[STATEMENT_MESSAGE_DELIVER] = {"message_deliver",
		"UPDATE messages d SET read_status = 'delivered' WHERE d.id IN ("
		"SELECT l.id FROM messages l WHERE l.id = ANY ($3::text[]) AND l.read_status = 'sent'"
		" AND l.sender_id <> $1 FOR NO KEY UPDATE SKIP LOCKED) RETURNING d.id", 3},

	/* The message $3 as the caller may see it: 'full' or 'hidden' (a
	 * participant barred from the history reads only their own), then its
	 * columns; no row when it does not exist for the caller. */
	[STATEMENT_MESSAGE_GET] = {"message_get",
		"SELECT CASE WHEN m.sender_id = $1 OR " HISTORY_VISIBLE("$1") " THEN 'full' ELSE 'hidden' END, "
		MESSAGE_COLUMNS " FROM " MESSAGES_JOINED " WHERE m.id = $3 AND " VISIBLE_TO_CALLER, 3},

	/* The edits of message $3, oldest first, after the cursor ($4
	 * edited_at, $5 id); the sort keys are its edited_at and the id that
	 * follows its columns. */
	[STATEMENT_MESSAGE_HISTORY] = {"message_history",
		"SELECT " EDIT_COLUMNS ", e.id::text"
		" FROM message_edits e JOIN messages m ON m.id = e.message_id WHERE e.message_id = $3"
		" AND (e.edited_at, e.id) > ($4::timestamptz, $5::bigint)"
		" ORDER BY e.edited_at, e.id LIMIT $6::integer", 6},

	/* A send answers its outcome word, the message's id and, when it
	 * created the message, the message's columns, from the row and the
	 * chat the function returns (sql/009). */
	[STATEMENT_MESSAGE_SEND] = {"message_send",
		"SELECT s.outcome, s.message_id, " MESSAGE_COLUMNS
		" FROM tc_message_send($1, $2, $3, $4, $5, $6::boolean, $7, $8, $9, $10, $11::bigint, $12) s,"
		" LATERAL (SELECT (s.message).*) m, LATERAL (SELECT (s.message_chat).*) c", 12},
	/* The other writes answer an outcome word and the message's id, whose
	 * representation message_get then reads. */
	[STATEMENT_MESSAGE_EDIT] = {"message_edit",
		"SELECT outcome, message_id FROM tc_message_edit($1, $2, $3, $4, $5::boolean)", 5},
	[STATEMENT_MESSAGE_MARK_EMERGENCY] = {"message_mark_emergency",
		"SELECT outcome, message_id FROM tc_message_mark_emergency($1, $2, $3)", 3},
	[STATEMENT_MESSAGE_MARK_READ] = {"message_mark_read",
		"SELECT outcome, message_id FROM tc_message_mark_read($1, $2, $3)", 3},
	[STATEMENT_MESSAGE_DELETE] = {"message_delete",
		"SELECT outcome, message_id FROM tc_message_delete($1, $2, $3)", 3},

	/* ------------------------------------------------------------ rooms */

	[STATEMENT_ROOM_VISIBLE] = {"room_visible",
		"SELECT 1 FROM chat_rooms r JOIN chats c ON c.id = r.chat_id"
		" WHERE r.id = $3 AND " VISIBLE_TO_CALLER, 3},

	[STATEMENT_ROOM_GET] = {"room_get",
		"SELECT " ROOM_COLUMNS ", " CHAT_COLUMNS " FROM chat_rooms r JOIN chats c ON c.id = r.chat_id"
		" WHERE r.id = $3 AND " VISIBLE_TO_CALLER, 3},

	[STATEMENT_ROOM_LIST] = {"room_list", ROOM_LIST, 9},

	/* Creates the room of chat $3 when the caller may (its therapist or an
	 * admin). $4 room_type, $5..$8 the four permissions, $9 description,
	 * $10 tags, $11 is_active, $12 is_archived; NULL takes the default.
	 * Returns whether the chat is visible, then the room's and the chat's
	 * columns, NULL when no room was made. */
	[STATEMENT_ROOM_CREATE] = {"room_create",
		"WITH visible AS (SELECT * FROM chats c WHERE c.id = $3 AND " VISIBLE_TO_CALLER "),"
		" room AS (INSERT INTO chat_rooms (id, chat_id, room_type, therapist_can_send, patient_can_send,"
		"   therapist_can_see_history, patient_can_see_history, description, tags, is_active, is_archived)"
		"  SELECT 'ROOM_' || therapist_id || '_' || patient_id, id, coalesce($4, 'general'),"
		"   coalesce($5::boolean, true), coalesce($6::boolean, true), coalesce($7::boolean, true),"
		"   coalesce($8::boolean, true), $9, coalesce($10::jsonb, '[]'), coalesce($11::boolean, true),"
		"   coalesce($12::boolean, false)"
		"  FROM visible WHERE $2 = 'admin' OR therapist_id = $1"
		"  ON CONFLICT DO NOTHING RETURNING *)"
		" SELECT EXISTS (SELECT 1 FROM visible), " ROOM_COLUMNS ", " CHAT_COLUMNS
		" FROM (SELECT 1) one LEFT JOIN room r ON true LEFT JOIN visible c ON r.id IS NOT NULL", 12},

	/* PUT/PATCH and the room actions, by the chat's therapist or an admin:
	 * $4 room_type, $5..$8 permissions, $9 description (applied when $10),
	 * $11 tags, $12 is_active, $13 is_archived; NULL keeps a field. */
	[STATEMENT_ROOM_UPDATE] = {"room_update",
		"UPDATE chat_rooms r SET room_type = coalesce($4, r.room_type),"
		" therapist_can_send = coalesce($5::boolean, r.therapist_can_send),"
		" patient_can_send = coalesce($6::boolean, r.patient_can_send),"
		" therapist_can_see_history = coalesce($7::boolean, r.therapist_can_see_history),"
		" patient_can_see_history = coalesce($8::boolean, r.patient_can_see_history),"
		" description = CASE WHEN $10::boolean THEN $9 ELSE r.description END,"
		" tags = coalesce($11::jsonb, r.tags),"
		" is_active = coalesce($12::boolean, r.is_active),"
		" is_archived = coalesce($13::boolean, r.is_archived),"
		" updated_at = clock_timestamp()"
		" FROM chats c WHERE r.id = $3 AND c.id = r.chat_id AND ($2 = 'admin' OR c.therapist_id = $1)"
		" RETURNING " ROOM_COLUMNS ", " CHAT_COLUMNS, 13},

	[STATEMENT_ROOM_DELETE] = {"room_delete",
		"DELETE FROM chat_rooms r WHERE r.id = $3 AND $2 = 'admin' RETURNING 1", 3},
};
