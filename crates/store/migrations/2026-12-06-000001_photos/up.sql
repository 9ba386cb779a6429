-- One row per (registration, kind): the last checked upload. No foreign key
-- to registrations: an applicant may upload while the registration is still
-- queued. A redelivered check of the same key changes nothing (first result
-- wins); a new upload (another key) replaces the row.
CREATE TABLE photo_checks (
    registration_id  TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('ktp', 'selfie')),
    object_key       TEXT NOT NULL,
    size_bytes       BIGINT,
    sha256           TEXT,
    width            INTEGER,
    height           INTEGER,
    state            TEXT NOT NULL CHECK (state IN ('accepted', 'rejected')),
    reason           TEXT,
    checked_at       TIMESTAMPTZ NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (registration_id, kind),
    CHECK ((state = 'rejected') = (reason IS NOT NULL))
);
