"""Enterprises opting in to the platform's notices (`/subscribe`, `/unsubscribe`): the topics
are the request categories (or all of them), chosen with toggle buttons; industry and district
come from the enterprise profile and may be given here, optionally. Every channel (Telegram,
the terminal) goes through this module."""
from __future__ import annotations

import re

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Contact, EnterpriseProfile, OutboxMessage, Subscription, utcnow

from ..foundation.i18n import t
from ..foundation.numbers import whole_number
from ..delivery.outgoing import Button, Outgoing, esc
from ..delivery.outbox import BULK
from ..requests.ticket_rules import CATEGORIES
from ..requests.ticket_views import category_label

ALL = "all"  # stored for "every topic", including categories added later
FIELDS = ("industry", "district")  # profile fields that segment broadcasts
MAX_FIELD = 32
SKIP = "/skip"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def topics_of(stored: str) -> frozenset[str]:
    if stored == ALL:
        return frozenset(CATEGORIES)
    return frozenset(stored.split(",")) & frozenset(CATEGORIES)


def stored_form(topics: frozenset[str]) -> str:
    if topics >= frozenset(CATEGORIES):
        return ALL
    return ",".join(c for c in CATEGORIES if c in topics)


def _mask(topics: frozenset[str]) -> int:
    return sum(1 << i for i, c in enumerate(CATEGORIES) if c in topics)


def _from_mask(mask: int) -> frozenset[str]:
    return frozenset(c for i, c in enumerate(CATEGORIES) if mask >> i & 1)


def topic_names(topics: frozenset[str], lang: str) -> str:
    if topics >= frozenset(CATEGORIES):
        return t("broadcast.sub.all", lang)
    return "、".join(category_label(c, lang) for c in CATEGORIES if c in topics)


def picker(lang: str, selected: frozenset[str], edit_message_id: int | None = None) -> Outgoing:
    """The toggle keyboard: one button per topic, 全部, and save (the selection so far travels
    in the buttons' data, so nothing is stored until it is saved)."""
    mask = _mask(selected)
    every = selected >= frozenset(CATEGORIES)
    labels = [Button(("✅ " if c in selected else "▫️ ") + category_label(c, lang),
                     f"sub:t:{mask}:{i}") for i, c in enumerate(CATEGORIES)]
    rows = [labels[i:i + 3] for i in range(0, len(labels), 3)]
    rows.append([Button(("✅ " if every else "▫️ ") + t("broadcast.sub.all", lang),
                        f"sub:all:{mask}"),
                 Button(t("broadcast.sub.save", lang), f"sub:ok:{mask}")])
    return Outgoing(text=t("broadcast.sub.pick", lang), buttons=rows,
                    edit_message_id=edit_message_id)


def pressed(data: str) -> tuple[str, frozenset[str]] | None:
    """A picker button: ("toggle", new selection) or ("save", selection); None if stale."""
    parts = data.split(":")
    numbers = [whole_number(p) for p in parts[2:]]
    if len(parts) < 3 or None in numbers:
        return None
    selected = _from_mask(numbers[0])
    if parts[1] == "t" and len(parts) == 4 and numbers[1] < len(CATEGORIES):
        return "toggle", selected ^ {CATEGORIES[numbers[1]]}
    if parts[1] == "all" and len(parts) == 3:
        every = selected >= frozenset(CATEGORIES)
        return "toggle", frozenset() if every else frozenset(CATEGORIES)
    if parts[1] == "ok" and len(parts) == 3:
        return "save", selected
    return None


def typed_choice(text: str) -> frozenset[str] | None:
    """Topics typed in the terminal: numbers of the list ("1 3", "1,3") or 全部/all."""
    words = [w for w in re.split(r"[\s,，、]+", text.strip()) if w]
    if words and all(w.lower() in ("全部", "all") for w in words):
        return frozenset(CATEGORIES)
    numbers = [whole_number(w, len(CATEGORIES)) for w in words]
    if not words or not all(numbers):  # None or 0
        return None
    return frozenset(CATEGORIES[n - 1] for n in numbers)


def question(field: str, lang: str) -> str:
    return t(f"broadcast.sub.ask_{field}", lang, max=MAX_FIELD)


async def forget(session: AsyncSession, contact: Contact) -> bool:
    """Remove a contact's subscription, and the notices still waiting for them, in the caller's
    transaction; True if there was one."""
    removed = (await session.execute(delete(Subscription).where(
        Subscription.contact_id == contact.id))).rowcount
    await session.execute(update(OutboxMessage).where(
        OutboxMessage.chat_id == contact.chat_id, OutboxMessage.status == "pending",
        OutboxMessage.priority >= BULK).values(status="cancelled"))
    return bool(removed)


def _missing(profile: EnterpriseProfile | None) -> tuple[str, ...]:
    return tuple(f for f in FIELDS if not getattr(profile, f, None))


class Subscriptions:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self.sessions = sessions

    async def topics(self, contact_id: int) -> frozenset[str] | None:
        async with self.sessions() as session:
            found = await session.get(Subscription, contact_id)
            return topics_of(found.topics) if found else None

    async def save(self, contact_id: int, topics: frozenset[str], lang: str
                   ) -> tuple[str, tuple[str, ...]]:
        """Store the subscription; returns the confirmation and the profile fields that could
        still be given (industry, district)."""
        if not topics:
            return t("broadcast.sub.none_chosen", lang), ()
        async with self.sessions.begin() as session:
            found = await session.get(Subscription, contact_id)
            if found is None:
                session.add(Subscription(contact_id=contact_id, topics=stored_form(topics)))
            else:
                found.topics, found.updated_at = stored_form(topics), utcnow()
            missing = _missing(await session.get(EnterpriseProfile, contact_id))
        text = t("broadcast.sub.saved", lang, topics=esc(topic_names(topics, lang)))
        return (text + "\n" + t("broadcast.sub.offer", lang)) if missing else text, missing

    async def missing(self, contact_id: int) -> tuple[str, ...]:
        """The profile fields that segment broadcasts and are not given yet."""
        async with self.sessions() as session:
            return _missing(await session.get(EnterpriseProfile, contact_id))

    async def unsubscribe(self, contact_id: int, lang: str) -> str:
        async with self.sessions.begin() as session:
            contact = await session.get(Contact, contact_id)
            had = contact is not None and await forget(session, contact)
        return t("broadcast.sub.removed" if had else "broadcast.sub.not_subscribed", lang)

    async def answer(self, contact_id: int, lang: str, pending: tuple[str, ...],
                     text: str) -> tuple[str, tuple[str, ...]]:
        """`text` given for the first of the `pending` profile fields (or /skip): the reply
        and the fields still to ask. A bad value is explained and asked again."""
        value = " ".join(text.split())
        if value != SKIP:
            if not value or len(value) > MAX_FIELD or _CONTROL.search(value) or \
                    value.startswith("/"):
                return t("broadcast.sub.bad_field", lang, max=MAX_FIELD), pending
            async with self.sessions.begin() as session:
                profile = await session.get(EnterpriseProfile, contact_id)
                if profile is None:
                    profile = EnterpriseProfile(contact_id=contact_id)
                    session.add(profile)
                setattr(profile, pending[0], value)
                profile.updated_at = utcnow()
        rest = pending[1:]
        return (question(rest[0], lang) if rest else t("broadcast.sub.profile_done", lang)), rest
