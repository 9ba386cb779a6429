-- Eligibility: a wave's life cycle and settings, each applicant's score with
-- its parts, the selection's ranking, and how far its announcement got.

-- planned → open → closed → selected → announced. Rows that exist already
-- (created as registrations arrived) were open in effect; `lonjak-ops wave
-- create` starts a wave as planned.
ALTER TABLE waves
    ADD COLUMN state TEXT NOT NULL DEFAULT 'open'
        CHECK (state IN ('planned', 'open', 'closed', 'selected', 'announced')),
    -- Whether an applicant must have verified their email to be selected
    -- (read by the notifier once it exists).
    ADD COLUMN email_verification_required BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN selected_at TIMESTAMPTZ,
    -- Every decision of this wave up to this rank has been published with
    -- a confirm: the announcement resumes after it.
    ADD COLUMN announced_rank INTEGER NOT NULL DEFAULT 0 CHECK (announced_rank >= 0),
    -- What the selection decided, kept with the wave (the decisions metric
    -- reads these; re-joins later move applicants, not these counts).
    ADD COLUMN selected_count INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN waitlisted_count INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN kk_rejected_count INTEGER NOT NULL DEFAULT 0;

ALTER TABLE registrations
    -- Priority score and its parts ([{"rule", "points"}]), set when scored.
    ADD COLUMN score INTEGER,
    ADD COLUMN score_parts JSONB,
    -- 1-based place in the wave's ranking, set by selection for everyone it
    -- decided (selected, waitlisted, or rejected for the KK cap).
    ADD COLUMN rank INTEGER CHECK (rank IS NULL OR rank > 0),
    ADD COLUMN decided_at TIMESTAMPTZ,
    -- The wave a waitlisted applicant re-joined from (at most once).
    ADD COLUMN rejoined_from INTEGER REFERENCES waves (id);

-- The announcement walks a wave's decisions in rank order.
CREATE UNIQUE INDEX registrations_wave_rank_idx ON registrations (wave_id, rank)
    WHERE rank IS NOT NULL;
-- The KK cap counts selected members per family card, across waves.
CREATE INDEX registrations_selected_kk_idx ON registrations (kk_hash)
    WHERE status = 'selected';
