-- publish_scope: the persons whose store rows a nightly publish recomputes (oneperson/materialise.py).
-- * persons_dirty: the link step added every person whose profiles changed (both the old and the
--   new id of a profile that moved: matching/person_ids.py);
-- * the persons of the profiles that changed records left or joined since the last publish
--   (unpublished_profiles, written by standardise): a record's old person is its old profile's,
--   unless that profile moved since, and then that person is dirty. No pass over every record;
-- * the person record_links holds (as last published) and the person they belong to now of every
--   record a reviewer's decision names.
CREATE OR REPLACE TEMP TABLE reviewed_records AS
SELECT source_l AS source, record_key_l AS record_key FROM review_labels
UNION SELECT source_r, record_key_r FROM review_labels;

CREATE OR REPLACE TEMP TABLE publish_scope AS
SELECT person_id FROM persons_dirty
UNION
SELECT r.person_id FROM person_registry AS r SEMI JOIN unpublished_profiles AS u USING (profile_id)
UNION
SELECT l.person_id FROM record_links AS l SEMI JOIN reviewed_records AS c USING (source, record_key)
UNION
SELECT r.person_id
FROM std_identity AS s
SEMI JOIN reviewed_records AS c USING (source, record_key)
JOIN person_registry AS r USING (profile_id);
