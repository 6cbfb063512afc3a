"""The enterprise register's rules: what `/enterprise` accepts, and how staff name an
enterprise (its credit code, validated as the intake does, or its name)."""
from __future__ import annotations

from dataclasses import dataclass, field

from storage.enterprises import EnterpriseInput, EnterpriseRepository
from storage.models import Enterprise

from ..foundation.refusal import Refusal
from .validators import (
    CREDIT_CODE_CHARS, ValidationError, validate_company_name, validate_credit_code,
    validate_person_name, validate_phone,
)

SIZES = {"微型": "micro", "小型": "small", "中型": "medium", "大型": "large",
         "micro": "micro", "small": "small", "medium": "medium", "large": "large"}
# Option names staff type (Chinese first) → register field.
OPTIONS = {"行业": "industry", "industry": "industry", "区": "district", "区域": "district",
           "district": "district", "规模": "size", "size": "size", "联系人": "contact_name",
           "contact": "contact_name", "电话": "phone", "phone": "phone"}
MAX_TEXT = 64


class RegisterError(Refusal):
    """Bad register input: `reason` is a locale key under `platform.err`, with `params`."""


def looks_like_code(text: str) -> bool:
    """Typed as a credit code (18 code characters with digits), even if it fails its check."""
    code = text.strip().upper()
    return len(code) == 18 and all(c in CREDIT_CODE_CHARS + "IOSVZ" for c in code) \
        and sum(c.isdigit() for c in code) >= 6


def credit_code(text: str) -> str:
    try:
        return validate_credit_code(text)
    except ValidationError as exc:
        raise RegisterError(f"intake.err.{exc.reason}") from exc


def parse_enterprise(args: list[str]) -> EnterpriseInput:
    """`CODE 名称 行业=… 区=… 规模=小型 联系人=… 电话=…` (the name may be left out when the
    enterprise is already registered)."""
    if not args:
        raise RegisterError("platform.usage.enterprise")
    code = credit_code(args[0])
    words, values = [], {}
    for word in args[1:]:
        key, sep, value = word.partition("=")
        if sep and key in OPTIONS:
            values[OPTIONS[key]] = value.strip()
        elif sep:
            raise RegisterError("platform.err.option", option=key,
                                options="、".join(k for k in OPTIONS if not k.isascii()))
        else:
            words.append(word)
    name = None
    if words:
        try:
            name = validate_company_name(" ".join(words))
        except ValidationError as exc:
            raise RegisterError(f"intake.err.{exc.reason}") from exc
    if "size" in values:
        if values["size"] not in SIZES:
            raise RegisterError("platform.err.size")
        values["size"] = SIZES[values["size"]]
    try:
        if "phone" in values:
            values["phone"] = validate_phone(values["phone"])
        if "contact_name" in values:
            values["contact_name"] = validate_person_name(values["contact_name"])
    except ValidationError as exc:
        raise RegisterError(f"intake.err.{exc.reason}") from exc
    for key in ("industry", "district"):
        if key in values and not 1 <= len(values[key]) <= MAX_TEXT:
            raise RegisterError("platform.err.text", max=MAX_TEXT)
    return EnterpriseInput(code, name=name, **values)


@dataclass
class Found:
    """The enterprise staff named, or why there is none (a locale key and its params)."""

    enterprise: Enterprise | None = None
    reason: str = ""
    params: dict = field(default_factory=dict)


async def find(register: EnterpriseRepository, reference: str) -> Found:
    """The registered enterprise a credit code or a (unique part of a) name names."""
    reference = reference.strip()
    if looks_like_code(reference):
        try:
            code = credit_code(reference)
        except RegisterError as exc:
            return Found(reason=exc.reason)
        enterprise = await register.by_code(code)
        return Found(enterprise) if enterprise else Found(reason="platform.err.unknown",
                                                          params={"name": reference})
    matches = await register.by_name(reference) if len(reference) >= 2 else []
    if len(matches) == 1:
        return Found(matches[0])
    if not matches:
        return Found(reason="platform.err.unknown", params={"name": reference})
    return Found(reason="platform.err.ambiguous", params={
        "name": reference, "names": "、".join(m.name for m in matches)})
