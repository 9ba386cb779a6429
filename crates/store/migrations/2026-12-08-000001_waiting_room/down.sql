DO $$
DECLARE s record;
BEGIN
    FOR s IN SELECT c.relname FROM pg_class c
             WHERE c.relkind = 'S' AND c.relname ~ '^waitroom_seq_[0-9]+$' LOOP
        EXECUTE format('DROP SEQUENCE %I', s.relname);
    END LOOP;
END $$;
DROP TABLE intake_drain;
DROP TABLE waitroom_tickets;
DROP TABLE waitroom_waves;
