-- 30_paid_not_enrolled (已缴费未参保): a premium paid for a scheme and year with no enrollment
-- row of any status, in any province, for that scheme and year (CONTRACT §2). A suspended or
-- terminated enrollment is still an enrollment row here: the payment has a home.
-- Evidence: those tax rows (both schemes of one person-year make one finding).
CREATE OR REPLACE TEMP VIEW rules_ev_paid_not_enrolled AS
SELECT
    'paid_not_enrolled' AS finding_type,
    t.person,
    t.coverage_year,
    'tax' AS source,
    t.record_key,
    t.link_probability
FROM rules_tax AS t
WHERE t.coverage_year IN (SELECT CAST(coverage_year AS INTEGER) FROM coverage_years)
  AND NOT EXISTS (
      SELECT 1
      FROM rules_enrollment AS e
      WHERE e.person = t.person AND e.scheme = t.scheme AND e.coverage_year = t.coverage_year
  );
