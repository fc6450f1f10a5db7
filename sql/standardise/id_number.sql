-- id_number: standardise a resident ID number (GB 11643-1999) as a clerk typed it.
-- Scalar macros, usable in any SELECT; installed by matching.id_sql.install_id_macros, which first
-- creates division_codes(code, province) from matching.divisions.known_codes().
-- They mirror matching/id_numbers.py (the scalar Python reference) and are tested against it.
--
--   id_cosmetic(raw)     safe keyboard repairs only; '' -> NULL
--   id_check_char(b17)   ISO 7064 MOD 11-2 check character of a 17-digit body
--   id_upgrade_15(id15)  legacy 15 digits -> 18 (century 19, or 18 for sequence 996-999, + check)
--   id_std(raw)          the standardised number: cosmetic repair, then 15 -> 18; never a changed digit
--   id_repair_kind(raw)  'none' | 'cosmetic' | 'upgraded_15' | 'cosmetic+upgraded_15' (NULL if missing)
--   id_issue(raw)        NULL when valid, else the first of: 'missing', 'bad_length', 'bad_characters',
--                        'bad_birth_date', 'unknown_region', 'bad_check_character'
--   id_is_valid(raw)     id_issue(raw) IS NULL
--   id_birth_date(id18), id_sex(id18), id_region(id18), id_province(id18): fields of a standardised
--                        number; NULL unless it has the 18-character shape (they do not check region
--                        or check character: take them from rows where id_is_valid(raw)).
--
-- Decisions:
-- * An 18-character value is never "corrected": a wrong digit stays wrong and is flagged.
-- * Birth dates must be real dates in years 1800-2100: a fixed bound, so results never depend on
--   the day they are computed.
-- * A region is known if it is any current or historical division code (IDs keep the code of the
--   hukou at issue time, which may since have been abolished).
-- * Macros expand inline, so an argument used n times is copied n times. DuckDB evaluates repeated
--   sub-expressions once (common-subexpression elimination), but the expression tree still grows:
--   id_issue works on id_cosmetic(raw) wherever it agrees with id_std(raw), and id_with_check binds
--   its body once. Nothing raises an error on any input (TRY_CAST, try_strptime), because DuckDB
--   folds constant arguments before CASE guards apply.

-- Each macro is defined after the macros it uses.

-- Safe cosmetic repair: full-width digits and Ｘ/ｘ -> ASCII; delete spaces (ASCII, tab, CR/LF,
-- no-break U+00A0, ideographic U+3000) and hyphens (- ‐ ‑ – — and full-width －); upper-case x.
-- Every other character, digits included, is kept as typed. Empty -> NULL.
-- Fast path: a value that is already 17 digits + digit/X is returned untouched (translate is slow).
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

-- The MOD 11-2 weighted sum of a 17-digit body given as a number; weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2.
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

-- ISO 7064 MOD 11-2 check character of a 17-digit body (NULL unless exactly 17 ASCII digits):
-- the weighted digit sum mod 11 indexes '10X98765432'. Digits are taken arithmetically from the
-- body read as a BIGINT (n // 10^k % 10): faster than per-character substrings or list lambdas.
CREATE OR REPLACE MACRO id_check_char(body17) AS
    CASE WHEN regexp_full_match(body17, '[0-9]{17}') THEN
        '10X98765432'[1 + id_weighted_sum(TRY_CAST(body17 AS BIGINT)) % 11]
    END;

-- A 17-digit body with its check character appended. The one-element list binds the body once:
-- a macro argument is otherwise copied into each of the 17 terms of id_weighted_sum, and a body
-- that is itself an expression would make the query plan grow with every nesting.
CREATE OR REPLACE MACRO id_with_check(body17) AS
    list_transform([body17], lambda id_body: id_body || id_check_char(id_body))[1];

-- Legacy 15-digit number (AAAAAA YYMMDD SSS) -> 18 digits: century '19' inserted, or '18' for the
-- centenarian sequence codes 996-999, and the check character appended. NULL unless 15 digits.
CREATE OR REPLACE MACRO id_upgrade_15(id15) AS
    CASE WHEN length(id15) = 15 AND regexp_full_match(id15, '[0-9]{15}') THEN
        id_with_check(
            left(id15, 6)
            || CASE WHEN substr(id15, 13, 3) IN ('996', '997', '998', '999') THEN '18' ELSE '19' END
            || substr(id15, 7)
        )
    END;

-- The standardised number: cosmetic repair, then a 15-digit number upgraded to 18 digits.
-- Anything else (18 characters, valid or not; other lengths) is returned cosmetically repaired.
CREATE OR REPLACE MACRO id_std(raw) AS
    coalesce(id_upgrade_15(id_cosmetic(raw)), id_cosmetic(raw));

-- What id_std did: 'none', 'cosmetic', 'upgraded_15' or 'cosmetic+upgraded_15'; NULL when the
-- value is missing (NULL, or nothing left after cosmetic repair).
CREATE OR REPLACE MACRO id_repair_kind(raw) AS
    CASE
        WHEN id_cosmetic(raw) IS NULL THEN NULL
        WHEN NOT regexp_full_match(id_cosmetic(raw), '[0-9]{15}') THEN
            CASE WHEN id_cosmetic(raw) = raw THEN 'none' ELSE 'cosmetic' END
        ELSE
            CASE WHEN id_cosmetic(raw) = raw THEN 'upgraded_15' ELSE 'cosmetic+upgraded_15' END
    END;

-- A date written as 8 digits YYYYMMDD, or NULL if it is not a real date in the years 1800-2100.
CREATE OR REPLACE MACRO id_date_of_digits(yyyymmdd) AS
    CASE WHEN yyyymmdd BETWEEN '18000101' AND '21001231' THEN
        CAST(try_strptime(yyyymmdd, '%Y%m%d') AS DATE)
    END;

-- The 18-character shape: 17 digits and a digit or X. Guard of the field macros below.
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

-- The first problem of a raw ID number, NULL when it is valid. Checked in this order:
--   missing              NULL or empty after cosmetic repair
--   bad_length           not 15 or 18 characters after cosmetic repair
--   bad_characters       not 17 digits + digit/X, nor 15 digits
--   bad_birth_date       the birth date (century added to a 15-digit number) is not a real date
--                        in 1800-2100
--   unknown_region       characters 1-6 are not a current or historical division code
--   bad_check_character  an 18-character number whose 18th character is not the MOD 11-2 check
--                        of the first 17 (an upgraded 15-digit number gets a correct one)
-- Written on id_cosmetic(raw), not id_std(raw), where the two agree (region, check), to keep
-- the expanded expression small; DuckDB evaluates the repeated id_cosmetic(raw) once.
CREATE OR REPLACE MACRO id_issue(raw) AS
    CASE
        WHEN id_cosmetic(raw) IS NULL THEN 'missing'
        WHEN length(id_cosmetic(raw)) NOT IN (15, 18) THEN 'bad_length'
        WHEN NOT regexp_full_match(id_cosmetic(raw), '[0-9]{17}[0-9X]|[0-9]{15}') THEN 'bad_characters'
        WHEN id_date_of_digits(substr(id_std(raw), 7, 8)) IS NULL THEN 'bad_birth_date'
        WHEN left(id_cosmetic(raw), 6) NOT IN (SELECT code FROM division_codes) THEN 'unknown_region'
        WHEN length(id_cosmetic(raw)) = 18
            AND id_check_char(left(id_cosmetic(raw), 17)) <> right(id_cosmetic(raw), 1)
            THEN 'bad_check_character'
    END;

-- True when the raw ID number standardises to a valid 18-digit number.
CREATE OR REPLACE MACRO id_is_valid(raw) AS id_issue(raw) IS NULL;
