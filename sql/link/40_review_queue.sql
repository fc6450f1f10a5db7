-- review_queue: what a person should look at: links in the uncertain band [review_floor, threshold)
-- between two different persons (a link that may have been missed) that no decision covers yet.
-- One record per side is shown (the first by source and key), which is what a decision names.
CREATE OR REPLACE TABLE review_queue AS
WITH representative AS (
    SELECT profile_id, first(source ORDER BY source, record_key) AS source,
           first(record_key ORDER BY source, record_key) AS record_key
    FROM std_identity
    GROUP BY profile_id
),
uncertain AS (
    SELECT l.unique_id_l AS profile_l, l.unique_id_r AS profile_r, l.match_probability, l.match_weight,
           'uncertain link' AS reason
    FROM profile_links AS l
    WHERE l.match_probability >= getvariable('review_floor') AND l.match_probability < getvariable('threshold')
      AND NOT EXISTS (SELECT 1 FROM decided_pairs AS d
                      WHERE d.profile_l = least(l.unique_id_l, l.unique_id_r)
                        AND d.profile_r = greatest(l.unique_id_l, l.unique_id_r))
)
SELECT
    u.reason, u.match_probability, u.match_weight,
    ra.source AS source_l, ra.record_key AS record_key_l, rb.source AS source_r, rb.record_key AS record_key_r,
    ca.cluster_id AS cluster_l, cb.cluster_id AS cluster_r
FROM uncertain AS u
JOIN representative AS ra ON ra.profile_id = u.profile_l
JOIN representative AS rb ON rb.profile_id = u.profile_r
JOIN profile_clusters AS ca ON ca.profile_id = u.profile_l
JOIN profile_clusters AS cb ON cb.profile_id = u.profile_r
WHERE ca.cluster_id <> cb.cluster_id
ORDER BY u.match_probability DESC;
