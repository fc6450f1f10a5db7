-- 31_enrolled_not_paid (参保未缴费): an active 390 enrollment for the year and no 390 payment
-- for that year, of any payer type and in any province (CONTRACT §2). Only 390: employee (310)
-- premiums are withheld by the employer and not checked here.
-- Evidence: the active 390 enrollments of the person-year.
CREATE OR REPLACE TEMP VIEW rules_ev_enrolled_not_paid AS
SELECT
    'enrolled_not_paid' AS finding_type,
    a.person,
    a.coverage_year,
    'enrollment' AS source,
    a.record_key,
    a.link_probability
FROM rules_active_enrollment AS a
WHERE a.scheme = '390'
  AND NOT EXISTS (
      SELECT 1
      FROM rules_tax AS t
      WHERE t.person = a.person AND t.scheme = '390' AND t.coverage_year = a.coverage_year
  );
