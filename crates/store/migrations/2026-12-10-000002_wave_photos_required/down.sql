ALTER TABLE waves DROP COLUMN photos_required;
