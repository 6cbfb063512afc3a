"""The platform's report to its city: the figures in the words it uses, for any period.

- 服务企业数: enterprises with a need filed in the period or visited in it (an enterprise is
  its register entry; a contact not linked to the register counts as one of its own), in
  total and by the source of their needs (a visit counts under 走访 even without needs);
- 了解需求数: needs filed in the period, from every source; 已解决: those now resolved or closed;
  解决率 = 已解决 ÷ 了解需求数 (the cohort of /stats), against the configured target;
- outcomes recorded in the period: enterprises whose applications were approved (获批) per
  programme and level, enterprises connected with financing with the credit granted and the
  loans disbursed, amounts recovered with legal help; enterprises given legal help are those
  with a need of a legal-kind category filed in the period;
- visits made in the period and the enterprises visited; events held in the period (not
  cancelled), the places taken and the attendance; surveys sent in the period, the enterprises
  invited and the responses finished in it.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy import and_, case, distinct, func, select, union
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import (
    Contact, Event, EventSignup, Survey, SurveyResponse, Ticket, TicketOutcome, Visit,
)

from ..foundation.periods import Period
from ..foundation.settings import OutcomesSettings
from .stats import DONE, within

APPROVED = "获批"
# The enterprise a need belongs to: its register entry, else (never linked) its contact.
ENTERPRISE = case((Contact.enterprise_id.is_not(None), Contact.enterprise_id),
                  else_=-Contact.id)


@dataclass
class PlatformReport:
    period: Period
    target: float  # 解决率 target, 0..1
    served: int = 0
    served_by_source: dict[str, int] = field(default_factory=dict)
    needs: int = 0
    needs_by_source: dict[str, int] = field(default_factory=dict)
    resolved: int = 0
    visits: int = 0
    visited: int = 0
    # (programme, level) → enterprises approved
    approved: dict[tuple[str, str], int] = field(default_factory=dict)
    approved_enterprises: int = 0
    financed: int = 0
    credit_yuan: int = 0
    disbursed_yuan: int = 0
    legal_enterprises: int = 0
    legal_needs: int = 0
    recovered_yuan: int = 0
    events: int = 0  # held in the period (not cancelled)
    event_signups: int = 0  # registered places taken
    event_attended: int = 0
    surveys: int = 0  # sent in the period
    survey_invited: int = 0
    survey_answered: int = 0  # responses finished in the period


    @property
    def rate(self) -> float | None:
        return self.resolved / self.needs if self.needs else None

    @property
    def target_met(self) -> bool:
        return self.rate is not None and self.rate >= self.target


def _filed(period: Period):
    return (select(Ticket.id, Ticket.source, Ticket.status, Ticket.category,
                   ENTERPRISE.label("enterprise"))
            .join(Contact, Contact.id == Ticket.contact_id)
            .where(within(Ticket.created_at, period)))


def _visits(period: Period):
    return select(Visit.enterprise_id.label("enterprise")).where(
        Visit.visited_on >= period.first_day, Visit.visited_on <= period.last_day)


async def _needs(session: AsyncSession, report: PlatformReport, legal: list[str]) -> None:
    filed = _filed(report.period).subquery()
    is_done = case((filed.c.status.in_(DONE), 1), else_=0)
    for source, needs, resolved, enterprises in await session.execute(
            select(filed.c.source, func.count(), func.sum(is_done),
                   func.count(distinct(filed.c.enterprise))).group_by(filed.c.source)):
        report.needs_by_source[source] = needs
        report.served_by_source[source] = enterprises
        report.needs += needs
        report.resolved += resolved or 0
    is_legal = filed.c.category.in_(legal)
    report.legal_needs, report.legal_enterprises = (await session.execute(
        select(func.count(), func.count(distinct(filed.c.enterprise))).where(is_legal))).one()


async def _served(session: AsyncSession, report: PlatformReport) -> None:
    needs = select(_filed(report.period).subquery().c.enterprise)
    visits = _visits(report.period)
    report.served = await session.scalar(
        select(func.count()).select_from(union(needs, visits).subquery())) or 0
    from_visits = select(_filed(report.period).where(Ticket.source == "visit")
                         .subquery().c.enterprise)
    visited = await session.scalar(select(func.count()).select_from(
        union(from_visits, visits).subquery())) or 0
    if visited:
        report.served_by_source["visit"] = visited
    report.visits, report.visited = (await session.execute(
        select(func.count(), func.count(distinct(Visit.enterprise_id))).where(
            Visit.visited_on >= report.period.first_day,
            Visit.visited_on <= report.period.last_day))).one()


def _outcomes(period: Period, kind: str, *columns):
    return (select(*columns).select_from(TicketOutcome)
            .join(Ticket, Ticket.id == TicketOutcome.ticket_id)
            .join(Contact, Contact.id == Ticket.contact_id)
            .where(TicketOutcome.kind == kind, within(TicketOutcome.at, period)))


async def _results(session: AsyncSession, report: PlatformReport) -> None:
    period = report.period
    approved = TicketOutcome.result == APPROVED
    rows = await session.execute(
        _outcomes(period, "project", TicketOutcome.programme, TicketOutcome.level,
                  func.count(distinct(ENTERPRISE))).where(approved)
        .group_by(TicketOutcome.programme, TicketOutcome.level))
    report.approved = {(programme, level): n for programme, level, n in rows}
    report.approved_enterprises = await session.scalar(
        _outcomes(period, "project", func.count(distinct(ENTERPRISE))).where(approved)) or 0
    financed, credit, disbursed = (await session.execute(_outcomes(
        period, "financing", func.count(distinct(ENTERPRISE)),
        func.sum(TicketOutcome.credit_yuan), func.sum(TicketOutcome.disbursed_yuan)))).one()
    report.financed, report.credit_yuan = financed, int(credit or 0)
    report.disbursed_yuan = int(disbursed or 0)
    report.recovered_yuan = int(await session.scalar(_outcomes(
        period, "legal", func.sum(TicketOutcome.recovered_yuan))) or 0)


async def _events(session: AsyncSession, report: PlatformReport) -> None:
    registered = and_(EventSignup.event_id == Event.id, EventSignup.status == "registered")
    attended = case((EventSignup.attended.is_(True), 1), else_=0)
    events, signups, came = (await session.execute(
        select(func.count(distinct(Event.id)), func.count(EventSignup.id), func.sum(attended))
        .select_from(Event).outerjoin(EventSignup, registered)
        .where(within(Event.starts_at, report.period), Event.status != "cancelled"))).one()
    report.events, report.event_signups, report.event_attended = events, signups, came or 0


async def _surveys(session: AsyncSession, report: PlatformReport) -> None:
    report.surveys, invited = (await session.execute(
        select(func.count(), func.sum(Survey.invited))
        .where(within(Survey.created_at, report.period)))).one()
    report.survey_invited = invited or 0
    report.survey_answered = await session.scalar(
        select(func.count()).select_from(SurveyResponse)
        .where(within(SurveyResponse.finished_at, report.period))) or 0


async def collect_report(sessions: async_sessionmaker, period: Period, target: float,
                         outcomes: OutcomesSettings) -> PlatformReport:
    """Every figure of the report; the independent queries run at the same time."""
    report = PlatformReport(period, target)
    legal = [category for category, kind in outcomes.kinds.items() if kind == "legal"]

    async def run(part, *args):
        async with sessions() as session:
            await part(session, report, *args)

    await run(_needs, legal)  # by source first: the visits' figure below replaces its own
    await asyncio.gather(run(_served), run(_results), run(_events),
                         run(_surveys))
    return report
