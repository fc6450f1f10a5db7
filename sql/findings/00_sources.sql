-- 00_sources: the five department tables as the rules engine reads them.
-- Why: the engine must not know where `person` came from (true person keys in the generator,
-- linked person ids in the pipeline). These views pin down the only columns the rules use and
-- derive the province (first 2 characters of a region code) once. Every caller table carries
-- record_key, person and link_probability (NULL when joined by an exact identifier or alone).
-- Decision: a record with no person (NULL) belongs to nobody and takes part in no finding.

CREATE OR REPLACE TEMP VIEW rules_enrollment AS
SELECT
    record_key,
    person,
    link_probability,
    scheme,
    CAST(coverage_year AS INTEGER) AS coverage_year,
    insured_region_code,
    left(insured_region_code, 2) AS province,
    status,
    enrolled_on,
    birth_date
FROM enrollment
WHERE person IS NOT NULL;

CREATE OR REPLACE TEMP VIEW rules_tax AS
SELECT
    record_key,
    person,
    link_probability,
    scheme,
    CAST(coverage_year AS INTEGER) AS coverage_year,
    paid_on,
    region_code,
    left(region_code, 2) AS province,
    -- CONTRACT §1: payer_type is optional, default self
    coalesce(payer_type, 'self') AS payer_type
FROM tax
WHERE person IS NOT NULL;

CREATE OR REPLACE TEMP VIEW rules_public_security AS
SELECT
    record_key,
    person,
    link_probability,
    status,
    status_date,
    birth_date,
    hukou_region_code
FROM public_security
WHERE person IS NOT NULL;

CREATE OR REPLACE TEMP VIEW rules_education AS
SELECT
    record_key,
    person,
    link_probability,
    status,
    CAST(academic_year AS INTEGER) AS academic_year,
    school_region_code,
    left(school_region_code, 2) AS school_province,
    birth_date
FROM education
WHERE person IS NOT NULL;

CREATE OR REPLACE TEMP VIEW rules_civil_affairs AS
SELECT
    record_key,
    person,
    link_probability,
    assistance_type,
    status,
    effective_from,
    effective_to,
    birth_date
FROM civil_affairs
WHERE person IS NOT NULL;

-- Every record of every source, for "all the person's records" (missing_enrollment evidence).
CREATE OR REPLACE TEMP VIEW rules_record AS
SELECT 'enrollment' AS source, record_key, person, link_probability, birth_date FROM rules_enrollment
UNION ALL
SELECT 'tax', record_key, person, link_probability, CAST(NULL AS DATE) FROM rules_tax
UNION ALL
SELECT 'public_security', record_key, person, link_probability, birth_date FROM rules_public_security
UNION ALL
SELECT 'education', record_key, person, link_probability, birth_date FROM rules_education
UNION ALL
SELECT 'civil_affairs', record_key, person, link_probability, birth_date FROM rules_civil_affairs;
