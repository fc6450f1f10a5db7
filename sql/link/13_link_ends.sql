-- profile_link_ends: each kept link once from each of its ends. Joining a profile to its links
-- with `profile_id IN (unique_id_l, unique_id_r)` is a join on OR, which DuckDB can only run as
-- a nested loop (profiles x links: 144 s of a 1M-record publish); this makes it an equi-join.
CREATE OR REPLACE VIEW profile_link_ends AS
SELECT unique_id_l AS profile_id, unique_id_r AS other_id, match_probability FROM profile_links
UNION ALL
SELECT unique_id_r AS profile_id, unique_id_l AS other_id, match_probability FROM profile_links
WHERE unique_id_r <> unique_id_l;
