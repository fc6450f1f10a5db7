-- record_persons: every current source record with its person id (after 30_person_ids.sql). A view,
-- for the same reason as record_clusters.
CREATE OR REPLACE VIEW record_persons AS
SELECT s.source, s.record_key, s.profile_id, p.person_id
FROM std_identity AS s
JOIN person_registry AS p USING (profile_id);
