-- findings_history: every finding ever published (maintained by 25_findings_history.sql). finding_id
-- is a hash of (type, person, year): the same finding gets the same id night after night.
CREATE TABLE IF NOT EXISTS findings_history (
    finding_id            VARCHAR,
    finding_type          VARCHAR,
    person_id             VARCHAR USING COMPRESSION uncompressed,  -- a key (oneperson/warehouse.py)
    coverage_year         INTEGER,
    first_seen_snapshot   VARCHAR,
    last_seen_snapshot    VARCHAR,
    resolved_in_snapshot  VARCHAR
);

-- fresh_findings: the findings of the persons in scope (see 30_store_tables.sql), which the caller
-- keeps in findings_current; the history below then reads the whole of findings_current.
CREATE OR REPLACE TEMP VIEW fresh_findings AS
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
