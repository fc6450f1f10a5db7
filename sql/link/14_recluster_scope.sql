-- Which profiles tonight's clustering must revisit. Clusters are the connected components of the
-- links at or above the threshold; a component changes only where an edge appeared or went, or a
-- profile came or went. Every component holding such a profile is re-clustered whole (with the new
-- profiles); the others are kept as they are. This is exact: an edge from a revisited profile
-- leads either inside its old component (revisited whole) or is new (both ends revisited), so the
-- revisited set is closed, and a component's id (its smallest profile id) does not depend on the
-- rest of the graph. Needs getvariable('threshold'), getvariable('components_anew') and
-- getvariable('edges_since'), relink, vanished_profiles, and profile_components / cluster_edges
-- from the previous clustering (see matching/linkage.py).

-- The edges that appeared (in_now) or went (not in_now), applied to cluster_edges at once, which
-- then holds the edges now. An edge can change only between two profiles whose link was written
-- or deleted since the last clustering: links_written lists the pairs scored, decided or placed
-- since (matching.linkage.written), and the other deleted links are those of vanished
-- profiles. Only those pairs are looked up (getvariable('edges_since'), set by matching/linkage.py
-- when cluster_edges was made at this threshold with links_written kept since): comparing every
-- edge with every link took 1.75 s of a 10M-record night. Otherwise (the first clustering, a new
-- threshold, a warehouse of an earlier release) every link is compared, in one full join.
CREATE OR REPLACE TEMP TABLE edge_candidates AS
SELECT DISTINCT least(unique_id_l, unique_id_r) AS unique_id_l, greatest(unique_id_l, unique_id_r) AS unique_id_r
FROM links_written
WHERE getvariable('edges_since') AND unique_id_l <> unique_id_r
UNION
SELECT unique_id_l, unique_id_r FROM cluster_edges
WHERE getvariable('edges_since')
  AND (unique_id_l IN (SELECT profile_id FROM vanished_profiles)
       OR unique_id_r IN (SELECT profile_id FROM vanished_profiles));

CREATE OR REPLACE TEMP TABLE changed_edges AS
WITH now_all AS (
    SELECT DISTINCT least(unique_id_l, unique_id_r) AS unique_id_l, greatest(unique_id_l, unique_id_r) AS unique_id_r
    FROM profile_links
    WHERE NOT getvariable('edges_since')
      AND match_probability >= getvariable('threshold') AND unique_id_l <> unique_id_r
),
now_since AS (
    SELECT DISTINCT c.unique_id_l, c.unique_id_r
    FROM profile_links AS l
    JOIN edge_candidates AS c
      ON c.unique_id_l = least(l.unique_id_l, l.unique_id_r) AND c.unique_id_r = greatest(l.unique_id_l, l.unique_id_r)
    WHERE getvariable('edges_since') AND l.match_probability >= getvariable('threshold')
),
before_since AS (
    SELECT b.unique_id_l, b.unique_id_r FROM cluster_edges AS b
    SEMI JOIN edge_candidates AS c ON c.unique_id_l = b.unique_id_l AND c.unique_id_r = b.unique_id_r
)
SELECT coalesce(n.unique_id_l, b.unique_id_l) AS unique_id_l, coalesce(n.unique_id_r, b.unique_id_r) AS unique_id_r,
       n.unique_id_l IS NOT NULL AS in_now
FROM now_all AS n
FULL JOIN cluster_edges AS b ON b.unique_id_l = n.unique_id_l AND b.unique_id_r = n.unique_id_r
WHERE NOT getvariable('edges_since') AND (n.unique_id_l IS NULL OR b.unique_id_l IS NULL)
UNION ALL
SELECT coalesce(n.unique_id_l, b.unique_id_l), coalesce(n.unique_id_r, b.unique_id_r), n.unique_id_l IS NOT NULL
FROM now_since AS n
FULL JOIN before_since AS b ON b.unique_id_l = n.unique_id_l AND b.unique_id_r = n.unique_id_r
WHERE n.unique_id_l IS NULL OR b.unique_id_l IS NULL;

DELETE FROM cluster_edges AS e USING changed_edges AS c
WHERE NOT c.in_now AND e.unique_id_l = c.unique_id_l AND e.unique_id_r = c.unique_id_r;
INSERT INTO cluster_edges SELECT unique_id_l, unique_id_r FROM changed_edges WHERE in_now;
DELETE FROM links_written;

-- A profile came or went only if it was regrouped since the last link (relink: matching/training.py):
-- those of relink that are a current profile or in a component, not both (two anti-joins of every
-- profile against every component cost 1.2 s at 10M records). When the components are made anew
-- (getvariable('components_anew'), set by matching/linkage.py), every current profile came.
CREATE OR REPLACE TEMP TABLE touched AS
WITH changed AS (SELECT unique_id_l, unique_id_r FROM changed_edges)
SELECT unique_id_l AS profile_id FROM changed
UNION SELECT unique_id_r FROM changed
UNION SELECT k.profile_id
FROM relink AS k
LEFT JOIN linkage_profiles AS p ON p.unique_id = k.profile_id
LEFT JOIN profile_components AS c ON c.profile_id = k.profile_id
WHERE (p.unique_id IS NULL) <> (c.profile_id IS NULL)
UNION SELECT unique_id FROM linkage_profiles WHERE getvariable('components_anew');

CREATE OR REPLACE TEMP TABLE affected_components AS
SELECT DISTINCT c.component_id FROM profile_components AS c SEMI JOIN touched AS t ON t.profile_id = c.profile_id;

CREATE OR REPLACE TEMP TABLE recluster_nodes AS
SELECT p.unique_id FROM linkage_profiles AS p SEMI JOIN touched AS t ON t.profile_id = p.unique_id
UNION
SELECT c.profile_id FROM profile_components AS c
SEMI JOIN affected_components AS a ON a.component_id = c.component_id
SEMI JOIN linkage_profiles AS p ON p.unique_id = c.profile_id;

CREATE OR REPLACE TEMP TABLE recluster_edges AS
SELECT e.* FROM cluster_edges AS e
SEMI JOIN recluster_nodes AS l ON l.unique_id = e.unique_id_l
SEMI JOIN recluster_nodes AS r ON r.unique_id = e.unique_id_r;
