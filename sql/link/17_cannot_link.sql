-- Cannot-link: one person never holds two different valid ID numbers. Connected components can
-- still chain two persons through a record without an ID (namesakes of one county born days
-- apart). In such a cluster each valid number anchors its own person, and every other profile
-- goes to the anchor group it is most strongly linked to directly (ties: the smaller number);
-- a profile with no direct link to any anchor stays alone. Splits are kept for review. A cluster
-- that a reviewer joined on purpose (a `match` decision, e.g. a number issued twice) is left whole.
-- Clusters here are the components, with ID-less profiles attached (which carry no number).
CREATE OR REPLACE TEMP TABLE conflicted AS
SELECT component_id AS cluster_id FROM component_summary WHERE valid_ids > 1
EXCEPT
SELECT c.cluster_id
FROM decided_pairs AS d
JOIN profile_clusters AS c ON c.profile_id = d.profile_l
WHERE d.decision = 'match';

CREATE OR REPLACE TEMP TABLE anchor_of AS
SELECT c.profile_id, c.cluster_id, p.id_std AS anchor
FROM profile_clusters AS c
JOIN linkage_profiles AS p ON p.unique_id = c.profile_id
WHERE p.id_valid AND c.cluster_id IN (SELECT cluster_id FROM conflicted);

CREATE OR REPLACE TEMP TABLE assigned AS
WITH others AS (
    SELECT c.profile_id, c.cluster_id
    FROM profile_clusters AS c
    WHERE c.cluster_id IN (SELECT cluster_id FROM conflicted)
      AND c.profile_id NOT IN (SELECT profile_id FROM anchor_of)
),
edges AS (
    SELECT o.profile_id, o.cluster_id, a.anchor, l.match_probability
    FROM others AS o
    JOIN profile_link_ends AS l ON l.profile_id = o.profile_id
    JOIN anchor_of AS a ON a.profile_id = l.other_id
)
SELECT profile_id, cluster_id, arg_min(anchor, (-match_probability, anchor)) AS anchor
FROM edges
GROUP BY profile_id, cluster_id
UNION ALL
SELECT profile_id, cluster_id, anchor FROM anchor_of;

-- cannot_link_splits (cluster_id, profile_id, new_cluster_id) is made by 14_recluster_apply.sql.
DELETE FROM cannot_link_splits;
INSERT INTO cannot_link_splits
SELECT c.cluster_id, c.profile_id, coalesce(md5(c.cluster_id || '|' || a.anchor), c.profile_id)
FROM profile_clusters AS c
LEFT JOIN assigned AS a USING (profile_id)
WHERE c.cluster_id IN (SELECT cluster_id FROM conflicted);

UPDATE profile_clusters AS c
SET cluster_id = s.new_cluster_id
FROM cannot_link_splits AS s
WHERE c.profile_id = s.profile_id;
INSERT INTO clusters_written SELECT profile_id FROM cannot_link_splits;
