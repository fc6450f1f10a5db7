-- publish_scope: the persons whose store rows a nightly publish recomputes (oneperson/materialise.py).
-- Records changed since the last publish, and records a reviewer's decision names, bring both the
-- person record_links still holds (as last published) and the person they belong to now; the link
-- step added every person whose profiles changed to persons_dirty.
CREATE OR REPLACE TEMP TABLE publish_changes AS
SELECT source, record_key FROM unpublished_changes
UNION SELECT source_l, record_key_l FROM review_labels
UNION SELECT source_r, record_key_r FROM review_labels;

CREATE OR REPLACE TEMP TABLE publish_scope AS
SELECT person_id FROM persons_dirty
UNION
SELECT l.person_id FROM record_links AS l SEMI JOIN publish_changes AS c USING (source, record_key)
UNION
SELECT r.person_id
FROM std_identity AS s
SEMI JOIN publish_changes AS c USING (source, record_key)
JOIN person_registry AS r USING (profile_id);
