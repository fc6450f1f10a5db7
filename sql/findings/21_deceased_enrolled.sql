-- 21_deceased_enrolled (死亡人员仍参保): died before 1 January of the year and an active
-- enrollment for it (CONTRACT §2). "Died before" = a public_security 'deceased' row with
-- status_date < Y-01-01; an undated 'deceased' row counts as dead before every year (the same
-- definition as rules_person in 01_person_year).
-- Evidence: the deceased registration(s) dated before 1 January (or undated) + the active
-- enrollments of the year.
CREATE OR REPLACE TEMP VIEW rules_ev_deceased_enrolled AS
WITH death AS (
    SELECT DISTINCT a.person, a.coverage_year, d.record_key, d.link_probability
    FROM rules_active_enrollment AS a
    JOIN rules_public_security AS d
        ON d.person = a.person
       AND d.status = 'deceased'
       AND coalesce(d.status_date < make_date(a.coverage_year, 1, 1), true)
)
SELECT
    'deceased_enrolled' AS finding_type,
    person,
    coverage_year,
    'public_security' AS source,
    record_key,
    link_probability
FROM death
UNION ALL
SELECT
    'deceased_enrolled',
    a.person,
    a.coverage_year,
    'enrollment',
    a.record_key,
    a.link_probability
FROM rules_active_enrollment AS a
WHERE EXISTS (
    SELECT 1 FROM death AS d WHERE d.person = a.person AND d.coverage_year = a.coverage_year
);
