DROP TABLE email_verification_resends;
DROP TABLE notifications;
ALTER TABLE registrations DROP COLUMN email_verified_at, DROP COLUMN language;
