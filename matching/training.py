"""Train the linkage model without hand labels, on a warehouse's identity profiles.

lambda from the share of pairs that share an ID number; u by random sampling; m by EM twice:
blocked on name + birth date (trains the ID, sex and region levels) and on the ID number (pairs
that share an ID train the name, birth-date, sex and region levels). Levels a world never shows
keep the priors set in matching/model.py; the two-valid-numbers levels are fixed domain facts.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import duckdb
from splink import DuckDBAPI, Linker, block_on

from matching.model import MODEL_VERSION, settings
from oneperson.warehouse import SQL, create_table, tables_present, temp_relation

MODEL_DIR = Path(__file__).resolve().parent / "models"
DEFAULT_MODEL = MODEL_DIR / f"{MODEL_VERSION}.json"


def prepare_profiles(con: duckdb.DuckDBPyConnection, refresh: bool = False) -> int:
    """(Re)build linkage_profiles from identity_profiles; returns the profile count. `refresh`:
    only the rows of the profiles regrouped since the last link (profiles_to_link), when
    linkage_profiles exists (a rebuild was a pass over every profile: 10 s at 10M records).
    Either way profiles_to_link is emptied; `relinked_profiles` holds the refreshed rows (the
    incremental link reads its new profiles from them, not from every profile) and
    `vanished_profiles` the refreshed profiles that no longer exist."""
    con.execute((SQL / "link" / "10_linkage_profiles.sql").read_text(encoding="utf-8"))
    con.execute("CREATE TABLE IF NOT EXISTS profiles_to_link (profile_id VARCHAR)")
    if refresh and tables_present(con, "linkage_profiles"):
        con.execute("""
            CREATE OR REPLACE TEMP TABLE relink AS SELECT DISTINCT profile_id FROM profiles_to_link""")
        temp_relation(
            con,
            "relinked_profiles",
            "SELECT * FROM linkage_profile_rows WHERE unique_id IN (SELECT profile_id FROM relink)",
            materialised=True,
        )
        con.execute("""
            DELETE FROM linkage_profiles WHERE unique_id IN (SELECT profile_id FROM relink);
            INSERT INTO linkage_profiles SELECT * FROM relinked_profiles;
            CREATE OR REPLACE TEMP TABLE vanished_profiles AS
                SELECT profile_id FROM relink AS k
                ANTI JOIN relinked_profiles AS p ON p.unique_id = k.profile_id""")
    else:
        create_table(con, "linkage_profiles", "SELECT * FROM linkage_profile_rows")
        con.execute("""
            CREATE OR REPLACE TEMP TABLE relink AS SELECT unique_id AS profile_id FROM linkage_profiles;
            CREATE OR REPLACE TEMP TABLE vanished_profiles (profile_id VARCHAR)""")
        temp_relation(con, "relinked_profiles", "SELECT * FROM linkage_profiles", materialised=False)
    con.execute("DELETE FROM profiles_to_link")
    return con.execute("SELECT count(*) FROM linkage_profiles").fetchall()[0][0]


def train(con: duckdb.DuckDBPyConnection, seed: int = 1, u_pairs: float = 2e6) -> dict:
    """Estimate the model's parameters on linkage_profiles; returns the model as a dict."""
    prepare_profiles(con)
    linker = Linker(
        DuckDBAPI(connection=con).register("linkage_profiles"), settings(), log_level=logging.WARNING
    )
    linker.training.estimate_probability_two_random_records_match([block_on("id_std")], recall=0.85)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name_pinyin", "dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("id_std"))
    model = linker.misc.save_model_to_json()
    model["oneperson_model_version"] = MODEL_VERSION
    return model


def save(model: dict, path: Path = DEFAULT_MODEL) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(model, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def load(path: Path = DEFAULT_MODEL) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def splink_settings(model: dict) -> dict:
    """The model without oneperson's own keys (Splink rejects unknown settings)."""
    return {k: v for k, v in model.items() if not k.startswith("oneperson_")}
