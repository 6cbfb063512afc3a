"""An enterprise's profile as the enterprise sees and edits it (`/profile`), and the industry
(所属行业) picked from the configured list during the intake. The same on every channel."""
from __future__ import annotations

from ..delivery.outgoing import esc
from ..foundation.i18n import t
from .contacts import ContactRepository
from .validators import (
    ValidationError, validate_company_name, validate_credit_code, validate_person_name,
    validate_phone,
)

SKIP = {"0", "跳过", "skip", "/skip"}
FIELDS = ("company_name", "credit_code", "contact_name", "phone", "industry")
VALIDATORS = {"company_name": validate_company_name, "credit_code": validate_credit_code,
              "contact_name": validate_person_name, "phone": validate_phone}
# What people call each field (either language), for `/profile 字段 新内容`.
ALIASES = {
    "company_name": ("企业", "企业名称", "公司", "公司名称", "company"),
    "credit_code": ("信用代码", "统一社会信用代码", "代码", "code", "credit_code"),
    "contact_name": ("联系人", "姓名", "name", "contact"),
    "phone": ("电话", "联系电话", "手机", "phone"),
    "industry": ("行业", "所属行业", "industry"),
}


def industry_choice(text: str, industries: list[str]) -> str | None:
    """The industry typed or picked: its number in the list or its name; None to skip.
    Anything else raises `ValidationError("industry.invalid")`."""
    word = text.strip()
    if word.lower() in SKIP:
        return None
    if word.isdigit() and 1 <= int(word) <= len(industries):
        return industries[int(word) - 1]
    if word in industries:
        return word
    raise ValidationError("industry.invalid")


def numbered_industries(industries: list[str]) -> str:
    return "\n".join(f"  {i}. {name}" for i, name in enumerate(industries, 1))


def field_of(word: str) -> str | None:
    word = word.strip().lower()
    return next((key for key, names in ALIASES.items() if word in names), None)


async def profile_reply(contacts: ContactRepository, contact_id: int, args: str,
                        industries: list[str], lang: str) -> str:
    """`/profile` shows the saved profile; `/profile 字段 新内容` changes one field (checked
    like the intake checks it). Without a saved profile there is nothing to edit."""
    profile = await contacts.profile(contact_id)
    if profile is None or profile.consent_at is None:
        return t("profile.none", lang)
    word, _, value = args.strip().partition(" ")
    if not word:
        return _shown(profile, industries, lang)
    key = field_of(word)
    if key is None or not value.strip():
        return t("profile.unknown_field", lang, field=esc(word))
    try:
        if key == "industry":
            new = industry_choice(value, industries)
        else:
            new = VALIDATORS[key](value)
    except ValidationError as error:
        reason = t(f"intake.err.{error.reason}", lang, max=len(industries))
        return reason + "\n" + (t("profile.industries", lang, items=numbered_industries(
            industries)) if key == "industry" else "")
    await contacts.update_profile(contact_id, key, new)
    return t("profile.updated", lang, label=t(f"profile.label.{key}", lang),
             value=esc(new) if new else t("profile.unset", lang))


def _shown(profile, industries: list[str], lang: str) -> str:
    lines = [t("profile.title", lang)]
    for key in FIELDS:
        value = getattr(profile, key)
        lines.append(t("profile.line", lang, label=t(f"profile.label.{key}", lang),
                       value=esc(value) if value else t("profile.unset", lang)))
    lines.append(t("profile.edit_hint", lang))
    lines.append(t("profile.industries", lang, items=numbered_industries(industries)))
    return "\n".join(lines)
