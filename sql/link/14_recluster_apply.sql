-- After the touched components are re-clustered into profile_components (14_recluster_scope.sql,
-- matching/linkage.py): bring what is kept per component and per profile up to date for those
-- components only, instead of recomputing it over every profile.
--
-- component_summary: each component's size, profiles with an ID number, and distinct valid numbers
-- (a profile's number is part of its content hash, so a summary changes only with its members).
DELETE FROM component_summary WHERE component_id IN (SELECT component_id FROM affected_components);
INSERT INTO component_summary
SELECT c.component_id, count(*) AS profiles, count(p.id_std) AS with_id,
       count(DISTINCT p.id_std) FILTER (p.id_valid) AS valid_ids
FROM profile_components AS c
JOIN linkage_profiles AS p ON p.unique_id = c.profile_id
WHERE c.profile_id IN (SELECT unique_id FROM recluster_nodes)
GROUP BY c.component_id;

-- profile_clusters starts each night as the components (15_attach_unique.sql, 17_cannot_link.sql and
-- 18_place_payments.sql then move profiles). A profile differs from the table kept from last night
-- only if its component was re-clustered or it went, or last night's attachments, cannot-link splits
-- or placements moved it: those rows are reset, the rest are already their component.
CREATE TABLE IF NOT EXISTS profile_attachments (profile_id VARCHAR);  -- none yet on the first night
CREATE TABLE IF NOT EXISTS cannot_link_splits (cluster_id VARCHAR, profile_id VARCHAR, new_cluster_id VARCHAR);  -- 17_cannot_link.sql
CREATE TABLE IF NOT EXISTS payment_placements (profile_id VARCHAR);

CREATE OR REPLACE TEMP TABLE clusters_reset AS
SELECT profile_id FROM touched
UNION SELECT unique_id FROM recluster_nodes
UNION SELECT profile_id FROM profile_attachments
UNION SELECT profile_id FROM cannot_link_splits
UNION SELECT profile_id FROM payment_placements;

DELETE FROM profile_clusters WHERE profile_id IN (SELECT profile_id FROM clusters_reset);
INSERT INTO profile_clusters
SELECT c.profile_id, c.component_id FROM profile_components AS c SEMI JOIN clusters_reset AS r USING (profile_id);

-- The profiles whose row of profile_clusters was written since person ids were last given: reset
-- here, and attached, split or placed (15_attach_unique.sql, 17_cannot_link.sql,
-- 18_place_payments.sql). The only ones whose person can have changed (sql/link/30_person_ids.sql);
-- emptied when ids are given.
CREATE TABLE IF NOT EXISTS clusters_written (profile_id VARCHAR);
INSERT INTO clusters_written SELECT profile_id FROM clusters_reset;
