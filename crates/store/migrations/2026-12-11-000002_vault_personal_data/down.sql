-- Only possible while every row is from before versioned keys: the clear
-- columns become NOT NULL again.
DROP INDEX registrations_phone_hash;
DROP INDEX registrations_email_hash;
ALTER TABLE registrations DROP CONSTRAINT registrations_sealed_or_legacy;
ALTER TABLE registrations
    ALTER COLUMN full_name SET NOT NULL,
    ALTER COLUMN email SET NOT NULL,
    ALTER COLUMN phone SET NOT NULL,
    ALTER COLUMN birth_date SET NOT NULL,
    DROP COLUMN phone_hash,
    DROP COLUMN email_hash,
    DROP COLUMN birth_date_ciphertext,
    DROP COLUMN phone_ciphertext,
    DROP COLUMN email_ciphertext,
    DROP COLUMN full_name_ciphertext,
    DROP COLUMN key_version;
