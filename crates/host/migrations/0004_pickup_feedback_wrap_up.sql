-- How the expert came to the session: 'offer' (answered the ring), 'queue' (took it from the
-- queue themselves), 'queue_override' (took it although its topic is outside their skills).
ALTER TABLE sessions ADD COLUMN pickup TEXT;

-- What the employee said at the end: did it solve the problem, a rating, a comment. Once per
-- session; a second answer replaces the first.
CREATE TABLE feedback (
    session_id TEXT PRIMARY KEY REFERENCES sessions(id),
    solved     INTEGER NOT NULL,
    rating     INTEGER CHECK (rating BETWEEN 1 AND 5),
    comment    TEXT,
    at         INTEGER NOT NULL
);

-- What each expert in the session wrote up at the end: the outcome and a note.
CREATE TABLE wrap_ups (
    session_id TEXT NOT NULL REFERENCES sessions(id),
    expert_id  TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    note       TEXT,
    at         INTEGER NOT NULL,
    PRIMARY KEY (session_id, expert_id)
);
