-- A wave can require both photos (identity card and selfie) accepted by the
-- photo check before an applicant can be selected. Off by default: photos
-- are optional until a wave says otherwise.
ALTER TABLE waves ADD COLUMN photos_required BOOLEAN NOT NULL DEFAULT false;
