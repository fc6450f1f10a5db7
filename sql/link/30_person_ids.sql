-- Carry person ids from the previous run onto this run's clusters (person_registry -> cluster).
-- Each previous id goes to the cluster that holds most of that person's records (a split: the
-- larger part keeps the id; ties: the smaller anchor). A cluster that wins several ids keeps the
-- one whose person had the most records (ties: the smaller id); the others are merges into it.
-- Clusters that win no id get a new one (made by the caller from `anchor`).
--
-- Only the clusters in question are worked on. person_registry keeps the cluster each profile's
-- id was given with, and after every run a person and a cluster are one to one. A profile whose
-- cluster differs from the registry's (or that is new, or gone) has moved. The persons in question
-- are the previous persons of the moved profiles and of every profile in a cluster a moved profile
-- is now in; the clusters in question are those and the current clusters of those persons'
-- profiles. That set is closed: a cluster outside it holds no moved profile, so its profiles are
-- exactly one previous person's, who claims it alone and keeps the id, as the full rule gives.
--
-- After every run the registry's cluster of each profile is its cluster in profile_clusters, so a
-- profile can only have moved if its row there was written since (clusters_written:
-- sql/link/14_recluster_apply.sql), or if its registry row is from before clusters were kept. Only
-- those are compared, where a full join of the two tables compared every profile (1.2 s at 10M
-- records).
CREATE OR REPLACE TEMP TABLE moved_profiles AS
WITH candidates AS (
    SELECT profile_id FROM clusters_written
    UNION SELECT profile_id FROM person_registry WHERE cluster_id IS NULL
)
SELECT k.profile_id, c.cluster_id, r.person_id
FROM candidates AS k
LEFT JOIN profile_clusters AS c USING (profile_id)
LEFT JOIN person_registry AS r USING (profile_id)
WHERE (c.profile_id IS NOT NULL OR r.profile_id IS NOT NULL)
  AND (r.cluster_id IS NULL OR c.cluster_id IS DISTINCT FROM r.cluster_id);  -- new, moved, gone, or from before clusters were kept

CREATE OR REPLACE TEMP TABLE persons_in_question AS
SELECT m.person_id FROM moved_profiles AS m WHERE m.person_id IS NOT NULL
UNION
SELECT r.person_id
FROM profile_clusters AS c
JOIN person_registry AS r USING (profile_id)
WHERE c.cluster_id IN (SELECT m.cluster_id FROM moved_profiles AS m);

CREATE OR REPLACE TEMP TABLE clusters_in_question AS
SELECT c.profile_id, c.cluster_id
FROM profile_clusters AS c
WHERE c.cluster_id IN (
    SELECT m.cluster_id FROM moved_profiles AS m
    UNION
    SELECT pc.cluster_id
    FROM person_registry AS r
    JOIN profile_clusters AS pc USING (profile_id)
    WHERE r.person_id IN (SELECT q.person_id FROM persons_in_question AS q)
);

CREATE OR REPLACE TEMP TABLE registry_before AS
SELECT profile_id, person_id FROM person_registry WHERE person_id IN (SELECT person_id FROM persons_in_question);

CREATE OR REPLACE TEMP TABLE cluster_sizes AS
SELECT c.cluster_id, min(c.profile_id) AS anchor, sum(p.n_records) AS n_records
FROM clusters_in_question AS c
JOIN identity_profiles AS p USING (profile_id)
GROUP BY c.cluster_id;

CREATE OR REPLACE TEMP TABLE previous_parts AS
SELECT r.person_id, c.cluster_id, sum(p.n_records) AS n_records, any_value(s.anchor) AS anchor
FROM registry_before AS r
JOIN clusters_in_question AS c USING (profile_id)
JOIN identity_profiles AS p USING (profile_id)
JOIN cluster_sizes AS s USING (cluster_id)
GROUP BY r.person_id, c.cluster_id;

CREATE OR REPLACE TEMP TABLE id_claims AS
SELECT
    person_id,
    arg_min(cluster_id, (-n_records, anchor)) AS cluster_id,  -- the largest part, then the smaller anchor
    sum(n_records) AS person_records,
    count(*) AS parts
FROM previous_parts
GROUP BY person_id;

CREATE OR REPLACE TEMP TABLE cluster_ids AS
SELECT
    s.cluster_id,
    s.anchor,
    (SELECT arg_min(k.person_id, (-k.person_records, k.person_id))
       FROM id_claims AS k WHERE k.cluster_id = s.cluster_id) AS kept_id
FROM cluster_sizes AS s;

-- Ids won by a cluster besides the one it keeps: merged into the kept one.
CREATE OR REPLACE TEMP TABLE run_merges AS
SELECT k.person_id AS merged_id, c.kept_id AS into_id
FROM id_claims AS k
JOIN cluster_ids AS c USING (cluster_id)
WHERE k.person_id <> c.kept_id;

-- Parts of a previous person that went elsewhere than its id: split off (they get new ids).
CREATE OR REPLACE TEMP TABLE run_splits AS
SELECT p.person_id, p.cluster_id
FROM previous_parts AS p
JOIN id_claims AS k USING (person_id)
WHERE p.cluster_id <> k.cluster_id;
