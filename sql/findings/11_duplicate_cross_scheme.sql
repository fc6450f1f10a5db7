-- 11_duplicate_cross_scheme (职工与居民重复参保): active enrollments in both 310 (employee) and
-- 390 (resident) for the year, in any provinces (CONTRACT §2).
-- Evidence: every active enrollment of the person-year (also the resolution candidates, hence the
-- candidate columns after link_probability).
CREATE OR REPLACE TEMP VIEW rules_ev_duplicate_cross_scheme AS
WITH flagged AS (
    SELECT person, coverage_year
    FROM rules_active_enrollment
    GROUP BY person, coverage_year
    HAVING bool_or(scheme = '310') AND bool_or(scheme = '390')
)
SELECT
    'duplicate_cross_scheme' AS finding_type,
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
