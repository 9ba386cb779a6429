-- The decisions' foreign key to `waves` cost one trigger call per row: 3.2 s
-- of a 500,000-applicant selection (12 s at 2,000,000). Its rows are written
-- by one statement of the selection, for the wave whose row that
-- transaction holds locked (`FOR UPDATE`), and waves are never deleted.
ALTER TABLE selection_decisions DROP CONSTRAINT selection_decisions_wave_id_fkey;
