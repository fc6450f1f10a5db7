-- record_clusters: every current source record with the cluster of its identity profile (a profile
-- no link reached is a cluster of its own). A view: a table would be a pass over every record each
-- night, and nothing on the nightly path reads it.
CREATE OR REPLACE VIEW record_clusters AS
SELECT
    s.source,
    s.record_key,
    s.profile_id,
    coalesce(c.cluster_id, s.profile_id) AS cluster_id
FROM std_identity AS s
LEFT JOIN profile_clusters AS c ON c.profile_id = s.profile_id;
