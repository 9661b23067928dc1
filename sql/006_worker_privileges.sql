-- Least privilege for the workers: the role `tcchat_worker` (or any login
-- role made a member of it) reads the directory, reads and writes chats,
-- rooms and messages, and deletes only what an admin purges (a chat, with
-- its room, messages and edits going with it; a room) and expired
-- idempotency keys. It owns nothing, so it can neither change the schema
-- nor truncate a table. The migrations run as the schema's owner.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tcchat_worker') THEN
        RAISE EXCEPTION 'the role tcchat_worker does not exist'
            USING HINT = 'CREATE ROLE tcchat_worker (see the README: Database roles), then migrate again';
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO tcchat_worker;
GRANT SELECT ON therapists, patients TO tcchat_worker;
GRANT SELECT, INSERT, UPDATE ON chats, chat_rooms, messages, message_edits, idempotency_keys TO tcchat_worker;
GRANT DELETE ON chats, chat_rooms, idempotency_keys TO tcchat_worker;
GRANT USAGE ON SEQUENCE message_edits_id_seq TO tcchat_worker;
