DROP INDEX photo_checks_erase_pending_idx;
ALTER TABLE photo_checks DROP COLUMN erased_at, DROP COLUMN erase_requested_at;
DROP INDEX registrations_erasable_idx;
-- Erased rows cannot satisfy the old constraint: it comes back unvalidated.
ALTER TABLE registrations DROP CONSTRAINT registrations_sealed_legacy_or_erased;
ALTER TABLE registrations ADD CONSTRAINT registrations_sealed_or_legacy CHECK (
    (key_version IS NOT NULL
        AND full_name IS NULL AND email IS NULL AND phone IS NULL AND birth_date IS NULL
        AND full_name_ciphertext IS NOT NULL AND email_ciphertext IS NOT NULL
        AND phone_ciphertext IS NOT NULL AND birth_date_ciphertext IS NOT NULL)
    OR (key_version IS NULL
        AND full_name IS NOT NULL AND email IS NOT NULL AND phone IS NOT NULL
        AND birth_date IS NOT NULL)
) NOT VALID;
ALTER TABLE registrations DROP COLUMN erased_at;
DROP TRIGGER waves_set_announced_at ON waves;
DROP FUNCTION waves_announced_at();
ALTER TABLE waves DROP COLUMN retention_days, DROP COLUMN announced_at;
