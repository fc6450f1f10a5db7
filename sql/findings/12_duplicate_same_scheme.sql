-- 12_duplicate_same_scheme (省内同险种重复参保): two or more active enrollments in one province
-- and one scheme for the year (CONTRACT §2). Within one province's system the record_key
-- (province|person_no|scheme|year) is unique, so this is two person_no's for one person.
-- Evidence: the active enrollments of every (province, scheme) group with two or more of them;
-- several such groups in one person-year make one finding. They are also the resolution
-- candidates, hence the candidate columns after link_probability.
CREATE OR REPLACE TEMP VIEW rules_ev_duplicate_same_scheme AS
WITH flagged AS (
    SELECT person, coverage_year, province, scheme
    FROM rules_active_enrollment
    GROUP BY person, coverage_year, province, scheme
    HAVING count(*) >= 2
)
SELECT
    'duplicate_same_scheme' AS finding_type,
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
SEMI JOIN flagged AS f
    ON f.person = a.person
   AND f.coverage_year = a.coverage_year
   AND f.province = a.province
   AND f.scheme = a.scheme;
