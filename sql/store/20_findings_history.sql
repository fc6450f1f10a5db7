-- Findings keep their id and first-seen snapshot while they persist; one that disappears is
-- recorded as resolved in the snapshot where it is first missing. finding_id is a hash of
-- (type, person, year): the same finding gets the same id night after night.
CREATE TABLE IF NOT EXISTS findings_history (
    finding_id            VARCHAR,
    finding_type          VARCHAR,
    person_id             VARCHAR,
    coverage_year         INTEGER,
    first_seen_snapshot   VARCHAR,
    last_seen_snapshot    VARCHAR,
    resolved_in_snapshot  VARCHAR
);

CREATE OR REPLACE TABLE findings_current AS
SELECT
    'F' || left(sha256(f.finding_type || '|' || f.person || '|' || f.coverage_year), 20) AS finding_id,
    f.finding_type,
    f.person AS person_id,
    f.coverage_year,
    f.record_keys,
    f.min_match_probability,
    f.keep_record_key,
    f.resolution_rule
FROM rules_findings AS f;

-- Resolved: open in history, absent now.
UPDATE findings_history
SET resolved_in_snapshot = getvariable('snapshot_id')
WHERE resolved_in_snapshot IS NULL
  AND finding_id NOT IN (SELECT finding_id FROM findings_current);

-- Persisting or reappearing: seen now.
UPDATE findings_history
SET last_seen_snapshot = getvariable('snapshot_id'), resolved_in_snapshot = NULL
WHERE finding_id IN (SELECT finding_id FROM findings_current);

INSERT INTO findings_history
SELECT finding_id, finding_type, person_id, coverage_year, getvariable('snapshot_id'), getvariable('snapshot_id'), NULL
FROM findings_current
WHERE finding_id NOT IN (SELECT finding_id FROM findings_history);
