"""Publish the store of CONTRACT §3: immutable snapshots, `CURRENT` swapped atomically.

Layout (one snapshot):

    <store>/CURRENT                                  "<snapshot_id>\\n", replaced with os.replace
    <store>/.publish.lock                            flock held by the one publish running
    <store>/snapshots/<snapshot_id>/manifest.json
    <store>/snapshots/<snapshot_id>/<zone>/<table>/<k>=<v>/.../data_0.parquet    partitioned tables
    <store>/snapshots/<snapshot_id>/<zone>/<table>/data_0.parquet                 the others

Zone, table, partitioning and sort order of each table come from `schemas.store`; column names and
types from `schemas.derive.arrow_schema`. Decisions:

* Partition columns are also written inside the files (WRITE_PARTITION_COLUMNS), so every file is
  self-contained and in model column order; read with `read_parquet_sql` (hive_types given, else
  DuckDB would guess a province code "11" to be a BIGINT).
* A NULL partition value goes to DuckDB's `<k>=__HIVE_DEFAULT_PARTITION__` folder, read back as NULL.
* Rows are sorted inside each file by the model's `sort_by` (DuckDB's ORDER_BY copy option: with
  PARTITION_BY and several threads, an ORDER BY in the query alone does not keep files sorted),
  except for the tables the caller names in `kept`: the caller keeps those in partition-then-sort
  order (oneperson/materialise.py), wholly or as a sorted body and a few sorted runs, and they are
  written in the order their relation gives, one COPY per partition value. The manifest says
  whether a table's files are sorted (`sorted`).
* An empty partitioned table is one empty file in the all-NULL partition, so it still has a schema.
* The restricted zone is owner-only: its folder is made 0o700 before anything is written into it,
  then every folder below is chmod 0o700 and every file 0o600. The rest follows the process umask.
* A snapshot is built in `snapshots/.<id>.tmp-<random>`, re-read and checked, fsynced, renamed to
  `snapshots/<id>`, and only then is CURRENT replaced. Any failure before that removes the
  temporary folder (and the renamed one) and leaves CURRENT and every snapshot as they were.
* Retention keeps the `retention` greatest snapshot ids (ids sort in time order, e.g.
  `20261121-001`), never removing the one CURRENT names or the new one. A pruned snapshot is first
  renamed to a hidden `.tmp-` name, so a half-deleted one is never mistaken for a snapshot; stale
  `.tmp-` folders and `CURRENT.tmp-` files of killed runs are removed by the next publish (safe: the
  publish lock guarantees no other publish is running).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import duckdb

from oneperson import failpoints
from oneperson.sqltext import literal, quote
from schemas.derive import arrow_schema
from schemas.store import STORE_TABLES, StoreTable

log = logging.getLogger(__name__)

# zstd at level 1: on the store's tables it writes faster than the default level 3 and no larger
# (10M person_records: 3.6-3.9 s and 96 MB, against 4.3-4.5 s and 110 MB).
COMPRESSION = "COMPRESSION zstd, COMPRESSION_LEVEL 1"
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"  # DuckDB's folder value for a NULL partition key
RESTRICTED_ZONE = "restricted"
SNAPSHOT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
RESERVED_MANIFEST_KEYS = ("snapshot_id", "created_at", "tables")


class PublishError(RuntimeError):
    """A snapshot could not be published; CURRENT and existing snapshots are untouched."""


class PublishInterrupted(PublishError):
    """Interrupted after the caller's state was committed: only `finish_publish` (the next run) may
    complete it; publishing again would commit twice."""


class StoreError(RuntimeError):
    """The store on disk is not as this module leaves it (e.g. CURRENT names no snapshot)."""


# --- reading -------------------------------------------------------------------------------------


def _current_id(store: Path) -> str | None:
    try:
        snapshot_id = (Path(store) / "CURRENT").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not SNAPSHOT_ID.fullmatch(snapshot_id):
        raise StoreError(f"{store}/CURRENT does not hold a snapshot id: {snapshot_id!r}")
    return snapshot_id


def current_snapshot(store: Path) -> Path | None:
    """The folder of the snapshot CURRENT names, or None when nothing was published yet."""
    snapshot_id = _current_id(store)
    if snapshot_id is None:
        return None
    folder = Path(store) / "snapshots" / snapshot_id
    if not folder.is_dir():
        raise StoreError(f"{store}/CURRENT names snapshot {snapshot_id}, but {folder} does not exist")
    return folder


def published_snapshots(store: Path) -> list[Path]:
    """Every complete snapshot still kept, oldest first (a folder being written or discarded has a
    dot name and no manifest yet, and is never listed)."""
    folder = Path(store) / "snapshots"
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if SNAPSHOT_ID.fullmatch(p.name) and not p.name.startswith(".") and (p / "manifest.json").is_file()
    )


def snapshot_table_glob(snapshot: Path, model: type[StoreTable]) -> str:
    """The read_parquet glob of one table of a snapshot (read it with hive_partitioning=true)."""
    return str(Path(snapshot) / model.zone / model.table / "**" / "*.parquet")


def read_parquet_sql(snapshot: Path | list[Path], model: type[StoreTable], filename: bool = False) -> str:
    """`read_parquet(...)` of one table: hive partitions on, partition column types from the model.
    Columns come back in model order: `SELECT * FROM {read_parquet_sql(snapshot, Person)}`. Given
    several snapshots, reads them all (`filename` adds the file each row came from)."""
    snapshots = snapshot if isinstance(snapshot, list) else [snapshot]
    globs = ", ".join(literal(snapshot_table_glob(s, model)) for s in snapshots)
    args = [f"[{globs}]", "hive_partitioning = true"]
    if model.partition_by:
        types = duckdb_types(model)
        pairs = ", ".join(f"{literal(c)}: {literal(types[c])}" for c in model.partition_by)
        args.append(f"hive_types = {{{pairs}}}")
    if filename:
        args.append("filename = true")
    return f"read_parquet({', '.join(args)})"


# --- publishing ----------------------------------------------------------------------------------


def publish(
    con: duckdb.DuckDBPyConnection,
    store: Path,
    snapshot_id: str,
    manifest: dict,
    retention: int = 7,
    extras: Callable[[Path], None] | None = None,
    commit: Callable[[], None] | None = None,
    kept: Mapping[str, bool] | None = None,
) -> Path:
    """Write the relations `store_<table>` of `con` as snapshot `snapshot_id` of `store`, make it
    CURRENT, prune snapshots beyond `retention`. Returns the snapshot folder. `extras`, if given,
    writes further files (the run report) into the snapshot folder once its tables are verified:
    it is part of the snapshot, published with it or not at all.

    `commit`, if given, is called once the snapshot is complete and on disk, before it is moved
    into place: the caller commits its own state there (the warehouse's findings history). From
    then on the publish is never undone: if it is interrupted, `finish_publish` completes it.

    `kept`: the tables whose relation the caller keeps in the model's partition-then-sort order
    (`materialise.storage_order`), each mapped to whether it is wholly sorted (else a sorted body
    and sorted runs, each run in that order): written in their relation's order, not sorted again.

    Raises PublishError (CURRENT and existing snapshots untouched) when anything fails before
    CURRENT names the new snapshot."""
    store = Path(store)
    _check_arguments(snapshot_id, manifest, retention)
    snapshots = store / "snapshots"
    snapshots.mkdir(parents=True, exist_ok=True)
    with _publish_lock(store):
        _remove_stale(store)
        final = snapshots / snapshot_id
        if final.exists():
            raise PublishError(
                f"snapshot {snapshot_id} already exists in {snapshots}: snapshots are "
                "immutable, publish under a new id"
            )
        tmp = _make_temp_folder(snapshots, snapshot_id)
        step, renamed, committed = "checking the store_* relations", False, False
        try:
            for model in STORE_TABLES:
                _check_columns(con, model)
            kept = kept or {}
            tables, counts = {}, {}
            for model in STORE_TABLES:
                step = f"writing {model.zone}/{model.table}"
                counts[model.table] = (
                    _write_kept(con, tmp, model)
                    if model.table in kept
                    else _write_table(con, tmp, model)
                )
            _restrict(tmp / RESTRICTED_ZONE)
            for model in STORE_TABLES:
                step = f"verifying {model.zone}/{model.table}"
                tables[model.table] = _verify(
                    con, tmp, model, counts[model.table], kept.get(model.table, True)
                )
            if extras is not None:
                step = "writing the extra files"
                extras(tmp)
            step = "writing manifest.json"
            _write_manifest(tmp, snapshot_id, manifest, tables)
            step = "syncing the snapshot to disk"
            _fsync_tree(tmp)
            failpoints.reached("publish:tables-written")
            if commit is not None:
                step = "committing the caller's state"
                commit()
                committed = True
                failpoints.reached("publish:committed")
            step = f"renaming {tmp.name} to {snapshot_id}"
            if final.exists():  # cannot happen under the lock; never replace a snapshot
                raise PublishError(f"snapshot {snapshot_id} appeared during the publish")
            tmp.rename(final)
            renamed = True
            _fsync_dir(snapshots)
            failpoints.reached("publish:renamed")
            step = "replacing CURRENT"
            _swap_current(store, snapshot_id)
            failpoints.reached("publish:current-replaced")
        except BaseException as exc:
            if renamed and _current_id(store) == snapshot_id:
                raise  # interrupted after CURRENT was replaced: the snapshot is published
            if committed:  # the caller's state names this snapshot: keep it for finish_publish
                raise PublishInterrupted(
                    f"publishing snapshot {snapshot_id} to {store} was interrupted while {step}: "
                    f"{exc}; the next run completes it"
                ) from exc
            _discard(final if renamed else tmp, snapshots, snapshot_id)
            if isinstance(exc, Exception):
                raise PublishError(
                    f"publishing snapshot {snapshot_id} to {store} failed while {step}: "
                    f"{exc}; CURRENT and existing snapshots are unchanged"
                ) from exc
            raise
        try:
            _prune(snapshots, keep=retention, protect={snapshot_id})
        except Exception as exc:  # published all the same; the next publish prunes again
            log.warning("could not prune old snapshots in %s: %s", snapshots, exc)
    log.info("published snapshot %s to %s", snapshot_id, store)
    return final


def finish_publish(store: Path, snapshot_id: str) -> bool:
    """Complete a publish that committed (see `publish(commit=...)`) but was interrupted before
    CURRENT named its snapshot: move the folder into place if needed, then replace CURRENT.
    Returns False when there was nothing to do. Raises StoreError when the snapshot is gone."""
    store = Path(store)
    snapshots = store / "snapshots"
    with _publish_lock(store):
        if _current_id(store) == snapshot_id:
            return False
        final = snapshots / snapshot_id
        if not final.is_dir():
            written = [t for t in snapshots.glob(f".{snapshot_id}.tmp-*") if (t / "manifest.json").is_file()]
            if not written:
                raise StoreError(
                    f"snapshot {snapshot_id} was committed but neither {final} nor its temporary "
                    "folder exists any more: it cannot be completed"
                )
            written[0].rename(final)
            _fsync_dir(snapshots)
        _swap_current(store, snapshot_id)
    log.warning("completed the interrupted publish of snapshot %s in %s", snapshot_id, store)
    return True


def _check_arguments(snapshot_id: str, manifest: dict, retention: int) -> None:
    if not isinstance(snapshot_id, str) or not SNAPSHOT_ID.fullmatch(snapshot_id) or ".tmp-" in snapshot_id:
        raise PublishError(
            f"invalid snapshot id {snapshot_id!r}: use letters, digits, '.', '_' and '-' "
            "(not starting with '.' or '-', no '.tmp-'), e.g. 20261121-001"
        )
    if not isinstance(retention, int) or retention < 1:
        raise PublishError(f"retention must be a whole number >= 1, not {retention!r}")
    if not isinstance(manifest, dict):
        raise PublishError(f"manifest must be a dict, not {type(manifest).__name__}")
    clashes = [
        k
        for k in RESERVED_MANIFEST_KEYS
        if k in manifest and (k != "snapshot_id" or manifest[k] != snapshot_id)
    ]
    if clashes:
        raise PublishError(f"manifest keys {clashes} are set by publish itself; leave them out")
    try:
        json.dumps(manifest, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise PublishError(f"manifest is not JSON-serialisable: {exc}") from exc


@contextlib.contextmanager
def _publish_lock(store: Path) -> Iterator[None]:
    """One publish per store at a time (flock: released by the kernel if the holder dies)."""
    path = store / ".publish.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PublishError(f"another publish to {store} is running (it holds {path})") from None
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _remove_stale(store: Path) -> None:
    """Temporary folders and CURRENT files left by killed runs (no publish runs: we hold the lock)."""
    for entry in (store / "snapshots").iterdir():
        if entry.name.startswith(".") and ".tmp-" in entry.name:
            log.warning("removing %s, left by an interrupted publish", entry)
            _rmtree(entry)
    for entry in store.glob("CURRENT.tmp-*"):
        entry.unlink(missing_ok=True)


def _make_temp_folder(snapshots: Path, snapshot_id: str) -> Path:
    while True:
        tmp = snapshots / f".{snapshot_id}.tmp-{secrets.token_hex(6)}"
        try:
            tmp.mkdir()  # not mkdtemp: that would make the snapshot root 0o700 for good
            return tmp
        except FileExistsError:
            continue


def _check_columns(con: duckdb.DuckDBPyConnection, model: type[StoreTable]) -> None:
    relation = f"store_{model.table}"
    try:
        present = [row[0] for row in con.execute(f"DESCRIBE {quote(relation)}").fetchall()]
    except duckdb.Error as exc:
        raise PublishError(f"relation {relation} cannot be read from the connection: {exc}") from exc
    expected = [f.name for f in arrow_schema(model)]
    missing = [c for c in expected if c not in present]
    extra = [c for c in present if c not in expected]
    if missing or extra:
        raise PublishError(
            f"{relation} does not have the columns of schemas.store.{model.__name__}: "
            f"missing {missing}, unexpected {extra}"
        )


def _table_folder(snapshot: Path, model: type[StoreTable]) -> Path:
    """<snapshot>/<zone>/<table>/, made empty; a restricted zone owner-only before anything is in it."""
    folder = snapshot / model.zone / model.table
    zone = folder.parent
    if not zone.exists():
        zone.mkdir(mode=0o700 if model.zone == RESTRICTED_ZONE else 0o777)
        if model.zone == RESTRICTED_ZONE:
            zone.chmod(0o700)  # before any personal data is written below it
    folder.mkdir()
    return folder


def _typed_select(model: type[StoreTable]) -> str:
    return ", ".join(f"CAST({quote(c)} AS {t}) AS {quote(c)}" for c, t in duckdb_types(model).items())


def _write_table(con: duckdb.DuckDBPyConnection, snapshot: Path, model: type[StoreTable]) -> int:
    """COPY one store_<table> relation into <snapshot>/<zone>/<table>/, typed, sorted, partitioned.
    Returns the rows COPY wrote (the relation is computed once: counting it first would compute
    its views twice)."""
    folder = _table_folder(snapshot, model)
    select = _typed_select(model)
    source = f"store_{model.table}"
    order = ", ".join(quote(c) for c in model.sort_by)
    if model.partition_by:
        partitions = ", ".join(quote(c) for c in model.partition_by)
        options = (
            f"FORMAT parquet, {COMPRESSION}, PARTITION_BY ({partitions}), "
            "WRITE_PARTITION_COLUMNS true" + (f", ORDER_BY ({order})" if order else "")
        )
        written = con.execute(
            f"COPY (SELECT {select} FROM {quote(source)}) TO {literal(str(folder))} ({options})"
        ).fetchall()[0][0]
        if not any(folder.rglob("*.parquet")):
            _write_empty(con, folder, model)
        return written
    query = f"SELECT {select} FROM {quote(source)}" + (f" ORDER BY {order}" if order else "")
    return _copy_file(con, query, folder / "data_0.parquet")


def _write_kept(con: duckdb.DuckDBPyConnection, snapshot: Path, model: type[StoreTable]) -> int:
    """COPY a relation that the caller keeps in partition-then-sort order: one plain COPY per
    partition value, each selecting its partition's rows in the relation's order. DuckDB answers
    the filter from the row groups' min/max, so each COPY reads little more than its partition's
    rows. DuckDB's partitioned writer costs 1.3-1.7 times the CPU of plain files for the same rows
    (10M person_records: 2.5 s against 2.0 s), and sorting again costs more. The folders are named
    as DuckDB's writer names them (`hive_folder`), and read back the same way."""
    folder = _table_folder(snapshot, model)
    select = _typed_select(model)
    source = quote(f"store_{model.table}")
    if not model.partition_by:
        return _copy_file(con, f"SELECT {select} FROM {source}", folder / "data_0.parquet")
    keys = [quote(c) for c in model.partition_by]
    types = duckdb_types(model)
    as_written = [f"CAST(CAST({quote(c)} AS {types[c]}) AS VARCHAR)" for c in model.partition_by]
    partitions = con.execute(  # each value as the relation holds it (to filter by) and as written
        f"SELECT {', '.join(keys)}, {', '.join(as_written)}, count(*) "
        f"FROM {source} GROUP BY ALL"
    ).fetchall()
    if not partitions:
        _write_empty(con, folder, model)
        return 0
    for *values, rows in partitions:
        typed, text = values[: len(keys)], values[len(keys) :]
        pairs = zip(keys, typed, strict=True)
        where = " AND ".join(f"{k} IS NULL" if v is None else f"{k} = ?" for k, v in pairs)
        part = folder.joinpath(*map(hive_folder, model.partition_by, text))
        part.mkdir(parents=True)
        query = f"SELECT {select} FROM {source} WHERE {where}"
        written = _copy_file(con, query, part / "data_0.parquet", [v for v in typed if v is not None])
        if written != rows:  # a value its own filter does not select: never drop rows silently
            raise PublishError(f"{model.table}: {written} rows written to {part.name}, {rows} counted")
    return sum(rows for *_, rows in partitions)


def _copy_file(con: duckdb.DuckDBPyConnection, query: str, file: Path, params: list | None = None) -> int:
    """COPY `query` into one Parquet file, in the query's order. Returns the rows written."""
    with _insertion_order_kept(con):
        return con.execute(
            f"COPY ({query}) TO {literal(str(file))} (FORMAT parquet, {COMPRESSION})", params or []
        ).fetchall()[0][0]


def hive_folder(column: str, value: str | None) -> str:
    """A partition's folder as DuckDB's PARTITION_BY names it: the value percent-encoded (every
    byte but letters, digits and `-_.~`, as UTF-8), a NULL as HIVE_NULL (tests/test_store.py)."""
    return f"{column}={HIVE_NULL if value is None else urllib.parse.quote(value, safe='')}"


def _write_empty(con: duckdb.DuckDBPyConnection, folder: Path, model: type[StoreTable]) -> None:
    """An empty partitioned table: one empty file in the all-NULL partition, to keep its schema."""
    empty = folder.joinpath(*(f"{c}={HIVE_NULL}" for c in model.partition_by))
    empty.mkdir(parents=True)
    query = f"SELECT {_typed_select(model)} FROM {quote(f'store_{model.table}')} LIMIT 0"
    _copy_file(con, query, empty / "data_0.parquet")


@contextlib.contextmanager
def _insertion_order_kept(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """A single-file COPY keeps the query's ORDER BY only with preserve_insertion_order on."""
    before = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    if before:
        yield
        return
    con.execute("SET preserve_insertion_order = true")
    try:
        yield
    finally:
        con.execute("SET preserve_insertion_order = false")


def _restrict(zone: Path) -> None:
    """Owner-only: 0o700 folders, 0o600 files."""
    if not zone.exists():
        return
    zone.chmod(0o700)
    for root, dirs, files in os.walk(zone):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o700)
        for f in files:
            os.chmod(os.path.join(root, f), 0o600)


def _verify(
    con: duckdb.DuckDBPyConnection, snapshot: Path, model: type[StoreTable], expected_rows: int, sort: bool
) -> dict:
    """Re-read a written table: rows, column names and types against the model. Returns its manifest entry."""
    table = f"{model.zone}/{model.table}"
    files = sorted((snapshot / model.zone / model.table).rglob("*.parquet"))
    if not files:
        raise PublishError(f"{table}: no parquet file was written")
    source = read_parquet_sql(snapshot, model)
    schema = arrow_schema(model)
    got = con.sql(f"SELECT * FROM {source} LIMIT 0").to_arrow_table().schema
    if got.names != schema.names:
        raise PublishError(f"{table}: columns read back {got.names} are not the model's {schema.names}")
    wrong = [
        f"{f.name}: {got.field(f.name).type} (model: {f.type})"
        for f in schema
        if not got.field(f.name).type.equals(f.type)
    ]
    if wrong:
        raise PublishError(f"{table}: types read back differ from the model: {'; '.join(wrong)}")
    rows, nulls_in = _rows_and_nulls(con, files, [f.name for f in schema if not f.nullable])
    if rows != expected_rows:
        raise PublishError(f"{table}: {rows} rows read back, {expected_rows} written")
    nulls = [f"{c} ({n} null)" for c, n in nulls_in.items() if n]
    if nulls:
        raise PublishError(f"{table}: nulls in columns the model says are never null: {', '.join(nulls)}")
    return {
        "zone": model.zone,
        "path": f"{model.zone}/{model.table}",
        "rows": rows,
        "files": len(files),
        "partition_by": list(model.partition_by),
        "sort_by": list(model.sort_by),
        "sorted": sort and bool(model.sort_by),
        "schema_fingerprint": schema_fingerprint(model),
    }


def _rows_and_nulls(
    con: duckdb.DuckDBPyConnection, files: list[Path], columns: list[str]
) -> tuple[int, dict[str, int]]:
    """Rows of the files, and NULLs in each of `columns`, from the files' footers (row groups'
    counts and column statistics) rather than a pass over the data (1 s of a 10M-record publish).
    A list's statistics count its NULL and empty values alike: list columns are read."""
    paths = f"[{', '.join(literal(str(f)) for f in files)}]"
    rows = con.execute(f"SELECT sum(num_rows) FROM parquet_file_metadata({paths})").fetchall()[0][0]
    stats = dict(
        con.execute(
            f"SELECT path_in_schema, sum(stats_null_count) FROM parquet_metadata({paths}) GROUP BY ALL"
        ).fetchall()
    )
    nulls = {c: stats.get(c) for c in columns}
    if unknown := [c for c, n in nulls.items() if n is None]:  # a list, or no statistics written
        counted = con.execute(
            f"SELECT {', '.join(f'count(*) - count({quote(c)})' for c in unknown)} FROM read_parquet({paths})"
        ).fetchall()[0]
        nulls.update(zip(unknown, counted, strict=True))
    return rows, nulls


def schema_fingerprint(model: type[StoreTable]) -> str:
    """sha256 of the table's layout: columns (name, Arrow type, nullable), partitioning, sort order."""
    layout = {
        "zone": model.zone,
        "table": model.table,
        "partition_by": list(model.partition_by),
        "sort_by": list(model.sort_by),
        "columns": [[f.name, str(f.type), f.nullable] for f in arrow_schema(model)],
    }
    return "sha256:" + hashlib.sha256(json.dumps(layout, sort_keys=True).encode()).hexdigest()


def _write_manifest(snapshot: Path, snapshot_id: str, manifest: dict, tables: dict) -> None:
    content = {
        **manifest,
        "snapshot_id": snapshot_id,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tables": tables,
    }
    path = snapshot / "manifest.json"
    path.write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _swap_current(store: Path, snapshot_id: str) -> None:
    tmp = store / f"CURRENT.tmp-{secrets.token_hex(6)}"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(snapshot_id + "\n")
            f.flush()
            os.fsync(f.fileno())
        _replace_current(tmp, store / "CURRENT")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:  # CURRENT is replaced: the snapshot is published, whatever happens from here
        _fsync_dir(store)
    except OSError as exc:
        log.warning("could not sync %s after replacing CURRENT: %s", store, exc)


def _replace_current(tmp: Path, current: Path) -> None:
    os.replace(tmp, current)


def _discard(folder: Path, snapshots: Path, snapshot_id: str) -> None:
    """Remove a failed publish's folder (renamed out of sight first when it already had its final name)."""
    try:
        if not folder.name.startswith("."):
            hidden = snapshots / f".{snapshot_id}.tmp-failed-{secrets.token_hex(6)}"
            folder.rename(hidden)
            folder = hidden
        _rmtree(folder)
    except OSError as exc:
        log.warning("could not remove %s after a failed publish (the next publish will): %s", folder, exc)


def _prune(snapshots: Path, keep: int, protect: set[str]) -> None:
    """Remove snapshots beyond the `keep` greatest ids, never CURRENT's or the protected ones."""
    current = current_snapshot(snapshots.parent)
    if current is not None:
        protect = protect | {current.name}
    ids = sorted(p.name for p in snapshots.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in ids[:-keep]:
        if old in protect:
            continue
        try:
            hidden = snapshots / f".{old}.tmp-pruned-{secrets.token_hex(6)}"
            (snapshots / old).rename(hidden)  # out of sight at once; removed below or by the next publish
            _rmtree(hidden)
            log.info("pruned snapshot %s (retention %d)", old, keep)
        except OSError as exc:
            log.warning("could not prune snapshot %s: %s", old, exc)


# --- helpers -------------------------------------------------------------------------------------


@cache
def duckdb_types(model: type[StoreTable]) -> dict[str, str]:
    """Column -> DuckDB type, as DuckDB itself maps the model's Arrow schema. Read on a cursor of
    DuckDB's default in-memory database: a database of its own for each table cost 0.3 s a publish."""
    with duckdb.cursor() as cursor:
        relation = cursor.from_arrow(arrow_schema(model).empty_table())
        return {name: str(type_) for name, type_ in zip(relation.columns, relation.types, strict=True)}


def _fsync_tree(root: Path) -> None:
    """fsync every file, then every folder bottom-up, of a tree."""
    for folder, _dirs, files in os.walk(root, topdown=False):
        for name in files:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(folder))


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _rmtree(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
