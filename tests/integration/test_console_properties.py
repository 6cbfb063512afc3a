"""The terminal chat survives any sequence of lines and restarts on the same database
(hypothesis): no exception, no "something went wrong", and the data stays sound — no request
carries a command as its description, every request's history starts with its creation, a
conversation handed to staff points at an open request of that enterprise."""
import asyncio
from itertools import count

from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st
from sqlalchemy import select

from bot.app.services import running_services
from bot.channels.console_chat import run_console
from bot.channels.console_dialog import command_name
from bot.foundation.settings import load_settings
from bot.requests.ticket_rules import OPEN
from storage.models import Contact, OutboxMessage, Ticket, TicketEvent
from tests.conftest import REPO
from tests.databases import database_url

ENTERPRISE = ["/help", "/new", "/cancel", "/done", "/skip", "/mytickets", "/topics", "/topics 1",
              "/human", "/end", "/subscribe", "/subscribe 1", "/unsubscribe", "/rate 1 5",
              "/reopen 1", "/followup 1 yes", "/deleteme", "/lang en", "/lang zh-CN", "/nope",
              "/start"]
STAFF = ["/as staff", "/as enterprise", "/queue", "/mine", "/take 1", "/reply 1 好的",
         "/resolve 1 已办结", "/close 1", "/ticket 1", "/note 1 备注", "/priority 1 high"]
DATA = ["2", "y", "n", "1", "0", "客户欠款二十万", "试用期最长可以约定多久", "某某科技有限公司",
        "91350100M000100Y43", "张三", "13800138000", "制造业", ""]
# How a run ends: /quit, the end of the input (Ctrl-D) or Ctrl-C; then the chat starts again.
ENDINGS = ["/quit", "eof", "ctrl-c"]
# Whole steps too, so that requests get filed and dialogs get far before a restart.
STEPS = [("/new", "2", "客户欠款二十万", "/done"),
         ("某某科技有限公司", "91350100M000100Y43", "张三", "13800138000", "0", "y", "y"),
         ("/as staff", "/reply 1 请提供合同", "/as enterprise")]
LINES = st.one_of(st.sampled_from(ENTERPRISE + STAFF + DATA).map(lambda line: (line,)),
                  st.sampled_from(STEPS))
RUNS = st.lists(st.tuples(st.lists(LINES, max_size=20).map(lambda steps: sum(steps, ())),
                          st.sampled_from(ENDINGS)), min_size=1, max_size=3)
_databases = count()


async def lines(items, ending):
    for item in items:
        yield item + "\n"
    if ending == "/quit":
        yield "/quit\n"
    elif ending == "ctrl-c":
        raise KeyboardInterrupt


async def check(config, runs) -> None:
    for items, ending in runs:
        out: list[str] = []
        async with running_services(config) as services:
            await run_console(services, "zh-CN", lines(items, ending), out.append)
        text = "\n".join(out)
        assert "出错了" not in text and "went wrong" not in text, text
    async with running_services(config) as services, services.sessions() as session:
        tickets = list(await session.scalars(select(Ticket)))
        for ticket in tickets:
            assert not any(command_name(line) for line in ticket.description.splitlines()), (
                ticket.description)
            first = await session.scalar(select(TicketEvent.action).where(
                TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id).limit(1))
            assert first == "created"
        for contact in await session.scalars(select(Contact)):
            if contact.human_ticket_id is not None:
                ticket = await session.get(Ticket, contact.human_ticket_id)
                assert ticket.contact_id == contact.id and ticket.status in OPEN
        failed = list(await session.scalars(select(OutboxMessage.last_error).where(
            OutboxMessage.status == "failed")))
        assert not failed


@hypothesis_settings(max_examples=20, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture,
                                            HealthCheck.too_slow])
@given(runs=RUNS)
def test_any_lines_and_restarts(tmp_path, kb_dir, runs):
    config = load_settings(environ={
        "SME_CONFIG": str(REPO / "config.yaml"),
        "SME_DATABASE_URL": database_url(tmp_path, f"prop{next(_databases)}"),
        "SME_KNOWLEDGE__DIR": str(kb_dir), "SME_KNOWLEDGE__SEMANTIC": "off",
        "SME_KNOWLEDGE__CACHE_DIR": str(tmp_path / "cache")})
    asyncio.run(check(config, runs))
