"""Staff commands turning unanswered questions into knowledge.

/unanswered [期间] [页码]   agents and up: the period's questions to review, grouped
/attach 组号 条目编号        agents and up: a group's wordings become alternates of an entry
/draft 组号 分类 | 标准问法 | 答案 | 来源   supervisors and up: a new entry for a group
/undo_addition 编号          supervisors and up: take an /attach or /draft out again

Attaching only adds phrasings to an answer that was already reviewed; a draft is a new answer
that enterprises will read, so it takes a supervisor (who also applies both with /reload).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from .command_types import CommandResult, StaffCommand, period_refusal
from ..foundation.i18n import t
from ..delivery.outgoing import esc
from ..foundation.numbers import whole_number
from ..foundation.periods import Period, PeriodError, parse_period
from ..answering.question_review import Change, Listing, QuestionGroup, QuestionReview
from .services import Services
from ..requests.staff_directory import Actor, Role

LANG = "zh-CN"
PAGE = 10
DEFAULT_DAYS = 30
ECHO = 10  # wordings repeated back after /attach and /draft
SHORT = 60  # characters of a question in the listing
PAGES = 999  # a last word up to this is a page number
GROUPS = 9999  # group numbers staff may type


def review_of(services: Services) -> QuestionReview:
    """One review per running service (it remembers each staff member's last listing)."""
    review = services.extras.get("question_review")
    if review is None:
        review = services.extras["question_review"] = QuestionReview(services.questions,
                                                                     services.knowledge)
    return review


def short(text: str, limit: int = SHORT) -> str:
    return esc(text if len(text) <= limit else text[:limit - 1] + "…")


def local_now(services: Services) -> datetime:
    return services.clock().astimezone(services.calendar.tz)


def period_and_page(services: Services, args: list[str]) -> tuple[Period, int]:
    page = whole_number(args[-1], PAGES) if args else None
    if page is not None:
        args.pop()
    today = local_now(services).date()
    last_days = f"{today - timedelta(days=DEFAULT_DAYS - 1)}..{today}"
    return parse_period(" ".join(args) or last_days, services.calendar.tz, today), page or 1


def group_lines(services: Services, number: int, group: QuestionGroup) -> list[str]:
    disliked = t("staff_kb.disliked", LANG, count=group.disliked) if group.disliked else ""
    lines = [t("staff_kb.group", LANG, number=number, text=short(group.texts[0]),
               count=group.count, disliked=disliked)]
    if len(group.texts) > 1:
        others = "；".join(short(text, 30) for text in group.texts[1:3])
        lines.append(t("staff_kb.variants", LANG, count=len(group.texts) - 1,
                       texts=others + ("……" if len(group.texts) > 3 else "")))
    entry = services.knowledge.kb.get(group.candidate) if group.candidate else None
    lines.append(t("staff_kb.candidate", LANG, id=esc(entry.id), question=short(entry.question, 40))
                 if entry else t("staff_kb.no_candidate", LANG))
    return lines


def render(services: Services, listing: Listing, page: int) -> CommandResult:
    period = listing.period
    days = {"first": period.first_day.isoformat(), "last": period.last_day.isoformat()}
    if not listing.groups:
        return CommandResult(t("staff_kb.empty", LANG, **days))
    pages = -(-len(listing.groups) // PAGE)
    if not 1 <= page <= pages:
        return CommandResult(t("staff_kb.no_page", LANG, page=page, pages=pages), ok=False)
    lines = [t("staff_kb.title", LANG, groups=len(listing.groups),
               questions=sum(g.count for g in listing.groups), **days)]
    if listing.truncated_at:
        lines.append(t("staff_kb.truncated", LANG, max=listing.truncated_at))
    first = (page - 1) * PAGE
    for number, group in listing.numbered(first, first + PAGE):
        lines.extend(group_lines(services, number, group))
    if page < pages:
        lines.append(t("staff_kb.more", LANG, page=page, pages=pages, next=page + 1,
                       period=f"{days['first']}..{days['last']}"))
    lines.append(t("staff_kb.hint", LANG))
    return CommandResult("\n".join(lines))


async def unanswered(services: Services, actor: Actor, args: list[str]) -> CommandResult:
    try:
        period, page = period_and_page(services, list(args))
    except PeriodError as error:
        return period_refusal(error, t("staff_kb.bad_period", LANG, period=esc(str(error))))
    review = review_of(services)
    last = review.last(actor)
    if page > 1 and last is not None and (last.period.start, last.period.end) == (
            period.start, period.end):
        return render(services, last, page)  # the same numbering as the pages already seen
    return render(services, await review.listing(actor, period), page)


def changed(change: Change, key: str, number: int) -> CommandResult:
    if not change.ok:
        params = {"number": number, "id": esc(change.entry_id),
                  "problems": "\n".join(esc(str(p)) for p in change.problems[:8]),
                  **{k: esc(str(v)) for k, v in change.params.items()}}
        return CommandResult(t(f"staff_kb.{change.reason}", LANG, **params), ok=False)
    texts = "\n".join(t("staff_kb.item", LANG, text=short(x)) for x in change.texts[:ECHO])
    if len(change.texts) > ECHO:
        texts += "\n" + t("staff_kb.and_more", LANG, count=len(change.texts) - ECHO)
    return CommandResult(t(f"staff_kb.{key}", LANG, number=number, id=esc(change.entry_id),
                           count=len(change.texts), texts=texts, addition=change.addition))


def group_number(args: list[str]) -> int | None:
    return whole_number(args[0], GROUPS) if args else None


async def attach(services: Services, actor: Actor, args: list[str]) -> CommandResult:
    number = group_number(args)
    if number is None or len(args) != 2:
        return CommandResult(t("staff_kb.usage_attach", LANG), ok=False)
    change = await review_of(services).attach(actor, number, args[1], local_now(services))
    return changed(change, "attached", number)


async def draft(services: Services, actor: Actor, args: list[str]) -> CommandResult:
    number = group_number(args)
    fields = " ".join(args[1:]).split("|", 2)
    if number is None or len(fields) < 3 or "|" not in fields[2]:
        return CommandResult(t("staff_kb.usage_draft", LANG), ok=False)
    category, question, rest = (f.strip() for f in fields)
    answer, source = (f.strip() for f in rest.rsplit("|", 1))
    change = await review_of(services).draft(actor, number, category, question, answer, source,
                                             local_now(services))
    return changed(change, "drafted", number)


async def undo_addition(services: Services, actor: Actor, args: list[str]) -> CommandResult:
    number = group_number(args)
    if number is None or len(args) != 1:
        return CommandResult(t("staff_kb.usage_undo", LANG), ok=False)
    change = await review_of(services).undo(number)
    key = "undone_draft" if change.params.get("drafted") else "undone"
    return changed(change, key, number)


COMMANDS = {
    "unanswered": StaffCommand("unanswered", Role.AGENT, unanswered),
    "attach": StaffCommand("attach", Role.AGENT, attach),
    "draft": StaffCommand("draft", Role.SUPERVISOR, draft),
    "undo_addition": StaffCommand("undo_addition", Role.SUPERVISOR, undo_addition),
}
