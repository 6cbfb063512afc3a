"""Logging set-up: secrets and full phone numbers never reach the log."""
from __future__ import annotations

import logging
import re
from pathlib import Path

from .settings import Settings

MOBILE_RE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


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


def _redactor(settings: Settings) -> Redactor:
    return Redactor([s.get_secret_value() for s in (settings.telegram.token,
                                                     settings.telegram.webhook_secret) if s])


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.logging.level, format=FORMAT)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_redactor(settings))
    # httpx logs every request URL at INFO; they contain the token (redacted anyway).
    logging.getLogger("httpx").setLevel(logging.WARNING)


def log_to_file(settings: Settings) -> Path:
    """The terminal chat: every log line (and Python warning) goes to `logging.chat_file`
    instead of the screen, where it would land between the conversation's lines."""
    path = Path(settings.logging.chat_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(_redactor(settings))
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.logging.level)
    logging.captureWarnings(True)
    return path
