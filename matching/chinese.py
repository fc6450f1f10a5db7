"""Chinese-name constants shared by the matcher and the test-data generator.

They live here, not in `generator/`, so that matching code does not depend on the generator;
`generator.names` imports them from this module.
"""

from __future__ import annotations

# The official separator of transliterated (minority) names since 2016: U+00B7 MIDDLE DOT.
MIDDLE_DOT = "\u00b7"

# Two-character (compound) surnames, simplified forms. A name whose first two characters are one of
# these is split after them (see matching.names). Kept to surnames that do not read naturally as a
# common one-character surname followed by a common given-name character (乐正, 宗政 are left out).
COMPOUND_SURNAMES = frozenset(
    {
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "司徒",
        "东方",
        "皇甫",
        "夏侯",
        "慕容",
        "尉迟",
        "令狐",
        "公孙",
        "长孙",
        "宇文",
        "万俟",
        "澹台",
        "单于",
        "轩辕",
        "端木",
        "呼延",
        "南宫",
        "闻人",
        "申屠",
        "赫连",
        "钟离",
        "淳于",
        "濮阳",
        "太史",
        "东郭",
        "西门",
        "独孤",
        "拓跋",
        "完颜",
        "司空",
        "鲜于",
        "公冶",
        "仲孙",
        "亓官",
    }
)
