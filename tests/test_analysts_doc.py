"""docs/analysts.md: every worked question runs on a sample store, and its SQL and polars answers agree.

The store has two snapshots: the first from the sample's early batches, the second from all of them,
so that the trend question sees findings open, appear and get resolved between snapshots.
"""

import re
import shutil
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from warehouses import SAMPLE, ingest_landing

from oneperson.analytics import open_current
from oneperson.nightly import find_persons, next_snapshot_id, publish_snapshot, warehouse_of
from oneperson.store import current_snapshot
from oneperson.warehouse import connect

DOC = Path(__file__).resolve().parents[1] / "docs" / "analysts.md"
QUESTION = re.compile(r"^### (\d+\. .+)$", re.MULTILINE)  # a question's heading
FENCE = re.compile(r"^```(\S*)(.*)$")
FIRST_SNAPSHOT_BEFORE = "20261101"  # batches before this date make the first snapshot


@dataclass(frozen=True)
class Block:
    heading: str
    lang: str
    code: str


def doc_blocks(text: str) -> list[Block]:
    """The runnable ```sql and ```python blocks of the doc, each with the heading it sits under
    (a block whose info string says `no-run` is an illustration only)."""
    blocks: list[Block] = []
    heading = ""
    lines = iter(text.splitlines())
    for line in lines:
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
            continue
        fence = FENCE.match(line)
        if not fence:
            continue
        body = []
        for inner in lines:
            if inner.startswith("```"):
                break
            body.append(inner)
        lang, info = fence.group(1), fence.group(2)
        if lang in ("sql", "python") and "no-run" not in info:
            blocks.append(Block(heading, lang, "\n".join(body) + "\n"))
    return blocks


TEXT = DOC.read_text(encoding="utf-8")
BLOCKS = doc_blocks(TEXT)
QUESTIONS = [h.strip() for h in QUESTION.findall(TEXT)]
OTHER = [b for b in BLOCKS if b.heading not in QUESTIONS]


def question_blocks(heading: str) -> tuple[str, str]:
    sql = [b.code for b in BLOCKS if b.heading == heading and b.lang == "sql"]
    python = [b.code for b in BLOCKS if b.heading == heading and b.lang == "python"]
    assert len(sql) == 1 and len(python) == 1, f"{heading}: one sql and one python block expected"
    return sql[0], python[0]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    mp = pytest.MonkeyPatch()
    mp.setenv("ONEPERSON_PSEUDONYM_KEY", "test-key")
    root = tmp_path_factory.mktemp("analysts")
    early = root / "landing-early"
    for source in (SAMPLE / "landing").iterdir():
        for batch in source.iterdir():
            if batch.name < FIRST_SNAPSHOT_BEFORE:
                shutil.copytree(batch, early / source.name / batch.name)
    store = root / "store"
    warehouse = warehouse_of(store)
    for run_id, landing in (("night-1", early), ("night-2", SAMPLE / "landing")):
        con = connect(warehouse)
        ingest_landing(con, landing)
        con.close()
        find_persons(warehouse, run_id)
        publish_snapshot(warehouse, store, next_snapshot_id(warehouse, store), run_id, retention=3)
    yield store
    mp.undo()


def run_sql(store: Path, sql: str) -> tuple[list[str], list[tuple]]:
    con = open_current(store)  # analytics views only: a query of a restricted table fails here
    try:
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description]
        return columns, cursor.fetchall()
    finally:
        con.close()


def run_python(store: Path, code: str) -> pl.DataFrame:
    namespace = {"store": store, "current": current_snapshot(store)}
    exec(compile(code, str(DOC), "exec"), namespace)
    answer = namespace.get("answer")
    assert isinstance(answer, pl.DataFrame), "a python block must leave a polars DataFrame in `answer`"
    return answer


def comparable(value: object) -> object:
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, list | tuple):
        return tuple(comparable(v) for v in value)
    return value


def sort_key(row: tuple) -> tuple:
    return tuple((v is None, "" if v is None else v) for v in row)


def canonical(rows: list[tuple]) -> list[tuple]:
    """Rows as sorted tuples with floats rounded to 6 places (order and float noise do not count)."""
    return sorted((tuple(comparable(v) for v in row) for row in rows), key=sort_key)


def test_ten_questions_each_answered_in_sql_and_polars() -> None:
    assert [int(h.split(".")[0]) for h in QUESTIONS] == list(range(1, 11))
    for heading in QUESTIONS:
        sql, python = question_blocks(heading)
        # The polars answer must be computed from the files, independently of DuckDB and its views.
        assert "scan_parquet" in python or "read_parquet" in python, heading
        assert "duckdb" not in python and "open_current" not in python, heading
        assert not re.search(r"\b(identities|quarantine)\b", sql + python), f"{heading}: restricted table"


def test_sample_store_has_two_snapshots(store: Path) -> None:
    con = open_current(store)
    assert con.execute("SELECT count(*), count(*) FILTER (is_current) FROM snapshots").fetchall() == [(2, 1)]
    # Findings were both resolved and opened between the two: the trend question has movement to show.
    moved = con.execute("""SELECT count(*) FILTER (resolved_in_snapshot IS NOT NULL),
        count(*) FILTER (first_seen_snapshot = (SELECT max(snapshot_id) FROM snapshots))
        FROM finding_history""").fetchall()[0]
    assert min(moved) > 0


@pytest.mark.parametrize("heading", QUESTIONS)
def test_question_sql_and_polars_agree(store: Path, heading: str) -> None:
    sql, python = question_blocks(heading)
    columns, rows = run_sql(store, sql)
    assert rows, f"{heading}: the SQL answer is empty on the sample"
    answer = run_python(store, python)
    assert answer.height > 0, f"{heading}: the polars answer is empty on the sample"
    assert answer.columns == columns
    assert len(answer.rows()) == len(rows)
    assert canonical(answer.rows()) == canonical(rows)


@pytest.mark.parametrize("block", OTHER, ids=[f"{b.heading}-{b.lang}-{i}" for i, b in enumerate(OTHER)])
def test_other_examples_run(store: Path, block: Block) -> None:
    if block.lang == "sql":
        assert run_sql(store, block.code)[1]
    else:
        assert run_python(store, block.code).height > 0


@pytest.fixture(scope="module")
def store_with_id_changes(store: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A copy of the store whose current snapshot records a chain of merges and a split (the sample
    has none): saved ids a -> b -> z (z a current person), b -> z, c split, d merged into a gone id."""
    copy = tmp_path_factory.mktemp("analysts-ids") / "store"
    shutil.copytree(store, copy, ignore=shutil.ignore_patterns("warehouse", "restricted"))
    con = open_current(copy)
    saved = [
        r[0]
        for r in con.execute("""SELECT DISTINCT person_id FROM findings_by_snapshot
        WHERE snapshot_id = (SELECT min(snapshot_id) FROM snapshots) ORDER BY 1 LIMIT 4""").fetchall()
    ]
    (z,) = con.execute(
        "SELECT min(person_id) FROM persons WHERE NOT list_contains(?, person_id)", [saved]
    ).fetchall()[0]
    con.close()
    a, b, c, d = saved
    table = current_snapshot(copy) / "analytics" / "person_id_changes" / "data_0.parquet"
    schema = pl.read_parquet(table).schema
    changes = pl.DataFrame(
        {
            "change": ["merge", "merge", "split", "merge"],
            "person_id": [a, b, c, d],
            "into_person_id": [b, z, "Psplitoff", "Pnolongerthere"],
            "run_id": ["night-2"] * 4,
        },
        schema=schema,
    )
    changes.write_parquet(table)
    return copy, [a, b, c, d, z]


def test_following_person_ids_through_merges_and_splits(
    store_with_id_changes: tuple[Path, list[str]],
) -> None:
    store, (a, b, c, d, z) = store_with_id_changes
    sql, python = question_blocks(QUESTIONS[9])
    assert "person_id_changes" in sql and "person_id_changes" in python
    columns, rows = run_sql(store, sql)
    answer = run_python(store, python)
    assert answer.columns == columns and canonical(answer.rows()) == canonical(rows)
    followed = {row[0]: row[1:] for row in rows}  # saved id -> (current id, merges, splits, in current)
    assert followed[a] == (z, 2, 0, True)  # a chain of two merges, followed to its end
    assert followed[b] == (z, 1, 0, True)
    assert followed[c] == (c, 0, 1, True)  # a split keeps the id; the split-off part is flagged
    assert followed[d] == ("Pnolongerthere", 1, 0, False)
    unchanged = {k: v for k, v in followed.items() if k not in (a, b, c, d)}
    assert unchanged and all(v == (k, 0, 0, True) for k, v in unchanged.items())
