"""The store publisher: immutable snapshots, CURRENT swapped atomically, nothing half-published."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from oneperson import store as store_module
from oneperson.store import (
    HIVE_NULL,
    PublishError,
    current_snapshot,
    duckdb_types,
    hive_folder,
    publish,
    read_parquet_sql,
    schema_fingerprint,
    snapshot_table_glob,
)
from schemas.derive import arrow_schema
from schemas.store import (
    STORE_TABLES,
    AssistanceCase,
    Enrollment,
    Finding,
    Identity,
    Person,
    PersonRecord,
    Quarantine,
)

REPO = Path(__file__).resolve().parents[1]
MANIFEST = {"run_id": "run-1", "input_batches": {"tax": ["20261121"]}, "model_version": "profiles-v1"}


def build_relations(con: duckdb.DuckDBPyConnection, tag: str = "a", *, empty: tuple[str, ...] = ()) -> None:
    """Tiny store_* tables, a few rows each; column types only castable to the model's (INTEGER for
    BIGINT, VARCHAR for DATE ...), a NULL partition value, list columns, rows not in sort order."""
    tables = {
        "persons": """SELECT * FROM (VALUES
            ('P3{t}', 1990, 'male', '110101', '11', true, ['enrollment', 'tax'], 2),
            ('P1{t}', 2001, 'female', NULL, NULL, true, ['education'], 1),
            ('P2{t}', NULL, NULL, '440305', '44', false, ['public_security', 'tax'], 3),
            ('P4{t}', 1975, 'male', '110102', '11', true, [], 0))
            v(person_id, birth_year, sex, hukou_region_code, hukou_province, alive, sources, n_records)""",
        "person_records": """SELECT * FROM (VALUES
            ('tax', 'T9{t}', 'P3{t}', 0.97, '20261121'),
            ('enrollment', 'E1{t}', 'P3{t}', NULL, '20261120'),
            ('education', 'D1{t}', 'P1{t}', 0.51, '20261121'),
            ('tax', 'T2{t}', 'P2{t}', NULL, '20261121'))
            v(source, record_key, person_id, match_probability, batch)""",
        "enrollments": """SELECT * FROM (VALUES
            ('P3{t}', 'E1{t}', '390', 2025, '110101', '11', 'active', '2025-01-02', NULL),
            ('P2{t}', 'E2{t}', '310', 2026, '440305', '44', 'active', NULL, NULL),
            ('P1{t}', 'E3{t}', '390', 2026, '110101', '11', 'terminated', '2026-01-05', '2026-06-30'))
            v(person_id, record_key, scheme, coverage_year, insured_region_code, insured_province, status,
              enrolled_on, terminated_on)""",
        "payments": """SELECT * FROM (VALUES
            ('P3{t}', 'T9{t}', '390', 2025, '380.00', '2024-11-30', 'self', '110101', '11'),
            ('P2{t}', 'T2{t}', '310', 2026, '4520.50', '2026-02-01', 'subsidized', '440305', '44'))
            v(person_id, record_key, scheme, coverage_year, amount, paid_on, payer_type,
              collecting_region_code, collecting_province)""",
        "student_records": """SELECT * FROM (VALUES
            ('P1{t}', 'D1{t}', 2025, '310104', '31', 'higher', 'enrolled'))
            v(person_id, record_key, academic_year, school_region_code, school_province, stage, status)""",
        "assistance_cases": """SELECT * FROM (VALUES
            ('P2{t}', 'C1{t}', 'dibao', 'active', '440305', '44', '2024-03-01', NULL))
            v(person_id, record_key, assistance_type, status, region_code, province, effective_from,
              effective_to)""",
        "findings": """SELECT * FROM (VALUES
            ('F1{t}', 'duplicate_cross_province', 'P3{t}', 2026, ['E1{t}', 'E9{t}'], 0.97, 'E1{t}',
             'resident_hukou_place', '20261121-001'),
            ('F2{t}', 'deceased_enrolled', 'P2{t}', 2026, ['E2{t}'], NULL, NULL, NULL, '20261120-001'),
            ('F0{t}', 'deceased_enrolled', 'P1{t}', 2025, ['E3{t}'], NULL, NULL, NULL, '20261120-001'))
            v(finding_id, finding_type, person_id, coverage_year, record_keys, min_match_probability,
              keep_record_key, resolution_rule, first_seen_snapshot)""",
        "finding_history": """SELECT * FROM (VALUES
            ('F1{t}', 'duplicate_cross_province', 'P3{t}', 2026, '20261121-001', '20261121-001', NULL),
            ('F7{t}', 'missing_enrollment', 'P1{t}', 2025, '20261119-001', '20261120-001', '20261121-001'))
            v(finding_id, finding_type, person_id, coverage_year, first_seen_snapshot, last_seen_snapshot,
              resolved_in_snapshot)""",
        "person_id_changes": """SELECT * FROM (VALUES
            ('merge', 'P9{t}', 'P3{t}', 'run-1'), ('split', 'P2{t}', 'P5{t}', 'run-1'))
            v(change, person_id, into_person_id, run_id)""",
        "identities": """SELECT * FROM (VALUES
            ('P3{t}', '110101199003071234', '张伟', '1990-03-07', 'male', ['110101199003071234'],
             ['张伟', '張偉']),
            ('P1{t}', NULL, '李娜', NULL, NULL, []::VARCHAR[], ['李娜']))
            v(person_id, id_number, name, birth_date, sex, id_number_variants, name_variants)""",
        "quarantine": """SELECT * FROM (VALUES
            ('tax', '20261121', 'pay.csv', 7, 'wrong field count: 3 of 9', 'a,b,c'),
            ('education', '20261120', 'roster.csv.gz', 2, 'missing required field name (姓名)', ',,2001'))
            v(source, batch, file, line, reason, raw)""",
    }
    for table, query in tables.items():
        where = " WHERE false" if table in empty else ""
        con.execute(f"CREATE OR REPLACE TABLE store_{table} AS SELECT * FROM ({query.format(t=tag)}){where}")


def tree_digest(root: Path) -> dict[str, tuple[int, str]]:
    """Every path under root (the publish lock aside): mode and content hash."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.name == ".publish.lock":
            continue
        content = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        out[str(path.relative_to(root))] = (path.stat().st_mode, content)
    return out


def leftovers(store: Path) -> list[str]:
    return sorted(p.name for p in [*(store / "snapshots").iterdir(), *store.iterdir()] if ".tmp-" in p.name)


@pytest.fixture
def con():
    con = duckdb.connect()
    build_relations(con)
    yield con
    con.close()


@pytest.fixture
def umask022():
    before = os.umask(0o022)
    yield
    os.umask(before)


def test_publish_writes_every_table_typed_sorted_and_partitioned(con, tmp_path):
    store = tmp_path / "store"
    snapshot = publish(con, store, "20261121-001", MANIFEST)
    assert snapshot == store / "snapshots" / "20261121-001"
    assert current_snapshot(store) == snapshot
    assert (store / "CURRENT").read_text(encoding="utf-8") == "20261121-001\n"
    for model in STORE_TABLES:
        table = snapshot / model.zone / model.table
        assert table.is_dir()
        read = read_parquet_sql(snapshot, model)
        schema = arrow_schema(model)
        got = con.sql(f"SELECT * FROM {read}").to_arrow_table()
        assert got.schema.names == schema.names
        assert [f.type for f in got.schema] == [f.type for f in schema]
        back = con.execute(f"SELECT * FROM {read}").fetchall()
        typed = ", ".join(f"CAST({c} AS {t})" for c, t in duckdb_types(model).items())
        source = con.execute(f"SELECT {typed} FROM store_{model.table}").fetchall()
        assert sorted(map(repr, back)) == sorted(map(repr, source))  # same values (dates, lists, NULLs)
        for file in table.rglob("*.parquet"):  # every file self-contained, model order, sorted
            rows = pq.read_table(file)
            assert rows.schema.names == schema.names
            keys = list(zip(*(rows.column(c).to_pylist() for c in model.sort_by), strict=True))
            assert keys == sorted(keys)
            for part in file.relative_to(table).parts[:-1]:  # partition folders in model order
                assert part.split("=")[0] in model.partition_by
    persons = snapshot / "analytics" / "persons"
    assert sorted(p.name for p in persons.iterdir()) == [
        "hukou_province=11",
        "hukou_province=44",
        f"hukou_province={HIVE_NULL}",
    ]
    nulls = con.execute(
        f"SELECT person_id FROM {read_parquet_sql(snapshot, Person)} WHERE hukou_province IS NULL"
    ).fetchall()
    assert nulls == [("P1a",)]
    assert con.execute(
        f"SELECT hukou_province, count(*) FROM {read_parquet_sql(snapshot, Person)} "
        "WHERE hukou_province = '11' GROUP BY 1"
    ).fetchall() == [("11", 2)]  # a string, not 11
    findings = sorted(
        str(p.relative_to(snapshot / "analytics" / "findings"))
        for p in (snapshot / "analytics" / "findings").rglob("*.parquet")
    )
    assert findings == [
        "coverage_year=2025/finding_type=deceased_enrolled/data_0.parquet",
        "coverage_year=2026/finding_type=deceased_enrolled/data_0.parquet",
        "coverage_year=2026/finding_type=duplicate_cross_province/data_0.parquet",
    ]
    assert sorted(p.name for p in (snapshot / "analytics" / "person_records").iterdir()) == [
        "source=education",
        "source=enrollment",
        "source=tax",
    ]
    assert [p.name for p in (snapshot / "restricted" / "identities").iterdir()] == ["data_0.parquet"]
    lists = con.execute(
        f"SELECT record_keys FROM {read_parquet_sql(snapshot, Finding)} ORDER BY finding_id"
    ).fetchall()
    assert lists == [(["E3a"],), (["E1a", "E9a"],), (["E2a"],)]
    assert snapshot_table_glob(snapshot, Enrollment) == f"{snapshot}/analytics/enrollments/**/*.parquet"
    assert leftovers(store) == []


def test_manifest(con, tmp_path):
    snapshot = publish(con, tmp_path / "store", "20261121-001", MANIFEST)
    manifest = json.loads((snapshot / "manifest.json").read_text(encoding="utf-8"))
    assert {k: manifest[k] for k in MANIFEST} == MANIFEST
    assert manifest["snapshot_id"] == "20261121-001"
    assert manifest["created_at"].endswith("+00:00")
    assert set(manifest["tables"]) == {m.table for m in STORE_TABLES}
    rows = {
        "persons": 4,
        "person_records": 4,
        "enrollments": 3,
        "payments": 2,
        "student_records": 1,
        "assistance_cases": 1,
        "findings": 3,
        "finding_history": 2,
        "person_id_changes": 2,
        "identities": 2,
        "quarantine": 2,
    }
    files = {
        "persons": 3,
        "person_records": 3,
        "enrollments": 2,
        "payments": 2,  # partitioned by year
        "student_records": 1,
        "assistance_cases": 1,
        "findings": 3,
        "finding_history": 2,  # partitioned by type
        "person_id_changes": 1,
        "identities": 1,
        "quarantine": 1,
    }
    for model in STORE_TABLES:
        entry = manifest["tables"][model.table]
        assert entry["rows"] == rows[model.table]
        assert entry["files"] == files[model.table]
        assert entry["path"] == f"{model.zone}/{model.table}"
        assert entry["partition_by"] == list(model.partition_by)
        assert entry["schema_fingerprint"] == schema_fingerprint(model)
        assert entry["sorted"] == bool(model.sort_by)
    assert len({e["schema_fingerprint"] for e in manifest["tables"].values()}) == len(STORE_TABLES)


def test_kept_tables_are_written_in_their_relations_order(con, tmp_path):
    """The caller keeps those tables in storage order (oneperson/materialise.py): no sort again, and
    a table kept as a sorted body and runs is said to be unsorted."""
    con.execute(
        "CREATE OR REPLACE TABLE store_identities AS SELECT * FROM store_identities ORDER BY person_id DESC"
    )
    snapshot = publish(con, tmp_path / "store", "20261121-001", MANIFEST, kept={"identities": False})
    manifest = json.loads((snapshot / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tables"]["identities"]["sorted"] is False
    assert manifest["tables"]["persons"]["sorted"] is True
    written = pq.read_table(snapshot / "restricted" / "identities" / "data_0.parquet").column("person_id")
    assert written.to_pylist() == ["P3a", "P1a"]


def test_a_kept_partitioned_table_is_one_copy_per_partition_like_duckdbs_writer(con, tmp_path):
    """Each partition's rows in the relation's order, in the folder DuckDB's PARTITION_BY names
    (NULL, non-ASCII, reserved characters), read back as the same values; a table of runs is
    written as it comes and said to be unsorted."""
    con.execute(
        """CREATE OR REPLACE TABLE store_persons AS SELECT * REPLACE (CASE person_id
            WHEN 'P4a' THEN '四川/省 50%' WHEN 'P2a' THEN '11' ELSE hukou_province END AS hukou_province)
        FROM store_persons ORDER BY hukou_province, person_id DESC"""
    )
    con.execute("CREATE OR REPLACE TABLE store_assistance_cases AS FROM store_assistance_cases LIMIT 0")
    kept = {"persons": False, "assistance_cases": True}
    snapshot = publish(con, tmp_path / "kept", "20261121-001", MANIFEST, kept=kept)
    reference = publish(con, tmp_path / "writer", "20261121-001", MANIFEST)
    for model in (Person, AssistanceCase):
        folders = [
            sorted(str(p.relative_to(root)) for p in (root / model.zone / model.table).rglob("*"))
            for root in (snapshot, reference)
        ]
        assert folders[0] == folders[1]
        assert sorted(con.execute(f"SELECT * FROM {read_parquet_sql(snapshot, model)}").fetchall()) == sorted(
            con.execute(f"SELECT * FROM {read_parquet_sql(reference, model)}").fetchall()
        )
    assert hive_folder("p", "四川/省 50%") == "p=%E5%9B%9B%E5%B7%9D%2F%E7%9C%81%2050%25"
    eleven = pq.read_table(snapshot / "analytics" / "persons" / "hukou_province=11" / "data_0.parquet")
    assert eleven.column("person_id").to_pylist() == ["P3a", "P2a"]  # as the relation gives them
    manifest = json.loads((snapshot / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tables"]["persons"]["sorted"] is False
    assert manifest["tables"]["persons"]["rows"] == 4
    assert manifest["tables"]["assistance_cases"]["rows"] == 0  # an empty one keeps its schema


def test_second_publish_swaps_current_and_leaves_the_first_untouched(con, tmp_path):
    store = tmp_path / "store"
    first = publish(con, store, "20261121-001", MANIFEST)
    before = tree_digest(first)
    build_relations(con, "b")
    second = publish(con, store, "20261122-001", MANIFEST)
    assert (store / "CURRENT").read_text(encoding="utf-8") == "20261122-001\n"
    assert current_snapshot(store) == second
    assert tree_digest(first) == before
    ids = con.execute(f"SELECT person_id FROM {read_parquet_sql(second, Person)} ORDER BY 1").fetchall()
    assert ids == [("P1b",), ("P2b",), ("P3b",), ("P4b",)]


def test_retention_prunes_the_oldest_ids_never_current_nor_the_new_one(con, tmp_path):
    store = tmp_path / "store"
    for day in ("05", "06", "07", "08"):
        publish(con, store, f"202611{day}-001", MANIFEST, retention=3)
    assert sorted(p.name for p in (store / "snapshots").iterdir()) == [
        "20261106-001",
        "20261107-001",
        "20261108-001",
    ]
    # a new id that sorts first (a back-dated re-run) is CURRENT: kept although it is "the oldest"
    publish(con, store, "20261101-001", MANIFEST, retention=2)
    assert sorted(p.name for p in (store / "snapshots").iterdir()) == [
        "20261101-001",
        "20261107-001",
        "20261108-001",
    ]
    assert current_snapshot(store).name == "20261101-001"
    publish(con, store, "20261109-001", MANIFEST, retention=1)
    assert sorted(p.name for p in (store / "snapshots").iterdir()) == ["20261109-001"]
    assert leftovers(store) == []


def _fail_on(model_name: str, real):
    def fail(con, snapshot, model, *args):
        if model.__name__ == model_name:
            raise OSError("disk full (injected)")
        return real(con, snapshot, model, *args)

    return fail


@pytest.mark.parametrize("where", ["write", "verify", "manifest", "current"])
def test_a_failure_before_the_swap_publishes_nothing(con, tmp_path, monkeypatch, where):
    store = tmp_path / "store"
    publish(con, store, "20261121-001", MANIFEST)
    build_relations(con, "b")
    publish(con, store, "20261122-001", MANIFEST)
    before = tree_digest(store)
    if where == "write":  # mid-write: some tables are on disk already
        monkeypatch.setattr(store_module, "_write_table", _fail_on("Finding", store_module._write_table))
    elif where == "verify":
        monkeypatch.setattr(store_module, "_verify", _fail_on("Identity", store_module._verify))
    elif where == "manifest":
        monkeypatch.setitem(MANIFEST, "unserialisable", object())
    else:  # after the rename, before CURRENT is replaced

        def no_replace(tmp, current):
            raise OSError("injected")

        monkeypatch.setattr(store_module, "_replace_current", no_replace)
    with pytest.raises(PublishError, match=r"20261123-001.*CURRENT|manifest is not JSON") as err:
        publish(con, store, "20261123-001", MANIFEST, retention=1)
    assert tree_digest(store) == before  # CURRENT, both snapshots: byte for byte, modes too
    assert leftovers(store) == []
    if where == "write":
        assert "writing analytics/findings" in str(err.value)


def test_verification_catches_a_wrong_row_count(con, tmp_path, monkeypatch):
    write = store_module._write_table

    def miscounted(con, snapshot, model, *args):  # COPY says it wrote rows the files do not hold
        write(con, snapshot, model, *args)
        return 99

    monkeypatch.setattr(store_module, "_write_table", miscounted)
    with pytest.raises(PublishError, match=r"analytics/persons: 4 rows read back, 99 written"):
        publish(con, tmp_path / "store", "20261121-001", MANIFEST)
    assert current_snapshot(tmp_path / "store") is None
    assert list((tmp_path / "store" / "snapshots").iterdir()) == []


@pytest.mark.parametrize(
    ("table", "column", "kind"),
    [("person_records", "record_key", "a plain column"), ("persons", "sources", "a list, NULL not empty")],
)
def test_verification_catches_nulls_the_model_forbids(con, tmp_path, table, column, kind):
    """Read back from the footers' statistics, or for lists (whose statistics count NULL and empty
    alike) from the data."""
    con.execute(f"UPDATE store_{table} SET {column} = NULL WHERE person_id = 'P1a'")
    with pytest.raises(PublishError, match=rf"analytics/{table}: nulls .*{column} \(1 null\)"):
        publish(con, tmp_path / "store", "20261121-001", MANIFEST)
    assert current_snapshot(tmp_path / "store") is None


def test_relations_that_break_the_model_are_refused(con, tmp_path):
    store = tmp_path / "store"
    con.execute(
        "CREATE OR REPLACE TABLE store_quarantine AS SELECT source, batch, file, line, reason "
        "FROM (VALUES ('tax', '1', 'f', 1, 'r')) v(source, batch, file, line, reason)"
    )
    with pytest.raises(PublishError, match=r"store_quarantine .*missing \['raw'\]"):
        publish(con, store, "20261121-001", MANIFEST)
    build_relations(con)
    con.execute("UPDATE store_identities SET name_variants = NULL WHERE person_id = 'P1a'")
    with pytest.raises(PublishError, match=r"restricted/identities: nulls .*name_variants \(1 null\)"):
        publish(con, store, "20261121-001", MANIFEST)
    build_relations(con)
    con.execute("UPDATE store_enrollments SET coverage_year = NULL WHERE person_id = 'P1a'")
    with pytest.raises(PublishError, match=r"coverage_year \(1 null\)"):  # a NULL partition, not nullable
        publish(con, store, "20261121-001", MANIFEST)
    assert current_snapshot(store) is None
    assert leftovers(store) == []


def test_empty_tables_keep_their_schema(tmp_path):
    con = duckdb.connect()
    build_relations(con, empty=("findings", "quarantine", "persons"))
    snapshot = publish(con, tmp_path / "store", "20261121-001", MANIFEST)
    for model in (Finding, Quarantine, Person):
        read = read_parquet_sql(snapshot, model)
        assert con.execute(f"SELECT count(*) FROM {read}").fetchall() == [(0,)]
        got = con.sql(f"SELECT * FROM {read}").to_arrow_table().schema
        assert [f.type for f in got] == [f.type for f in arrow_schema(model)]
    assert (
        snapshot
        / "analytics"
        / "findings"
        / f"coverage_year={HIVE_NULL}"
        / f"finding_type={HIVE_NULL}"
        / "data_0.parquet"
    ).is_file()


def test_a_killed_run_is_cleaned_by_the_next_publish(con, tmp_path):
    store = tmp_path / "store"
    publish(con, store, "20261121-001", MANIFEST)
    stale = store / "snapshots" / ".20261122-001.tmp-0badc0ffee00"
    (stale / "analytics" / "persons").mkdir(parents=True)
    (stale / "analytics" / "persons" / "data_0.parquet").write_bytes(b"PAR1 half")
    (store / "CURRENT.tmp-0badc0ffee00").write_text("20261122-001\n")
    publish(con, store, "20261122-001", MANIFEST)
    assert not stale.exists()
    assert leftovers(store) == []
    assert current_snapshot(store).name == "20261122-001"


def test_restricted_zone_is_owner_only(con, tmp_path, umask022):
    snapshot = publish(con, tmp_path / "store", "20261121-001", MANIFEST)
    restricted = [snapshot / "restricted", *(snapshot / "restricted").rglob("*")]
    assert len(restricted) == 5  # zone, 2 tables, 2 files
    for path in restricted:
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path
    for path in [snapshot, snapshot / "analytics", *(snapshot / "analytics").rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) == (0o755 if path.is_dir() else 0o644), path
    assert stat.S_IMODE((snapshot / "manifest.json").stat().st_mode) == 0o644


def test_a_snapshot_id_is_never_reused(con, tmp_path):
    store = tmp_path / "store"
    publish(con, store, "20261121-001", MANIFEST)
    before = tree_digest(store)
    build_relations(con, "b")
    with pytest.raises(PublishError, match=r"20261121-001 already exists.*immutable"):
        publish(con, store, "20261121-001", MANIFEST)
    assert tree_digest(store) == before


@pytest.mark.parametrize("bad", ["", ".hidden", "a/b", "x.tmp-1", "../up", "-x"])
def test_invalid_snapshot_ids_are_refused(con, tmp_path, bad):
    with pytest.raises(PublishError, match="invalid snapshot id"):
        publish(con, tmp_path / "store", bad, MANIFEST)


def test_reserved_manifest_keys_and_retention(con, tmp_path):
    with pytest.raises(PublishError, match="set by publish itself"):
        publish(con, tmp_path / "store", "20261121-001", {"tables": {}})
    with pytest.raises(PublishError, match="retention"):
        publish(con, tmp_path / "store", "20261121-001", MANIFEST, retention=0)
    publish(con, tmp_path / "store", "20261121-001", {"snapshot_id": "20261121-001"})  # the same id is fine


def test_one_publish_at_a_time(con, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    with open(store / ".publish.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(PublishError, match="another publish"):
            publish(con, store, "20261121-001", MANIFEST)
    assert current_snapshot(store) is None
    assert publish(con, store, "20261121-001", MANIFEST).is_dir()  # the lock is free again


def test_current_snapshot_of_an_empty_store(tmp_path):
    assert current_snapshot(tmp_path / "nothing") is None


CHILD = """
import sys, time
sys.path.insert(0, {tests!r})
import duckdb
from oneperson import store
from test_store import MANIFEST, build_relations

con = duckdb.connect()
build_relations(con, "k")
con.execute('''CREATE OR REPLACE TABLE store_person_records AS
    SELECT ['tax', 'enrollment', 'education'][i % 3 + 1] AS source, 'R' || i AS record_key,
           'P' || lpad((hash(i) % 100000000)::VARCHAR, 9, '0') AS person_id,
           (i % 100) / 100.0 AS match_probability, '20261122' AS batch
    FROM range({rows}) r(i)''')
real = store._fsync_tree
def slow_fsync_tree(root):  # on a machine fast enough to write everything before the kill
    time.sleep(60)
    real(root)
store._fsync_tree = slow_fsync_tree
print("publishing", flush=True)
store.publish(con, {store!r}, "20261122-001", MANIFEST)
print("published", flush=True)
"""


def test_a_killed_child_process_publishes_nothing(con, tmp_path):
    store = tmp_path / "store"
    first = publish(con, store, "20261121-001", MANIFEST)
    before, first_before = tree_digest(store), tree_digest(first)
    script = CHILD.format(tests=str(REPO / "tests"), rows=2_000_000, store=str(store))
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "publishing", child.stderr.read()
        time.sleep(0.4)  # inside the COPYs (about 1 s for the 2M person_records on two cores)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    after = tree_digest(store)
    partial = [p for p in after if p.startswith("snapshots/.20261122-001.tmp-")]
    assert partial, "the child left no temp folder: it was killed before it began writing"
    assert {p: v for p, v in after.items() if p not in partial} == before  # CURRENT, first snapshot
    assert (store / "CURRENT").read_text(encoding="utf-8") == "20261121-001\n"
    assert not (store / "snapshots" / "20261122-001").exists()
    build_relations(con, "b")
    second = publish(con, store, "20261122-001", MANIFEST)  # the lock died with the child
    assert current_snapshot(store) == second
    assert leftovers(store) == []
    assert tree_digest(first) == first_before
    assert con.execute(f"SELECT count(*) FROM {read_parquet_sql(first, PersonRecord)}").fetchall() == [(4,)]
    assert con.execute(f"SELECT count(*) FROM {read_parquet_sql(second, Identity)}").fetchall() == [(2,)]
