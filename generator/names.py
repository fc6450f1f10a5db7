"""Realistic Chinese names, sampled in bulk.

Surname shares follow the published national rankings (rounded, per cent of the population);
given names are one or two characters drawn from gendered pools; about 1% are minority
(Uyghur-style) names joined by U+00B7. A few very common full names (张伟, 王芳 ...) are
over-represented on purpose so that namesakes are common, as they are in real registers.
"""

from __future__ import annotations

import numpy as np

from matching.chinese import COMPOUND_SURNAMES as COMPOUND_SURNAMES  # re-exported for generator code
from matching.chinese import MIDDLE_DOT

SURNAMES: dict[str, float] = {
    "王": 7.1,
    "李": 7.0,
    "张": 6.7,
    "刘": 5.4,
    "陈": 4.5,
    "杨": 3.1,
    "黄": 2.2,
    "赵": 2.0,
    "吴": 1.8,
    "周": 1.7,
    "徐": 1.3,
    "孙": 1.3,
    "马": 1.1,
    "朱": 1.1,
    "胡": 1.0,
    "郭": 1.0,
    "何": 0.9,
    "林": 0.9,
    "高": 0.9,
    "罗": 0.9,
    "郑": 0.8,
    "梁": 0.7,
    "谢": 0.6,
    "宋": 0.6,
    "唐": 0.6,
    "许": 0.5,
    "韩": 0.5,
    "邓": 0.5,
    "冯": 0.5,
    "曹": 0.5,
    "彭": 0.5,
    "曾": 0.4,
    "肖": 0.4,
    "田": 0.4,
    "董": 0.4,
    "潘": 0.4,
    "袁": 0.4,
    "蔡": 0.3,
    "蒋": 0.3,
    "余": 0.3,
    "于": 0.3,
    "杜": 0.3,
    "叶": 0.3,
    "程": 0.3,
    "魏": 0.3,
    "苏": 0.3,
    "吕": 0.3,
    "丁": 0.3,
    "任": 0.3,
    "卢": 0.3,
    "姚": 0.3,
    "沈": 0.3,
    "钟": 0.3,
    "姜": 0.3,
    "崔": 0.3,
    "谭": 0.3,
    "陆": 0.2,
    "范": 0.2,
    "汪": 0.2,
    "廖": 0.2,
    "石": 0.2,
    "金": 0.2,
    "韦": 0.2,
    "贾": 0.2,
    "夏": 0.2,
    "付": 0.2,
    "方": 0.2,
    "邹": 0.2,
    "熊": 0.2,
    "白": 0.2,
    "孟": 0.2,
    "秦": 0.2,
    "邱": 0.2,
    "侯": 0.2,
    "江": 0.2,
    "尹": 0.2,
    "薛": 0.2,
    "闫": 0.2,
    "段": 0.2,
    "雷": 0.2,
    "龙": 0.1,
    "黎": 0.1,
    "史": 0.1,
    "陶": 0.1,
    "贺": 0.1,
    "毛": 0.1,
    "郝": 0.1,
    "顾": 0.1,
    "龚": 0.1,
    "邵": 0.1,
    "万": 0.1,
    "覃": 0.1,
    "武": 0.1,
    "钱": 0.1,
    "戴": 0.1,
    "严": 0.1,
    "莫": 0.1,
    "孔": 0.1,
    "向": 0.1,
    "常": 0.1,
    "单": 0.05,
    "仇": 0.03,
    "解": 0.03,
    "区": 0.03,
    "朴": 0.03,
    "查": 0.03,
    "盖": 0.02,
    # compound surnames
    "欧阳": 0.03,
    "司马": 0.01,
    "诸葛": 0.01,
    "上官": 0.01,
    "司徒": 0.01,
    "东方": 0.005,
    "皇甫": 0.005,
    "夏侯": 0.003,
    "慕容": 0.003,
    "尉迟": 0.002,
    "令狐": 0.002,
    "公孙": 0.002,
    "长孙": 0.001,
    "宇文": 0.001,
}

GIVEN_MALE = (
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳建国峰亮成志文东海荣新庆兵晨博轩睿昊然泽"
    "子一诚家天嘉瑞思豪锐永春生德福贵祥松毅彬坤翔宏达立远航铭哲轶骏鸣"
)
GIVEN_FEMALE = (
    "芳娜敏静丽艳娟霞秀英玲燕萍红梅莉兰婷雪琳晶颖倩洁琴云慧佳欣怡梦雨婧瑶涵萱诗悦可馨月彤菲琪蕾薇露凤桂珍"
    "思子一嘉雅文晓玉美春丹妍璐瑾"
)
# Full names so common that every county register has several (and twins of these are real trouble).
COMMON_MALE = ("张伟", "王伟", "李伟", "刘伟", "李强", "王磊", "张勇", "李军", "王刚", "张杰")
COMMON_FEMALE = ("王芳", "李娜", "张敏", "李静", "王静", "刘芳", "王秀英", "张丽", "李秀英", "王丽")

MINORITY_FIRST_MALE = ("买买提", "艾力", "阿不都", "吐尔逊", "艾买提", "热合曼", "努尔", "伊力", "阿里木")
MINORITY_FIRST_FEMALE = ("古丽", "阿依古丽", "热依拉", "迪丽", "米娜", "帕提古丽", "阿依努尔", "祖丽")
MINORITY_LAST = (
    "艾力",
    "吐尔逊",
    "买买提",
    "阿不都拉",
    "托合提",
    "热合曼",
    "斯迪克",
    "玉苏甫",
    "依明",
    "库尔班",
)


def _pick(rng: np.random.Generator, pool: tuple[str, ...] | list[str], n: int) -> np.ndarray:
    return np.asarray(pool, dtype=object)[rng.integers(0, len(pool), n)]


def sample_surnames(rng: np.random.Generator, n: int) -> np.ndarray:
    names = list(SURNAMES)
    weights = np.asarray([SURNAMES[s] for s in names])
    return np.asarray(names, dtype=object)[rng.choice(len(names), size=n, p=weights / weights.sum())]


def sample_given(rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
    """One- or two-character given names from the pool of each person's sex."""
    n = len(male)
    male_pool = np.asarray(list(GIVEN_MALE), dtype=object)
    female_pool = np.asarray(list(GIVEN_FEMALE), dtype=object)

    def draw() -> np.ndarray:
        return np.where(
            male,
            male_pool[rng.integers(0, len(male_pool), n)],
            female_pool[rng.integers(0, len(female_pool), n)],
        )

    first, second = draw(), draw()
    single = rng.random(n) < 0.28
    return np.where(single, first, first + second)


def sample_names(
    rng: np.random.Generator, male: np.ndarray, common_share: float
) -> tuple[np.ndarray, np.ndarray]:
    """Full names and the surname part (for twins and homophones), for persons of the given sexes."""
    n = len(male)
    surname = sample_surnames(rng, n)
    full = surname + sample_given(rng, male)
    common = rng.random(n) < common_share
    common_full = np.where(male, _pick(rng, COMMON_MALE, n), _pick(rng, COMMON_FEMALE, n))
    full = np.where(common, common_full, full)
    surname = np.where(common, np.asarray([s[0] for s in common_full], dtype=object), surname)
    minority = rng.random(n) < 0.01
    first = np.where(male, _pick(rng, MINORITY_FIRST_MALE, n), _pick(rng, MINORITY_FIRST_FEMALE, n))
    minority_name = first + MIDDLE_DOT + _pick(rng, MINORITY_LAST, n)
    full = np.where(minority, minority_name, full)
    surname = np.where(minority, "", surname)
    return full, surname
