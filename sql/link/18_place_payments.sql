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
-- Every step starts from the few lone payments (hundreds at 10M records) and joins outwards by
-- equality: the name match as two equi-joins (an OR in a join is a nested loop), and payments
-- already made only of the candidate persons (joined over every tax record: 4 s of a 10M-record
-- increment). The lone profiles themselves are found among the few that clustering can leave
-- alone: a component of one without a valid ID number (4k of 4.2M profiles at 10M records; such a
-- component is named by its profile), or a profile of a cluster split by cannot-link. Any other
-- profile shares its component, and so its cluster, with another (attachments move only
-- components of one; a split moves a whole cluster). Their names, ID validity (id_number_valid,
-- 10_linkage_profiles.sql) and sources are read in one pass over identity_profiles.
CREATE OR REPLACE TEMP TABLE lone_payment_profiles AS
WITH could_be_alone AS (
    SELECT component_id AS profile_id FROM component_summary WHERE profiles = 1 AND valid_ids = 0
    UNION
    SELECT profile_id FROM cannot_link_splits
),
idless AS (
    SELECT p.profile_id, p.name_simplified, p.name_pinyin, c.cluster_id
    FROM identity_profiles AS p
    SEMI JOIN could_be_alone AS a USING (profile_id)
    JOIN profile_clusters AS c USING (profile_id)
    WHERE NOT id_number_valid(p.id_std, p.id_issue) AND p.sources = ['tax']
)
SELECT i.profile_id, i.name_simplified, i.name_pinyin, i.cluster_id
FROM idless AS i
WHERE i.cluster_id IN (
      SELECT c.cluster_id FROM profile_clusters AS c
      WHERE c.cluster_id IN (SELECT cluster_id FROM idless)
      GROUP BY c.cluster_id HAVING count(*) = 1
  );

CREATE OR REPLACE TEMP TABLE lone_payments AS
SELECT l.profile_id, l.cluster_id, l.name_simplified, l.name_pinyin, t.record_key, t.scheme, t.coverage_year,
       t.region_code
FROM lone_payment_profiles AS l
JOIN profile_records AS r ON r.profile_id = l.profile_id AND r.source = 'tax'
JOIN current_tax AS t ON t.record_key = r.record_key;

-- Enrollments held by a profile under a lone payment's name, of a lone payment's scheme, year and
-- county. Each condition alone is loose (common names; counties with many payments), so both are
-- set filters before any row is paired with a payment. The names are read from the enrollments'
-- own standardised rows: a profile's names are those of each of its rows (the profile id hashes
-- name_clean, and both keys derive from it), so one pass over std_identity finds them, where
-- finding the profiles by name first read every profile as well (0.3 s at 10M records).
CREATE OR REPLACE TEMP TABLE namesake_enrollments AS
WITH namesakes AS (
    SELECT s.profile_id, s.record_key, s.name_simplified, s.name_pinyin
    FROM std_identity AS s
    WHERE s.source = 'enrollment'
      AND (s.name_simplified IN (SELECT name_simplified FROM lone_payments)
           OR s.name_pinyin IN (SELECT name_pinyin FROM lone_payments))
)
SELECT e.scheme, e.coverage_year, e.insured_region_code AS region_code, n.profile_id, n.name_simplified,
       n.name_pinyin, c.cluster_id
FROM namesakes AS n
JOIN current_enrollment AS e ON e.record_key = n.record_key
SEMI JOIN lone_payments AS lp
  ON lp.scheme = e.scheme AND lp.coverage_year = e.coverage_year AND lp.region_code = e.insured_region_code
JOIN profile_clusters AS c ON c.profile_id = n.profile_id;

CREATE OR REPLACE TEMP TABLE payment_candidates AS
WITH enrolled AS (  -- another person enrolled there under the payment's name (simplified, or pinyin)
    SELECT lp.profile_id, lp.record_key, lp.scheme, lp.coverage_year, lp.region_code, lp.cluster_id AS own,
           e.profile_id AS enrollment_profile, e.cluster_id
    FROM lone_payments AS lp
    JOIN namesake_enrollments AS e
      ON e.scheme = lp.scheme AND e.coverage_year = lp.coverage_year AND e.region_code = lp.region_code
     AND e.name_simplified = lp.name_simplified
    UNION
    SELECT lp.profile_id, lp.record_key, lp.scheme, lp.coverage_year, lp.region_code, lp.cluster_id,
           e.profile_id, e.cluster_id
    FROM lone_payments AS lp
    JOIN namesake_enrollments AS e
      ON e.scheme = lp.scheme AND e.coverage_year = lp.coverage_year AND e.region_code = lp.region_code
     AND e.name_pinyin = lp.name_pinyin
),
paid AS (  -- person-scheme-year-counties that some payment already covers, of the candidates
    SELECT DISTINCT c.cluster_id, t.scheme, t.coverage_year, t.region_code
    FROM profile_clusters AS c
    JOIN profile_records AS r ON r.profile_id = c.profile_id AND r.source = 'tax'
    JOIN current_tax AS t ON t.record_key = r.record_key
    WHERE c.cluster_id IN (SELECT cluster_id FROM enrolled)
)
SELECT e.profile_id, e.record_key, e.scheme, e.coverage_year, e.cluster_id,
       min(e.enrollment_profile) AS enrollment_profile_id
FROM enrolled AS e
WHERE e.cluster_id <> e.own
  AND NOT EXISTS (
      SELECT 1 FROM paid AS y
      WHERE y.cluster_id = e.cluster_id AND y.scheme = e.scheme AND y.coverage_year = e.coverage_year
        AND y.region_code = e.region_code
  )
GROUP BY e.profile_id, e.record_key, e.scheme, e.coverage_year, e.cluster_id;

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
INSERT INTO clusters_written SELECT profile_id FROM payment_placements;
