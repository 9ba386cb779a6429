DROP TABLE support_lookup_counts;
