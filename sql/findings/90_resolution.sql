-- 90_resolution: which enrollment a duplicate finding recommends keeping, and the rule that chose
-- it (CONTRACT §2, national guidance of September 2020 in shared/notes/domain.md).
-- Why: the rules are tried in a fixed order among the finding's candidates (= its evidence
-- enrollments); in rules_resolution each rule (one CTE) proposes a keep for the findings it
-- decides, and the first rule that decided wins. Every tie is broken explicitly, so the
-- result is deterministic. "Latest enrolled_on" always treats a NULL enrolled_on as the oldest.

-- The candidates: the active enrollments that are the evidence of a duplicate finding, with
-- whether the finding's candidates include each scheme.
CREATE OR REPLACE TEMP VIEW rules_dup_candidate AS
SELECT
    finding_type,
    person,
    coverage_year,
    record_key,
    scheme,
    province,
    insured_region_code,
    enrolled_on,
    bool_or(scheme = '310') OVER finding AS has_310,
    bool_or(scheme = '390') OVER finding AS has_390
FROM (
    SELECT * FROM rules_ev_duplicate_cross_province
    UNION ALL SELECT * FROM rules_ev_duplicate_cross_scheme
    UNION ALL SELECT * FROM rules_ev_duplicate_same_scheme
)
WINDOW finding AS (PARTITION BY finding_type, person, coverage_year);

-- The current hukou: the person's 'normal' public_security registration (several: the latest
-- status_date, NULL oldest, then the largest record_key).
CREATE OR REPLACE TEMP VIEW rules_current_hukou AS
SELECT person, record_key, hukou_region_code
FROM rules_public_security
WHERE status = 'normal'
QUALIFY row_number() OVER (
    PARTITION BY person ORDER BY status_date DESC NULLS LAST, record_key DESC
) = 1;

-- The keep of every duplicate finding. The candidates are MATERIALIZED once: every rule reads them.
CREATE OR REPLACE TEMP VIEW rules_resolution AS
WITH candidate AS MATERIALIZED (
    SELECT * FROM rules_dup_candidate
),

-- 1. student_school_place: the person is a student in the year (an education row 'enrolled' for
--    academic year Y-1, which runs into Y, or Y): keep the candidate in the school's province;
--    prefer same region code, then same city (4 characters), then the later academic year
--    (decision: when two school rows qualify), then the latest enrolled_on, then the smallest
--    record_key. No candidate in a school's province: the rule does not decide.
student_school_place AS (
    SELECT c.finding_type, c.person, c.coverage_year, c.record_key, 1 AS rule_order
    FROM candidate AS c
    JOIN rules_education AS ed
        ON ed.person = c.person
       AND ed.status = 'enrolled'
       AND ed.academic_year IN (c.coverage_year - 1, c.coverage_year)
       AND ed.school_province = c.province
    QUALIFY row_number() OVER (
        PARTITION BY c.finding_type, c.person, c.coverage_year
        ORDER BY
            c.insured_region_code = ed.school_region_code DESC,
            left(c.insured_region_code, 4) = left(ed.school_region_code, 4) DESC,
            ed.academic_year DESC,
            c.enrolled_on DESC NULLS LAST,
            c.record_key
    ) = 1
),

-- 2. employee_continuous: candidates in both schemes and an active 310 enrollment of the person
--    (any province) in the previous year: keep the 310 candidate (several: latest enrolled_on,
--    then smallest record_key). The previous year need not be in coverage_years.
employee_continuous AS (
    SELECT c.finding_type, c.person, c.coverage_year, c.record_key, 2 AS rule_order
    FROM candidate AS c
    WHERE c.has_310
      AND c.has_390
      AND c.scheme = '310'
      AND EXISTS (
          SELECT 1
          FROM rules_enrollment AS prev
          WHERE prev.person = c.person
            AND prev.scheme = '310'
            AND prev.status = 'active'
            AND prev.coverage_year = c.coverage_year - 1
      )
    QUALIFY row_number() OVER (
        PARTITION BY c.finding_type, c.person, c.coverage_year
        ORDER BY c.enrolled_on DESC NULLS LAST, c.record_key
    ) = 1
),

-- 3. resident_hukou_place: all candidates are 390: keep the candidate at the current hukou, by
--    same region code, then same city (4 characters), then same province (2 characters).
--    Decision: ties at the best level go to the latest enrolled_on, then smallest record_key.
--    No candidate in the hukou's province (or no current hukou): the rule does not decide.
resident_hukou_place AS (
    SELECT c.finding_type, c.person, c.coverage_year, c.record_key, 3 AS rule_order
    FROM candidate AS c
    JOIN rules_current_hukou AS h
        ON h.person = c.person AND left(h.hukou_region_code, 2) = c.province
    WHERE NOT c.has_310
    QUALIFY row_number() OVER (
        PARTITION BY c.finding_type, c.person, c.coverage_year
        ORDER BY
            c.insured_region_code = h.hukou_region_code DESC,
            left(c.insured_region_code, 4) = left(h.hukou_region_code, 4) DESC,
            c.enrolled_on DESC NULLS LAST,
            c.record_key
    ) = 1
),

-- 4. employee_most_recent: all candidates are 310: keep the latest enrolled_on, then the
--    smallest record_key.
employee_most_recent AS (
    SELECT c.finding_type, c.person, c.coverage_year, c.record_key, 4 AS rule_order
    FROM candidate AS c
    WHERE NOT c.has_390
    QUALIFY row_number() OVER (
        PARTITION BY c.finding_type, c.person, c.coverage_year
        ORDER BY c.enrolled_on DESC NULLS LAST, c.record_key
    ) = 1
),

-- 5. first_paid_wins (Guangdong practice): otherwise keep the candidate first enrolled or paid:
--    least(enrolled_on, the earliest paid_on of the person's tax rows with the candidate's scheme,
--    coverage year and province); earliest wins, no date at all last, then smallest record_key.
first_paid AS (
    SELECT person, scheme, coverage_year, province, min(paid_on) AS paid_on
    FROM rules_tax
    GROUP BY person, scheme, coverage_year, province
),
first_paid_wins AS (
    SELECT c.finding_type, c.person, c.coverage_year, c.record_key, 5 AS rule_order
    FROM candidate AS c
    LEFT JOIN first_paid AS fp
        ON fp.person = c.person
       AND fp.scheme = c.scheme
       AND fp.coverage_year = c.coverage_year
       AND fp.province = c.province
    QUALIFY row_number() OVER (
        PARTITION BY c.finding_type, c.person, c.coverage_year
        ORDER BY least(c.enrolled_on, fp.paid_on) ASC NULLS LAST, c.record_key
    ) = 1
)

-- The first rule that decided, per duplicate finding.
SELECT
    finding_type,
    person,
    coverage_year,
    record_key AS keep_record_key,
    CASE rule_order
        WHEN 1 THEN 'student_school_place'
        WHEN 2 THEN 'employee_continuous'
        WHEN 3 THEN 'resident_hukou_place'
        WHEN 4 THEN 'employee_most_recent'
        WHEN 5 THEN 'first_paid_wins'
    END AS resolution_rule
FROM (
    SELECT * FROM student_school_place
    UNION ALL SELECT * FROM employee_continuous
    UNION ALL SELECT * FROM resident_hukou_place
    UNION ALL SELECT * FROM employee_most_recent
    UNION ALL SELECT * FROM first_paid_wins
)
QUALIFY row_number() OVER (
    PARTITION BY finding_type, person, coverage_year ORDER BY rule_order
) = 1;
