DROP TABLE replay_requests;
DROP TABLE support_action_counts;
DROP TABLE access_log;
DROP FUNCTION access_log_append_only();
