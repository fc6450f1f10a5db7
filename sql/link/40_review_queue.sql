-- review_queue: what a person should look at: links in the uncertain band [review_floor, threshold)
-- between two different persons (a link that may have been missed) that no decision covers yet.
-- One record per side is shown (the first by source and key), which is what a decision names;
-- it is looked up only for the profiles in the queue (a pass over every record took 16 s at 10M).
CREATE OR REPLACE TABLE review_queue AS
WITH uncertain AS (
    SELECT l.unique_id_l AS profile_l, l.unique_id_r AS profile_r, l.match_probability, l.match_weight,
           'uncertain link' AS reason, ca.cluster_id AS cluster_l, cb.cluster_id AS cluster_r
    FROM profile_links AS l
    JOIN profile_clusters AS ca ON ca.profile_id = l.unique_id_l
    JOIN profile_clusters AS cb ON cb.profile_id = l.unique_id_r
    WHERE l.match_probability >= getvariable('review_floor') AND l.match_probability < getvariable('threshold')
      AND ca.cluster_id <> cb.cluster_id
      AND NOT EXISTS (SELECT 1 FROM decided_pairs AS d
                      WHERE d.profile_l = least(l.unique_id_l, l.unique_id_r)
                        AND d.profile_r = greatest(l.unique_id_l, l.unique_id_r))
),
representative AS (
    SELECT s.profile_id, first(s.source ORDER BY s.source, s.record_key) AS source,
           first(s.record_key ORDER BY s.source, s.record_key) AS record_key
    FROM std_identity AS s
    SEMI JOIN (SELECT profile_l AS profile_id FROM uncertain UNION SELECT profile_r FROM uncertain) AS q
        USING (profile_id)
    GROUP BY s.profile_id
)
SELECT
    u.reason, u.match_probability, u.match_weight,
    ra.source AS source_l, ra.record_key AS record_key_l, rb.source AS source_r, rb.record_key AS record_key_r,
    u.cluster_l, u.cluster_r
FROM uncertain AS u
JOIN representative AS ra ON ra.profile_id = u.profile_l
JOIN representative AS rb ON rb.profile_id = u.profile_r
ORDER BY u.match_probability DESC;
