-- The drain's count must not skip rows: a verifier batch takes its
-- status_history ids before it commits, so a batch can commit after a later
-- id was read. The sampler counts the rows that became visible since its
-- last snapshot (by their inserting transaction), over ids above a floor
-- that moves up once every transaction open at that snapshot has ended.
ALTER TABLE intake_drain ADD COLUMN last_snapshot TEXT;
ALTER TABLE intake_drain ADD COLUMN floor_history_id BIGINT NOT NULL DEFAULT 0;
