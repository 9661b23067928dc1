-- Chats between one therapist and one patient, and the room that holds each
-- chat's permissions (API.md section 3).
CREATE TABLE chats (
    id varchar(255) PRIMARY KEY,
    therapist_id varchar(64) NOT NULL,
    therapist_first_name varchar(150) NOT NULL DEFAULT '',
    therapist_last_name varchar(150) NOT NULL DEFAULT '',
    patient_id varchar(64) NOT NULL,
    patient_first_name varchar(150) NOT NULL DEFAULT '',
    patient_last_name varchar(150) NOT NULL DEFAULT '',
    status varchar(16) NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'archived', 'blocked', 'deleted')),
    last_message_text text,
    last_message_timestamp timestamptz,
    last_message_sender_id varchar(64),
    therapist_unread_count integer NOT NULL DEFAULT 0 CHECK (therapist_unread_count >= 0),
    patient_unread_count integer NOT NULL DEFAULT 0 CHECK (patient_unread_count >= 0),
    therapist_notifications boolean NOT NULL DEFAULT true,
    patient_notifications boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT chats_one_per_pair UNIQUE (therapist_id, patient_id)
);

-- A participant's chats, newest first; the pair's unique index serves the
-- therapist side.
CREATE INDEX chats_patient_updated ON chats (patient_id, updated_at DESC, id DESC);
CREATE INDEX chats_therapist_updated ON chats (therapist_id, updated_at DESC, id DESC);
CREATE INDEX chats_updated ON chats (updated_at DESC, id DESC);

CREATE TABLE chat_rooms (
    id varchar(255) PRIMARY KEY,
    chat_id varchar(255) NOT NULL UNIQUE REFERENCES chats (id) ON DELETE CASCADE,
    room_type varchar(16) NOT NULL DEFAULT 'general'
        CHECK (room_type IN ('therapy', 'consultation', 'emergency', 'general')),
    therapist_can_send boolean NOT NULL DEFAULT true,
    patient_can_send boolean NOT NULL DEFAULT true,
    therapist_can_see_history boolean NOT NULL DEFAULT true,
    patient_can_see_history boolean NOT NULL DEFAULT true,
    description text CHECK (char_length(description) <= 2000),
    tags jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(tags) = 'array' AND jsonb_array_length(tags) <= 32),
    is_active boolean NOT NULL DEFAULT true,
    is_archived boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX chat_rooms_updated ON chat_rooms (updated_at DESC, id DESC);
