ALTER TABLE waves ALTER COLUMN email_verification_required SET DEFAULT false;
DROP TABLE selection_decisions;
