-- Messages: who may see them, and the writes that must keep the chat's
-- unread counts and last-message preview true (API.md section 3). Every
-- write locks the chat row first (see 004_chat_functions.sql) and answers
-- an outcome word and the message's id, which the worker then reads as GET
-- would show it.

-- Full-text search of message text, language-neutral.
CREATE INDEX messages_text_search ON messages USING gin (to_tsvector('simple', text));

-- How `caller` may see message `m` of chat `c`: 'none' (it does not exist
-- for them), 'hidden' (a participant barred from the history) or 'full'.
CREATE FUNCTION tc_message_access(m messages, c chats, caller text, caller_role text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN caller_role = 'admin' THEN 'full'
        WHEN caller NOT IN (c.therapist_id, c.patient_id) THEN 'none'
        WHEN m.sender_id = caller OR tc_chat_history_visible(c, caller, caller_role) THEN 'full'
        ELSE 'hidden' END
$$;

-- The participant of chat `c` whose unread count `m` belongs to: the one
-- who did not send it, when a participant did; else nobody.
CREATE FUNCTION tc_message_recipient(m messages, c chats) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE m.sender_id WHEN c.therapist_id THEN c.patient_id
                            WHEN c.patient_id THEN c.therapist_id END
$$;

-- Locks the chat of message `message` if `caller` may see it; NULL if not.
CREATE FUNCTION tc_message_chat_lock(message text, caller text, caller_role text) RETURNS chats
LANGUAGE sql AS $$
    SELECT c.* FROM chats c
    WHERE c.id = (SELECT chat_id FROM messages WHERE id = message)
      AND (caller_role = 'admin' OR caller IN (c.therapist_id, c.patient_id))
    FOR NO KEY UPDATE
$$;

-- Then locks the message itself, read afresh now that its chat is locked;
-- NULL when the chat was not locked.
CREATE FUNCTION tc_message_lock(message text, c chats) RETURNS messages
LANGUAGE sql AS $$
    SELECT m.* FROM messages m WHERE m.id = message AND m.chat_id = c.id FOR NO KEY UPDATE
$$;

-- Why `caller` may not act on locked message `m` at all: 'not_found',
-- 'history_hidden', or NULL when they may.
CREATE FUNCTION tc_message_refusal(m messages, c chats, caller text, caller_role text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN m.id IS NULL THEN 'not_found'
                WHEN tc_message_access(m, c, caller, caller_role) = 'hidden' THEN 'history_hidden' END
$$;

-- ---------------------------------------------------------------- sending

CREATE FUNCTION tc_message_send(
    caller text, caller_role text, chat text, new_id text, message_text text, is_emergency boolean,
    kind text, reply_to_id text, attachment_url text, attachment_name text, attachment_size bigint,
    idempotency_key text, OUT outcome text, OUT message_id text)
LANGUAGE plpgsql AS $$
DECLARE
    c chats;
    r chat_rooms;
    m messages;
    prior idempotency_keys;
    is_admin boolean := caller_role = 'admin';
    request_hash text;
BEGIN
    SELECT * INTO c FROM chats
    WHERE id = chat AND (is_admin OR caller IN (therapist_id, patient_id)) FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        outcome := 'not_found';
        RETURN;
    END IF;

    -- A retry with the same key returns what the first request created.
    IF idempotency_key IS NOT NULL THEN
        request_hash := md5(ROW(chat, message_text, is_emergency, kind, reply_to_id, attachment_url,
                                attachment_name, attachment_size)::text);
        SELECT * INTO prior FROM idempotency_keys k
        WHERE k.sender_id = caller AND k.key = idempotency_key AND k.created_at > now() - interval '24 hours';
        IF FOUND THEN
            IF prior.request_hash <> request_hash THEN
                outcome := 'key_reused';
            ELSE
                outcome := 'replayed';
                message_id := prior.message_id;
            END IF;
            RETURN;
        END IF;
    END IF;

    IF c.status <> 'active' THEN
        outcome := 'chat_inactive';
        RETURN;
    END IF;
    IF kind = 'system' AND NOT is_admin THEN
        outcome := 'system_admin_only';
        RETURN;
    END IF;
    IF NOT is_admin THEN
        SELECT * INTO r FROM chat_rooms WHERE chat_id = c.id;
        IF FOUND AND (NOT r.is_active OR r.is_archived OR NOT CASE WHEN caller = c.therapist_id
                      THEN r.therapist_can_send ELSE r.patient_can_send END) THEN
            outcome := 'cannot_send';
            RETURN;
        END IF;
    END IF;
    IF reply_to_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM messages WHERE id = reply_to_id AND chat_id = c.id) THEN
        outcome := 'bad_reply';
        RETURN;
    END IF;
    -- At most 15 emergencies in a row from one sender.
    IF is_emergency AND (
            SELECT count(*) FILTER (WHERE recent.emergency) = 15 FROM (
                SELECT emergency FROM messages
                WHERE chat_id = c.id AND sender_id = caller AND NOT deleted
                ORDER BY "timestamp" DESC, id DESC LIMIT 15) recent) THEN
        outcome := 'rate_limited';
        RETURN;
    END IF;

    -- clock_timestamp(), taken under the chat's lock, orders the chat's
    -- messages as they commit, which sync by `after` relies on.
    INSERT INTO messages (id, chat_id, sender_id, text, emergency, message_type, reply_to,
                          attachment_url, attachment_name, attachment_size, "timestamp")
    VALUES (new_id, c.id, caller, message_text, is_emergency, kind, reply_to_id,
            attachment_url, attachment_name, attachment_size, clock_timestamp())
    RETURNING * INTO m;
    UPDATE chats SET last_message_text = m.text, last_message_timestamp = m."timestamp",
        last_message_sender_id = m.sender_id, updated_at = m."timestamp",
        therapist_unread_count = therapist_unread_count + (caller = patient_id)::integer,
        patient_unread_count = patient_unread_count + (caller = therapist_id)::integer
    WHERE id = c.id;

    IF idempotency_key IS NOT NULL THEN
        -- An expired record of the same key, then a few expired others.
        DELETE FROM idempotency_keys k WHERE k.sender_id = caller AND k.key = idempotency_key;
        INSERT INTO idempotency_keys (sender_id, key, request_hash, message_id)
        VALUES (caller, idempotency_key, request_hash, m.id);
        DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(
            SELECT ctid FROM idempotency_keys WHERE created_at < now() - interval '24 hours' LIMIT 100));
    END IF;
    outcome := 'created';
    message_id := m.id;
END
$$;

-- ---------------------------------------------------------------- changes

-- PUT/PATCH/edit_message by the sender: a new text (kept in the history)
-- and/or the emergency flag; NULL keeps either.
CREATE FUNCTION tc_message_edit(caller text, caller_role text, message text, new_text text,
    is_emergency boolean, OUT outcome text, OUT message_id text)
LANGUAGE plpgsql AS $$
DECLARE
    c chats := tc_message_chat_lock(message, caller, caller_role);
    m messages := tc_message_lock(message, c);
BEGIN
    outcome := tc_message_refusal(m, c, caller, caller_role);
    IF outcome IS NOT NULL THEN
        RETURN;
    END IF;
    IF m.sender_id <> caller THEN
        outcome := 'not_sender';
    ELSIF new_text IS NOT NULL AND m.deleted THEN
        outcome := 'deleted';
    ELSE
        IF new_text IS NOT NULL THEN
            INSERT INTO message_edits (message_id, previous_text, edited_by) VALUES (m.id, m.text, caller);
        END IF;
        UPDATE messages SET text = coalesce(new_text, text),
            edited = edited OR new_text IS NOT NULL,
            edited_at = CASE WHEN new_text IS NOT NULL THEN now() ELSE edited_at END,
            emergency = coalesce(is_emergency, emergency)
        WHERE id = m.id RETURNING * INTO m;
        IF new_text IS NOT NULL THEN
            PERFORM tc_chat_refresh_preview(c.id);
        END IF;
        outcome := 'ok';
        message_id := m.id;
    END IF;
END
$$;

-- mark_emergency, by a participant.
CREATE FUNCTION tc_message_mark_emergency(caller text, caller_role text, message text,
    OUT outcome text, OUT message_id text)
LANGUAGE plpgsql AS $$
DECLARE
    c chats := tc_message_chat_lock(message, caller, caller_role);
    m messages := tc_message_lock(message, c);
BEGIN
    outcome := tc_message_refusal(m, c, caller, caller_role);
    IF outcome IS NOT NULL THEN
        RETURN;
    END IF;
    IF caller_role = 'admin' THEN
        outcome := 'not_participant';
    ELSE
        UPDATE messages SET emergency = true WHERE id = m.id RETURNING * INTO m;
        outcome := 'ok';
        message_id := m.id;
    END IF;
END
$$;

-- mark_read by its recipient; a second time changes nothing.
CREATE FUNCTION tc_message_mark_read(caller text, caller_role text, message text,
    OUT outcome text, OUT message_id text)
LANGUAGE plpgsql AS $$
DECLARE
    c chats := tc_message_chat_lock(message, caller, caller_role);
    m messages := tc_message_lock(message, c);
BEGIN
    outcome := tc_message_refusal(m, c, caller, caller_role);
    IF outcome IS NOT NULL THEN
        RETURN;
    END IF;
    IF caller_role = 'admin' THEN
        outcome := 'not_participant';
    ELSIF m.sender_id = caller THEN
        outcome := 'own_message';
    ELSE
        IF m.read_status <> 'read' THEN
            UPDATE messages SET read_status = 'read', read_at = now(), read_by = caller
            WHERE id = m.id RETURNING * INTO m;
            IF NOT m.deleted AND tc_message_recipient(m, c) = caller THEN
                PERFORM tc_chat_unread_lower(c.id, caller, 1);
            END IF;
        END IF;
        outcome := 'ok';
        message_id := m.id;
    END IF;
END
$$;

-- Soft delete by a participant or an admin; a second time changes nothing.
CREATE FUNCTION tc_message_delete(caller text, caller_role text, message text,
    OUT outcome text, OUT message_id text)
LANGUAGE plpgsql AS $$
DECLARE
    c chats := tc_message_chat_lock(message, caller, caller_role);
    m messages := tc_message_lock(message, c);
BEGIN
    outcome := tc_message_refusal(m, c, caller, caller_role);
    IF outcome IS NOT NULL THEN
        RETURN;
    END IF;
    IF NOT m.deleted THEN
        UPDATE messages SET deleted = true, deleted_at = now(), deleted_by = caller
        WHERE id = m.id RETURNING * INTO m;
        IF m.read_status <> 'read' AND tc_message_recipient(m, c) IS NOT NULL THEN
            PERFORM tc_chat_unread_lower(c.id, tc_message_recipient(m, c), 1);
        END IF;
        PERFORM tc_chat_refresh_preview(c.id);
    END IF;
    outcome := 'ok';
    message_id := m.id;
END
$$;
