"""Ingest: every row read is applied or quarantined with its reason, nothing twice, nothing lost."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from warehouses import SAMPLE, ingest_landing

from oneperson.ingest import apply_pending
from oneperson.standardise import build_profiles, standardise
from oneperson.warehouse import connect, held_open, small_change

ENROLLMENT_ZH = "个人编号,证件号码,姓名,性别,出生日期,险种类型,参保年度,参保地行政区划代码,参保状态"
ENROLLMENT_EN = "person_no,id_number,name,sex,birth_date,scheme,coverage_year,insured_region_code,status"
TAX_EN = "receipt_no,id_number,name,scheme,coverage_year,amount,paid_on,region_code,payer_type"


def write(
    landing: Path,
    source: str,
    batch: str,
    name: str,
    text: str,
    encoding: str = "utf-8",
    crlf: bool = False,
    manifest: int | None = None,
) -> Path:
    folder = landing / source / batch
    folder.mkdir(parents=True, exist_ok=True)
    body = text.strip("\n") + "\n"
    if crlf:
        body = body.replace("\n", "\r\n")
    data = body.encode(encoding)
    path = folder / name
    path.write_bytes(gzip.compress(data, mtime=0) if name.endswith(".gz") else data)
    if manifest is not None:
        (folder / "manifest.json").write_text(json.dumps({"files": [{"name": name, "rows": manifest}]}))
    return path


def ingest(landing: Path, warehouse: Path) -> duckdb.DuckDBPyConnection:
    """The ingest flow's steps without Prefect (the flow itself is tested in test_ingest_flow)."""
    con = connect(warehouse)
    ingest_landing(con, landing)
    return con


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    return tmp_path / "landing"


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "wh" / "w.duckdb"


def test_gb18030_with_chinese_headers_and_crlf(landing: Path, warehouse: Path) -> None:
    write(
        landing,
        "enrollment",
        "20261001",
        "enrollment_44.csv",
        f"""{ENROLLMENT_ZH}
4401,44052418800101001４,張　偉,男,1880/1/1,居民,2025,440106,正常参保
4402,,李娜,女,19900102,职工,2025,440106,终止""",
        encoding="gb18030",
        crlf=True,
    )
    con = ingest(landing, warehouse)
    assert rows(con, "SELECT encoding, rows_read, rows_applied, rows_quarantined FROM load_log") == [
        ("gb18030", 2, 2, 0)
    ]
    assert rows(con, "SELECT record_key, name, sex, scheme, status FROM current_enrollment ORDER BY 1") == [
        ("44|4401|390|2025", "張　偉", "male", "390", "active"),
        ("44|4402|310|2025", "李娜", "female", "310", "terminated"),
    ]
    # Standardised beside raw: full-width digit repaired, traditional name keyed, spaces gone.
    std = rows(
        con,
        """SELECT id_raw, id_std, id_repair, id_issue, name_raw, name_clean, name_simplified, name_pinyin
                       FROM std_identity WHERE record_key = '44|4401|390|2025'""",
    )
    assert std == [
        ("44052418800101001４", "440524188001010014", "cosmetic", None, "張　偉", "張偉", "张伟", "zhangwei")
    ]


def test_utf8_bom_english_headers_in_any_order_and_an_extra_column(landing: Path, warehouse: Path) -> None:
    write(
        landing,
        "tax",
        "20261001",
        "tax.csv",
        """\ufeffname,receipt_no,remark,scheme,coverage_year,amount,paid_on,region_code
王芳,R1,note,390,2026,380.00,2025-10-01,310101""",
    )
    con = ingest(landing, warehouse)
    assert rows(con, "SELECT record_key, name, amount, payer_type, paid_on::VARCHAR FROM current_tax") == [
        ("R1", "王芳", 380, "self", "2025-10-01")
    ]
    assert rows(con, "SELECT extra->>'remark', extra_columns FROM raw_tax, load_log") == [
        ("note", ["remark"])
    ]


def test_quoted_commas_quotes_and_line_breaks(landing: Path, warehouse: Path) -> None:
    write(
        landing,
        "public_security",
        "20261001",
        "ps.csv",
        '''resident_no,id_number,name,sex,birth_date,hukou_region_code,address,status
R1,11010519491231002X,张三,1,1949-12-31,110105,"北京市,东城区 ""一号""",normal
R2,440524188001010014,李四,1,1880-01-01,440524,"two
lines",normal
R3,440524188001010014,王五,1,1880-01-01,440524,x,normal,surplus''',
    )
    con = ingest(landing, warehouse)
    assert rows(con, "SELECT record_key, address FROM current_public_security ORDER BY 1") == [
        ("R1", '北京市,东城区 "一号"'),
        ("R2", "two\nlines"),
    ]
    # The bad row is on physical line 5: the quoted line break counts.
    assert rows(con, "SELECT line, reason LIKE 'wrong field count%', raw FROM quarantine") == [
        (5, True, "R3,440524188001010014,王五,1,1880-01-01,440524,x,normal,surplus")
    ]


def test_wrong_field_counts_empty_required_fields_and_bad_values(landing: Path, warehouse: Path) -> None:
    write(
        landing,
        "tax",
        "20261001",
        "tax.csv.gz",
        f"""{TAX_EN}
R1,11010519491231002X,张三,390,2026,380,2025-10-01,110105,self
R2,11010519491231002X,张三,390,2026,380,2025-10-01
R3,11010519491231002X,张三,390,2026,380,2025-10-01,110105,self,extra
R4,11010519491231002X,,390,2026,380,2025-10-01,110105,self
R5,11010519491231002X,张三,390,2026,380,2025-13-45,110105,self
R6,11010519491231002X,张三,400,2026,-5,2025-10-01,1101,self
R7,11010519491231002X,张三,390,2026,380,2025/1/5,110105,""",
    )
    con = ingest(landing, warehouse)
    quarantined = rows(con, "SELECT line, reason FROM quarantine ORDER BY line")
    assert [line for line, _ in quarantined] == [3, 4, 5, 6, 7]
    reasons = dict(quarantined)
    assert reasons[3].startswith("wrong field count") and reasons[4].startswith("wrong field count")
    assert reasons[5] == "missing required field name (缴费人姓名)"
    assert reasons[6] == "unreadable date in paid_on (缴费日期): 2025-13-45"
    assert "unreadable scheme in scheme (险种类型): 400" in reasons[7]
    assert "unreadable amount in amount" in reasons[7] and "unreadable region in region_code" in reasons[7]
    assert rows(con, "SELECT record_key, paid_on::VARCHAR, payer_type FROM current_tax ORDER BY 1") == [
        ("R1", "2025-10-01", "self"),
        ("R7", "2025-01-05", "self"),
    ]
    assert rows(con, "SELECT rows_read, rows_applied, rows_quarantined FROM load_log") == [(7, 2, 5)]


def test_optional_value_that_does_not_parse_is_nulled_counted_and_kept_raw(
    landing: Path, warehouse: Path
) -> None:
    write(
        landing,
        "enrollment",
        "20261001",
        "e.csv",
        f"""{ENROLLMENT_EN}
1,,张三,x,not a date,390,2025,110105,active""",
    )
    con = ingest(landing, warehouse)
    assert rows(con, "SELECT sex, birth_date FROM current_enrollment") == [(None, None)]
    assert rows(con, "SELECT sex, birth_date FROM raw_enrollment") == [("x", "not a date")]
    assert rows(con, "SELECT rows_applied, values_nulled FROM load_log") == [(1, 2)]


def test_truncated_file_with_manifest_holds_its_batch_and_later_ones_until_complete(
    landing: Path, warehouse: Path
) -> None:
    full = f"""{ENROLLMENT_EN}
1,,张三,1,1990-01-01,390,2025,110105,active
2,,李四,1,1990-01-01,390,2025,110105,active
3,,王五,1,1990-01-01,390,2025,110105,active"""
    truncated = "\n".join(full.splitlines()[:3])[:-4]  # the transfer stopped inside row 2
    write(landing, "enrollment", "20261001", "e.csv", truncated, manifest=3)
    write(
        landing,
        "enrollment",
        "20261015",
        "e.csv",
        f"""{ENROLLMENT_EN}
1,,张三,1,1990-01-01,390,2025,110105,terminated""",
    )
    write(
        landing,
        "tax",
        "20261001",
        "t.csv",
        f"""{TAX_EN}
R1,,张三,390,2026,380,2025-10-01,110105,self""",
    )
    con = ingest(landing, warehouse)
    assert rows(con, "SELECT batch, status FROM batch_log WHERE source = 'enrollment' ORDER BY batch") == [
        ("20261001", "held_back"),
        ("20261015", "waiting"),
    ]
    message = rows(con, "SELECT message FROM batch_log WHERE status = 'held_back'")[0][0]
    assert "e.csv" in message and "manifest says 3 rows, file has 2" in message
    assert rows(con, "SELECT count(*) FROM current_enrollment") == [(0,)]
    assert rows(con, "SELECT count(*) FROM current_tax") == [(1,)]  # other sources still run
    con.close()

    write(landing, "enrollment", "20261001", "e.csv", full, manifest=3)  # re-sent complete
    con = ingest(landing, warehouse)
    assert rows(con, "SELECT record_key, status FROM current_enrollment ORDER BY 1") == [
        ("11|1|390|2025", "terminated"),
        ("11|2|390|2025", "active"),
        ("11|3|390|2025", "active"),
    ]
    assert rows(con, "SELECT count(*) FROM raw_enrollment") == [(4,)]  # every version, each once
    con.close()
    con = ingest(landing, warehouse)  # and a third run changes nothing
    assert rows(con, "SELECT count(*) FROM raw_enrollment") == [(4,)]


def test_truncated_file_without_manifest_quarantines_the_cut_row(landing: Path, warehouse: Path) -> None:
    write(
        landing,
        "tax",
        "20261001",
        "t.csv",
        f"""{TAX_EN}
R1,,张三,390,2026,380,2025-10-01,110105,self
R2,,李四,390,20""",
    )
    con = ingest(landing, warehouse)
    assert rows(con, "SELECT line, reason LIKE 'wrong field count%' FROM quarantine") == [(3, True)]
    assert rows(con, "SELECT record_key FROM current_tax") == [("R1",)]


def test_rerun_and_redelivered_file_apply_nothing_twice(landing: Path, warehouse: Path) -> None:
    text = f"""{TAX_EN}
R1,,张三,390,2026,380,2025-10-01,110105,self"""
    write(landing, "tax", "20261001", "t.csv", text)
    con = ingest(landing, warehouse)
    con.close()
    con = ingest(landing, warehouse)
    con.close()
    write(landing, "tax", "20261015", "t_again.csv", text)  # the department sends the same file again
    con = ingest(landing, warehouse)
    assert rows(con, "SELECT count(*) FROM raw_tax") == [(1,)]
    assert rows(con, "SELECT batch, status, rows_read, message FROM load_log ORDER BY batch") == [
        ("20261001", "applied", 1, ""),
        ("20261015", "duplicate", 0, "same content as 20261001/t.csv: not applied again"),
    ]


def test_later_batch_upserts_and_raw_keeps_every_version(landing: Path, warehouse: Path) -> None:
    write(
        landing,
        "civil_affairs",
        "20261001",
        "c.csv",
        """case_no,name,region_code,assistance_type,status,effective_from
C1,张三,110105,低保,在保,2024-01-01""",
    )
    write(
        landing,
        "civil_affairs",
        "20261015",
        "c.csv",
        """case_no,name,region_code,assistance_type,status,effective_from,effective_to
C1,张三,110105,dibao,exited,2024-01-01,2026-09-30""",
    )
    con = ingest(landing, warehouse)
    assert rows(con, "SELECT status, effective_to::VARCHAR, _batch FROM current_civil_affairs") == [
        ("exited", "2026-09-30", "20261015")
    ]
    assert rows(con, "SELECT status, _batch FROM raw_civil_affairs ORDER BY _batch") == [
        ("在保", "20261001"),
        ("exited", "20261015"),
    ]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("t.csv.gz", b"this is not gzip", "not a readable gzip file"),
        ("t.parquet", b"PAR1 but not really", "not a readable Parquet file"),
        ("t.xlsx", b"whatever", "not a .csv, .csv.gz or .parquet file"),
        ("t.csv", "收据,备注\nR1,x\n".encode(), "no tax column in the header"),
        ("t.csv", b"receipt_no,name\nR1,x\n", "header lacks required column(s): scheme"),
    ],
)
def test_unreadable_file_fails_its_batch_naming_the_file(
    landing: Path, warehouse: Path, name: str, content: bytes, expected: str
) -> None:
    folder = landing / "tax" / "20261001"
    folder.mkdir(parents=True)
    (folder / name).write_bytes(content)
    write(
        landing,
        "tax",
        "20261015",
        "t2.csv",
        f"""{TAX_EN}
R2,,李四,390,2026,380,2025-10-01,110105,self""",
    )
    write(
        landing,
        "education",
        "20261001",
        "e.csv",
        """student_no,name,school_name,school_region_code,stage,academic_year,status
S1,张三,第一小学,110105,primary,2025,enrolled""",
    )
    con = ingest(landing, warehouse)
    failed = rows(con, "SELECT batch, status, message FROM batch_log WHERE source = 'tax' ORDER BY batch")
    assert failed[0][:2] == ("20261001", "failed") and expected in failed[0][2] and name in failed[0][2]
    assert failed[1][:2] == ("20261015", "waiting")
    assert rows(con, "SELECT count(*) FROM current_tax") == [(0,)]
    assert rows(con, "SELECT count(*) FROM current_education") == [(1,)]


def test_generated_sample_every_malformed_row_quarantined_and_every_other_applied(tmp_path: Path) -> None:
    con = ingest(SAMPLE / "landing", tmp_path / "w.duckdb")
    truth = pl.read_parquet(SAMPLE / "truth" / "malformed.parquet")
    expected = {(r["source"], r["batch"], r["file_name"], r["line"]) for r in truth.iter_rows(named=True)}
    assert set(rows(con, "SELECT source, batch, file, line FROM quarantine")) == expected
    assert rows(con, "SELECT count(*) FROM quarantine WHERE reason IS NULL OR raw IS NULL OR raw = ''") == [
        (0,)
    ]
    assert rows(con, "SELECT count(*) FROM load_log WHERE rows_read <> rows_applied + rows_quarantined") == [
        (0,)
    ]
    deliveries = pl.read_parquet(SAMPLE / "truth" / "deliveries.parquet")
    logged = con.sql("SELECT source, batch, file AS file_name, rows_read FROM load_log").pl()
    joined = deliveries.join(logged, on=["source", "batch", "file_name"], how="left")
    read = joined.filter(pl.col("redelivered_of").is_null())
    assert (read["rows"] == read["rows_read"]).all()  # every delivered row was read
    assert (joined.filter(pl.col("redelivered_of").is_not_null())["rows_read"] == 0).all()
    records = pl.read_parquet(SAMPLE / "truth" / "records.parquet")
    for source, keys in records.group_by("source"):
        current = {k for (k,) in rows(con, f"SELECT record_key FROM current_{source[0]}")}
        assert current == set(keys["record_key"])
    assert rows(con, "SELECT count(*) FROM std_identity") == [(records.height,)]


def test_identity_profiles_are_distinct_standardised_identities(tmp_path: Path) -> None:
    con = ingest(SAMPLE / "landing", tmp_path / "w.duckdb")
    n_profiles, n_records = rows(con, "SELECT count(*), sum(n_records) FROM identity_profiles")[0]
    assert n_records == rows(con, "SELECT count(*) FROM std_identity")[0][0]
    distinct = rows(
        con,
        """SELECT count(*) FROM (SELECT DISTINCT id_std, name_clean, birth_date, sex, region_code
                            FROM std_identity)""",
    )[0][0]
    assert n_profiles == distinct < n_records
    # A profile id is a content hash: rebuilding gives the same ids.
    before = set(rows(con, "SELECT profile_id FROM identity_profiles"))
    build_profiles(con)
    assert set(rows(con, "SELECT profile_id FROM identity_profiles")) == before


def test_a_night_regroups_only_the_touched_profiles_and_gives_the_full_grouping(tmp_path: Path) -> None:
    """Later batches add and correct records: the profiles they leave and join are regrouped, and
    the table is exactly what grouping every record again gives."""
    landing = tmp_path / "landing"
    for source_dir in (SAMPLE / "landing").iterdir():
        shutil.copytree(source_dir / "20261001", landing / source_dir.name / "20261001")
    con = ingest(landing, tmp_path / "w.duckdb")
    for source_dir in (SAMPLE / "landing").iterdir():
        for batch in source_dir.iterdir():
            if batch.name != "20261001":
                shutil.copytree(batch, landing / source_dir.name / batch.name)
    apply_pending(con, landing, "night-2")
    standardise(con)
    touched = rows(con, "SELECT count(DISTINCT profile_id) FROM profiles_touched")[0][0]
    total = rows(con, "SELECT count(DISTINCT profile_id) FROM std_identity")[0][0]
    assert 0 < touched < total
    build_profiles(con)
    assert rows(con, "SELECT count(*) FROM profiles_touched") == [(0,)]
    incremental = rows(con, "SELECT * FROM identity_profiles ORDER BY profile_id")
    con.execute("DROP TABLE identity_profiles")
    con.execute("INSERT INTO profiles_touched (profile_id) SELECT profile_id FROM std_identity")
    build_profiles(con)  # every profile grouped from scratch
    assert incremental == rows(con, "SELECT * FROM identity_profiles ORDER BY profile_id")


def test_standardise_that_touches_no_profile_fails_and_keeps_the_changed_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An engine that silently drops the touched profiles (seen with DuckDB 2.0.0 on a variant of
    the script) must not let the run go on to link nobody: standardise fails, rolls back, and the
    changed records wait for the next run."""
    import oneperson.standardise as module

    sql = tmp_path / "sql"
    shutil.copytree(module.SQL, sql)
    script = sql / "standardise" / "20_std_identity.sql"
    text = script.read_text(encoding="utf-8")
    dropped = "INSERT INTO profiles_touched SELECT profile_id, batch FROM changed_profiles;"
    assert dropped in text
    script.write_text(text.replace(dropped, ""), encoding="utf-8")
    con = connect(tmp_path / "w.duckdb")
    apply_pending(con, SAMPLE / "landing", "run-1")
    changed = con.execute("SELECT count(*) FROM changed_records").fetchall()[0][0]
    assert changed > 10_000
    with monkeypatch.context() as patched:
        patched.setattr(module, "SQL", sql)
        message = r"standardising \d+ changed records touched no identity profile"
        with pytest.raises(RuntimeError, match=message):
            standardise(con)
    assert con.execute("SELECT count(*) FROM changed_records").fetchall()[0][0] == changed
    std_rows = "SELECT sum(estimated_size) FROM duckdb_tables() WHERE table_name = 'std_identity'"
    assert not con.execute(std_rows).fetchall()[0][0]  # rolled back: no row standardised
    assert standardise(con) > 10_000  # the real script, once the engine behaves
    assert con.execute("SELECT count(*) FROM changed_records").fetchall()[0][0] == 0
    assert con.execute("SELECT count(*) FROM profiles_touched").fetchall()[0][0] > 0


def test_standardise_reads_the_changed_records_of_late_and_later_batches(
    landing: Path, warehouse: Path
) -> None:
    """Standardise reads a changed record's current row only among rows of the batch that changed it
    or later ones: a late batch (named before one already applied) and a later one the same night
    are both standardised, and std_identity is what standardising every current record gives."""
    header = "case_no,name,region_code,assistance_type,status,effective_from"
    write(
        landing,
        "civil_affairs",
        "20261015",
        "c.csv",
        f"{header}\nC1,张三,110105,低保,在保,2024-01-01\nC2,李四,110105,低保,在保,2024-01-01",
    )
    con = ingest(landing, warehouse)
    write(
        landing,
        "civil_affairs",
        "20261001",
        "c.csv",
        f"{header}\nC1,张叁,110105,低保,在保,2024-01-01\nC3,王五,110106,特困,在保,2024-01-01",
    )  # late: C1 stays as of 20261015, C3 is new
    write(landing, "civil_affairs", "20261020", "c.csv", f"{header}\nC2,李肆,110105,低保,在保,2024-01-01")
    apply_pending(con, landing, "night-2")
    assert rows(con, "SELECT record_key, batch FROM changed_records ORDER BY ALL") == [
        ("C2", "20261020"),
        ("C3", "20261001"),
    ]
    assert standardise(con) == 2
    nightly = rows(con, "SELECT record_key, name_raw FROM std_identity ORDER BY record_key")
    assert nightly == [("C1", "张三"), ("C2", "李肆"), ("C3", "王五")]
    columns = "* EXCLUDE (profile_id)"
    incremental = rows(con, f"SELECT {columns} FROM std_identity ORDER BY record_key")
    con.execute("DELETE FROM std_identity")
    con.execute(
        "INSERT INTO changed_records SELECT 'civil_affairs', record_key, _batch FROM current_civil_affairs"
    )
    assert standardise(con) == 3
    assert incremental == rows(con, f"SELECT {columns} FROM std_identity ORDER BY record_key")


def test_a_small_night_holds_the_warehouse_open_so_its_steps_share_what_they_read(tmp_path: Path) -> None:
    """A first build or a large backfill opens the warehouse anew in each step; a night that changed
    few records holds it open, and each step's connection finds what the last one read in memory."""
    path = tmp_path / "oneperson.duckdb"
    con = connect(path)
    con.execute("INSERT INTO current_tax (record_key) SELECT 'r' || range FROM range(1000000)")
    con.execute("INSERT INTO changed_records SELECT 'tax', record_key, '20261001' FROM current_tax")
    con.close()

    def read_then_cached() -> int:
        step = connect(path)
        step.execute("SELECT count(DISTINCT record_key) FROM current_tax").fetchall()
        step.close()
        after = connect(path)
        cached = after.execute(
            "SELECT sum(memory_usage_bytes) FROM duckdb_memory() WHERE tag = 'BASE_TABLE'"
        ).fetchall()[0][0]
        after.close()
        return cached

    def small() -> bool:
        con = connect(path)
        try:
            return small_change(con)
        finally:
            con.close()

    assert not small()  # every record changed: a first build
    with held_open(path, hold=small_change):
        apart = read_then_cached()  # the catalog's block or so
    con = connect(path)
    con.execute("DELETE FROM changed_records WHERE record_key NOT IN ('r1', 'r2')")
    con.close()
    assert small()
    with held_open(path, hold=small_change):
        shared = read_then_cached()  # and the million keys the step read
    assert shared > 8 * apart > 0, (shared, apart)
