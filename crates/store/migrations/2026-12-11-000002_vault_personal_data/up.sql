-- Every personal field encrypted at rest, each ciphertext carrying the
-- version of the key that sealed it (crates/store/src/crypto.rs).
--
-- `key_version` is the version every ciphertext of the row was sealed
-- under; NULL marks a row written before versioned keys: NIK and KK sealed
-- without a header under key 1, name, email, phone and birth date in the
-- clear columns. Such rows stay readable; `lonjak-ops keys rotate` seals
-- them (and empties the clear columns) while the pipeline runs, since SQL
-- has no key to do it here.
ALTER TABLE registrations
    ADD COLUMN key_version SMALLINT,
    ADD COLUMN full_name_ciphertext BYTEA,
    ADD COLUMN email_ciphertext BYTEA,
    ADD COLUMN phone_ciphertext BYTEA,
    ADD COLUMN birth_date_ciphertext BYTEA,
    -- Keyed hashes (identity key) for look-ups by address or number.
    ADD COLUMN email_hash BYTEA,
    ADD COLUMN phone_hash BYTEA,
    ALTER COLUMN full_name DROP NOT NULL,
    ALTER COLUMN email DROP NOT NULL,
    ALTER COLUMN phone DROP NOT NULL,
    ALTER COLUMN birth_date DROP NOT NULL;

-- A row is either sealed under a version (no clear field left) or from
-- before versions (clear fields present).
ALTER TABLE registrations ADD CONSTRAINT registrations_sealed_or_legacy CHECK (
    (key_version IS NOT NULL
        AND full_name IS NULL AND email IS NULL AND phone IS NULL AND birth_date IS NULL
        AND full_name_ciphertext IS NOT NULL AND email_ciphertext IS NOT NULL
        AND phone_ciphertext IS NOT NULL AND birth_date_ciphertext IS NOT NULL)
    OR (key_version IS NULL
        AND full_name IS NOT NULL AND email IS NOT NULL AND phone IS NOT NULL
        AND birth_date IS NOT NULL)
);

CREATE INDEX registrations_email_hash ON registrations (email_hash);
CREATE INDEX registrations_phone_hash ON registrations (phone_hash);
