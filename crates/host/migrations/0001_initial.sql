-- Instant Share host records. Times are Unix milliseconds.

CREATE TABLE experts (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    skills        TEXT NOT NULL,            -- comma-separated topic ids
    created_at    INTEGER NOT NULL
);

CREATE TABLE expert_logins (
    token_hash  BLOB PRIMARY KEY,           -- SHA-256 of the cookie value
    expert_id   TEXT NOT NULL REFERENCES experts(id),
    expires_at  INTEGER NOT NULL
);

CREATE TABLE enrolment_codes (
    code_hash     BLOB PRIMARY KEY,         -- SHA-256 of the normalised code
    employee_name TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER,
    device_id     TEXT
);

CREATE TABLE devices (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    employee_name   TEXT NOT NULL,
    credential_hash BLOB NOT NULL UNIQUE,
    created_at      INTEGER NOT NULL,
    revoked_at      INTEGER
);

CREATE TABLE sessions (
    id             TEXT PRIMARY KEY,
    topic          TEXT NOT NULL,
    note           TEXT,
    device_id      TEXT NOT NULL REFERENCES devices(id),
    requester_name TEXT NOT NULL,
    client         TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    status         TEXT NOT NULL,
    end_reason     TEXT,
    expert_id      TEXT,
    ended_at       INTEGER
);
CREATE INDEX sessions_open ON sessions(status) WHERE status <> 'ended';

CREATE TABLE session_transitions (
    session_id TEXT NOT NULL REFERENCES sessions(id),
    status     TEXT NOT NULL,
    detail     TEXT,                        -- end reason, or the expert offered / accepting
    at         INTEGER NOT NULL
);
CREATE INDEX session_transitions_by_session ON session_transitions(session_id);

CREATE TABLE participants (
    session_id   TEXT NOT NULL REFERENCES sessions(id),
    id           TEXT NOT NULL,
    role         TEXT NOT NULL,
    display_name TEXT NOT NULL,
    token_hash   BLOB NOT NULL UNIQUE,
    expires_at   INTEGER NOT NULL,
    revoked      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, id)
);

CREATE TABLE session_events (
    session_id TEXT NOT NULL REFERENCES sessions(id),
    seq        INTEGER NOT NULL,
    body       TEXT NOT NULL,               -- the ServerMessage as JSON
    at         INTEGER NOT NULL,
    PRIMARY KEY (session_id, seq)
);
