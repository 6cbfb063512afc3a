"""Who a broadcast reaches, written by staff as leading filters:

    /broadcast [类别:融资,法律咨询] [行业:制造业] [区域:鼓楼区] 正文…

Each filter is optional (none: every subscriber); values are separated by commas (, ， 、).
类别 takes request categories (code or name) and reaches enterprises subscribed to any of
them or to all topics; 行业 and 区域 match the enterprise profile by containment (制造 matches
汽车制造业), any value sufficing. Brackets may be [] or 【】, the colon : or ：.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

from sqlalchemy import literal, or_

from storage.models import EnterpriseProfile, Subscription

from ..foundation.i18n import SUPPORTED, t
from ..delivery.outgoing import esc
from ..requests.ticket_rules import CATEGORIES
from ..requests.ticket_views import category_label

KEYS = {"类别": "topics", "类型": "topics", "主题": "topics", "category": "topics",
        "topic": "topics", "行业": "industries", "industry": "industries", "区域": "districts",
        "地区": "districts", "区县": "districts", "district": "districts"}
MAX_VALUE = 32
_FILTER = re.compile(r"\s*[\[【]\s*([^:：\]】]*?)\s*[:：]\s*([^\]】]*)[\]】]")
_VALUES = re.compile(r"[,，、\s]+")


class SegmentError(Exception):
    """A filter staff must correct: `reason` names the message (broadcast.error.<reason>)."""

    def __init__(self, reason: str, **params: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


@dataclass(frozen=True)
class Segment:
    topics: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str) -> "Segment":
        return cls(**{k: tuple(v) for k, v in json.loads(data).items()})

    def describe(self, lang: str) -> str:
        every = t("broadcast.segment_any", lang)
        return t("broadcast.segment", lang,
                 topics="、".join(category_label(c, lang) for c in self.topics) or every,
                 industries=esc("、".join(self.industries)) or every,
                 districts=esc("、".join(self.districts)) or every)

    def conditions(self) -> list:
        """SQL conditions on subscriptions joined with (outer) enterprise profiles."""
        found = []
        if self.topics:
            padded = literal(",") + Subscription.topics + literal(",")
            found.append(or_(Subscription.topics == "all",
                             *[padded.like(f"%,{c},%") for c in self.topics]))
        for column, values in ((EnterpriseProfile.industry, self.industries),
                               (EnterpriseProfile.district, self.districts)):
            if values:
                found.append(or_(*[column.like(f"%{_like(v)}%", escape="\\") for v in values]))
        return found


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _category(value: str) -> str:
    wanted = value.lower()
    for code in CATEGORIES:
        if wanted == code or any(wanted == category_label(code, lang).lower()
                                 for lang in SUPPORTED):
            return code
    raise SegmentError("unknown_category", value=esc(value), known="、".join(
        f"{category_label(c, 'zh-CN')}（{c}）" for c in CATEGORIES))


def parse(text: str) -> tuple[Segment, str]:
    """The segment given by the leading filters of `text`, and the notice body after them."""
    found: dict[str, list[str]] = {}
    position = 0
    while match := _FILTER.match(text, position):
        key = KEYS.get(match.group(1).lower())
        if key is None:
            raise SegmentError("unknown_filter", key=esc(match.group(1)))
        values = [v for v in _VALUES.split(match.group(2)) if v]
        if not values or any(len(v) > MAX_VALUE for v in values):
            raise SegmentError("bad_values", key=esc(match.group(1)), max=str(MAX_VALUE))
        if key == "topics":
            values = [_category(v) for v in values]
        found[key] = list(dict.fromkeys(found.get(key, []) + values))
        position = match.end()
    return Segment(**{k: tuple(v) for k, v in found.items()}), text[position:].strip()
