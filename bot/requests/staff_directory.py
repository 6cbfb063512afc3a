"""Who may do what: staff roles from configuration, enterprises only on their own requests."""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from ..foundation.settings import StaffSettings


class Role(IntEnum):
    """Ordered: a higher role may do everything a lower one may."""

    AGENT = 1
    SUPERVISOR = 2
    ADMIN = 3


@dataclass(frozen=True)
class Actor:
    kind: str  # "staff", "enterprise" or "system"
    id: str
    name: str
    role: Role | None = None

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff" and self.role is not None


SYSTEM = Actor("system", "system", "system")

# The minimum role for each staff action.
REQUIRED_ROLE = {
    "claim": Role.AGENT, "reply": Role.AGENT, "note": Role.AGENT, "resolve": Role.AGENT,
    "reopen": Role.AGENT, "close": Role.AGENT, "transfer": Role.AGENT, "priority": Role.AGENT,
    "category": Role.AGENT,
    "view": Role.AGENT, "assign": Role.SUPERVISOR,
    # The platform's own work: needs found off the chat, visits, outcomes, the register.
    "record": Role.AGENT, "visit": Role.AGENT, "outcome": Role.AGENT, "register": Role.AGENT,
}


class StaffDirectory:
    def __init__(self, settings: StaffSettings) -> None:
        self.chat_id = settings.chat_id
        self._roles: dict[str, Role] = {}
        for role, ids in ((Role.AGENT, settings.agents), (Role.SUPERVISOR, settings.supervisors),
                          (Role.ADMIN, settings.admins)):
            for user_id in ids:
                self._roles[str(user_id)] = max(role, self._roles.get(str(user_id), role))

    def role_of(self, user_id: str | int) -> Role | None:
        return self._roles.get(str(user_id))

    def actor(self, user_id: str | int, name: str) -> Actor:
        role = self.role_of(user_id)
        return Actor("staff" if role else "enterprise", str(user_id), name, role)

    def may(self, actor: Actor, action: str) -> bool:
        return actor.is_staff and actor.role >= REQUIRED_ROLE[action]  # type: ignore[operator]

    def members(self) -> list[str]:
        return list(self._roles)
