-- 10_duplicate_cross_province (跨省重复参保): active enrollments of the person in two or more
-- provinces for the year (CONTRACT §2). Province = first 2 characters of insured_region_code.
-- Evidence: every active enrollment of the person-year (they are also the resolution candidates,
-- hence the candidate columns after link_probability). One row per evidence record; 99_findings
-- aggregates them into one finding per person-year.
CREATE OR REPLACE TEMP VIEW rules_ev_duplicate_cross_province AS
WITH flagged AS (
    SELECT person, coverage_year
    FROM rules_active_enrollment
    GROUP BY person, coverage_year
    HAVING min(province) <> max(province)  -- two or more provinces; cheaper than count(DISTINCT)
)
SELECT
    'duplicate_cross_province' AS finding_type,
    a.person,
    a.coverage_year,
    'enrollment' AS source,
    a.record_key,
    a.link_probability,
    a.scheme,
    a.province,
    a.insured_region_code,
    a.enrolled_on
FROM rules_active_enrollment AS a
SEMI JOIN flagged AS f ON f.person = a.person AND f.coverage_year = a.coverage_year;
