/*
 * The statement table: every query of the worker, parameterised. The JSON
 * representations come from the tc_*_json functions of sql/.
 */
#include "statements.h"

/* The caller ($1, role $2) takes part in chat `c`, or is an admin. */
#define VISIBLE_TO_CALLER "($2 = 'admin' OR c.therapist_id = $1 OR c.patient_id = $1)"

/* Chat list filters: therapist_id $3, patient_id $4, status $5, user_id $6. */
#define CHAT_LIST_FILTERS                                              \
	" WHERE " VISIBLE_TO_CALLER                                    \
	" AND ($3::text IS NULL OR c.therapist_id = $3)"               \
	" AND ($4::text IS NULL OR c.patient_id = $4)"                 \
	" AND ($5::text IS NULL OR c.status = $5)"                     \
	" AND ($6::text IS NULL OR c.therapist_id = $6 OR c.patient_id = $6)"

/* Room list filters: room_type $3, is_active $4, is_archived $5, chat_id $6. */
#define ROOM_LIST_FILTERS                                              \
	" WHERE " VISIBLE_TO_CALLER                                    \
	" AND ($3::text IS NULL OR r.room_type = $3)"                  \
	" AND ($4::boolean IS NULL OR r.is_active = $4::boolean)"      \
	" AND ($5::boolean IS NULL OR r.is_archived = $5::boolean)"    \
	" AND ($6::text IS NULL OR r.chat_id = $6)"

/*
 * The message lists. $1 caller, $2 role; `WHERE` is the list's own
 * condition; `ORDER` is ASC or DESC, `AFTER` the keyset comparison (> or <)
 * with the cursor ($CURSOR_AT timestamp, $CURSOR_ID id) in that order;
 * $FETCH is the SQL limit and $SHOWN the rows the page shows. The messages
 * shown to their recipient ($RECIPIENT, NULL for none) that are still
 * "sent" become "delivered", skipping any another request holds.
 */
#define MESSAGE_PAGE(FROM_WHERE, ORDER, AFTER, CURSOR_AT, CURSOR_ID, FETCH, SHOWN, RECIPIENT)             \
	"WITH page AS (SELECT m, c FROM messages m JOIN chats c ON c.id = m.chat_id " FROM_WHERE        \
	" AND (" CURSOR_AT "::timestamptz IS NULL"                                                        \
	"  OR (m.\"timestamp\", m.id) " AFTER " (" CURSOR_AT "::timestamptz, " CURSOR_ID "::text))"       \
	" ORDER BY m.\"timestamp\" " ORDER ", m.id " ORDER " LIMIT " FETCH "::integer),"                  \
	" shown AS (SELECT (m).id, (m).sender_id, (m).read_status FROM page"                               \
	"  ORDER BY (m).\"timestamp\" " ORDER ", (m).id " ORDER " LIMIT " SHOWN "::integer),"             \
	" delivered AS (UPDATE messages d SET read_status = 'delivered' WHERE d.id IN ("                   \
	"  SELECT l.id FROM messages l WHERE l.read_status = 'sent' AND l.id IN ("                          \
	"   SELECT id FROM shown WHERE sender_id <> " RECIPIENT " AND read_status = 'sent')"                \
	"  FOR NO KEY UPDATE SKIP LOCKED) RETURNING d.id)"                                                 \
	" SELECT tc_message_list_json(m, c, $2 = 'admin') || CASE WHEN (m).id IN (SELECT id FROM delivered)" \
	"  THEN '{\"read_status\": \"delivered\"}'::jsonb ELSE '{}'::jsonb END,"                          \
	" tc_time((m).\"timestamp\"), (m).id FROM page"                                                    \
	" ORDER BY (m).\"timestamp\" " ORDER ", (m).id " ORDER

/* GET /api/messages/: the caller's chats, and within a chat whose history
 * is hidden from them, their own messages. Filters: chat_id $3,
 * sender_id $4, emergency $5, message_type $6, read_status $7,
 * exclude_deleted $8, before $9, after $10 (message ids), q $11; only
 * admins search deleted text. */
#define MESSAGE_LIST_WHERE                                                                        \
	"WHERE ($2 = 'admin' OR c.therapist_id = $1 OR c.patient_id = $1)"                          \
	" AND (m.sender_id = $1 OR tc_chat_history_visible(c, $1, $2))"                              \
	" AND ($3::text IS NULL OR m.chat_id = $3)"                                                  \
	" AND ($4::text IS NULL OR m.sender_id = $4)"                                                \
	" AND ($5::boolean IS NULL OR m.emergency = $5::boolean)"                                    \
	" AND ($6::text IS NULL OR m.message_type = $6)"                                             \
	" AND ($7::text IS NULL OR m.read_status = $7)"                                              \
	" AND (NOT $8::boolean OR NOT m.deleted)"                                                    \
	" AND ($9::text IS NULL OR (m.\"timestamp\", m.id) <"                                        \
	"  (SELECT b.\"timestamp\", b.id FROM messages b WHERE b.id = $9))"                          \
	" AND ($10::text IS NULL OR (m.\"timestamp\", m.id) >"                                       \
	"  (SELECT a.\"timestamp\", a.id FROM messages a WHERE a.id = $10))"                         \
	" AND ($11::text IS NULL OR (to_tsvector('simple', m.text) @@ plainto_tsquery('simple', $11)"  \
	"  AND ($2 = 'admin' OR NOT m.deleted)))"

/* get_unread_messages for user $3 (the caller, or anyone for an admin):
 * in their chats (chat_id $4 narrows), not from them, not deleted, not
 * read, within the history they may see. */
#define MESSAGE_UNREAD_WHERE                                                                      \
	"WHERE $3 IN (c.therapist_id, c.patient_id) AND ($2 = 'admin' OR $3 = $1)"                  \
	" AND m.sender_id <> $3 AND NOT m.deleted AND m.read_status <> 'read'"                       \
	" AND tc_chat_history_visible(c, $3, 'participant')"                                         \
	" AND ($4::text IS NULL OR m.chat_id = $4)"

/* The message $3 as the caller may see it: its access ('full', 'hidden')
 * and its detail JSON; no row when it does not exist for the caller. */
#define MESSAGE_VISIBLE_FROM                                                                      \
	" FROM messages m JOIN chats c ON c.id = m.chat_id"                                          \
	" WHERE m.id = $3 AND ($2 = 'admin' OR c.therapist_id = $1 OR c.patient_id = $1)"

const struct statement statements[STATEMENT__MAX] = {
	[STATEMENT_HEALTH] = {"health", "SELECT 1", 0},

	[STATEMENT_CHAT_VISIBLE] = {"chat_visible",
		"SELECT 1 FROM chats c WHERE c.id = $3 AND " VISIBLE_TO_CALLER, 3},

	[STATEMENT_CHAT_GET] = {"chat_get",
		"SELECT tc_chat_json(c, $1) FROM chats c WHERE c.id = $3 AND " VISIBLE_TO_CALLER, 3},

	/* Newest updated_at first; the cursor is ($7 updated_at, $8 id). */
	[STATEMENT_CHAT_LIST] = {"chat_list",
		"SELECT tc_chat_list_json(c, $1), tc_time(c.updated_at), c.id FROM chats c"
		CHAT_LIST_FILTERS
		" AND ($7::timestamptz IS NULL OR (c.updated_at, c.id) < ($7::timestamptz, $8::text))"
		" ORDER BY c.updated_at DESC, c.id DESC LIMIT $9::integer", 9},

	/* Highest priority_score first; the cursor is ($7 priority, $8 updated_at, $9 id). */
	[STATEMENT_CHAT_LIST_BY_PRIORITY] = {"chat_list_by_priority",
		"SELECT json, tc_time(updated_at), id, priority::text FROM ("
		" SELECT tc_chat_list_json(c, $1) AS json, tc_chat_priority(c, $1) AS priority,"
		" c.updated_at, c.id FROM chats c" CHAT_LIST_FILTERS ") ranked"
		" WHERE $7::integer IS NULL OR (priority, updated_at, id) < ($7::integer, $8::timestamptz, $9::text)"
		" ORDER BY priority DESC, updated_at DESC, id DESC LIMIT $10::integer", 10},

	/* Creates the chat of ($3 therapist, $4 patient) with status $5 and its
	 * room. Returns whether each is in the directory and the new chat, whose
	 * JSON is NULL when the pair's chat already exists. */
	[STATEMENT_CHAT_CREATE] = {"chat_create",
		"WITH t AS (SELECT * FROM therapists WHERE id = $3),"
		" p AS (SELECT * FROM patients WHERE id = $4),"
		" chat AS (INSERT INTO chats (id, therapist_id, therapist_first_name, therapist_last_name,"
		"   patient_id, patient_first_name, patient_last_name, status)"
		"  SELECT 'CHAT_' || t.id || '_' || p.id, t.id, t.first_name, t.last_name,"
		"   p.id, p.first_name, p.last_name, coalesce($5, 'active') FROM t, p"
		"  ON CONFLICT DO NOTHING RETURNING chats AS row),"
		" room AS (INSERT INTO chat_rooms (id, chat_id)"
		"  SELECT 'ROOM_' || (row).therapist_id || '_' || (row).patient_id, (row).id FROM chat"
		"  ON CONFLICT DO NOTHING)"
		" SELECT EXISTS (SELECT 1 FROM t), EXISTS (SELECT 1 FROM p),"
		" (SELECT tc_chat_json(row, $1) FROM chat)", 5},

	/* PUT/PATCH/update_status: $4 status, $5 therapist_notifications,
	 * $6 patient_notifications; NULL keeps a field. updated_at moves only
	 * when a value changes. */
	[STATEMENT_CHAT_UPDATE] = {"chat_update",
		"UPDATE chats c SET status = coalesce($4, c.status),"
		" therapist_notifications = coalesce($5::boolean, c.therapist_notifications),"
		" patient_notifications = coalesce($6::boolean, c.patient_notifications),"
		" updated_at = CASE WHEN (coalesce($4, c.status), coalesce($5::boolean, c.therapist_notifications),"
		"   coalesce($6::boolean, c.patient_notifications))"
		"   IS DISTINCT FROM (c.status, c.therapist_notifications, c.patient_notifications)"
		"  THEN now() ELSE c.updated_at END"
		" WHERE c.id = $3 AND " VISIBLE_TO_CALLER
		" RETURNING tc_chat_json(c, $1)", 6},

	/* toggle_notifications: participant $4's flag becomes $5. */
	[STATEMENT_CHAT_SET_NOTIFICATIONS] = {"chat_set_notifications",
		"UPDATE chats c SET"
		" therapist_notifications = CASE WHEN c.therapist_id = $4 THEN $5::boolean ELSE c.therapist_notifications END,"
		" patient_notifications = CASE WHEN c.patient_id = $4 THEN $5::boolean ELSE c.patient_notifications END,"
		" updated_at = CASE WHEN $5::boolean IS DISTINCT FROM"
		"   (CASE WHEN c.therapist_id = $4 THEN c.therapist_notifications ELSE c.patient_notifications END)"
		"  THEN now() ELSE c.updated_at END"
		" WHERE c.id = $3 AND " VISIBLE_TO_CALLER " AND $4 IN (c.therapist_id, c.patient_id)"
		" RETURNING 1", 5},

	/* mark_all_read for participant $4: no row when the chat is not
	 * visible or $4 takes no part in it. */
	[STATEMENT_CHAT_MARK_ALL_READ] = {"chat_mark_all_read",
		"SELECT marked, unread FROM tc_chat_mark_all_read($1, $2, $3, $4)", 4},

	[STATEMENT_CHAT_PURGE] = {"chat_purge",
		"DELETE FROM chats c WHERE c.id = $3 AND $2 = 'admin' RETURNING 1", 3},

	[STATEMENT_MESSAGE_LIST] = {"message_list",
		MESSAGE_PAGE(MESSAGE_LIST_WHERE, "ASC", ">", "$12", "$13", "$14", "$15",
			     "CASE WHEN $2 = 'admin' THEN NULL ELSE $1 END"), 15},
	[STATEMENT_MESSAGE_LIST_NEWEST_FIRST] = {"message_list_newest_first",
		MESSAGE_PAGE(MESSAGE_LIST_WHERE, "DESC", "<", "$12", "$13", "$14", "$15",
			     "CASE WHEN $2 = 'admin' THEN NULL ELSE $1 END"), 15},
	[STATEMENT_MESSAGE_UNREAD] = {"message_unread",
		MESSAGE_PAGE(MESSAGE_UNREAD_WHERE, "ASC", ">", "$5", "$6", "$7", "$8",
			     "CASE WHEN $3 = $1 THEN $1 END"), 8},

	[STATEMENT_MESSAGE_GET] = {"message_get",
		"SELECT tc_message_access(m, c, $1, $2), tc_message_json(m, c, $2 = 'admin')" MESSAGE_VISIBLE_FROM, 3},

	/* The edits of message $3, oldest first; the cursor is ($4 edited_at,
	 * $5 id). A deleted message's old texts are shown to admins only. */
	[STATEMENT_MESSAGE_HISTORY] = {"message_history",
		"SELECT jsonb_build_object('text', CASE WHEN m.deleted AND $2 <> 'admin' THEN NULL"
		"  ELSE e.previous_text END, 'edited_at', tc_time(e.edited_at), 'edited_by', e.edited_by),"
		" tc_time(e.edited_at), e.id::text"
		" FROM message_edits e JOIN messages m ON m.id = e.message_id WHERE e.message_id = $3"
		" AND ($4::timestamptz IS NULL OR (e.edited_at, e.id) > ($4::timestamptz, $5::bigint))"
		" ORDER BY e.edited_at, e.id LIMIT $6::integer", 6},

	[STATEMENT_MESSAGE_SEND] = {"message_send",
		"SELECT outcome, body FROM tc_message_send($1, $2, $3, $4, $5, $6::boolean, $7, $8, $9, $10,"
		" $11::bigint, $12)", 12},
	[STATEMENT_MESSAGE_EDIT] = {"message_edit",
		"SELECT outcome, body FROM tc_message_edit($1, $2, $3, $4, $5::boolean)", 5},
	[STATEMENT_MESSAGE_MARK_EMERGENCY] = {"message_mark_emergency",
		"SELECT outcome, body FROM tc_message_mark_emergency($1, $2, $3)", 3},
	[STATEMENT_MESSAGE_MARK_READ] = {"message_mark_read",
		"SELECT outcome, body FROM tc_message_mark_read($1, $2, $3)", 3},
	[STATEMENT_MESSAGE_DELETE] = {"message_delete",
		"SELECT outcome, body FROM tc_message_delete($1, $2, $3)", 3},

	[STATEMENT_ROOM_VISIBLE] = {"room_visible",
		"SELECT 1 FROM chat_rooms r JOIN chats c ON c.id = r.chat_id"
		" WHERE r.id = $3 AND " VISIBLE_TO_CALLER, 3},

	[STATEMENT_ROOM_GET] = {"room_get",
		"SELECT tc_room_json(r, $1) FROM chat_rooms r JOIN chats c ON c.id = r.chat_id"
		" WHERE r.id = $3 AND " VISIBLE_TO_CALLER, 3},

	/* Newest updated_at first; the cursor is ($7 updated_at, $8 id). */
	[STATEMENT_ROOM_LIST] = {"room_list",
		"SELECT tc_room_list_json(r), tc_time(r.updated_at), r.id"
		" FROM chat_rooms r JOIN chats c ON c.id = r.chat_id"
		ROOM_LIST_FILTERS
		" AND ($7::timestamptz IS NULL OR (r.updated_at, r.id) < ($7::timestamptz, $8::text))"
		" ORDER BY r.updated_at DESC, r.id DESC LIMIT $9::integer", 9},

	/* Creates the room of chat $3 when the caller may (its therapist or an
	 * admin). $4 room_type, $5..$8 the four permissions, $9 description,
	 * $10 tags, $11 is_active, $12 is_archived; NULL takes the default.
	 * Returns whether the chat is visible, and the room (NULL if not made). */
	[STATEMENT_ROOM_CREATE] = {"room_create",
		"WITH c AS (SELECT * FROM chats c WHERE c.id = $3 AND " VISIBLE_TO_CALLER "),"
		" room AS (INSERT INTO chat_rooms (id, chat_id, room_type, therapist_can_send, patient_can_send,"
		"   therapist_can_see_history, patient_can_see_history, description, tags, is_active, is_archived)"
		"  SELECT 'ROOM_' || c.therapist_id || '_' || c.patient_id, c.id, coalesce($4, 'general'),"
		"   coalesce($5::boolean, true), coalesce($6::boolean, true), coalesce($7::boolean, true),"
		"   coalesce($8::boolean, true), $9, coalesce($10::jsonb, '[]'), coalesce($11::boolean, true),"
		"   coalesce($12::boolean, false)"
		"  FROM c WHERE $2 = 'admin' OR c.therapist_id = $1"
		"  ON CONFLICT DO NOTHING RETURNING chat_rooms AS row)"
		" SELECT EXISTS (SELECT 1 FROM c), (SELECT tc_room_json(row, $1) FROM room)", 12},

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
		" updated_at = now()"
		" FROM chats c WHERE r.id = $3 AND c.id = r.chat_id AND ($2 = 'admin' OR c.therapist_id = $1)"
		" RETURNING tc_room_json(r, $1)", 13},

	[STATEMENT_ROOM_DELETE] = {"room_delete",
		"DELETE FROM chat_rooms r WHERE r.id = $3 AND $2 = 'admin' RETURNING 1", 3},
};
