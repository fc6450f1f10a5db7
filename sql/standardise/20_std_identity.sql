-- std_identity: one row per current source record with its identity fields standardised, the raw
-- value beside each standardised one. Incremental: only records listed in changed_records are
-- (re)computed; the caller has put their identity fields in the view changed_identity and the
-- keys of every name they carry in name_keys.
CREATE TABLE IF NOT EXISTS std_identity (
    source              VARCHAR,
    record_key          VARCHAR,
    profile_id          VARCHAR USING COMPRESSION uncompressed,  -- content hash of the standardised
                                   -- identity (see 30_profile_groups.sql); a key, so uncompressed
                                   -- (oneperson/warehouse.py KEY_COLUMNS)
    id_raw              VARCHAR,   -- as typed (trimmed)
    id_std              VARCHAR,   -- cosmetic repair, 15 -> 18; digits never "corrected"
    id_repair           VARCHAR,
    id_issue            VARCHAR,   -- NULL = valid
    id_birth_date       DATE,
    id_sex              VARCHAR,
    id_region           VARCHAR,
    name_raw            VARCHAR,
    name_clean          VARCHAR,
    name_simplified     VARCHAR,
    name_pinyin         VARCHAR,
    name_initials       VARCHAR,
    surname             VARCHAR,
    given_name          VARCHAR,
    is_minority         BOOLEAN,
    birth_date          DATE,      -- as stated by the source
    sex                 VARCHAR,   -- as stated by the source
    birth_date_conflict BOOLEAN,   -- stated birth date differs from the valid ID's
    sex_conflict        BOOLEAN,   -- stated sex differs from the valid ID's
    region_code         VARCHAR,   -- the place the source records (insured/tax/hukou/school/case)
    province            VARCHAR,
    city                VARCHAR,
    batch               VARCHAR    -- of the current row standardised: a night's rows come last and carry
                                   -- the latest batches, so min/max statistics find them (below)
);
ALTER TABLE std_identity ADD COLUMN IF NOT EXISTS batch VARCHAR;  -- (warehouses of earlier releases)

-- The profiles these records leave and join: build_profiles (30_profile_groups.sql) regroups
-- only those. Kept until it has, so a crash in between loses none. A profile joined has the batch
-- of the records that joined it, where build_profiles finds their rows.
CREATE TABLE IF NOT EXISTS profiles_touched (profile_id VARCHAR, batch VARCHAR);
ALTER TABLE profiles_touched ADD COLUMN IF NOT EXISTS batch VARCHAR;
-- And, for the next publish (sql/store/05_publish_scope.sql), the same profiles: kept until it has.
CREATE TABLE IF NOT EXISTS unpublished_profiles (profile_id VARCHAR);
CREATE OR REPLACE TEMP TABLE changed_profiles AS  -- the ones they leave
SELECT s.profile_id, NULL::VARCHAR AS batch FROM std_identity AS s
SEMI JOIN changed_identity AS c ON s.source = c.source AND s.record_key = c.record_key;

DELETE FROM std_identity AS s
USING changed_identity AS c
WHERE s.source = c.source AND s.record_key = c.record_key;

-- Their new rows. (Made once into a temp table, to read the profiles they join without a pass over
-- std_identity, they cost the full build more, 10M rows held uncompressed, than they saved at night.)
INSERT INTO std_identity
WITH repaired AS (
    SELECT c.*, id_cosmetic(c.id_number) AS _cos FROM changed_identity AS c
),
ids AS (
    -- The bulk forms: the cosmetic repair computed once, the region checked by a hash join.
    SELECT
        r.*,
        coalesce(id_upgrade_15(r._cos), r._cos) AS _id_std,
        id_issue_of(r._cos, k.code IS NOT NULL) AS _id_issue,
        id_repair_kind(trim(r.id_number)) AS _id_repair
    FROM repaired AS r
    LEFT JOIN division_codes AS k ON k.code = left(r._cos, 6)
),
derived AS (
    SELECT
        ids.*,
        CASE WHEN _id_issue IS NULL THEN id_birth_date(_id_std) END AS _id_birth,
        CASE WHEN _id_issue IS NULL THEN id_sex(_id_std) END AS _id_sex,
        CASE WHEN _id_issue IS NULL THEN id_region(_id_std) END AS _id_region
    FROM ids
)
SELECT
    d.source,
    d.record_key,
    md5(concat_ws('|', coalesce(d._id_std, ''), coalesce(n.name_clean, ''), coalesce(d.birth_date::VARCHAR, ''),
                  coalesce(d.sex, ''), coalesce(d.region_code, ''))) AS profile_id,
    nullif(trim(d.id_number), '') AS id_raw,
    d._id_std,
    d._id_repair,
    d._id_issue,
    d._id_birth,
    d._id_sex,
    d._id_region,
    d.name AS name_raw,
    n.name_clean,
    n.name_simplified,
    n.name_pinyin,
    n.name_initials,
    n.surname,
    n.given_name,
    n.is_minority,
    d.birth_date,
    d.sex,
    d.birth_date IS NOT NULL AND d._id_birth IS NOT NULL AND d.birth_date <> d._id_birth,
    d.sex IS NOT NULL AND d._id_sex IS NOT NULL AND d.sex <> d._id_sex,
    d.region_code,
    left(d.region_code, 2),
    left(d.region_code, 4),
    d.batch
FROM derived AS d
LEFT JOIN name_keys AS n ON n.name = d.name;

-- The ones they join: among the rows of the changed records' batches and later ones
-- (getvariable('changed_floor'), the earliest: oneperson/standardise.py), the rows just written,
-- which DuckDB finds by the column's min/max instead of joining every row (0.35 s at 10M records).
INSERT INTO changed_profiles
SELECT s.profile_id, s.batch FROM std_identity AS s
SEMI JOIN changed_identity AS c ON s.source = c.source AND s.record_key = c.record_key
WHERE s.batch >= getvariable('changed_floor');
INSERT INTO profiles_touched SELECT profile_id, batch FROM changed_profiles;
INSERT INTO unpublished_profiles SELECT profile_id FROM changed_profiles;
DROP TABLE changed_profiles;
