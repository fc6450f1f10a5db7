"""Per-source figures of one ingest run, for the CLI table and the Prefect artifact."""

from __future__ import annotations

import duckdb

from schemas.sources import SOURCES


def source_summary(con: duckdb.DuckDBPyConnection, run_id: str) -> list[dict]:
    """Per source: this run's batches by status and rows read/applied/quarantined; current rows."""
    out = []
    for source in SOURCES:
        batches = dict(
            con.execute(
                "SELECT status, count(*) FROM batch_log WHERE run_id = ? AND source = ? GROUP BY status",
                [run_id, source],
            ).fetchall()
        )
        read, applied, quarantined, duplicates = con.execute(
            """SELECT coalesce(sum(rows_read), 0), coalesce(sum(rows_applied), 0),
                      coalesce(sum(rows_quarantined), 0),
                      count(*) FILTER (status = 'duplicate')
               FROM load_log WHERE run_id = ? AND source = ?""",
            [run_id, source],
        ).fetchall()[0]
        current = con.execute(f"SELECT count(*) FROM current_{source}").fetchall()[0][0]
        messages = [
            m
            for (m,) in con.execute(
                "SELECT message FROM batch_log WHERE run_id = ? AND source = ? AND status <> 'applied' "
                "ORDER BY batch",
                [run_id, source],
            ).fetchall()
        ]
        out.append(
            {
                "source": source,
                "batches_applied": batches.get("applied", 0),
                "batches_held_back": batches.get("held_back", 0),
                "batches_failed": batches.get("failed", 0),
                "batches_waiting": batches.get("waiting", 0),
                "files_skipped_as_duplicate": duplicates,
                "rows_read": int(read),
                "rows_applied": int(applied),
                "rows_quarantined": int(quarantined),
                "current_records": current,
                "problems": "; ".join(m for m in messages if m),
            }
        )
    return out
