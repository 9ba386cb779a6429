ALTER TABLE selection_decisions
    ADD CONSTRAINT selection_decisions_wave_id_fkey FOREIGN KEY (wave_id) REFERENCES waves (id);
