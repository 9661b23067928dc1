-- The directory of therapists and patients, as the original TherapyConnect
-- models name them. The operator loads it; the service only reads it.
CREATE TABLE IF NOT EXISTS therapists (
    id varchar(64) PRIMARY KEY,
    first_name varchar(150) NOT NULL DEFAULT '',
    last_name varchar(150) NOT NULL DEFAULT '',
    receive_emergency_messages boolean NOT NULL DEFAULT true
);

CREATE TABLE IF NOT EXISTS patients (
    id varchar(64) PRIMARY KEY,
    first_name varchar(150) NOT NULL DEFAULT '',
    last_name varchar(150) NOT NULL DEFAULT ''
);
