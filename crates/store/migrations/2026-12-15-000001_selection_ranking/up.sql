-- Selection walks the top of the wave's ranking instead of sorting it.
--
-- The ranking as an index, maintained as applicants are scored (during the
-- drain, not at selection time). `-score` rather than `score DESC`: every
-- column ascending, a page of the ranking after a given applicant is one
-- row comparison, `(-score, submitted_at, id) > (…)`, one index range. The
-- included columns let the selection read its candidates without visiting
-- the table (an index-only scan: 0.09 s for 205,000 of 2,000,000 rather than
-- 0.8 s through the heap).
CREATE INDEX registrations_ranking_idx
    ON registrations (wave_id, (-score), submitted_at, id COLLATE "C")
    INCLUDE (score, kk_hash, email_verified_at)
    WHERE status = 'scored';

-- Decisions are written for the decided prefix of the ranking (ranks
-- 1..decided_prefix: the selected, those rejected for the KK cap, the
-- waitlisted among them) and for the few members of full families ranked
-- after it (rejected). Registration rows keep `scored`: rewriting 164,000 of
-- them (a new entry in each of their ten indexes) took 27 s of a 2,000,000
-- applicant selection. An applicant's state is their decision, or
-- waitlisted without one; their rank is the decision's, or their place in
-- the ranking index. NULL: the wave was selected before, with a decision
-- row for every applicant.
ALTER TABLE waves ADD COLUMN decided_prefix INTEGER CHECK (decided_prefix >= 0);

-- An applicant's decision, looked up by registration (status, explanation).
CREATE INDEX selection_decisions_registration_idx ON selection_decisions (registration_id);
