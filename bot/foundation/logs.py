"""Logging set-up: secrets and full phone numbers never reach the log."""
from __future__ import annotations

import logging
import re

from .settings import Settings

MOBILE_RE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


class Redactor(logging.Filter):
    """Replaces secrets with *** and masks mainland mobile numbers (138****5678)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        for secret in self.secrets:
            message = message.replace(secret, "***")
        message = MOBILE_RE.sub(r"\1****\2", message)
        record.msg, record.args = message, None
        return True


def configure_logging(settings: Settings) -> None:
    secrets = [s.get_secret_value() for s in (settings.telegram.token,
                                              settings.telegram.webhook_secret) if s]
    logging.basicConfig(level=settings.logging.level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(Redactor(secrets))
    # httpx logs every request URL at INFO; they contain the token (redacted anyway).
    logging.getLogger("httpx").setLevel(logging.WARNING)
