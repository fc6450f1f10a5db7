-- identity_rows_in_scope: the standardised identity rows of the persons in scope, which record_links
-- (10_record_links.sql), persons and identities (30_store_tables.sql) are made of. The caller keeps
-- it as identity_in_scope, a temp table on a refresh of a few persons (read three times, found once
-- in the whole std_identity). Only the columns they use (std_identity has 25), joined on the one
-- key profile_id.
CREATE OR REPLACE TEMP VIEW identity_rows_in_scope AS
SELECT r.person_id, s.profile_id, s.source, s.record_key, s.id_raw, s.id_std, s.id_issue, s.id_birth_date,
       s.id_sex, s.name_raw, s.name_clean, s.birth_date, s.sex
FROM registry_in_scope AS r
JOIN std_identity AS s USING (profile_id);
