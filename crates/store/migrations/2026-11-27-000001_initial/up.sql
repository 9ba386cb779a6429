-- Initial schema: waves, registrations, verification checks, append-only
-- status history and the transactional outbox.

CREATE TABLE waves (
    id          INTEGER PRIMARY KEY CHECK (id > 0),
    name        TEXT NOT NULL,
    -- 0 until an operator sets it: nobody is selected from an unsized wave.
    quota       INTEGER NOT NULL DEFAULT 0 CHECK (quota >= 0),
    opens_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    closes_at   TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE registrations (
    -- Registration id, 32 lower-case hex characters (derived from NIK and wave).
    id                    TEXT PRIMARY KEY CHECK (id ~ '^[0-9a-f]{32}$'),
    wave_id               INTEGER NOT NULL REFERENCES waves (id),
    -- Keyed hashes (HMAC-SHA256): look-ups and uniqueness without the clear value.
    nik_hash              BYTEA NOT NULL CHECK (octet_length(nik_hash) = 32),
    kk_hash               BYTEA NOT NULL CHECK (octet_length(kk_hash) = 32),
    -- AES-256-GCM, 12-byte nonce prepended.
    nik_ciphertext        BYTEA NOT NULL,
    kk_ciphertext         BYTEA NOT NULL,
    full_name             TEXT NOT NULL,
    email                 TEXT NOT NULL,
    phone                 TEXT NOT NULL,
    birth_date            DATE NOT NULL,
    employment_status     TEXT NOT NULL,
    in_education          BOOLEAN NOT NULL,
    status                TEXT NOT NULL CHECK (status IN (
                              'queued', 'verifying', 'verified', 'scored',
                              'selected', 'waitlisted', 'rejected')),
    reason                TEXT,
    social_aid_programme  TEXT,
    submitted_at          TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- One registration per person per wave: duplicates die here.
    CONSTRAINT registrations_nik_hash_wave_key UNIQUE (nik_hash, wave_id)
);

-- Per-wave audits and selection: everyone of a wave in a given state.
CREATE INDEX registrations_wave_status_idx ON registrations (wave_id, status, submitted_at);
-- Operational counts by state across waves.
CREATE INDEX registrations_status_idx ON registrations (status);
-- Household look-ups (several members of one KK).
CREATE INDEX registrations_kk_hash_idx ON registrations (kk_hash);

CREATE TABLE verification_checks (
    id               BIGSERIAL PRIMARY KEY,
    registration_id  TEXT NOT NULL REFERENCES registrations (id),
    registry         TEXT NOT NULL,
    outcome          TEXT NOT NULL,
    detail           JSONB NOT NULL DEFAULT '{}'::jsonb,
    checked_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX verification_checks_registration_idx ON verification_checks (registration_id, checked_at);

CREATE TABLE status_history (
    id               BIGSERIAL PRIMARY KEY,
    registration_id  TEXT NOT NULL REFERENCES registrations (id),
    from_status      TEXT,
    to_status        TEXT NOT NULL,
    reason           TEXT,
    at               TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX status_history_registration_idx ON status_history (registration_id, id);

-- The history is evidence: rows are appended, never changed. A trigger (not a
-- REVOKE) so that it also binds the table owner and superusers.
CREATE FUNCTION status_history_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'status_history is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER status_history_no_update_delete
    BEFORE UPDATE OR DELETE ON status_history
    FOR EACH ROW EXECUTE FUNCTION status_history_append_only();

CREATE TRIGGER status_history_no_truncate
    BEFORE TRUNCATE ON status_history
    FOR EACH STATEMENT EXECUTE FUNCTION status_history_append_only();

CREATE TABLE outbox (
    event_id         UUID PRIMARY KEY,
    registration_id  TEXT NOT NULL REFERENCES registrations (id),
    routing_key      TEXT NOT NULL,
    envelope         JSONB NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at     TIMESTAMPTZ
);

-- The relay only ever looks at what is still unpublished.
CREATE INDEX outbox_unpublished_idx ON outbox (registration_id, created_at) WHERE published_at IS NULL;
CREATE INDEX outbox_unpublished_age_idx ON outbox (created_at) WHERE published_at IS NULL;
