-- 40_assistance_not_subsidized (资助参保未落实): an assistance case of type dibao, tekun, orphan
-- or disabled overlapping the year, an active 390 enrollment, and no subsidized 390 payment for
-- the year (CONTRACT §2).
-- Decision: the case's dates decide, not its status: [effective_from, effective_to or open]
-- overlaps [Y-01-01, Y-12-31]. An exited case that covered part of the year still counts; an
-- active case whose dates do not reach the year does not.
-- Evidence: the overlapping cases + the active 390 enrollments of the person-year.
CREATE OR REPLACE TEMP VIEW rules_ev_assistance_not_subsidized AS
WITH case_year AS (
    SELECT c.*, y.coverage_year
    FROM rules_civil_affairs AS c
    JOIN (SELECT DISTINCT CAST(coverage_year AS INTEGER) AS coverage_year FROM coverage_years) AS y
        ON c.effective_from <= make_date(y.coverage_year, 12, 31)
       AND (c.effective_to IS NULL OR c.effective_to >= make_date(y.coverage_year, 1, 1))
    WHERE c.assistance_type IN ('dibao', 'tekun', 'orphan', 'disabled')
),
enrolled AS (
    SELECT *
    FROM rules_active_enrollment
    WHERE scheme = '390'
),
hit AS (
    SELECT DISTINCT cy.person, cy.coverage_year
    FROM case_year AS cy
    JOIN enrolled AS e ON e.person = cy.person AND e.coverage_year = cy.coverage_year
    WHERE NOT EXISTS (
        SELECT 1
        FROM rules_tax AS t
        WHERE t.person = cy.person
          AND t.scheme = '390'
          AND t.coverage_year = cy.coverage_year
          AND t.payer_type = 'subsidized'
    )
)
SELECT
    'assistance_not_subsidized' AS finding_type,
    h.person,
    h.coverage_year,
    'civil_affairs' AS source,
    cy.record_key,
    cy.link_probability
FROM hit AS h
JOIN case_year AS cy ON cy.person = h.person AND cy.coverage_year = h.coverage_year
UNION ALL
SELECT
    'assistance_not_subsidized',
    h.person,
    h.coverage_year,
    'enrollment',
    e.record_key,
    e.link_probability
FROM hit AS h
JOIN enrolled AS e ON e.person = h.person AND e.coverage_year = h.coverage_year;
