-- Apply reviewers' decisions before clustering: a `match` forces a link (probability 1), a
-- `non_match` removes the scored link between the two profiles. Decisions name records (what a
-- reviewer sees); they are kept as labels in review_labels (05_review_labels.sql).
CREATE OR REPLACE TEMP TABLE decided_pairs AS
SELECT
    least(a.profile_id, b.profile_id) AS profile_l,
    greatest(a.profile_id, b.profile_id) AS profile_r,
    arg_max(l.decision, l.decided_at) AS decision      -- the latest decision on a pair wins
FROM review_labels AS l
JOIN std_identity AS a ON a.source = l.source_l AND a.record_key = l.record_key_l
JOIN std_identity AS b ON b.source = l.source_r AND b.record_key = l.record_key_r
WHERE a.profile_id <> b.profile_id
GROUP BY ALL;

DELETE FROM profile_links AS p
USING decided_pairs AS d
WHERE least(p.unique_id_l, p.unique_id_r) = d.profile_l AND greatest(p.unique_id_l, p.unique_id_r) = d.profile_r;

INSERT INTO profile_links BY NAME
SELECT profile_l AS unique_id_l, profile_r AS unique_id_r, 1.0 AS match_probability, NULL AS match_weight
FROM decided_pairs
WHERE decision = 'match';
