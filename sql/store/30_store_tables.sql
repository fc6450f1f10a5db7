-- The store tables of CONTRACT §3 (columns = schemas/store.py), which the publisher
-- (oneperson/store.py) writes into an immutable snapshot. The per-person tables are kept in the
-- warehouse as pub_<table> and refreshed each night for the persons that changed
-- (oneperson/materialise.py): fresh_<table> computes them for the persons in scope, from the
-- relations the rules read (one per source: its current records of those persons, with `person`
-- and `link_probability`; oneperson/findings.py linked_sources) and identity_in_scope (their
-- standardised identity rows, 28_identity_in_scope.sql). Each source is joined to its persons once.

-- The most frequent value, ties to the smallest whatever order rows come in, preferring the values
-- of the rows marked `preferred` (the hukou register's) where there are any: an aggregate over
-- per-value counts `n`, which costs far less than ordered aggregates (mode(x ORDER BY x)).
CREATE OR REPLACE TEMP MACRO most_frequent(value, n, preferred) AS arg_min(value, (NOT preferred, -n, value));

-- persons: facts about each person, from the hukou register first, then any source.
CREATE OR REPLACE TEMP VIEW fresh_persons AS
WITH counted AS (
    SELECT s.person_id, s.source, coalesce(s.birth_date, s.id_birth_date) AS birth_date,
           coalesce(s.sex, s.id_sex) AS sex, count(*) AS n
    FROM identity_in_scope AS s
    GROUP BY ALL
),
facts AS (
    SELECT person_id,
           min(birth_date) FILTER (source = 'public_security') AS hukou_birth_date,
           list(DISTINCT source ORDER BY source) AS sources,
           sum(n)::BIGINT AS n_records
    FROM counted
    GROUP BY person_id
),
birth AS (
    SELECT person_id, most_frequent(birth_date, n, false) AS birth_date
    FROM (SELECT person_id, birth_date, sum(n) AS n FROM counted WHERE birth_date IS NOT NULL GROUP BY ALL)
    GROUP BY person_id
),
sex AS (
    SELECT person_id, most_frequent(sex, n, hukou) AS sex
    FROM (SELECT person_id, sex, true AS hukou, sum(n) AS n FROM counted
          WHERE source = 'public_security' AND sex IS NOT NULL GROUP BY ALL
          UNION ALL
          SELECT person_id, sex, false, sum(n) FROM counted WHERE sex IS NOT NULL GROUP BY ALL)
    GROUP BY person_id
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
    year(coalesce(f.hukou_birth_date, b.birth_date))::BIGINT AS birth_year,
    x.sex,
    h.hukou_region_code,
    left(h.hukou_region_code, 2) AS hukou_province,
    NOT coalesce(h.deceased, false) AS alive,
    f.sources,
    f.n_records
FROM facts AS f
LEFT JOIN birth AS b USING (person_id)
LEFT JOIN sex AS x USING (person_id)
LEFT JOIN hukou AS h USING (person_id);

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

-- identities (restricted): the person's normalised number and name, and every variant seen. Each
-- fact is its most frequent value; name, birth date and sex from the hukou register where it has
-- one. Counted once per person, fact and value (`tallies`): eight ordered aggregates took 47 s of a
-- 10M-record full build and 1.3-1.6 s of its increment, against 30-34 s and 0.8-1.1 s.
CREATE OR REPLACE TEMP VIEW fresh_identities AS
WITH counted AS (
    SELECT person_id, source = 'public_security' AS hukou, id_issue IS NULL AS valid, id_std, name_clean,
           birth_date, coalesce(birth_date, id_birth_date) AS any_birth_date, sex, coalesce(sex, id_sex) AS any_sex,
           count(*) AS n
    FROM identity_in_scope
    GROUP BY ALL
),
values_seen AS (  -- register = the hukou register's value (its rows only), else any source's
    SELECT person_id, 'id_number' AS fact, false AS register, id_std AS value, n FROM counted WHERE valid
    UNION ALL SELECT person_id, 'name', true, name_clean, n FROM counted WHERE hukou
    UNION ALL SELECT person_id, 'name', false, name_clean, n FROM counted
    UNION ALL SELECT person_id, 'birth_date', true, birth_date::VARCHAR, n FROM counted WHERE hukou
    UNION ALL SELECT person_id, 'birth_date', false, any_birth_date::VARCHAR, n FROM counted
    UNION ALL SELECT person_id, 'sex', true, sex, n FROM counted WHERE hukou
    UNION ALL SELECT person_id, 'sex', false, any_sex, n FROM counted
),
tallies AS (
    SELECT person_id, fact, register, value, sum(n) AS n
    FROM values_seen
    WHERE value IS NOT NULL
    GROUP BY ALL
),
modes AS (  -- ISO dates sort as text
    SELECT person_id, fact, most_frequent(value, n, register) AS value
    FROM tallies
    GROUP BY person_id, fact
),
facts AS (
    SELECT person_id,
           any_value(value) FILTER (fact = 'id_number') AS id_number,
           any_value(value) FILTER (fact = 'name') AS name,
           any_value(value) FILTER (fact = 'birth_date')::DATE AS birth_date,
           any_value(value) FILTER (fact = 'sex') AS sex
    FROM modes
    GROUP BY person_id
),
variants AS (
    SELECT person_id,
           coalesce(list(DISTINCT id_raw ORDER BY id_raw) FILTER (id_raw IS NOT NULL), []) AS id_number_variants,
           coalesce(list(DISTINCT name_raw ORDER BY name_raw) FILTER (name_raw IS NOT NULL), []) AS name_variants
    FROM identity_in_scope
    GROUP BY person_id
)
SELECT v.person_id, f.id_number, f.name, f.birth_date, f.sex, v.id_number_variants, v.name_variants
FROM variants AS v
LEFT JOIN facts AS f USING (person_id);

CREATE OR REPLACE VIEW store_quarantine AS
SELECT source, batch, file, line, reason, raw FROM quarantine;
