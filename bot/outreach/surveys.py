"""Surveys (线上问卷): a questionnaire defined in `surveys/<key>.yaml` is sent by a supervisor
to a segment of subscribed enterprises through the outbox (bulk, paced like a broadcast).
Enterprises answer one question at a time — choices with buttons, numbers and text typed —
and may stop and resume where they stopped. Finishing turns the answers that state a need into
requests in the ledger (source 问卷) for staff to triage.

Every answer is stored, and the next question written to the outbox, in one transaction; an
answer out of range is refused with the reason and the question stays where it was.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Contact, Survey, SurveyResponse

from ..foundation.refusal import Refusal
from ..delivery.outbox import enqueue, enqueue_bulk
from ..delivery.outgoing import Button, Outgoing, esc
from ..foundation.i18n import t
from ..requests.staff_directory import Actor
from ..requests.ticket_rules import CATEGORIES
from ..requests.tickets import TicketService
from .broadcast_segment import Segment
from .broadcasts import recipients

SURVEYS_DIR = Path(__file__).resolve().parents[2] / "surveys"
TYPES = ("single", "multiple", "number", "text")
TYPED = ("number", "text")
MAX_QUESTIONS = 30
MAX_OPTIONS = 10
MAX_TEXT = 500
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_SPLIT = re.compile(r"[\s,，、]+")


class SurveyError(Refusal):
    """`reason` is a locale key under `survey.err`, with `params`."""


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    type: str
    options: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    need: str | None = None  # the category of the request an answer states
    none: tuple[str, ...] = ()  # answers that state no need


@dataclass(frozen=True)
class Definition:
    key: str
    title: str
    intro: str
    questions: tuple[Question, ...]

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str) -> "Definition":
        raw = json.loads(data)
        return cls(raw["key"], raw["title"], raw["intro"], tuple(
            Question(**{**q, "options": tuple(q["options"]), "none": tuple(q["none"])})
            for q in raw["questions"]))


def load_definition(key: str, directory: Path = SURVEYS_DIR) -> Definition:
    """The questionnaire `directory/<key>.yaml`, checked; SurveyError names what is wrong."""
    if not _KEY.match(key):
        raise SurveyError("key", key=key)
    path = directory / f"{key}.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError:
        raise SurveyError("missing", key=key,
                          known="、".join(sorted(p.stem for p in directory.glob("*.yaml")))
                          or "—") from None
    except yaml.YAMLError as exc:
        raise SurveyError("yaml", key=key, error=str(exc)[:200]) from None
    if not isinstance(raw, dict) or not raw.get("title") or not raw.get("questions"):
        raise SurveyError("shape", key=key)
    items = raw["questions"]
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_QUESTIONS:
        raise SurveyError("shape", key=key)
    questions, seen = [], set()
    for n, item in enumerate(items, 1):
        kind = item.get("type") if isinstance(item, dict) else None
        options = tuple(str(o) for o in item.get("options", ())) if kind else ()
        need = item.get("need") or {}
        if (kind not in TYPES or not item.get("id") or not item.get("text")
                or item["id"] in seen
                or (kind in ("single", "multiple") and not 2 <= len(options) <= MAX_OPTIONS)
                or (need and need.get("category") not in CATEGORIES)):
            raise SurveyError("question", key=key, number=n)
        seen.add(item["id"])
        questions.append(Question(
            str(item["id"]), str(item["text"]), kind, options, item.get("min"), item.get("max"),
            need.get("category"), tuple(str(v) for v in need.get("none", ()))))
    return Definition(key, str(raw["title"]), str(raw.get("intro", "")), tuple(questions))


def check_answer(question: Question, raw: str | list[int]) -> str | list[str]:
    """The answer as stored: the option(s) chosen, the number as typed, the text."""
    if question.type in ("single", "multiple"):
        picked = raw if isinstance(raw, list) else [
            int(word) - 1 for word in _SPLIT.split(str(raw).strip()) if word.isdigit()]
        if not picked or any(not 0 <= n < len(question.options) for n in picked) or (
                question.type == "single" and len(picked) != 1):
            raise SurveyError("choice", count=len(question.options))
        chosen = [question.options[n] for n in sorted(set(picked))]
        return chosen[0] if question.type == "single" else chosen
    text = str(raw).strip()
    if question.type == "number":
        try:
            value = Decimal(text.removesuffix("万元").removesuffix("万"))
        except InvalidOperation:
            raise SurveyError("number") from None
        low = Decimal(str(question.min)) if question.min is not None else None
        high = Decimal(str(question.max)) if question.max is not None else None
        if not value.is_finite() or (low is not None and value < low) or (
                high is not None and value > high):
            raise SurveyError("range", min=question.min if low is not None else "—",
                              max=question.max if high is not None else "—")
        return format(value.normalize(), "f")  # 300, 12.5 (never 3E+2)
    if not 1 <= len(text) <= MAX_TEXT:
        raise SurveyError("text", max=MAX_TEXT)
    return text


def states_need(question: Question, answer) -> bool:
    if question.need is None:
        return False
    values = answer if isinstance(answer, list) else [answer]
    return any(value not in question.none for value in values)


def question_message(survey_id: int, position: int, definition: Definition,
                     lang: str) -> Outgoing:
    question = definition.questions[position]
    head = t("survey.question", lang, number=position + 1, total=len(definition.questions),
             text=esc(question.text))
    buttons: list[list[Button]] = []
    if question.type == "single":
        buttons = [[Button(option, f"sv:a:{survey_id}:{position}:{n}")]
                   for n, option in enumerate(question.options)]
    elif question.type == "multiple":
        buttons = [[Button(option, f"sv:t:{survey_id}:{position}:{n}")]
                   for n, option in enumerate(question.options)]
        buttons.append([Button(t("survey.done_button", lang), f"sv:d:{survey_id}:{position}")])
    else:
        head += "\n" + t(f"survey.type_{question.type}", lang)
    buttons.append([Button(t("survey.stop_button", lang), f"sv:stop:{survey_id}")])
    return Outgoing(text=head, buttons=buttons)


def invitation(survey: Survey, definition: Definition, lang: str) -> Outgoing:
    return Outgoing(text=t("survey.invitation", lang, title=esc(definition.title),
                           intro=esc(definition.intro), count=len(definition.questions)),
                    buttons=[[Button(t("survey.start_button", lang), f"sv:go:{survey.id}")]])


@dataclass
class Step:
    """What an enterprise's action did: a locale key under `survey.step`, and its params."""

    key: str
    params: dict = field(default_factory=dict)
    typed: bool = False  # the next question is answered by typing
    tickets: list[int] = field(default_factory=list)


@dataclass
class Results:
    survey: Survey
    definition: Definition
    started: int = 0
    finished: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # choice question → option
    numbers: dict[str, list[Decimal]] = field(default_factory=dict)
    texts: dict[str, int] = field(default_factory=dict)
    rows: list[tuple[str, dict]] = field(default_factory=list)  # (enterprise, answers)


class Surveys:
    def __init__(self, sessions: async_sessionmaker, tickets: TicketService,
                 clock: Callable[[], datetime], notify: Callable[[], None]) -> None:
        self.sessions = sessions
        self.tickets = tickets
        self.clock = clock
        self.notify = notify

    async def send(self, actor: Actor, definition: Definition, segment: Segment
                   ) -> tuple[Survey, int]:
        async with self.sessions.begin() as session:
            found = await recipients(session, segment)
            survey = Survey(key=definition.key, title=definition.title,
                            definition=definition.to_json(), segment=segment.to_json(),
                            invited=len(found), author_id=actor.id,
                            author_name=actor.name[:128], created_at=self.clock())
            session.add(survey)
            await session.flush()
            messages = {lang: invitation(survey, definition, lang)
                        for lang in {lang for _, lang in found}}
            await enqueue_bulk(session, [(chat, messages[lang]) for chat, lang in found],
                               "survey", None)
        self.notify()
        return survey, len(found)

    async def _load(self, session: AsyncSession, contact_id: int, survey_id: int, create: bool
                    ) -> tuple[Survey, Definition, SurveyResponse | None, Contact] | None:
        survey = await session.get(Survey, survey_id)
        if survey is None:
            return None
        contact = await session.get(Contact, contact_id)
        response = await session.scalar(select(SurveyResponse).where(
            SurveyResponse.survey_id == survey_id, SurveyResponse.contact_id == contact_id))
        if response is None and create:
            response = SurveyResponse(survey_id=survey_id, contact_id=contact_id, position=0,
                                      answers="{}", started_at=self.clock())
            session.add(response)
            await session.flush()
        return survey, Definition.from_json(survey.definition), response, contact

    def _ask(self, session: AsyncSession, contact: Contact, survey_id: int,
             definition: Definition, response: SurveyResponse) -> Step:
        enqueue(session, contact.chat_id, question_message(
            survey_id, response.position, definition, contact.language), "survey")
        return Step("asked", typed=definition.questions[response.position].type in TYPED)

    async def start(self, contact_id: int, survey_id: int) -> Step:
        """Begin, or resume where the enterprise stopped."""
        async with self.sessions.begin() as session:
            loaded = await self._load(session, contact_id, survey_id, create=True)
            if loaded is None:
                return Step("missing")
            _, definition, response, contact = loaded
            if response.finished_at is not None:
                return Step("finished_before")
            step = self._ask(session, contact, survey_id, definition, response)
        self.notify()
        return step

    async def toggle(self, contact_id: int, survey_id: int, position: int, option: int
                     ) -> Step:
        """A multiple-choice option pressed: selected, or unselected when pressed again."""
        async with self.sessions.begin() as session:
            loaded = await self._load(session, contact_id, survey_id, create=False)
            if loaded is None or loaded[2] is None:
                return Step("missing")
            _, definition, response, _ = loaded
            question = definition.questions[response.position] \
                if response.finished_at is None else None
            if question is None or response.position != position or \
                    question.type != "multiple" or not 0 <= option < len(question.options):
                return Step("stale")
            answers = json.loads(response.answers)
            selected = set(answers.get("_selected", []))
            selected ^= {option}
            answers["_selected"] = sorted(selected)
            response.answers = json.dumps(answers, ensure_ascii=False)
            chosen = "、".join(question.options[n] for n in sorted(selected)) or "—"
            return Step("selected", {"chosen": chosen})

    async def answer(self, contact_id: int, survey_id: int, raw: str | list[int] | None,
                     position: int | None = None) -> Step:
        """Answer the current question (`position` from a button, to refuse a stale one;
        `raw` None: the multiple choice selected so far)."""
        async with self.sessions.begin() as session:
            loaded = await self._load(session, contact_id, survey_id, create=False)
            if loaded is None or loaded[2] is None:
                return Step("missing")
            survey, definition, response, contact = loaded
            if response.finished_at is not None:
                return Step("finished_before")
            if position is not None and position != response.position:
                return Step("stale")
            question = definition.questions[response.position]
            answers = json.loads(response.answers)
            if raw is None:
                raw = list(answers.get("_selected", []))
            try:
                value = check_answer(question, raw)
            except SurveyError as exc:
                return Step(f"err.{exc.reason}", exc.params,
                            typed=question.type in TYPED)
            answers.pop("_selected", None)
            answers[question.id] = value
            response.answers = json.dumps(answers, ensure_ascii=False)
            response.position += 1
            if response.position < len(definition.questions):
                step = self._ask(session, contact, survey_id, definition, response)
            else:
                response.finished_at = self.clock()
                step = Step("finished", tickets=await self._needs(
                    session, contact, survey, definition, answers))
        self.notify()
        return step

    async def _needs(self, session: AsyncSession, contact: Contact, survey: Survey,
                     definition: Definition, answers: dict) -> list[int]:
        """Requests (source 问卷) for the answers that state a need."""
        actor = Actor("enterprise", contact.external_id, contact.display_name or "")
        created = []
        for question in definition.questions:
            value = answers.get(question.id)
            if value is None or not states_need(question, value):
                continue
            shown = "、".join(value) if isinstance(value, list) else value
            description = t("survey.need", "zh-CN", title=survey.title, question=question.text,
                            answer=shown)
            ticket = await self.tickets.record(session, contact.id, question.need,
                                               description, "survey", actor)
            created.append(ticket.id)
        return created

    async def stop(self, contact_id: int, survey_id: int) -> Step:
        async with self.sessions() as session:
            loaded = await self._load(session, contact_id, survey_id, create=False)
        if loaded is None or loaded[2] is None:
            return Step("missing")
        return Step("stopped", {"id": survey_id})

    async def waiting_for_typed(self, contact_id: int) -> int | None:
        """The survey whose current question this enterprise answers by typing, if any."""
        async with self.sessions() as session:
            for response, survey in await session.execute(
                    select(SurveyResponse, Survey).join(Survey)
                    .where(SurveyResponse.contact_id == contact_id,
                           SurveyResponse.finished_at.is_(None))
                    .order_by(SurveyResponse.id.desc()).limit(3)):
                definition = Definition.from_json(survey.definition)
                if definition.questions[response.position].type in TYPED:
                    return survey.id
        return None

    async def results(self, survey_id: int) -> Results | None:
        from storage.models import EnterpriseProfile

        async with self.sessions() as session:
            survey = await session.get(Survey, survey_id)
            if survey is None:
                return None
            definition = Definition.from_json(survey.definition)
            found = Results(survey, definition)
            found.counts = {q.id: dict.fromkeys(q.options, 0) for q in definition.questions
                            if q.type in ("single", "multiple")}
            for response, company, contact in await session.execute(
                    select(SurveyResponse, EnterpriseProfile.company_name, Contact)
                    .join(Contact, Contact.id == SurveyResponse.contact_id)
                    .outerjoin(EnterpriseProfile,
                               EnterpriseProfile.contact_id == SurveyResponse.contact_id)
                    .where(SurveyResponse.survey_id == survey_id)
                    .order_by(SurveyResponse.id)):
                found.started += 1
                found.finished += response.finished_at is not None
                answers = json.loads(response.answers)
                answers.pop("_selected", None)
                found.rows.append((company or contact.display_name or contact.external_id,
                                   answers))
                for question in definition.questions:
                    value = answers.get(question.id)
                    if value is None:
                        continue
                    if question.type in ("single", "multiple"):
                        for option in value if isinstance(value, list) else [value]:
                            found.counts[question.id][option] += 1
                    elif question.type == "number":
                        found.numbers.setdefault(question.id, []).append(Decimal(value))
                    else:
                        found.texts[question.id] = found.texts.get(question.id, 0) + 1
            return found


def step_text(step: Step, lang: str) -> str | None:
    """What the enterprise is told after an action; None when the next question says it."""
    if step.key == "asked":
        return None
    return t(f"survey.step.{step.key}", lang, **step.params)


def pressed(data: str) -> tuple[str, list[int]] | None:
    """An `sv:` button as (action, numbers): go S, a S P N, t S P N, d S P, stop S."""
    action, *rest = data.split(":")[1:] or [""]
    sizes = {"go": 1, "a": 3, "t": 3, "d": 2, "stop": 1}
    if action not in sizes or len(rest) != sizes[action] or not all(r.isdigit() for r in rest):
        return None
    return action, [int(r) for r in rest]


async def press(service: Surveys, contact_id: int, action: str, numbers: list[int]) -> Step:
    """The action of a survey button, the same on every channel."""
    if action == "go":
        return await service.start(contact_id, numbers[0])
    if action == "a":
        return await service.answer(contact_id, numbers[0], [numbers[2]], numbers[1])
    if action == "t":
        return await service.toggle(contact_id, numbers[0], numbers[1], numbers[2])
    if action == "d":
        return await service.answer(contact_id, numbers[0], None, numbers[1])
    return await service.stop(contact_id, numbers[0])
