-- Selection decisions, one append-only row per ranked applicant, written by
-- one INSERT … SELECT. Only the selected (and the few rejected for the KK
-- cap) are rewritten in `registrations`; a waitlisted applicant keeps the
-- row `scored` and is waitlisted by this table and the wave's state
-- (`selected` or `announced`). Rewriting two million registration rows
-- (every index takes a new entry) and adding two million history rows (each
-- with its foreign-key check, which also locks the registration row) is
-- what made a selection take minutes.
CREATE TABLE selection_decisions (
    wave_id          INTEGER NOT NULL REFERENCES waves (id),
    -- 1-based place in the wave's ranking; the announcement's cursor.
    rank             INTEGER NOT NULL CHECK (rank > 0),
    -- No foreign key: the rows come from `registrations` in the statement
    -- that writes them, and a per-row check would lock every registration.
    registration_id  TEXT NOT NULL,
    decision         TEXT NOT NULL CHECK (decision IN ('selected', 'waitlisted', 'rejected')),
    reason           TEXT CHECK ((decision = 'rejected') = (reason IS NOT NULL)),
    PRIMARY KEY (wave_id, rank)
);

-- Decisions are evidence, like the status history: appended, never changed.
CREATE TRIGGER selection_decisions_no_update_delete
    BEFORE UPDATE OR DELETE ON selection_decisions
    FOR EACH ROW EXECUTE FUNCTION status_history_append_only();

CREATE TRIGGER selection_decisions_no_truncate
    BEFORE TRUNCATE ON selection_decisions
    FOR EACH STATEMENT EXECUTE FUNCTION status_history_append_only();

-- Issue 10: a new wave requires a verified email unless its operator says
-- otherwise.
ALTER TABLE waves ALTER COLUMN email_verification_required SET DEFAULT true;
