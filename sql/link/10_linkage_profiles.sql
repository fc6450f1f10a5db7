-- linkage_profiles: identity profiles in the shape the Splink model compares (one row per profile).
-- Birth date and sex fall back to those carried by a valid ID number; the ID's first 14 characters
-- (region + birth date) and last 4 (sequence + check) are kept apart for blocking and the sibling level.
-- linkage_profile_rows computes them; matching/training.prepare_profiles keeps them in linkage_profiles.
-- A profile's ID number is valid when it has one and standardising it found no issue (also read
-- from identity_profiles by 18_place_payments.sql).
CREATE OR REPLACE TEMP MACRO id_number_valid(id_std, id_issue) AS id_issue IS NULL AND id_std IS NOT NULL;

CREATE OR REPLACE TEMP VIEW linkage_profile_rows AS
SELECT
    profile_id AS unique_id,
    id_std,
    id_number_valid(id_std, id_issue) AS id_valid,
    CASE WHEN length(id_std) = 18 THEN left(id_std, 14) END AS id_head,
    CASE WHEN length(id_std) = 18 THEN right(id_std, 4) END AS id_tail,
    name_clean,
    name_simplified,
    name_pinyin,
    name_initials,
    coalesce(birth_date, id_birth_date) AS dob,
    coalesce(sex, id_sex) AS sex,
    -- The ID's issuing region when it has one, else the place the source records.
    coalesce(id_region, region_code) AS place,
    region_code,
    province,
    n_records
FROM identity_profiles;
