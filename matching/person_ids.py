"""Stable pseudonymous person ids across runs (CONTRACT §3).

The same inputs give the same ids; a run that adds records keeps every existing id; when persons
merge one id survives by a fixed rule and the merge is logged; when a person splits the larger
part keeps the id (sql/link/30_person_ids.sql). A new id is `P` + HMAC-SHA256(secret key, the
cluster's smallest profile id): it reveals nothing of the ID number without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from oneperson.warehouse import SQL, UNCOMPRESSED, transaction

KEY_ENV = "ONEPERSON_PSEUDONYM_KEY"
KEY_FILE_ENV = "ONEPERSON_PSEUDONYM_KEY_FILE"
DEFAULT_KEY_FILE = Path.home() / ".oneperson" / "pseudonym.key"


def pseudonym_key() -> bytes:
    """The secret behind person ids: $ONEPERSON_PSEUDONYM_KEY, else a key file kept outside the store
    ($ONEPERSON_PSEUDONYM_KEY_FILE, default ~/.oneperson/pseudonym.key, created owner-only if absent)."""
    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV].encode()
    path = Path(os.environ.get(KEY_FILE_ENV, DEFAULT_KEY_FILE))
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def new_person_id(key: bytes, anchor: str, attempt: int = 0) -> str:
    message = anchor if attempt == 0 else f"{anchor}|{attempt}"
    return "P" + hmac.new(key, message.encode(), hashlib.sha256).hexdigest()[:20]


@dataclass(frozen=True)
class IdResult:
    persons: int
    kept: int
    new: int
    merges: int
    splits: int


def assign_person_ids(con: duckdb.DuckDBPyConnection, run_id: str) -> IdResult:
    """Give every cluster of profile_clusters a person id; update person_registry and the logs.

    Only the clusters whose membership may have changed are worked on (sql/link/30_person_ids.sql):
    a nightly increment moves a few percent of profiles, and a pass over every cluster's
    registry, sizes and claims cost 9 s of a 10M-record increment."""
    key = f"VARCHAR {UNCOMPRESSED}"  # (oneperson/warehouse.py KEY_COLUMNS)
    con.execute(f"""
        CREATE TABLE IF NOT EXISTS person_registry (profile_id {key}, person_id {key}, cluster_id {key});
        CREATE TABLE IF NOT EXISTS persons_dirty (person_id VARCHAR);
        CREATE TABLE IF NOT EXISTS person_ids_issued (person_id {key}, anchor VARCHAR, run_id VARCHAR);
        CREATE TABLE IF NOT EXISTS person_merges (run_id VARCHAR, merged_id VARCHAR, into_id VARCHAR,
                                                  logged_at TIMESTAMP);
        CREATE TABLE IF NOT EXISTS person_splits (run_id VARCHAR, person_id VARCHAR, new_person_id VARCHAR,
                                                  logged_at TIMESTAMP);
        -- A registry from before it kept clusters: every profile counts as moved once.
        ALTER TABLE person_registry ADD COLUMN IF NOT EXISTS cluster_id VARCHAR;""")
    con.execute((SQL / "link" / "30_person_ids.sql").read_text(encoding="utf-8"))
    fresh = con.sql("SELECT cluster_id, anchor FROM cluster_ids WHERE kept_id IS NULL ORDER BY anchor").pl()
    new_ids = fresh.with_columns(
        person_id=pl.Series(_issue(con, pseudonym_key(), fresh["anchor"].to_list()), dtype=pl.String)
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    with transaction(con):
        # The persons are counted from the last run's count: those in question go, the clusters in
        # question come (a count of every distinct cluster took 0.8 s at 10M records).
        con.execute("""CREATE TABLE IF NOT EXISTS registry_persons AS
            SELECT count(DISTINCT person_id) AS persons FROM person_registry;
            UPDATE registry_persons SET persons = persons - (SELECT count(*) FROM persons_in_question)
                + (SELECT count(*) FROM cluster_ids)""")
        con.execute("""CREATE OR REPLACE TEMP TABLE cluster_person AS
            SELECT c.cluster_id, coalesce(c.kept_id, n.person_id) AS person_id
            FROM cluster_ids AS c LEFT JOIN new_ids AS n USING (cluster_id)""")
        con.execute("INSERT INTO person_ids_issued SELECT person_id, anchor, ? FROM new_ids", [run_id])
        con.execute(
            "INSERT INTO person_merges SELECT ?, merged_id, into_id, ? FROM run_merges", [run_id, now]
        )
        con.execute(
            """INSERT INTO person_splits SELECT DISTINCT ?, s.person_id, p.person_id, ?
            FROM run_splits AS s JOIN cluster_person AS p USING (cluster_id)""",
            [run_id, now],
        )
        con.execute("""CREATE OR REPLACE TEMP TABLE registry_now AS
            SELECT c.profile_id, p.person_id, c.cluster_id
            FROM clusters_in_question AS c JOIN cluster_person AS p USING (cluster_id)""")
        # Persons whose profiles changed (both the old and the new id of a profile that moved): the
        # next publish refreshes their store rows (oneperson/materialise.py), which empties this.
        con.execute("""INSERT INTO persons_dirty SELECT DISTINCT person_id FROM (
            (SELECT profile_id, person_id FROM registry_now
             EXCEPT SELECT profile_id, person_id FROM registry_before)
            UNION ALL
            (SELECT profile_id, person_id FROM registry_before
             EXCEPT SELECT profile_id, person_id FROM registry_now))""")
        con.execute("""
            DELETE FROM person_registry WHERE person_id IN (SELECT person_id FROM persons_in_question);
            INSERT INTO person_registry SELECT * FROM registry_now;
            DELETE FROM clusters_written;  -- the registry is their clusters again""")
        con.execute((SQL / "link" / "35_record_persons.sql").read_text(encoding="utf-8"))
        counts = con.execute("""SELECT (SELECT persons FROM registry_persons),
            (SELECT count(*) FROM run_merges), (SELECT count(*) FROM run_splits)""").fetchall()[0]
    persons, merges, splits = counts
    return IdResult(persons, persons - new_ids.height, new_ids.height, merges, splits)


def _issue(con: duckdb.DuckDBPyConnection, key: bytes, anchors: list[str]) -> list[str]:
    """New ids for these anchors, in order: the anchor's HMAC, or, if that id was ever issued (to
    this run's earlier anchors or any before), the HMAC of anchor|1, |2, ... Only the candidates are
    looked up in person_ids_issued, not every id issued."""
    first = [new_person_id(key, anchor) for anchor in anchors]
    issued = _issued_before(con, first)
    ids = []
    for anchor, pid in zip(anchors, first, strict=True):
        attempt = 0
        while pid in issued:
            attempt += 1
            pid = new_person_id(key, anchor, attempt)
            issued |= _issued_before(con, [pid])
        issued.add(pid)
        ids.append(pid)
    return ids


def _issued_before(con: duckdb.DuckDBPyConnection, candidates: list[str]) -> set[str]:
    wanted = pl.DataFrame({"person_id": candidates}, schema={"person_id": pl.String})  # noqa: F841
    return {
        pid
        for (pid,) in con.execute(
            "SELECT person_id FROM person_ids_issued SEMI JOIN wanted USING (person_id)"
        ).fetchall()
    }
