"""Logging set-up: secrets and full phone numbers never reach the log."""
from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from pathlib import Path

from .settings import Settings

# Mainland mobiles, with or without the country code (+86 / 86), spaces or dashes inside.
MOBILE_RE = re.compile(r"(?<![\d+])((?:\+?86[\s-]?)?1[3-9]\d)[\s-]?\d{4}[\s-]?(\d{4})(?!\d)")
# Landlines with their area code: 0771-1234567, 010 12345678, 02112345678.
LANDLINE_RE = re.compile(r"(?<![\d+])(0\d{2,3})[\s-]?\d{3,4}(\d{4})(?!\d)")


def mask_phones(text: str) -> str:
    """138****5678, +86138****5678, 0771-****4567."""
    return LANDLINE_RE.sub(r"\1-****\2", MOBILE_RE.sub(r"\1****\2", text))


FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class Redactor(logging.Filter):
    """Replaces secrets with *** and masks phone numbers, in the message and the traceback."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return mask_phones(text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self._clean(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        return True


class Throttled:
    """At most one line per `interval_s` for a message anyone can trigger (a refused request):
    the lines held back are counted in the next one, so the log cannot be flooded."""

    def __init__(self, logger: logging.Logger, interval_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.logger, self.interval_s, self.clock = logger, interval_s, clock
        self._next = float("-inf")
        self.suppressed = 0

    def warning(self, message: str, *args: object) -> None:
        now = self.clock()
        if now < self._next:
            self.suppressed += 1
            return
        if self.suppressed:
            message += f" (and {self.suppressed} more since the last such line)"
        self.logger.warning(message, *args)
        self._next, self.suppressed = now + self.interval_s, 0


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
