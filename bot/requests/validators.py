"""Validation and normalisation of enterprise intake fields (pure Python).

Every validator returns the normalised value, which validates again to itself,
or raises :class:`ValidationError` carrying a short machine key in ``.reason``.
"""
from __future__ import annotations

import re
import unicodedata

__all__ = [
    "ValidationError", "CREDIT_CODE_CHARS", "credit_code_check_char",
    "validate_credit_code", "validate_phone", "validate_company_name",
    "validate_person_name", "mask_phone",
]


class ValidationError(ValueError):
    """An invalid field; ``reason`` is a key such as ``"phone.invalid"``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# GB 32100-2015 code table: 0-9 A-H J-N P-R T U W-Y map to 0..30 (no I O S V Z).
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CODE_VALUE = {c: i for i, c in enumerate(CREDIT_CODE_CHARS)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_SEPARATORS = re.compile(r"[\s\-]+")


def credit_code_check_char(first17: str) -> str:
    """The check character for the first 17 characters of a credit code."""
    total = sum(_CODE_VALUE[c] * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def validate_credit_code(text: str) -> str:
    """An 18-character unified social credit code, upper case without separators.

    Checks the charset, the 6-digit administrative division code (positions
    3-8) and the check character. The registration-authority/category pair
    (positions 1-2) is only checked against the charset.
    """
    code = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text).upper())
    if len(code) != 18:
        raise ValidationError("credit_code.length")
    if any(c not in _CODE_VALUE for c in code) or not code[2:8].isdigit():
        raise ValidationError("credit_code.charset")
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValidationError("credit_code.check_digit")
    return code


_MOBILE = re.compile(r"(?:\+?86|0086)?(1[3-9]\d{9})", re.ASCII)
# Area codes: 010 and 02x have three digits, all others four (0 + 3 digits).
_LANDLINE = re.compile(
    r"\(?(0(?:10|2\d|[3-9]\d\d))\)?[\s-]*(\d{3,4})[\s-]?(\d{4})"
    r"(?:[\s-]*(?:-|转|分机|ext\.?|x|#)[\s-]*(\d{1,6}))?",
    re.IGNORECASE | re.ASCII,
)


def validate_phone(text: str) -> str:
    """A mainland mobile as 11 digits, or a landline as ``0771-1234567[-ext]``."""
    text = unicodedata.normalize("NFKC", text).strip()
    if m := _MOBILE.fullmatch(_SEPARATORS.sub("", text)):
        return m[1]
    if m := _LANDLINE.fullmatch(text):
        area, head, tail, ext = m.groups()
        return f"{area}-{head}{tail}" + (f"-{ext}" if ext else "")
    raise ValidationError("phone.invalid")


def mask_phone(phone: str) -> str:
    """A phone number safe for logs: ``138****5678``, ``0771-*****67``."""
    try:
        phone = validate_phone(phone)
    except ValidationError:
        return "***"
    if "-" not in phone:
        return phone[:3] + "*" * 4 + phone[-4:]
    area, local, *ext = phone.split("-")
    return "-".join([area, "*" * (len(local) - 2) + local[-2:], *("*" * len(e) for e in ext)])


def _clean_name(text: str) -> str:
    """Stripped text with runs of whitespace collapsed to one space."""
    return " ".join(text.split())


def _is_printable(text: str) -> bool:
    """No control, format, surrogate, private-use or unassigned characters."""
    return not any(unicodedata.category(c).startswith("C") for c in text)


def validate_company_name(text: str) -> str:
    """2-100 characters, with at least one letter or CJK ideograph."""
    name = _clean_name(text)
    if not 2 <= len(name) <= 100:
        raise ValidationError("company.length")
    if not _is_printable(name) or not any(c.isalpha() for c in name):
        raise ValidationError("company.invalid")
    return name


def validate_person_name(text: str) -> str:
    """1-30 characters with at least one letter (so never digits only)."""
    name = _clean_name(text)
    if not 1 <= len(name) <= 30 or not _is_printable(name) \
            or not any(c.isalpha() for c in name):
        raise ValidationError("name.invalid")
    return name
