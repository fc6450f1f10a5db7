-- identity_profiles: one row per distinct standardised (id_number, name, birth_date, sex, region),
-- the unit linkage compares. profile_id is a content hash, so a profile keeps its id from run to
-- run and new records either join an existing profile or make a new one.
CREATE OR REPLACE TABLE identity_profiles AS
SELECT
    profile_id,
    any_value(id_std) AS id_std,
    any_value(id_issue) AS id_issue,
    any_value(id_birth_date) AS id_birth_date,
    any_value(id_sex) AS id_sex,
    any_value(id_region) AS id_region,
    any_value(name_clean) AS name_clean,
    any_value(name_simplified) AS name_simplified,
    any_value(name_pinyin) AS name_pinyin,
    any_value(name_initials) AS name_initials,
    any_value(surname) AS surname,
    any_value(given_name) AS given_name,
    any_value(is_minority) AS is_minority,
    any_value(birth_date) AS birth_date,
    any_value(sex) AS sex,
    any_value(region_code) AS region_code,
    any_value(province) AS province,
    count(*) AS n_records,
    list(DISTINCT source ORDER BY source) AS sources
FROM std_identity
GROUP BY profile_id;

-- Which records carry each profile (the path from a person back to source rows).
CREATE OR REPLACE VIEW profile_records AS
SELECT profile_id, source, record_key FROM std_identity;
