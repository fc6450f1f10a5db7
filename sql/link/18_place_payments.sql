-- Place a tax payment typed without a valid ID number with the person whose enrollment it pays.
-- Such a payment carries a name, a county, a scheme and a coverage year, and nothing else that
-- identifies anyone (a number that fails its checks is a typo, not an identity): against a common name (王静, 张杰) the model rightly stays below every
-- threshold, and the payment would stand alone as "paid but not enrolled" while its payer shows
-- as "enrolled but not paid". The context settles it where identity cannot: the payment belongs
-- with the person who has an enrollment of the same scheme and year, insured in the same county,
-- under the same name (simplified characters or pinyin, for homophone typos), and no payment of
-- that scheme and year in that county.
--
-- Placed only when it is unambiguous:
--   * the payment's profile has no valid ID number, is alone in its cluster, and every record it
--     carries is a tax payment;
--   * each of its payments has exactly one such person, and it is the same person for all of them;
--   * no other lone payment claims that person's enrollment for the same scheme and year.
-- Otherwise the payment stays alone (two namesakes in one county, both unpaid: a case for review).
CREATE OR REPLACE TEMP TABLE lone_payment_profiles AS
SELECT p.unique_id AS profile_id, p.name_simplified, p.name_pinyin
FROM linkage_profiles AS p
JOIN profile_clusters AS c ON c.profile_id = p.unique_id
WHERE NOT coalesce(p.id_valid, false)
  AND c.cluster_id IN (SELECT cluster_id FROM profile_clusters GROUP BY cluster_id HAVING count(*) = 1)
  AND NOT EXISTS (
      SELECT 1 FROM profile_records AS r WHERE r.profile_id = p.unique_id AND r.source <> 'tax'
  );

CREATE OR REPLACE TEMP TABLE lone_payments AS
SELECT l.profile_id, l.name_simplified, l.name_pinyin, t.record_key, t.scheme, t.coverage_year, t.region_code
FROM lone_payment_profiles AS l
JOIN profile_records AS r ON r.profile_id = l.profile_id AND r.source = 'tax'
JOIN current_tax AS t ON t.record_key = r.record_key;

-- Person-scheme-year-counties that some payment already covers.
CREATE OR REPLACE TEMP TABLE paid_person_years AS
SELECT DISTINCT c.cluster_id, t.scheme, t.coverage_year, t.region_code
FROM current_tax AS t
JOIN profile_records AS r ON r.source = 'tax' AND r.record_key = t.record_key
JOIN profile_clusters AS c ON c.profile_id = r.profile_id;

CREATE OR REPLACE TEMP TABLE payment_candidates AS
SELECT
    lp.profile_id,
    lp.record_key,
    lp.scheme,
    lp.coverage_year,
    c.cluster_id,
    min(r.profile_id) AS enrollment_profile_id
FROM lone_payments AS lp
JOIN current_enrollment AS e
  ON e.scheme = lp.scheme AND e.coverage_year = lp.coverage_year AND e.insured_region_code = lp.region_code
JOIN profile_records AS r ON r.source = 'enrollment' AND r.record_key = e.record_key
JOIN linkage_profiles AS ep ON ep.unique_id = r.profile_id
JOIN profile_clusters AS c ON c.profile_id = r.profile_id
WHERE (ep.name_simplified = lp.name_simplified OR ep.name_pinyin = lp.name_pinyin)
  AND c.cluster_id <> (SELECT cluster_id FROM profile_clusters WHERE profile_id = lp.profile_id)
  AND NOT EXISTS (
      SELECT 1 FROM paid_person_years AS y
      WHERE y.cluster_id = c.cluster_id AND y.scheme = lp.scheme AND y.coverage_year = lp.coverage_year
        AND y.region_code = lp.region_code
  )
GROUP BY ALL;

CREATE OR REPLACE TABLE payment_placements AS
WITH per_payment AS (
    SELECT profile_id, record_key, count(DISTINCT cluster_id) AS persons
    FROM payment_candidates
    GROUP BY profile_id, record_key
),
claims AS (  -- lone payments claiming one person-scheme-year
    SELECT cluster_id, scheme, coverage_year, count(DISTINCT record_key) AS payments
    FROM payment_candidates
    GROUP BY ALL
),
per_profile AS (
    SELECT
        l.profile_id,
        count(DISTINCT l.record_key) AS payments,
        count(DISTINCT l.record_key) FILTER (pp.persons = 1) AS placed,
        count(DISTINCT c.cluster_id) AS persons,
        any_value(c.cluster_id) AS cluster_id,
        min(c.enrollment_profile_id) AS enrollment_profile_id,
        bool_and(coalesce(k.payments, 0) <= 1) AS unclaimed
    FROM lone_payments AS l
    LEFT JOIN per_payment AS pp ON pp.profile_id = l.profile_id AND pp.record_key = l.record_key
    LEFT JOIN payment_candidates AS c ON c.profile_id = l.profile_id AND c.record_key = l.record_key
    LEFT JOIN claims AS k
      ON k.cluster_id = c.cluster_id AND k.scheme = c.scheme AND k.coverage_year = c.coverage_year
    GROUP BY l.profile_id
)
SELECT profile_id, cluster_id, enrollment_profile_id, 'pays_enrollment' AS rule
FROM per_profile
WHERE placed = payments AND persons = 1 AND unclaimed;

UPDATE profile_clusters AS c
SET cluster_id = p.cluster_id
FROM payment_placements AS p
WHERE c.profile_id = p.profile_id;
