"""Bad input that the core refuses: a locale key naming the reason, with its parameters, so
that every channel phrases the refusal alike and nothing is changed."""
from __future__ import annotations


class Refusal(ValueError):
    """`reason` is a locale key (or its last part, as the raising module documents)."""

    def __init__(self, reason: str, **params) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params
