"""The listing compliance check: absolute or exaggerated claims that China's Advertising Law
(art. 9) forbids in product copy, in Chinese and English.

The list is data, maintained here; the check reports every hit with its position so the
merchant sees exactly what to change. Chinese terms match as substrings (Chinese has no
spaces); English ones match whole words, case-insensitively.

Art. 9(3) forbids 国家级, 最高级, 最佳 "and the like": a claim that the product is the most
or the first of something. 最 and 第一 also build ordinary words that claim nothing (最近
"recently", 最爱 "favourite", 最后一件 "the last one", 第一次 "the first time"); those are
listed in ALLOWED_ZH and read as words, so the bare 最 still flags 最甜 but not 最近.
"""

import re
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BANNED_ZH = [
    "国家级",
    "世界级",
    "最高级",
    "最佳",
    "最好",
    "最优",
    "最新",
    "最先进",
    "最低价",
    "最便宜",
    "最",
    "第一",
    "首个",
    "首选",
    "唯一",
    "顶级",
    "顶尖",
    "极品",
    "极致",
    "绝对",
    "万能",
    "全网",
    "独一无二",
    "百分百",
    "史无前例",
    "永久",
    "王牌",
    "领袖品牌",
    "国家领导人推荐",
]
# Words that begin like a banned term but make no claim about the product: time, order,
# quantity and affection.
ALLOWED_ZH = [
    "最近",
    "最爱",
    "最后",
    "最初",
    "最终",
    "最早",
    "最晚",
    "最迟",
    "最少",
    "最多",
    "第一次",
    "第一天",
    "第一步",
    "第一眼",
    "第一口",
    "唯一的遗憾",
]
BANNED_EN = [
    "best",
    "the best",
    "No. 1",
    "No.1",
    "number one",
    "#1",
    "guaranteed",
    "guarantee",
    "world's first",
    "first ever",
    "cheapest",
    "top-rated",
    "unbeatable",
    "100%",
    "miracle",
    "lowest price",
    "only one",
]

# Allowed words and banned terms in one alternation, longest first, so that at each
# position the longest word wins: 最后 is read before 最, 最好 before 最.
_ZH = re.compile(
    "|".join(re.escape(t) for t in sorted(BANNED_ZH + ALLOWED_ZH, key=len, reverse=True))
)
_ALLOWED_ZH = frozenset(ALLOWED_ZH)
_EN = re.compile(
    r"(?<![A-Za-z0-9_])("
    + "|".join(re.escape(t) for t in sorted(BANNED_EN, key=len, reverse=True))
    + r")(?![A-Za-z0-9_])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Finding:
    field: str
    term: str
    start: int
    end: int


def check_text(field: str, text: str) -> list[Finding]:
    findings = [Finding(field, m.group(0), m.start(), m.end()) for m in _EN.finditer(text or "")]
    findings += [
        Finding(field, m.group(0), m.start(), m.end())
        for m in _ZH.finditer(text or "")
        if m.group(0) not in _ALLOWED_ZH
    ]
    return sorted(findings, key=lambda f: f.start)


def check_listing(fields: dict[str, str]) -> list[Finding]:
    """Every banned claim in a product's title and description fields."""
    return [finding for name, text in fields.items() for finding in check_text(name, text)]


def highlight(text: str, findings: list[Finding]) -> SafeString:
    """`text` escaped, with each finding wrapped in <mark>."""
    out, last = [], 0
    for finding in sorted(findings, key=lambda f: f.start):
        if finding.start < last:
            continue
        out += [
            escape(text[last : finding.start]),
            f"<mark>{escape(text[finding.start : finding.end])}</mark>",
        ]
        last = finding.end
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # every piece is escaped above
