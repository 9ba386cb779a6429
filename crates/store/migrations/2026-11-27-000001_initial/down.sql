DROP TABLE outbox;
DROP TABLE status_history;
DROP FUNCTION status_history_append_only();
DROP TABLE verification_checks;
DROP TABLE registrations;
DROP TABLE waves;
