"""Injectable failures for the fake Bot API, with Telegram's own error texts."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Fault:
    """How the fake answers one call instead of (or after) handling it normally.

    ``status=None`` means "handle the call normally" (after ``delay_s``). ``raw_body`` sends
    that body verbatim (not JSON); ``drop_connection`` closes the socket without any answer.
    ``after_processing`` runs the method first, so the effect happens but the answer is lost.
    """

    status: int | None = 400
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    delay_s: float = 0.0
    drop_connection: bool = False
    raw_body: bytes | None = None
    after_processing: bool = False

    def envelope(self) -> dict[str, Any]:
        """The JSON error body Telegram sends for this fault."""
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = dict(self.parameters)
        return body


def flood(retry_after: int = 3) -> Fault:
    return Fault(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})


def blocked() -> Fault:
    return Fault(403, "Forbidden: bot was blocked by the user")


def cant_initiate() -> Fault:
    return Fault(403, "Forbidden: bot can't initiate conversation with a user")


def kicked() -> Fault:
    return Fault(403, "Forbidden: bot was kicked from the supergroup chat")


def chat_not_found() -> Fault:
    return Fault(400, "Bad Request: chat not found")


def not_modified() -> Fault:
    return Fault(
        400,
        "Bad Request: message is not modified: specified new message content and reply markup"
        " are exactly the same as a current content and reply markup of the message",
    )


def migrated(new_id: int) -> Fault:
    return Fault(
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        {"migrate_to_chat_id": new_id},
    )


def thread_not_found() -> Fault:
    return Fault(400, "Bad Request: message thread not found")


def parse_error() -> Fault:
    return Fault(400, "Bad Request: can't parse entities: Unsupported start tag \"x\" at byte offset 0")


def conflict() -> Fault:
    return Fault(
        409,
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    )


def bad_gateway() -> Fault:
    return Fault(502, "Bad Gateway")


def server_error() -> Fault:
    return Fault(500, "Internal Server Error")


def slow(seconds: float, then: Fault | None = None) -> Fault:
    """Answer after ``seconds``: normally, or with ``then``'s error."""
    return replace(then or Fault(status=None), delay_s=seconds)


def disconnect(after_processing: bool = False) -> Fault:
    """Close the connection without an answer (optionally after the call took effect)."""
    return Fault(status=None, drop_connection=True, after_processing=after_processing)


def garbage(status: int = 500) -> Fault:
    """A non-JSON body, like a proxy's HTML error page."""
    return Fault(status, raw_body=b"<html><body><h1>502 Bad Gateway</h1></body></html>")
