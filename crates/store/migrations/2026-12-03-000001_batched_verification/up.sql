-- Batched verification: a registration row is written once its verification
-- is decided (one transaction per batch), so it needs to know what the
-- submission said (to tell a re-submission from a different one without
-- comparing clear data), and the outbox relay needs a lease so that several
-- workers never publish the same stale event at once.

-- Keyed hash of every stated field (lonjak_domain::SubmissionHash). NULL for
-- rows written before this migration: they count as different from any new
-- submission.
ALTER TABLE registrations ADD COLUMN submission_hash BYTEA
    CHECK (submission_hash IS NULL OR octet_length(submission_hash) = 32);

-- Until when a relay has claimed this unpublished event.
ALTER TABLE outbox ADD COLUMN lease_until TIMESTAMPTZ;
