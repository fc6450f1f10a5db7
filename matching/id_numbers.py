"""Resident ID numbers (GB 11643-1999): check character, 15 -> 18 digits, cosmetic repair.

Scalar functions for clarity and tests; `check_characters` is the vectorised form for bulk work.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import numpy as np

# ISO 7064 MOD 11-2 weights of the 17 body digits, and the check character for sum mod 11.
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_ID18 = re.compile(r"^\d{17}[\dX]$")
_ID15 = re.compile(r"^\d{15}$")
# What a clerk's keyboard adds that is safe to remove: spaces (incl. U+3000 ideographic), hyphens.
_COSMETIC = re.compile(r"[\s\u3000\-‐‑–—－]")


def check_character(body17: str) -> str:
    """The 18th character for a 17-digit body."""
    if len(body17) != 17 or not body17.isdigit():
        raise ValueError(f"an ID body is 17 digits: {body17!r}")
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(body17, WEIGHTS, strict=True)) % 11]


def check_characters(bodies: np.ndarray) -> np.ndarray:
    """Vectorised check characters: `bodies` is an (n, 17) array of digit values -> (n,) array of str."""
    sums = (bodies.astype(np.int64) * np.asarray(WEIGHTS, dtype=np.int64)).sum(axis=1) % 11
    return np.asarray(list(CHECK_CHARS))[sums]


def upgrade_15(id15: str) -> str:
    """Legacy 15-digit number -> 18 digits: century inserted, check character appended.

    Sequence codes 996-999 were reserved for centenarians, whose century is 18.
    """
    if not _ID15.match(id15):
        raise ValueError(f"a legacy ID is 15 digits: {id15!r}")
    century = "18" if id15[12:15] in ("996", "997", "998", "999") else "19"
    body = id15[:6] + century + id15[6:]
    return body + check_character(body)


def cosmetic_repair(raw: str) -> str:
    """Undo what is safe to undo: full-width characters, spaces, hyphens, lowercase x. Never digits."""
    text = unicodedata.normalize("NFKC", raw)
    return _COSMETIC.sub("", text).upper()


def has_valid_check(id18: str) -> bool:
    return bool(_ID18.match(id18)) and check_character(id18[:17]) == id18[17]


def birth_date_of(id18: str) -> date | None:
    """The birth date encoded in an 18-digit number, or None if it is not a real date."""
    try:
        return date(int(id18[6:10]), int(id18[10:12]), int(id18[12:14]))
    except ValueError:
        return None


def sex_of(id18: str) -> str:
    """'male' for an odd sequence digit (17th character), else 'female'."""
    return "male" if int(id18[16]) % 2 else "female"
