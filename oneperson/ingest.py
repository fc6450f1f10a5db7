"""Apply landing batches to the warehouse: every row applied or quarantined, nothing twice.

A batch is applied whole or not at all (one transaction): its files are staged and counted
first; a manifest that disagrees holds the batch back, an unreadable file fails it, and in both
cases later batches of that source wait for it. Rows are upserts on record_key: the raw layer
keeps every version, the current layer the latest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from oneperson import failpoints
from oneperson.landing import Batch, ManifestError, pending, sha256
from oneperson.reading import StagedFile, UnreadableFile, read_into
from oneperson.sqltext import literal, quote
from oneperson.validation import record_key_sql, validated_select
from schemas.derive import column_names
from schemas.sources import SOURCES


@dataclass
class BatchOutcome:
    source: str
    batch: str
    status: str  # applied | held_back | failed | waiting
    message: str = ""
    files: int = 0
    rows_read: int = 0
    rows_applied: int = 0
    rows_quarantined: int = 0
    duplicates: int = 0


@dataclass
class _Planned:
    path: Path
    digest: str
    staged: StagedFile | None = None
    duplicate_of: str | None = None
    log: dict = field(default_factory=dict)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def apply_pending(
    con: duckdb.DuckDBPyConnection, landing: Path, run_id: str, as_of: date | None = None
) -> list[BatchOutcome]:
    """Every source's batches not applied yet (extracted by `as_of`, if given); a blocked source
    stops only itself."""
    return [
        o for batches in pending(con, landing, as_of).values() for o in apply_source(con, batches, run_id)
    ]


def apply_source(con: duckdb.DuckDBPyConnection, batches: list[Batch], run_id: str) -> list[BatchOutcome]:
    """Apply a source's pending batches in order, stopping at the first that is held back or fails."""
    outcomes: list[BatchOutcome] = []
    blocked_by: str | None = None
    for batch in batches:
        if blocked_by:
            outcome = BatchOutcome(batch.source, batch.name, "waiting", f"waits for batch {blocked_by}")
            _log_batch(con, run_id, outcome)
        else:
            outcome = apply_batch(con, batch, run_id)
            if outcome.status != "applied":
                blocked_by = batch.name
        outcomes.append(outcome)
    return outcomes


def apply_batch(con: duckdb.DuckDBPyConnection, batch: Batch, run_id: str) -> BatchOutcome:
    model = SOURCES[batch.source]
    outcome = BatchOutcome(batch.source, batch.name, "applied")
    planned: list[_Planned] = []
    try:
        manifest = batch.manifest()
        seen = _applied_hashes(con, batch.source)
        for path in batch.files:
            item = _Planned(path, sha256(path))
            item.duplicate_of = seen.get(item.digest)
            if item.duplicate_of is None:
                item.staged = read_into(con, path, model)
                seen[item.digest] = f"{batch.name}/{path.name}"
            planned.append(item)
        problem = _manifest_problem(batch, manifest, planned)
    except (UnreadableFile, ManifestError, OSError) as exc:
        _drop_staged(con, planned)
        outcome.status, outcome.message = "failed", str(exc)
        _log_batch(con, run_id, outcome)
        return outcome
    if problem:
        _drop_staged(con, planned)
        outcome.status, outcome.message = "held_back", problem
        _log_batch(con, run_id, outcome)
        return outcome

    con.execute("BEGIN TRANSACTION")
    try:
        checked = [(_apply_file(con, batch, item, run_id), item.path.name) for item in planned]
        _upsert_current(con, batch, [(table, name) for table, name in checked if table])
        for item in planned:
            outcome.files += 1
            outcome.rows_read += item.log.get("rows_read", 0)
            outcome.rows_applied += item.log.get("rows_applied", 0)
            outcome.rows_quarantined += item.log.get("rows_quarantined", 0)
            outcome.duplicates += item.duplicate_of is not None
        _log_batch(con, run_id, outcome)
        failpoints.reached("ingest:batch-written")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        _drop_staged(con, planned)
        for table in [f"{i.staged.table}_checked" for i in planned if i.staged]:
            con.execute(f"DROP TABLE IF EXISTS {table}")
    return outcome


def _applied_hashes(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT sha256, batch || '/' || file FROM load_log WHERE source = ? AND status = 'applied'", [source]
    ).fetchall()
    return {digest: where for digest, where in rows}


def _manifest_problem(batch: Batch, manifest: dict[str, int] | None, planned: list[_Planned]) -> str | None:
    """Why the batch must be held back, or None. Only files whose content is new are counted."""
    if manifest is None:
        return None
    names = {p.path.name for p in planned}
    missing = sorted(set(manifest) - names)
    if missing:
        return f"{batch.path}: manifest lists {', '.join(missing)}, not delivered"
    unlisted = sorted(names - set(manifest))
    if unlisted:
        return f"{batch.path}: {', '.join(unlisted)} not in manifest.json"
    for item in planned:
        if item.staged and item.staged.rows_read != manifest[item.path.name]:
            return (
                f"{item.path}: manifest says {manifest[item.path.name]} rows, "
                f"file has {item.staged.rows_read} (truncated transfer?); batch held back"
            )
    return None


def _apply_file(con: duckdb.DuckDBPyConnection, batch: Batch, item: _Planned, run_id: str) -> str | None:
    """Quarantine the file's unreadable rows and add its readable ones to the raw layer."""
    if item.staged is None:
        item.log = dict(rows_read=0, rows_applied=0, rows_quarantined=0, values_nulled=0)
        _log_file(
            con, run_id, batch, item, "duplicate", f"same content as {item.duplicate_of}: not applied again"
        )
        return None
    model = SOURCES[batch.source]
    staged = item.staged
    checked = f"{staged.table}_checked"
    con.execute(
        f"CREATE TEMP TABLE {checked} AS SELECT *, {record_key_sql(model)} AS _record_key "
        f"FROM ({validated_select(model, staged.table, staged.columns)})"
    )
    file_order = [*staged.columns, *(f"extra:{e}" for e in staged.extra_columns)]
    raw_text = _as_csv_line(file_order)
    con.execute(
        f"""INSERT INTO quarantine SELECT ?, ?, ?, _line, _why, coalesce(_raw, {raw_text}), ?
                    FROM {checked} WHERE _why IS NOT NULL""",
        [batch.source, batch.name, item.path.name, run_id],
    )
    contract = column_names(model)
    raw_cols = ", ".join(quote(c) if c in staged.columns else f"NULL AS {quote(c)}" for c in contract)
    extra = (
        "json_object(" + ", ".join(f"'{e}', {quote('extra:' + e)}" for e in staged.extra_columns) + ")"
        if staged.extra_columns
        else "NULL"
    )
    con.execute(
        f"""INSERT INTO raw_{batch.source}
        SELECT {raw_cols}, {extra}, _record_key, ?, ?, _line, ? FROM {checked} WHERE _why IS NULL""",
        [batch.name, item.path.name, run_id],
    )
    applied, quarantined, nulled = con.execute(
        f"SELECT count(*) FILTER (_why IS NULL), count(*) FILTER (_why IS NOT NULL), "
        f"coalesce(sum(len(_nulled)) FILTER (_why IS NULL), 0) FROM {checked}"
    ).fetchall()[0]
    item.log = dict(
        rows_read=staged.rows_read, rows_applied=applied, rows_quarantined=quarantined, values_nulled=nulled
    )
    if applied + quarantined != staged.rows_read:  # the reconciliation the load log promises
        raise RuntimeError(
            f"{item.path}: read {staged.rows_read} rows but applied {applied} + quarantined {quarantined}"
        )
    _log_file(con, run_id, batch, item, "applied", "")
    return checked


def _as_csv_line(names: list[str]) -> str:
    """SQL rebuilding a row's delivered text (RFC 4180) for the quarantine."""
    cells = [
        f"""CASE WHEN {quote(n)} IS NULL THEN '' WHEN {quote(n)} SIMILAR TO '.*[,"\\n\\r].*'
             THEN '"' || replace({quote(n)}, '"', '""') || '"' ELSE {quote(n)} END"""
        for n in names
    ]
    return "concat_ws(',', " + ", ".join(cells) + ")"


def _upsert_current(con: duckdb.DuckDBPyConnection, batch: Batch, checked: list[tuple[str, str]]) -> None:
    """The batch's latest version of each record_key (last file, last line) replaces the current one."""
    if not checked:
        return
    contract = column_names(SOURCES[batch.source])
    values = ", ".join(f"{quote('v_' + c)} AS {quote(c)}" for c in contract)
    union = " UNION ALL ".join(
        f"SELECT _record_key, {values}, {literal(name)} AS _file, _line, {i} AS _file_order "
        f"FROM {table} WHERE _why IS NULL"
        for i, (table, name) in enumerate(checked)
    )
    con.execute(f"""CREATE OR REPLACE TEMP TABLE batch_latest AS
        SELECT * FROM ({union})
        QUALIFY row_number() OVER (PARTITION BY _record_key ORDER BY _file_order DESC, _line DESC) = 1""")
    # A batch that arrives late (a re-sent month, named before batches already applied) is kept in
    # the raw layer, but does not replace a version from a later batch: a row is the state of its key
    # as of its batch (CONTRACT §1), so the later batch's row stays current.
    con.execute(
        f"""DELETE FROM batch_latest WHERE _record_key IN (
            SELECT record_key FROM current_{batch.source} WHERE _batch > ?)""",
        [batch.name],
    )
    con.execute(
        f"DELETE FROM current_{batch.source} WHERE record_key IN (SELECT _record_key FROM batch_latest)"
    )
    con.execute(
        f"""INSERT INTO current_{batch.source}
        SELECT _record_key, {", ".join(quote(c) for c in contract)}, ?, _file, _line FROM batch_latest""",
        [batch.name],
    )
    # to standardise (and then to publish: sql/standardise/20_std_identity.sql)
    con.execute(
        "INSERT INTO changed_records (source, record_key, batch) SELECT ?, _record_key, ? FROM batch_latest",
        [batch.source, batch.name],
    )
    con.execute("DROP TABLE batch_latest")


def _drop_staged(con: duckdb.DuckDBPyConnection, planned: list[_Planned]) -> None:
    for item in planned:
        if item.staged:
            con.execute(f"DROP TABLE IF EXISTS {item.staged.table}")


def _log_file(
    con: duckdb.DuckDBPyConnection, run_id: str, batch: Batch, item: _Planned, status: str, message: str
) -> None:
    log = item.log
    con.execute(
        "INSERT INTO load_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run_id,
            batch.source,
            batch.name,
            item.path.name,
            item.digest,
            status,
            item.staged.encoding if item.staged else None,
            log["rows_read"],
            log["rows_applied"],
            log["rows_quarantined"],
            log["values_nulled"],
            list(item.staged.extra_columns) if item.staged else [],
            message,
            _now(),
        ],
    )


def _log_batch(con: duckdb.DuckDBPyConnection, run_id: str, outcome: BatchOutcome) -> None:
    con.execute(
        "INSERT INTO batch_log VALUES (?, ?, ?, ?, ?, ?)",
        [run_id, outcome.source, outcome.batch, outcome.status, outcome.message, _now()],
    )
