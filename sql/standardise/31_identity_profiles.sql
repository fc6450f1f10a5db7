-- identity_profiles regrouped (the profiles to regroup and new_profile_groups: 30_profile_groups.sql;
-- the table itself is made from new_profile_groups by oneperson/standardise.py, with its key
-- uncompressed).
CREATE OR REPLACE TEMP TABLE regroup_known AS
SELECT p.* EXCLUDE (n_records, sources) FROM identity_profiles AS p SEMI JOIN regroup USING (profile_id);
DELETE FROM regroup_new WHERE profile_id IN (SELECT profile_id FROM regroup_known);

SET VARIABLE touched_floor = (
    SELECT CASE WHEN bool_or(t.batch IS NULL AND t.profile_id IN (SELECT profile_id FROM regroup_new))
                THEN NULL ELSE coalesce(min(t.batch), '') END
    FROM profiles_touched AS t
);

CREATE OR REPLACE TEMP TABLE regrouped AS
SELECT k.*, c.n_records, c.sources
FROM regroup_known AS k
JOIN (
    SELECT profile_id, count(*) AS n_records, list(DISTINCT source ORDER BY source) AS sources
    FROM std_identity SEMI JOIN regroup_known USING (profile_id)
    GROUP BY profile_id
) AS c USING (profile_id)
UNION ALL
SELECT * FROM new_profile_groups;

DELETE FROM identity_profiles WHERE profile_id IN (SELECT profile_id FROM regroup);
INSERT INTO identity_profiles SELECT * FROM regrouped;
-- The regrouped profiles, for the next link to refresh in linkage_profiles (kept until it has).
CREATE TABLE IF NOT EXISTS profiles_to_link (profile_id VARCHAR);
INSERT INTO profiles_to_link SELECT profile_id FROM regroup;
DELETE FROM profiles_touched;

-- Which records carry each profile (the path from a person back to source rows).
CREATE OR REPLACE VIEW profile_records AS
SELECT profile_id, source, record_key FROM std_identity;
