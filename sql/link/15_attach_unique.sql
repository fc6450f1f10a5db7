-- Attach an ID-less profile that clustering left alone to the one person it plausibly belongs to.
-- Records without an ID number (a tax payment typed without it, a pupil without a number on file)
-- carry only a name and a place; against a rare name that is still short of the clustering
-- threshold. If exactly one person has a link to the profile at or above ATTACH_FLOOR, the record
-- joins that person; if two or more do (namesakes in one county), it stays alone for review.
CREATE OR REPLACE TABLE profile_attachments AS
WITH alone AS (  -- the profile of a component of one (which is named by it), without an ID number
    SELECT component_id AS profile_id FROM component_summary WHERE profiles = 1 AND with_id = 0
),
edges AS (
    SELECT a.profile_id, l.match_probability, c.cluster_id
    FROM alone AS a
    JOIN profile_link_ends AS l ON l.profile_id = a.profile_id
    JOIN profile_clusters AS c ON c.profile_id = l.other_id
    WHERE l.match_probability >= getvariable('attach_floor')
),
per_profile AS (
    SELECT profile_id, count(DISTINCT cluster_id) AS candidates, max(match_probability) AS match_probability,
           arg_max(cluster_id, match_probability) AS cluster_id
    FROM edges
    GROUP BY profile_id
)
SELECT profile_id, cluster_id, match_probability, 'single_candidate' AS rule
FROM per_profile
WHERE candidates = 1;

UPDATE profile_clusters AS c
SET cluster_id = a.cluster_id
FROM profile_attachments AS a
WHERE c.profile_id = a.profile_id;
INSERT INTO clusters_written SELECT profile_id FROM profile_attachments;
