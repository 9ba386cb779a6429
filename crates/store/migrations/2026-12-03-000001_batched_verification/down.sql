ALTER TABLE outbox DROP COLUMN lease_until;
ALTER TABLE registrations DROP COLUMN submission_hash;
