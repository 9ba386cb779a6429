-- Retention: a period after a wave is announced, the personal data of its
-- rejected and waitlisted applicants is erased; the skeleton (id, wave,
-- state, history, score and its parts, decision, timestamps) stays for the
-- audit and statistics (crates/store/src/retention.rs).

ALTER TABLE waves
    -- When the wave became `announced` (set by the trigger below, so that
    -- no code path that announces can forget it).
    ADD COLUMN announced_at TIMESTAMPTZ,
    -- The wave's own retention period in days; NULL: `retention.period_days`.
    ADD COLUMN retention_days INTEGER CHECK (retention_days IS NULL OR retention_days >= 0);

-- Waves announced before this migration have no recorded moment: counted
-- from now, the later (safer) bound.
UPDATE waves SET announced_at = now() WHERE state = 'announced';

CREATE FUNCTION waves_announced_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.announced_at := now();
    RETURN NEW;
END;
$$;

CREATE TRIGGER waves_set_announced_at
    BEFORE UPDATE OF state ON waves
    FOR EACH ROW
    WHEN (NEW.state = 'announced' AND OLD.state IS DISTINCT FROM 'announced')
    EXECUTE FUNCTION waves_announced_at();

ALTER TABLE registrations
    -- Set once, when the row's personal data was erased; never cleared.
    ADD COLUMN erased_at TIMESTAMPTZ;

-- An erased row keeps no personal field: no clear column, no ciphertext
-- (the NIK and KK ones are empty, their columns being NOT NULL), no key
-- version, no contact or submission hash. Its NIK and KK hashes are
-- replaced by a hash of its own id (the columns are NOT NULL and unique per
-- wave), which links it to no one. (Validated here, inside the migration's
-- transaction and lock: one scan of the table, seconds at two million rows.)
ALTER TABLE registrations DROP CONSTRAINT registrations_sealed_or_legacy;
ALTER TABLE registrations ADD CONSTRAINT registrations_sealed_legacy_or_erased CHECK (
    (erased_at IS NULL AND key_version IS NOT NULL
        AND full_name IS NULL AND email IS NULL AND phone IS NULL AND birth_date IS NULL
        AND full_name_ciphertext IS NOT NULL AND email_ciphertext IS NOT NULL
        AND phone_ciphertext IS NOT NULL AND birth_date_ciphertext IS NOT NULL)
    OR (erased_at IS NULL AND key_version IS NULL
        AND full_name IS NOT NULL AND email IS NOT NULL AND phone IS NOT NULL
        AND birth_date IS NOT NULL)
    OR (erased_at IS NOT NULL AND key_version IS NULL
        AND full_name IS NULL AND email IS NULL AND phone IS NULL AND birth_date IS NULL
        AND full_name_ciphertext IS NULL AND email_ciphertext IS NULL
        AND phone_ciphertext IS NULL AND birth_date_ciphertext IS NULL
        AND octet_length(nik_ciphertext) = 0 AND octet_length(kk_ciphertext) = 0
        AND email_hash IS NULL AND phone_hash IS NULL AND submission_hash IS NULL)
) NOT VALID;
ALTER TABLE registrations VALIDATE CONSTRAINT registrations_sealed_legacy_or_erased;

-- What an erasure walks: per wave, in id order, the rows not erased yet
-- that could be (erased rows leave the index, so a batch never re-reads
-- them).
CREATE INDEX registrations_erasable_idx ON registrations (wave_id, id)
    WHERE erased_at IS NULL AND status IN ('rejected', 'scored', 'waitlisted');

ALTER TABLE photo_checks
    -- The registration was erased: its objects are to be deleted from the
    -- object store (the content hash is cleared at once).
    ADD COLUMN erase_requested_at TIMESTAMPTZ,
    -- Its objects were deleted.
    ADD COLUMN erased_at TIMESTAMPTZ;

CREATE INDEX photo_checks_erase_pending_idx ON photo_checks (registration_id, kind)
    WHERE erase_requested_at IS NOT NULL AND erased_at IS NULL;
