-- 20_missing_enrollment (应保未保): alive on 1 January of the year and no active enrollment
-- anywhere for it (CONTRACT §2). Every person with at least one record in any source is
-- evaluated, for every year in coverage_years.
-- Evidence: the person's public_security records (all of them, whatever their status); a person
-- with none: all their records, of every source.
CREATE OR REPLACE TEMP VIEW rules_ev_missing_enrollment AS
WITH missing AS (
    SELECT py.person, py.coverage_year
    FROM rules_person_year AS py
    WHERE py.alive_on_jan1
      AND NOT EXISTS (
          SELECT 1
          FROM rules_active_enrollment AS a
          WHERE a.person = py.person AND a.coverage_year = py.coverage_year
      )
)
SELECT
    'missing_enrollment' AS finding_type,
    m.person,
    m.coverage_year,
    'public_security' AS source,
    ps.record_key,
    ps.link_probability
FROM missing AS m
JOIN rules_public_security AS ps ON ps.person = m.person
UNION ALL
SELECT
    'missing_enrollment',
    m.person,
    m.coverage_year,
    r.source,
    r.record_key,
    r.link_probability
FROM missing AS m
JOIN rules_record AS r ON r.person = m.person
WHERE NOT EXISTS (SELECT 1 FROM rules_public_security AS ps WHERE ps.person = m.person);
