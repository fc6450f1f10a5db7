-- 99_findings: the findings of CONTRACT §2, one row per (person, coverage_year, finding_type).
-- Why: the single output of the rules engine, the same whether `person` is a true person key
-- (generator) or a linked person id (pipeline).
-- record_keys: the evidence records, distinct and sorted. min_match_probability: the weakest
-- link_probability on the evidence (NULL when every evidence record was joined by an exact
-- identifier or stands alone). keep_record_key / resolution_rule: duplicate_* findings only.
CREATE OR REPLACE TEMP VIEW rules_findings AS
WITH finding AS (
    SELECT
        finding_type,
        person,
        coverage_year,
        list(DISTINCT record_key ORDER BY record_key) AS record_keys,
        min(link_probability) AS min_match_probability
    FROM rules_evidence
    GROUP BY finding_type, person, coverage_year
)
SELECT
    CAST(f.finding_type AS VARCHAR) AS finding_type,
    CAST(f.person AS VARCHAR) AS person,
    CAST(f.coverage_year AS INTEGER) AS coverage_year,
    CAST(f.record_keys AS VARCHAR[]) AS record_keys,
    CAST(f.min_match_probability AS DOUBLE) AS min_match_probability,
    CAST(r.keep_record_key AS VARCHAR) AS keep_record_key,
    CAST(r.resolution_rule AS VARCHAR) AS resolution_rule
FROM finding AS f
LEFT JOIN rules_resolution AS r
    ON r.finding_type = f.finding_type
   AND r.person = f.person
   AND r.coverage_year = f.coverage_year
ORDER BY person, coverage_year, finding_type;
