-- Bookkeeping of the raw layer: what was applied, from where, and what was held back or refused.
-- A file is remembered by content hash, so a re-delivered file or a re-run applies nothing twice.

CREATE TABLE IF NOT EXISTS runs (
    run_id       VARCHAR PRIMARY KEY,
    started_at   TIMESTAMP,
    finished_at  TIMESTAMP,
    landing      VARCHAR,
    status       VARCHAR            -- running | completed | failed
);

-- One row per batch attempt: applied, held_back (manifest disagrees; retried next run),
-- failed (a file cannot be read; retried next run) or waiting (an earlier batch is not applied).
CREATE TABLE IF NOT EXISTS batch_log (
    run_id       VARCHAR,
    source       VARCHAR,
    batch        VARCHAR,
    status       VARCHAR,
    message      VARCHAR,
    logged_at    TIMESTAMP
);

-- One row per file per attempt. For a read file: rows_read = rows_applied + rows_quarantined.
CREATE TABLE IF NOT EXISTS load_log (
    run_id            VARCHAR,
    source            VARCHAR,
    batch             VARCHAR,
    file              VARCHAR,
    sha256            VARCHAR,
    status            VARCHAR,      -- applied | duplicate | held_back | failed
    encoding          VARCHAR,
    rows_read         BIGINT,
    rows_applied      BIGINT,
    rows_quarantined  BIGINT,
    values_nulled     BIGINT,       -- optional values that did not parse (kept raw, NULL canonical)
    extra_columns     VARCHAR[],
    message           VARCHAR,
    logged_at         TIMESTAMP
);

CREATE TABLE IF NOT EXISTS quarantine (
    source   VARCHAR,
    batch    VARCHAR,
    file     VARCHAR,
    line     BIGINT,
    reason   VARCHAR,
    raw      VARCHAR,
    run_id   VARCHAR
);

-- Records whose current version changed and still need standardising (survives a crash), with the
-- batch that changed them: a current row of such a record is of that batch or a later one, so
-- standardise reads only those rows' row groups (appended last, their batch names the highest).
CREATE TABLE IF NOT EXISTS changed_records (
    source      VARCHAR,
    record_key  VARCHAR,
    batch       VARCHAR
);
ALTER TABLE changed_records ADD COLUMN IF NOT EXISTS batch VARCHAR;  -- (warehouses of earlier releases)

-- (unpublished_changes, the records changed since the last publish, gave way to the profiles they
-- left or joined: unpublished_profiles, sql/standardise/20_std_identity.sql.)
DROP TABLE IF EXISTS unpublished_changes;

-- Snapshots this warehouse's findings history was committed for (see oneperson/nightly.py): the
-- latest one must be CURRENT; if a crash stopped its publish midway, the next run completes it.
CREATE TABLE IF NOT EXISTS publications (
    snapshot_id   VARCHAR,
    run_id        VARCHAR,
    committed_at  TIMESTAMP,
    make_current  BOOLEAN
);
