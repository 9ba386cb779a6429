DROP TABLE photo_checks;
