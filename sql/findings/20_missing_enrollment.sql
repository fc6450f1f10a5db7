-- 20_missing_enrollment (应保未保): alive on 1 January of the year and no active enrollment
-- anywhere for it (CONTRACT §2), for every year in coverage_years.
-- Evaluated for registered residents only: persons with a public_security (hukou) record. Who
-- "should be covered" is judged against the household register, as is "alive on 1 January";
-- a person known only from, say, a payment typed without an ID number cannot be told apart
-- from a fragment of someone else and is not a case a bureau can act on.
-- Evidence: the person's public_security records (all of them, whatever their status).
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
JOIN rules_public_security AS ps ON ps.person = m.person;
