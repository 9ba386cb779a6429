ALTER TABLE waitroom_waves DROP COLUMN drawn_count;
