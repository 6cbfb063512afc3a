"""A fake Telegram Bot API server for offline end-to-end tests (see ``server.FakeBotAPI``)."""

from . import builders
from .faults import (
    Fault,
    bad_gateway,
    blocked,
    cant_initiate,
    chat_not_found,
    conflict,
    disconnect,
    flood,
    garbage,
    kicked,
    migrated,
    not_modified,
    parse_error,
    server_error,
    slow,
    thread_not_found,
)
from .limits import RateLimits, TokenBucket
from .server import DEFAULT_TOKEN, Call, FakeBotAPI, StoredFile, Upload, parse_formatted, running_fake

__all__ = [
    "DEFAULT_TOKEN", "Call", "FakeBotAPI", "Fault", "RateLimits", "StoredFile", "TokenBucket", "Upload",
    "bad_gateway", "blocked", "builders", "cant_initiate", "chat_not_found", "conflict", "disconnect",
    "flood", "garbage", "kicked", "migrated", "not_modified", "parse_error", "parse_formatted",
    "running_fake", "server_error", "slow", "thread_not_found",
]
