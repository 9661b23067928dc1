-- Messages, their edit history, and the idempotency keys of sends
-- (API.md section 3).
CREATE TABLE messages (
    id varchar(64) PRIMARY KEY,
    chat_id varchar(255) NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    sender_id varchar(64) NOT NULL,
    text text NOT NULL CHECK (char_length(text) BETWEEN 1 AND 10000),
    emergency boolean NOT NULL DEFAULT false,
    message_type varchar(16) NOT NULL DEFAULT 'text'
        CHECK (message_type IN ('text', 'image', 'file', 'system', 'appointment', 'prescription')),
    attachment_url text,
    attachment_name varchar(255),
    attachment_size bigint CHECK (attachment_size >= 0),
    read_status varchar(16) NOT NULL DEFAULT 'sent'
        CHECK (read_status IN ('sent', 'delivered', 'read')),
    read_at timestamptz,
    read_by varchar(64),
    reply_to varchar(64),
    edited boolean NOT NULL DEFAULT false,
    edited_at timestamptz,
    deleted boolean NOT NULL DEFAULT false,
    deleted_at timestamptz,
    deleted_by varchar(64),
    "timestamp" timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT messages_id_chat UNIQUE (id, chat_id),
    -- A reply names a message of the same chat.
    CONSTRAINT messages_reply_same_chat FOREIGN KEY (reply_to, chat_id)
        REFERENCES messages (id, chat_id) ON DELETE CASCADE,
    CONSTRAINT messages_attachment_needed
        CHECK (message_type NOT IN ('image', 'file') OR attachment_url IS NOT NULL)
);

-- A chat's messages in order, for pages, sync and the last-message preview.
CREATE INDEX messages_chat_time ON messages (chat_id, "timestamp", id);
-- Unread messages of a chat by sender: unread counts and emergencies.
CREATE INDEX messages_chat_unread ON messages (chat_id, sender_id)
    WHERE NOT deleted AND read_status <> 'read';
-- Unread emergencies by sender: has_unread_emergency of every chat listed.
CREATE INDEX messages_chat_unread_emergency ON messages (chat_id, sender_id)
    WHERE emergency AND NOT deleted AND read_status <> 'read';
CREATE INDEX messages_reply_to ON messages (reply_to) WHERE reply_to IS NOT NULL;

CREATE TABLE message_edits (
    id bigserial PRIMARY KEY,
    message_id varchar(64) NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    previous_text text NOT NULL,
    edited_at timestamptz NOT NULL DEFAULT now(),
    edited_by varchar(64) NOT NULL
);

CREATE INDEX message_edits_message ON message_edits (message_id, edited_at, id);

CREATE TABLE idempotency_keys (
    sender_id varchar(64) NOT NULL,
    key varchar(255) NOT NULL,
    request_hash text NOT NULL,
    message_id varchar(64) NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (sender_id, key)
);

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
