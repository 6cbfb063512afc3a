"""Texts of the knowledge-side checks added for issue 17 (risk referral, freshness).

They live here rather than in `bot/locales/` so that the knowledge package can be changed
without touching bot/; zh-CN is the reference, a key missing in English falls back to it.
The bot side may move them into its locale files later (same keys under `kb.`).
"""
from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "bad_risk": "risk 只能是 high（指南中写“- **风险**：高”），实际为“{value}”",
        "bad_field_date": "{field} 应为日期 YYYY-MM-DD，实际为“{value}”",
        "guide_bad_risk": "“风险”只能写“高”，实际为“{value}”",
        "referral_missing": ("条目 {id} 标为高风险（risk: high），但答案里没有转介句："
                             "需要一段以“建议”开头、并写明找谁的话（{targets}）"),
        "past_valid_until": "条目 {id} 依据的政策已于 {date} 到期（valid_until），请复核后修改答案和有效期",
        "past_review_by": "条目 {id} 应在 {date} 前复核（review_by），已过期 {days} 天",
        "warnings": "知识库有 {count} 个提醒（不影响检查结果）：",
    },
    "en": {
        "bad_risk": "risk can only be high (in the guide: “- **风险**：高”), got “{value}”",
        "bad_field_date": "{field} must be a date YYYY-MM-DD, got “{value}”",
        "guide_bad_risk": "“风险” can only be “高”, got “{value}”",
        "referral_missing": ("entry {id} is high-risk (risk: high) but its answer has no referral: "
                             "a paragraph starting with “建议” that names whom to ask ({targets})"),
        "past_valid_until": ("entry {id} rests on a policy that ended on {date} (valid_until): "
                             "review the answer and its end date"),
        "past_review_by": "entry {id} was due for review by {date} (review_by), {days} days ago",
        "warnings": "The knowledge base has {count} warnings (the check still passes):",
    },
}


def kt(key: str, lang: str = "zh-CN", /, **params: Any) -> str:
    """Render the knowledge-check text `key` in `lang`."""
    text = TEXTS.get(lang, {}).get(key) or TEXTS["zh-CN"][key]
    return text.format(**params) if params else text
