-- 80_evidence: every finding's evidence records, one row per (finding, record).
-- Why: the findings (99) read the evidence from one place; the source column keeps record_keys of
-- different sources apart. (The duplicate views carry extra candidate columns for 90_resolution,
-- hence the explicit column list.)
CREATE OR REPLACE TEMP VIEW rules_evidence AS
SELECT finding_type, person, coverage_year, source, record_key, link_probability
FROM rules_ev_duplicate_cross_province
UNION ALL
SELECT finding_type, person, coverage_year, source, record_key, link_probability
FROM rules_ev_duplicate_cross_scheme
UNION ALL
SELECT finding_type, person, coverage_year, source, record_key, link_probability
FROM rules_ev_duplicate_same_scheme
UNION ALL
SELECT finding_type, person, coverage_year, source, record_key, link_probability
FROM rules_ev_missing_enrollment
UNION ALL
SELECT finding_type, person, coverage_year, source, record_key, link_probability
FROM rules_ev_deceased_enrolled
UNION ALL
SELECT finding_type, person, coverage_year, source, record_key, link_probability
FROM rules_ev_paid_not_enrolled
UNION ALL
SELECT finding_type, person, coverage_year, source, record_key, link_probability
FROM rules_ev_enrolled_not_paid
UNION ALL
SELECT finding_type, person, coverage_year, source, record_key, link_probability
FROM rules_ev_assistance_not_subsidized;
