-- record_links: every current record with its person and how it joined that person.
-- link_probability is NULL when the record's profile is the person's only one, or shares a valid
-- ID number with another of the person's profiles (joined by an exact identifier); otherwise it is
-- the strongest kept link from its profile to another profile of the same person.
-- fresh_record_links: those rows for the persons of registry_in_scope (every person, or those a
-- nightly publish refreshes: oneperson/materialise.py), which the caller keeps in record_links;
-- their records are identity_in_scope (28_identity_in_scope.sql).
CREATE OR REPLACE TEMP VIEW fresh_record_links AS
WITH profile_person AS (
    SELECT r.profile_id, r.person_id, p.id_std, p.id_valid
    FROM registry_in_scope AS r
    JOIN linkage_profiles AS p ON p.unique_id = r.profile_id
),
person_size AS (
    SELECT person_id, count(*) AS n_profiles FROM profile_person GROUP BY person_id
),
exact AS (
    SELECT DISTINCT a.profile_id
    FROM profile_person AS a
    JOIN profile_person AS b
      ON a.person_id = b.person_id AND a.profile_id <> b.profile_id
     AND a.id_valid AND b.id_valid AND a.id_std = b.id_std
),
strongest AS (
    SELECT a.profile_id, max(l.match_probability) AS match_probability
    FROM profile_person AS a
    JOIN profile_link_ends AS l ON l.profile_id = a.profile_id
    JOIN profile_person AS b ON b.profile_id = l.other_id AND b.person_id = a.person_id
    GROUP BY a.profile_id
)
SELECT
    s.source,
    s.record_key,
    pp.person_id,
    CASE WHEN ps.n_profiles = 1 OR pp.profile_id IN (SELECT profile_id FROM exact) THEN NULL
         ELSE st.match_probability END AS link_probability
FROM identity_in_scope AS s
JOIN profile_person AS pp ON pp.profile_id = s.profile_id
JOIN person_size AS ps ON ps.person_id = pp.person_id
LEFT JOIN strongest AS st ON st.profile_id = pp.profile_id;
