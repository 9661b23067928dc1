-- Apps sync by listing the messages of all their chats in timestamp order
-- from the last one they saw (`after`), which they take from any list of
-- them (a first load, newest first, say). A send takes its timestamp under
-- its chat's lock, so within one chat timestamps follow the order in which
-- sends commit; across chats they do not: a send may take its timestamp,
-- then commit after a send into another chat that took a later one. A list
-- that showed the later message first would move the app past the earlier
-- one, which it would then never see.
--
-- So a send is marked under way, for each participant of its chat, by a
-- shared advisory lock that its transaction holds until it ends (namespace
-- 1952670579, "tccs"; key: hashtext of the participant's id), taken before
-- its timestamp. A list across a caller's chats shows only messages older
-- than the sync horizon, tc_sync_horizon: the start of the oldest
-- transaction holding the caller's key (of any key, for an admin), and the
-- start of the statement for sends that begin later. The worker reads it
-- alone, before the list, so that the list's snapshot sees every send it
-- did not find under way. Only sends into the caller's own chats hold their
-- lists back, for as long as those sends take.
--
-- The send is otherwise that of 009, but that its clean-up of expired
-- idempotency keys skips those another transaction holds.
--
-- A transaction's start is visible only to sessions of its role (every
-- worker logs in as the same one: README, Database roles); for another
-- role's, the horizon assumes the longest a worker's transaction may last,
-- two statements under statement_timeout.

CREATE OR REPLACE FUNCTION tc_message_send(
    caller text, caller_role text, chat text, new_id text, message_text text, is_emergency boolean,
    kind text, reply_to_id text, attachment_url text, attachment_name text, attachment_size bigint,
    idempotency_key text, OUT outcome text, OUT message_id text, OUT message messages,
    OUT message_chat chats)
LANGUAGE plpgsql AS $$
DECLARE
    locked record;
    c chats;
    prior idempotency_keys;
    is_admin boolean := caller_role = 'admin';
    request_hash text;
BEGIN
    -- A chat without a room lets its participants send.
    SELECT ch AS chat_row, r.chat_id IS NULL OR (r.is_active AND NOT r.is_archived AND
               CASE WHEN caller = ch.therapist_id THEN r.therapist_can_send ELSE r.patient_can_send END)
               AS room_lets_send
    INTO locked
    FROM chats ch LEFT JOIN chat_rooms r ON r.chat_id = ch.id
    WHERE ch.id = chat AND (is_admin OR caller IN (ch.therapist_id, ch.patient_id))
    FOR NO KEY UPDATE OF ch;
    IF NOT FOUND THEN
        outcome := 'not_found';
        RETURN;
    END IF;
    c := locked.chat_row;

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
    IF NOT is_admin AND NOT locked.room_lets_send THEN
        outcome := 'cannot_send';
        RETURN;
    END IF;
    IF reply_to_id IS NOT NULL THEN
        IF NOT EXISTS (SELECT 1 FROM messages WHERE id = reply_to_id AND chat_id = c.id) THEN
            outcome := 'bad_reply';
            RETURN;
        END IF;
    END IF;
    -- At most 15 emergencies in a row from one sender.
    IF is_emergency THEN
        IF (SELECT count(*) FILTER (WHERE recent.emergency) = 15 FROM (
                SELECT emergency FROM messages
                WHERE chat_id = c.id AND sender_id = caller AND NOT deleted
                ORDER BY "timestamp" DESC, id DESC LIMIT 15) recent) THEN
            outcome := 'rate_limited';
            RETURN;
        END IF;
    END IF;

    -- Under way for both participants until it commits: see tc_sync_horizon.
    PERFORM pg_advisory_xact_lock_shared(1952670579, hashtext(c.therapist_id)),
            pg_advisory_xact_lock_shared(1952670579, hashtext(c.patient_id));
    -- clock_timestamp(), taken under the chat's lock, orders the chat's
    -- messages as they commit, which sync by `after` relies on.
    INSERT INTO messages (id, chat_id, sender_id, text, emergency, message_type, reply_to,
                          attachment_url, attachment_name, attachment_size, "timestamp")
    VALUES (new_id, c.id, caller, message_text, is_emergency, kind, reply_to_id,
            attachment_url, attachment_name, attachment_size, clock_timestamp())
    RETURNING * INTO message;
    -- The other participant's counts rise; an admin's message counts for
    -- nobody.
    UPDATE chats SET last_message_text = message_text, last_message_timestamp = message."timestamp",
        last_message_sender_id = caller, updated_at = message."timestamp",
        therapist_unread_count = therapist_unread_count + (caller = patient_id)::integer,
        patient_unread_count = patient_unread_count + (caller = therapist_id)::integer,
        therapist_unread_emergency_count = therapist_unread_emergency_count
            + (is_emergency AND caller = patient_id)::integer,
        patient_unread_emergency_count = patient_unread_emergency_count
            + (is_emergency AND caller = therapist_id)::integer
    WHERE id = c.id;

    IF idempotency_key IS NOT NULL THEN
        -- An expired record of the same key, then a few expired others,
        -- but not those another send holds: two sends clearing each
        -- other's would deadlock.
        DELETE FROM idempotency_keys k WHERE k.sender_id = caller AND k.key = idempotency_key;
        INSERT INTO idempotency_keys (sender_id, key, request_hash, message_id)
        VALUES (caller, idempotency_key, request_hash, new_id);
        DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(
            SELECT ctid FROM idempotency_keys WHERE created_at < now() - interval '24 hours' LIMIT 100
            FOR UPDATE SKIP LOCKED));
    END IF;
    outcome := 'created';
    message_id := new_id;
    message_chat := c;
END
$$;

CREATE FUNCTION tc_sync_horizon(caller text, caller_role text) RETURNS timestamptz
LANGUAGE sql VOLATILE AS $$
    SELECT least(statement_timestamp(), min(coalesce(a.xact_start,
               CASE WHEN current_setting('statement_timeout')::interval > interval '0'
                    THEN statement_timestamp() - 2 * current_setting('statement_timeout')::interval
                    ELSE '-infinity' END)))
    FROM pg_locks l LEFT JOIN pg_stat_get_activity(NULL) a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid()
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND l.classid = 1952670579 AND l.objsubid = 2
      AND (caller_role = 'admin' OR l.objid = hashtext(caller)::oid)
$$;
