-- id_number: standardise a resident ID number (GB 11643-1999) as a clerk typed it.
-- Scalar macros, usable in any SELECT; installed by matching.id_sql.install_id_macros, which first
-- creates division_codes(code, province) from matching.divisions.known_codes().
-- They mirror matching/id_numbers.py (the scalar Python reference) and are tested against it.
--
-- On raw values, as typed:
--   id_cosmetic(raw)      safe keyboard repairs only; '' -> NULL
--   id_std(raw)           the standardised number: cosmetic repair, then 15 -> 18 digits
--   id_repair_kind(raw)   'none' | 'cosmetic' | 'upgraded_15' | 'cosmetic+upgraded_15'; NULL if missing
--   id_issue(raw)         NULL when valid, else the first of: 'missing', 'bad_length', 'bad_characters',
--                         'bad_birth_date', 'unknown_region', 'bad_check_character'
--   id_is_valid(raw)      id_issue(raw) IS NULL
-- On a standardised number (NULL unless it has the shape 17 digits + digit/X; they check neither
-- region nor check character, so take them from rows where id_is_valid(raw)):
--   id_birth_date(id18) DATE, id_sex(id18) 'male'/'female', id_region(id18) first 6 characters,
--   id_province(id18) first 2 characters
-- Building blocks:
--   id_check_char(body17), id_check_char_of_number(n), id_weighted_sum(n), id_upgrade_15(id15),
--   id_century_15(id15), id_date_of_digits(yyyymmdd), id_birth_digits(repaired), id_has_shape(id18),
--   id_issue_of(repaired, region_known): id_issue for callers that already hold id_cosmetic(raw)
--   in a column and the region lookup from a join
--
-- Decisions:
-- * An 18-character value is never "corrected": a wrong digit stays wrong and is flagged.
-- * Birth dates must be real dates in the years 1800-2100: a fixed bound, so that results never
--   depend on the day they are computed.
-- * A region is known if it is any current or historical division code: an ID keeps the code of
--   the hukou at issue time, which may since have been abolished.
-- * No macro raises an error on any input (TRY_CAST, try_strptime): DuckDB folds constant
--   arguments before a CASE guard would apply.
-- * Performance: a macro argument is copied into every place it is used, and DuckDB does not
--   share repeated sub-expressions inside CASE (or AND/OR). Where a value is used many times it is
--   bound once with a one-element list: list_transform([value], lambda v: ...)[1].
--   For many derived fields over many rows, materialise id_std(raw) in a column first and apply
--   id_birth_date/id_sex/... to that column.
--
-- Each macro is defined after the macros it uses.

-- Safe cosmetic repair: full-width digits and Ｘ/ｘ -> ASCII; delete spaces (ASCII, tab, CR/LF,
-- no-break U+00A0, ideographic U+3000) and hyphens (- ‐ ‑ – — and full-width －); upper-case x.
-- Every other character, digits included, is kept as typed. Empty -> NULL.
-- Fast path: a value that already is 17 digits + digit/X is returned as is (translate is slow).
CREATE OR REPLACE MACRO id_cosmetic(raw) AS
    CASE
        WHEN regexp_full_match(raw, '[0-9]{17}[0-9X]') THEN raw
        ELSE nullif(
            upper(translate(
                raw,
                '０１２３４５６７８９Ｘｘ'
                    || ' ' || chr(9) || chr(10) || chr(13) || chr(160) || chr(12288)
                    || '-‐‑–—－',
                '0123456789XX'
            )),
            ''
        )
    END;

-- The MOD 11-2 weighted digit sum of a 17-digit body read as a number n (digit = n // 10^k % 10);
-- weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2. Integer arithmetic: faster than substrings or lists.
CREATE OR REPLACE MACRO id_weighted_sum(n) AS
      7 * (n // 10000000000000000 % 10)
    + 9 * (n // 1000000000000000 % 10)
    + 10 * (n // 100000000000000 % 10)
    + 5 * (n // 10000000000000 % 10)
    + 8 * (n // 1000000000000 % 10)
    + 4 * (n // 100000000000 % 10)
    + 2 * (n // 10000000000 % 10)
    + 1 * (n // 1000000000 % 10)
    + 6 * (n // 100000000 % 10)
    + 3 * (n // 10000000 % 10)
    + 7 * (n // 1000000 % 10)
    + 9 * (n // 100000 % 10)
    + 10 * (n // 10000 % 10)
    + 5 * (n // 1000 % 10)
    + 8 * (n // 100 % 10)
    + 4 * (n // 10 % 10)
    + 2 * (n % 10);

-- ISO 7064 MOD 11-2 check character of a 17-digit body read as a number: the weighted digit sum
-- mod 11 indexes '10X98765432'.
CREATE OR REPLACE MACRO id_check_char_of_number(n) AS '10X98765432'[1 + id_weighted_sum(n) % 11];

-- ISO 7064 MOD 11-2 check character of a 17-digit body, NULL unless exactly 17 ASCII digits.
-- The body is read as a number once (bound by the one-element list) and used by all 17 terms.
CREATE OR REPLACE MACRO id_check_char(body17) AS
    CASE WHEN regexp_full_match(body17, '[0-9]{17}') THEN
        list_transform([TRY_CAST(body17 AS BIGINT)], lambda n: id_check_char_of_number(n))[1]
    END;

-- Century of a legacy 15-digit number: '18' for the centenarian sequence codes 996-999, else '19'.
CREATE OR REPLACE MACRO id_century_15(id15) AS
    CASE WHEN substr(id15, 13, 3) IN ('996', '997', '998', '999') THEN '18' ELSE '19' END;

-- Legacy 15-digit number (AAAAAA YYMMDD SSS) -> 18 digits: century inserted after the region,
-- check character appended. NULL unless exactly 15 digits.
CREATE OR REPLACE MACRO id_upgrade_15(id15) AS
    CASE WHEN length(id15) = 15 AND regexp_full_match(id15, '[0-9]{15}') THEN
        list_transform(
            [left(id15, 6) || id_century_15(id15) || substr(id15, 7)],
            lambda body: body || id_check_char(body)
        )[1]
    END;

-- The standardised number: cosmetic repair, then a 15-digit number upgraded to 18 digits.
-- Anything else (18 characters, valid or not; other lengths) is returned cosmetically repaired.
CREATE OR REPLACE MACRO id_std(raw) AS
    coalesce(id_upgrade_15(id_cosmetic(raw)), id_cosmetic(raw));

-- What id_std did: 'none', 'cosmetic' (id_cosmetic changed something), 'upgraded_15' or
-- 'cosmetic+upgraded_15'; NULL when the value is missing (NULL, or nothing left after repair).
CREATE OR REPLACE MACRO id_repair_kind(raw) AS
    list_transform([{'typed': raw, 'repaired': id_cosmetic(raw)}], lambda v:
        CASE
            WHEN v.repaired IS NULL THEN NULL
            WHEN NOT regexp_full_match(v.repaired, '[0-9]{15}') THEN
                CASE WHEN v.repaired = v.typed THEN 'none' ELSE 'cosmetic' END
            ELSE
                CASE WHEN v.repaired = v.typed THEN 'upgraded_15' ELSE 'cosmetic+upgraded_15' END
        END
    )[1];

-- A date written as 8 digits YYYYMMDD, or NULL if it is not a real date in the years 1800-2100.
CREATE OR REPLACE MACRO id_date_of_digits(yyyymmdd) AS
    CASE WHEN yyyymmdd BETWEEN '18000101' AND '21001231' THEN
        CAST(try_strptime(yyyymmdd, '%Y%m%d') AS DATE)
    END;

-- The shape of a standardised number: 17 digits and a digit or X. Guard of the field macros.
CREATE OR REPLACE MACRO id_has_shape(id18) AS regexp_full_match(id18, '[0-9]{17}[0-9X]');

-- Birth date (characters 7-14) of a standardised number; NULL if not a real date in 1800-2100.
CREATE OR REPLACE MACRO id_birth_date(id18) AS
    CASE WHEN id_has_shape(id18) THEN id_date_of_digits(substr(id18, 7, 8)) END;

-- Sex of a standardised number: the 17th character (last sequence digit) odd = 'male', even = 'female'.
CREATE OR REPLACE MACRO id_sex(id18) AS
    CASE WHEN id_has_shape(id18) THEN
        CASE WHEN TRY_CAST(substr(id18, 17, 1) AS INTEGER) % 2 = 1 THEN 'male' ELSE 'female' END
    END;

-- Division code of the hukou at issue time (first 6 digits) of a standardised number.
CREATE OR REPLACE MACRO id_region(id18) AS CASE WHEN id_has_shape(id18) THEN left(id18, 6) END;

-- Province code (first 2 digits) of a standardised number; names are in matching.divisions.PROVINCES.
CREATE OR REPLACE MACRO id_province(id18) AS CASE WHEN id_has_shape(id18) THEN left(id18, 2) END;

-- The birth-date digits YYYYMMDD of a repaired 15- or 18-digit number (a 15-digit one gets its century).
CREATE OR REPLACE MACRO id_birth_digits(repaired) AS
    CASE WHEN length(repaired) = 15 THEN id_century_15(repaired) || substr(repaired, 7, 6)
    ELSE substr(repaired, 7, 8) END;

-- The first problem of a cosmetically repaired ID number (see id_issue), given whether its first
-- 6 characters are a known division code. Works on the repaired value, not id_std: region and
-- check agree, and a 15-digit number's upgrade carries a correct check character by construction.
-- The one-element list binds the value (and its first 17 characters read as a number) once.
CREATE OR REPLACE MACRO id_issue_of(repaired, region_known) AS
    list_transform(
        [{'id': repaired, 'body': TRY_CAST(left(repaired, 17) AS BIGINT), 'region_known': region_known}],
        lambda v: CASE
            WHEN v.id IS NULL THEN 'missing'
            WHEN length(v.id) NOT IN (15, 18) THEN 'bad_length'
            WHEN NOT regexp_full_match(v.id, '[0-9]{17}[0-9X]|[0-9]{15}') THEN 'bad_characters'
            WHEN id_date_of_digits(id_birth_digits(v.id)) IS NULL THEN 'bad_birth_date'
            WHEN NOT v.region_known THEN 'unknown_region'
            WHEN length(v.id) = 18 AND id_check_char_of_number(v.body) <> right(v.id, 1)
                THEN 'bad_check_character'
        END
    )[1];

-- The first problem of a raw ID number, NULL when it is valid. Checked in this order:
--   missing              NULL or empty after cosmetic repair
--   bad_length           not 15 or 18 characters after cosmetic repair
--   bad_characters       neither 17 digits + digit/X nor 15 digits
--   bad_birth_date       the birth date (a 15-digit number's with its century) is not a real date
--                        in the years 1800-2100
--   unknown_region       characters 1-6 are not a current or historical division code
--   bad_check_character  the 18th character is not the MOD 11-2 check of the first 17
-- The region lookup (a subquery) stays outside id_issue_of's lambda, where DuckDB forbids it.
CREATE OR REPLACE MACRO id_issue(raw) AS
    id_issue_of(id_cosmetic(raw), left(id_cosmetic(raw), 6) IN (SELECT code FROM division_codes));

-- True when the raw ID number standardises to a valid 18-digit number.
CREATE OR REPLACE MACRO id_is_valid(raw) AS id_issue(raw) IS NULL;
