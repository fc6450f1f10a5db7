"""The same linkage model on Splink's Spark backend, for builds beyond one machine.

One setting switches it on: `ONEPERSON_LINKAGE_BACKEND=spark` (and `ONEPERSON_SPARK_MASTER`, default
`local[2]`; a cluster's `spark://host:7077`, `yarn` or `k8s://...` there). Only the part that grows
with the pairs moves: the identity profiles go to Spark as Parquet, Splink scores every blocked pair
there with the committed model, and the kept links come back as Parquet. Clustering and the set
work after it (attach, cannot-link, payment placement, person ids) stay in DuckDB: they are passes
over the links, linear in their number. The nightly increment also stays in DuckDB: it scores only
the new profiles.

The model's comparison levels are written in DuckDB SQL; `spark_settings` translates them. The
Spark versions of Jaro-Winkler and Damerau-Levenshtein come from Splink's similarity jar (see
shared/notes/splink5.md, section 9).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

import duckdb

from oneperson.sqltext import literal

BACKEND_ENV, MASTER_ENV = "ONEPERSON_LINKAGE_BACKEND", "ONEPERSON_SPARK_MASTER"


def backend() -> str:
    """`duckdb` (default) or `spark`."""
    name = os.environ.get(BACKEND_ENV, "duckdb").strip().lower() or "duckdb"
    if name not in ("duckdb", "spark"):
        raise ValueError(f"{BACKEND_ENV}={name!r}: expected duckdb or spark")
    return name


def session(master: str | None = None):
    """A Spark session with Splink's similarity functions (jaro_winkler, damerau_levenshtein)."""
    try:
        from pyspark import SparkConf
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise RuntimeError(
            f"{BACKEND_ENV}=spark needs pyspark: pip install -e '.[spark]' (and Java 17)"
        ) from exc
    from splink.backends.spark import similarity_jar_location

    conf = (
        SparkConf()
        .setMaster(master or os.environ.get(MASTER_ENV, "local[2]"))
        .setAppName("oneperson-linkage")
        .set("spark.jars", similarity_jar_location())
        .set("spark.ui.enabled", "false")
        .set("spark.sql.shuffle.partitions", os.environ.get("ONEPERSON_SPARK_PARTITIONS", "8"))
        .set("spark.driver.memory", os.environ.get("ONEPERSON_SPARK_DRIVER_MEMORY", "4g"))
    )
    spark = SparkSession.builder.config(conf=conf).getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    # Splink checkpoints between its stages; on a cluster this must be a shared path (HDFS, S3).
    checkpoints = os.environ.get("ONEPERSON_SPARK_CHECKPOINT_DIR")
    spark.sparkContext.setCheckpointDir(checkpoints or tempfile.mkdtemp(prefix="oneperson-spark-"))
    return spark


def spark_settings(settings: dict) -> dict:
    """The committed model's settings with each comparison level's SQL in Spark's dialect.

    Splink translates the SQL of the levels it builds, and of blocking rules that name their
    dialect, but takes a saved level's `sql_condition` as it is; so the levels are translated here
    with sqlglot (Splink's own translator), and Jaro-Winkler gets the similarity jar's name."""
    import sqlglot
    from splink.internals.dialects import SplinkDialect

    jaro_winkler = SplinkDialect.from_string("spark").jaro_winkler_function_name
    out = json.loads(json.dumps(settings))
    for comparison in out["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level["sql_condition"].strip().upper() == "ELSE":  # Splink's keyword, not SQL
                continue
            sql = sqlglot.transpile(level["sql_condition"], read="duckdb", write="spark")[0]
            for name in ("JAROWINKLER_SIMILARITY(", "JARO_WINKLER_SIMILARITY("):  # as sqlglot writes it
                sql = sql.replace(name, f"{jaro_winkler}(")
            level["sql_condition"] = sql
    return out


def predict(con: duckdb.DuckDBPyConnection, settings: dict, keep_floor: float, spark=None) -> str:
    """Score linkage_profiles' blocked pairs on Spark; returns a DuckDB table of the kept links,
    the same columns as Splink's DuckDB predict gives."""
    from splink import Linker, SparkAPI

    spark = spark or session()
    with tempfile.TemporaryDirectory(prefix="oneperson-spark-") as tmp:
        profiles, links = Path(tmp) / "profiles.parquet", Path(tmp) / "links"
        con.execute(f"COPY linkage_profiles TO {literal(str(profiles))} (FORMAT parquet)")
        db = SparkAPI(spark_session=spark)
        linker = Linker(
            db.register(spark.read.parquet(str(profiles)), dataset_display_name="linkage_profiles"),
            spark_settings(settings),
            log_level=logging.WARNING,
        )
        scored = linker.inference.predict(threshold_match_probability=keep_floor, warning_mode="never")
        scored.as_spark_dataframe().write.parquet(str(links))
        con.execute(
            "CREATE OR REPLACE TEMP TABLE spark_links AS SELECT * FROM read_parquet("
            f"{literal(str(links / '*.parquet'))})"
        )
    return "spark_links"
