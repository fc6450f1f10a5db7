-- review_labels: every reviewer's decision on a record pair, kept for good: applied by each link
-- (12_review_decisions.sql) and available as labels for training.
CREATE TABLE IF NOT EXISTS review_labels (
    source_l VARCHAR, record_key_l VARCHAR, source_r VARCHAR, record_key_r VARCHAR,
    decision VARCHAR, reviewer VARCHAR, decided_at TIMESTAMP, applied_run VARCHAR
);
