DROP INDEX selection_decisions_registration_idx;
ALTER TABLE waves DROP COLUMN decided_prefix;
DROP INDEX registrations_ranking_idx;
