-- The store tables of CONTRACT §3 (columns = schemas/store.py), which the publisher
-- (oneperson/store.py) writes into an immutable snapshot. The per-person tables are kept in the
-- warehouse as pub_<table> and refreshed each night for the persons that changed
-- (oneperson/materialise.py): fresh_<table> computes them for the persons in scope, from the
-- relations the rules read (one per source: its current records of those persons, with `person`
-- and `link_probability`; oneperson/findings.py linked_sources) and identity_in_scope (their
-- standardised identity rows, 28_identity_in_scope.sql). Each source is joined to its persons once.

-- persons: facts about each person, from the hukou register first, then any source.
CREATE OR REPLACE TEMP VIEW fresh_persons AS
WITH facts AS (
    SELECT s.person_id, s.source, coalesce(s.birth_date, s.id_birth_date) AS birth_date,
           coalesce(s.sex, s.id_sex) AS sex
    FROM identity_in_scope AS s
),
hukou AS (  -- the current registration: status normal, latest change first
    SELECT p.person AS person_id,
           arg_max(p.hukou_region_code, (p.status = 'normal', p.status_date, p.record_key)) AS hukou_region_code,
           bool_or(p.status = 'deceased') AS deceased
    FROM public_security AS p
    GROUP BY p.person
)
SELECT
    f.person_id,
    year(coalesce(min(f.birth_date) FILTER (f.source = 'public_security'),
                  mode(f.birth_date ORDER BY f.birth_date)))::BIGINT
        AS birth_year,
    coalesce(mode(f.sex ORDER BY f.sex) FILTER (f.source = 'public_security'), mode(f.sex ORDER BY f.sex)) AS sex,
    any_value(h.hukou_region_code) AS hukou_region_code,
    left(any_value(h.hukou_region_code), 2) AS hukou_province,
    NOT coalesce(any_value(h.deceased), false) AS alive,
    list(DISTINCT f.source ORDER BY f.source) AS sources,
    count(*)::BIGINT AS n_records
FROM facts AS f
LEFT JOIN hukou AS h USING (person_id)
GROUP BY f.person_id;

CREATE OR REPLACE TEMP VIEW fresh_person_records AS
SELECT 'enrollment' AS source, record_key, person AS person_id, link_probability AS match_probability,
       _batch AS batch
FROM enrollment
UNION ALL SELECT 'tax', record_key, person, link_probability, _batch FROM tax
UNION ALL SELECT 'public_security', record_key, person, link_probability, _batch FROM public_security
UNION ALL SELECT 'education', record_key, person, link_probability, _batch FROM education
UNION ALL SELECT 'civil_affairs', record_key, person, link_probability, _batch FROM civil_affairs;

CREATE OR REPLACE TEMP VIEW fresh_enrollments AS
SELECT e.person AS person_id, e.record_key, e.scheme, e.coverage_year::BIGINT AS coverage_year,
       e.insured_region_code, left(e.insured_region_code, 2) AS insured_province, e.status, e.enrolled_on,
       e.terminated_on
FROM enrollment AS e;

-- payments, student_records, assistance_cases: the other departments' facts that findings rest on,
-- without names, ID numbers or birth dates (those stay in restricted/identities).
CREATE OR REPLACE TEMP VIEW fresh_payments AS
SELECT t.person AS person_id, t.record_key, t.scheme, t.coverage_year::BIGINT AS coverage_year, t.amount,
       t.paid_on, t.payer_type, t.region_code AS collecting_region_code, left(t.region_code, 2) AS collecting_province
FROM tax AS t;

CREATE OR REPLACE TEMP VIEW fresh_student_records AS
SELECT d.person AS person_id, d.record_key, d.academic_year::BIGINT AS academic_year, d.school_region_code,
       left(d.school_region_code, 2) AS school_province, d.stage, d.status
FROM education AS d;

CREATE OR REPLACE TEMP VIEW fresh_assistance_cases AS
SELECT c.person AS person_id, c.record_key, c.assistance_type, c.status, c.region_code,
       left(c.region_code, 2) AS province, c.effective_from, c.effective_to
FROM civil_affairs AS c;

CREATE OR REPLACE VIEW store_findings AS
SELECT f.finding_id, f.finding_type, f.person_id, f.coverage_year::BIGINT AS coverage_year, f.record_keys,
       f.min_match_probability, f.keep_record_key, f.resolution_rule, h.first_seen_snapshot
FROM findings_current AS f
JOIN findings_history AS h USING (finding_id);

CREATE OR REPLACE VIEW store_finding_history AS
SELECT finding_id, finding_type, person_id, coverage_year::BIGINT AS coverage_year, first_seen_snapshot,
       last_seen_snapshot, resolved_in_snapshot
FROM findings_history;

CREATE OR REPLACE VIEW store_person_id_changes AS
SELECT 'merge' AS change, merged_id AS person_id, into_id AS into_person_id, run_id FROM person_merges
UNION ALL
SELECT 'split', person_id, new_person_id, run_id FROM person_splits;

-- identities (restricted): the person's normalised number and name, and every variant seen.
-- mode(x ORDER BY x): the most frequent value, ties to the smallest, whatever order rows come in.
CREATE OR REPLACE TEMP VIEW fresh_identities AS
SELECT
    s.person_id,
    mode(s.id_std ORDER BY s.id_std) FILTER (s.id_issue IS NULL) AS id_number,
    coalesce(mode(s.name_clean ORDER BY s.name_clean) FILTER (s.source = 'public_security'),
             mode(s.name_clean ORDER BY s.name_clean)) AS name,
    coalesce(mode(s.birth_date ORDER BY s.birth_date) FILTER (s.source = 'public_security'),
             mode(coalesce(s.birth_date, s.id_birth_date) ORDER BY coalesce(s.birth_date, s.id_birth_date)))
        AS birth_date,
    coalesce(mode(s.sex ORDER BY s.sex) FILTER (s.source = 'public_security'),
             mode(coalesce(s.sex, s.id_sex) ORDER BY coalesce(s.sex, s.id_sex))) AS sex,
    coalesce(list(DISTINCT s.id_raw ORDER BY s.id_raw) FILTER (s.id_raw IS NOT NULL), [])
        AS id_number_variants,
    coalesce(list(DISTINCT s.name_raw ORDER BY s.name_raw) FILTER (s.name_raw IS NOT NULL), []) AS name_variants
FROM identity_in_scope AS s
GROUP BY s.person_id;

CREATE OR REPLACE VIEW store_quarantine AS
SELECT source, batch, file, line, reason, raw FROM quarantine;
