-- record_clusters: every current source record with the cluster of its identity profile.
-- A profile no link reached is a cluster of its own.
CREATE OR REPLACE TABLE record_clusters AS
SELECT
    s.source,
    s.record_key,
    s.profile_id,
    coalesce(c.cluster_id, s.profile_id) AS cluster_id
FROM std_identity AS s
LEFT JOIN profile_clusters AS c ON c.profile_id = s.profile_id;
