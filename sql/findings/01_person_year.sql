-- 01_person_year: the person × coverage-year base every finding is evaluated on.
-- Why: "alive on 1 January", "died before 1 January" and "active enrollment" are shared by
-- several findings (CONTRACT §2); computing them once keeps the finding files short and the
-- definitions consistent.

-- One row per person seen in any of the five sources, with a birth date and a death date.
--  * birth date: the public_security birth_date if the person has one (several registrations:
--    the earliest), else the earliest non-null birth_date among their other records, else NULL
--    (an unknown birth date counts as born).
--  * death date: the earliest public_security 'deceased' status_date; a 'deceased' row with a
--    NULL status_date is dated -infinity, i.e. dead before every 1 January.
CREATE OR REPLACE TEMP VIEW rules_person AS
WITH birth AS (
    SELECT
        person,
        coalesce(
            min(birth_date) FILTER (WHERE source = 'public_security'),
            min(birth_date)
        ) AS birth_date
    FROM rules_record
    GROUP BY person
),
death AS (
    SELECT person, min(coalesce(status_date, DATE '-infinity')) AS died_on
    FROM rules_public_security
    WHERE status = 'deceased'
    GROUP BY person
)
SELECT birth.person, birth.birth_date, death.died_on
FROM birth
LEFT JOIN death ON death.person = birth.person;

-- Person × evaluated year. A person born during Y is neither dead nor alive on 1 January of Y.
-- Decision: one definition of death serves both missing_enrollment and deceased_enrolled, so an
-- undated 'deceased' registration also makes every year's active enrollment deceased_enrolled.
CREATE OR REPLACE TEMP VIEW rules_person_year AS
SELECT
    person,
    coverage_year,
    jan1,
    died_before_jan1,
    born_before_jan1,
    born_before_jan1 AND NOT died_before_jan1 AS alive_on_jan1
FROM (
    SELECT
        p.person,
        y.coverage_year,
        make_date(y.coverage_year, 1, 1) AS jan1,
        coalesce(p.died_on < make_date(y.coverage_year, 1, 1), false) AS died_before_jan1,
        coalesce(p.birth_date < make_date(y.coverage_year, 1, 1), true) AS born_before_jan1
    FROM rules_person AS p
    CROSS JOIN (
        SELECT DISTINCT CAST(coverage_year AS INTEGER) AS coverage_year FROM coverage_years
    ) AS y
);

-- Active enrollments ("an enrollment row with status active for that coverage year"), only in
-- the evaluated years.
CREATE OR REPLACE TEMP VIEW rules_active_enrollment AS
SELECT *
FROM rules_enrollment
WHERE status = 'active'
  AND coverage_year IN (SELECT CAST(coverage_year AS INTEGER) FROM coverage_years);
