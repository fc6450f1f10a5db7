"""The steps of the nightly run after ingest: link persons, build findings, publish a snapshot.

Each step opens the warehouse itself, so that Prefect tasks pass only paths and ids.
"""

from __future__ import annotations

import subprocess
from importlib.metadata import version
from pathlib import Path

from matching.linkage import link_incremental
from matching.model import MODEL_VERSION
from matching.person_ids import assign_person_ids
from matching.training import DEFAULT_MODEL, load
from oneperson import failpoints
from oneperson.findings import refresh_store
from oneperson.report import REPORT_FILE, RunReport, write_report
from oneperson.store import finish_publish, publish
from oneperson.warehouse import connect, transaction


def warehouse_of(store: Path, create: bool = True) -> Path:
    """The warehouse kept beside a store's snapshots (personal data: owner-only folder)."""
    folder = Path(store) / "warehouse"
    if create:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        folder.chmod(0o700)
    return folder / "oneperson.duckdb"


def find_persons(warehouse: Path, run_id: str) -> dict:
    """Incremental link (full on the first night), then carry person ids over."""
    con = connect(warehouse)
    try:
        with transaction(con):  # links, clusters and ids change together or not at all
            result = link_incremental(con, load(DEFAULT_MODEL))
            failpoints.reached("link:scored")
            ids = assign_person_ids(con, run_id)
    finally:
        con.close()
    return {
        "mode": result.mode,
        "profiles": result.profiles,
        "profiles_scored": result.profiles_scored,
        "persons": ids.persons,
        "ids_kept": ids.kept,
        "ids_new": ids.new,
        "merges": ids.merges,
        "splits": ids.splits,
    }


def finish_interrupted_publish(warehouse: Path, store: Path) -> str | None:
    """If the last run committed a snapshot but died before CURRENT named it, complete that publish
    (oneperson.store.finish_publish). Returns the snapshot id completed, if any."""
    if not warehouse.exists():
        return None
    con = connect(warehouse)
    try:
        last = con.execute(
            "SELECT arg_max(snapshot_id, committed_at) FROM publications WHERE make_current"
        ).fetchall()[0][0]
    finally:
        con.close()
    if last is not None and finish_publish(store, last):
        return last
    return None


def next_snapshot_id(warehouse: Path, store: Path) -> str:
    """`<latest applied batch date>-<n>`: derived from the inputs, so the same inputs give the same id.
    An id is taken once a snapshot folder or a committed publication has it."""
    con = connect(warehouse)  # (the run may hold the warehouse open: warehouse.held_open)
    try:
        latest = con.execute("SELECT max(left(batch, 8)) FROM batch_log WHERE status = 'applied'").fetchall()[
            0
        ][0]
        stem = latest or "00000000"
        taken = {s for (s,) in con.execute("SELECT snapshot_id FROM publications").fetchall()}
    finally:
        con.close()
    if (store / "snapshots").exists():
        taken |= {p.name for p in (store / "snapshots").glob(f"{stem}-*")}
    n = 1
    while f"{stem}-{n:03d}" in taken:
        n += 1
    return f"{stem}-{n:03d}"


def code_version() -> str:
    """The package version and, when run from a git checkout, its commit."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{version('oneperson')}+{commit}" if commit else version("oneperson")


def publish_snapshot(
    warehouse: Path,
    store: Path,
    snapshot_id: str,
    run_id: str,
    retention: int,
    run: dict | None = None,
) -> dict:
    """Findings for this snapshot, then the store tables written and CURRENT swapped. `run` (the
    steps so far: seconds and row counts) goes into the manifest as it is."""
    con = connect(warehouse)
    committed = False

    def commit() -> None:  # called by publish once the snapshot is complete on disk
        nonlocal committed
        con.execute("INSERT INTO publications VALUES (?, ?, now(), true)", [snapshot_id, run_id])
        con.execute("COMMIT")
        committed = True

    try:
        # The findings history moves to this snapshot only if the snapshot is published: one
        # transaction from here to `commit`.
        con.execute("BEGIN TRANSACTION")
        refreshed = refresh_store(con, snapshot_id)
        n_findings = refreshed.findings
        failpoints.reached("findings:built")
        batches = con.execute("""SELECT source, list(DISTINCT batch ORDER BY batch) FROM batch_log
            WHERE status = 'applied' GROUP BY source ORDER BY source""").fetchall()
        manifest = {
            "run_id": run_id,
            "input_batches": dict(batches),
            "model_version": MODEL_VERSION,
            "code_version": code_version(),
            **({"run": run} if run else {}),
            "store_refresh": {"mode": refreshed.mode, "persons_refreshed": refreshed.persons_refreshed},
        }
        reports: list[RunReport] = []
        manifest["report"] = REPORT_FILE
        path = publish(
            con,
            store,
            snapshot_id,
            manifest,
            retention=retention,
            extras=lambda folder: reports.append(write_report(con, folder, snapshot_id, manifest)),
            commit=commit,
            kept=refreshed.kept,
        )
    except BaseException:
        if not committed:
            con.execute("ROLLBACK")
        raise
    finally:
        con.close()
    report = reports[0]
    return {
        "snapshot": str(path),
        "report": str(path / REPORT_FILE),
        "findings": n_findings,
        "findings_by_type": report.findings_by_type,
        "headline": report.headline,
        "load_by_source": report.load_by_source,
        "quarantine_by_reason": report.quarantine_by_reason,
    }
