"""Professional referral: a `risk: high` entry must tell the owner whom to ask (issue 17).

The rule (documented in knowledge/guide/README.md): the answer has a paragraph, i.e. a line,
that begins with “建议” and names at least one of REFERRAL_TARGETS. One line, so that a reader
finds what to check first and whom to ask in one place, and a check can find it without
understanding the sentence.
"""
from __future__ import annotations

from .model import Entry, KnowledgeBase
from .problems import Problem
from .texts import t

# Whom an enterprise can ask, by the words an answer uses for them. Order: the ones the
# issue names first; a new target is added here and in the README at the same time.
REFERRAL_TARGETS: tuple[str, ...] = (
    "律师", "12348", "公共法律服务中心",          # lawyers and public legal services
    "12366", "税务师", "主管税务机关",            # tax
    "12333", "人社局", "劳动监察",                # labour administration
    "12315", "市场监管",                          # market regulation
    "知识产权保护中心", "商标代理", "专利代理",   # intellectual property
    "/human", "/new",                             # the platform's staff
)
REFERRAL_PREFIX = "建议"


def referral_line(answer: str) -> str | None:
    """The first line of `answer` that starts with “建议” and names a referral target."""
    for line in answer.splitlines():
        text = line.strip()
        if text.startswith(REFERRAL_PREFIX) and any(t in text for t in REFERRAL_TARGETS):
            return text
    return None


def needs_referral(entry: Entry) -> bool:
    return entry.risk == "high" and referral_line(entry.answer) is None


def referral_problems(kb: KnowledgeBase, lang: str) -> list[Problem]:
    """`kb check`: every high-risk entry carries a referral line."""
    targets = "、".join(REFERRAL_TARGETS)
    return [Problem(entry.file, entry.line, t("check.referral_missing", lang, id=entry.id,
                                                targets=targets))
            for entry in kb.entries if needs_referral(entry)]
