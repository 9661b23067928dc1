-- What the service's writes to chats share: the participants' sides of a
-- chat, their unread counts, the last-message preview, and mark_all_read.
-- Every write that changes a chat's counters locks the chat row first, so
-- that writes to one chat are serialised in one lock order (the chat, then
-- its messages) and each later statement of a function sees what the
-- writes before it committed.

-- The participant of `c` who is not `caller`; NULL when the caller is none.
CREATE FUNCTION tc_chat_other(c chats, caller text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE caller WHEN c.therapist_id THEN c.patient_id
                       WHEN c.patient_id THEN c.therapist_id END
$$;

-- Lowers `participant`'s unread count in chat `chat` by `n`.
CREATE FUNCTION tc_chat_unread_lower(chat text, participant text, n integer) RETURNS void
LANGUAGE sql AS $$
    UPDATE chats SET
        therapist_unread_count = therapist_unread_count - CASE WHEN therapist_id = participant THEN n ELSE 0 END,
        patient_unread_count = patient_unread_count - CASE WHEN patient_id = participant THEN n ELSE 0 END
    WHERE id = chat
$$;

-- Points the chat's preview at its newest non-deleted message (or at
-- nothing); updated_at stays, as edits and deletes do not move it.
CREATE FUNCTION tc_chat_refresh_preview(chat text) RETURNS void
LANGUAGE sql AS $$
    UPDATE chats SET (last_message_text, last_message_timestamp, last_message_sender_id) = (
        SELECT m.text, m."timestamp", m.sender_id FROM messages m
        WHERE m.chat_id = chat AND NOT m.deleted
        ORDER BY m."timestamp" DESC, m.id DESC LIMIT 1)
    WHERE id = chat
$$;

-- May `caller` see the history of chat `c`: its room's flag for their side
-- (true without a room). Admins always may.
CREATE FUNCTION tc_chat_history_visible(c chats, caller text, caller_role text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT caller_role = 'admin' OR coalesce((
        SELECT CASE WHEN caller = c.therapist_id THEN r.therapist_can_see_history
                    ELSE r.patient_can_see_history END
        FROM chat_rooms r WHERE r.chat_id = c.id), true)
$$;

-- mark_all_read for participant `reader`: every unread message from the
-- other participant. Returns how many it marked and the reader's unread
-- count after, or nothing when the chat is not visible or `reader` takes
-- no part in it.
CREATE FUNCTION tc_chat_mark_all_read(caller text, caller_role text, chat text, reader text,
    OUT marked integer, OUT unread integer)
RETURNS SETOF record
LANGUAGE plpgsql AS $$
DECLARE
    c chats;
BEGIN
    SELECT * INTO c FROM chats
    WHERE id = chat AND (caller_role = 'admin' OR caller IN (therapist_id, patient_id))
      AND reader IN (therapist_id, patient_id);
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- Nothing unread: nothing to lock or write (a read of a chat that is
    -- already read stays a read). A message sent after this look is left
    -- for the next call, as it would be had it come after this one.
    IF (CASE reader WHEN c.therapist_id THEN c.therapist_unread_count ELSE c.patient_unread_count END) = 0 THEN
        marked := 0;
        unread := 0;
        RETURN NEXT;
        RETURN;
    END IF;
    SELECT * INTO c FROM chats WHERE id = c.id FOR NO KEY UPDATE;
    UPDATE messages SET read_status = 'read', read_at = now(), read_by = reader
    WHERE chat_id = c.id AND sender_id = tc_chat_other(c, reader) AND NOT deleted AND read_status <> 'read';
    GET DIAGNOSTICS marked = ROW_COUNT;
    PERFORM tc_chat_unread_lower(c.id, reader, marked);
    SELECT CASE reader WHEN therapist_id THEN therapist_unread_count ELSE patient_unread_count END
    INTO unread FROM chats WHERE id = c.id;
    RETURN NEXT;
END
$$;
