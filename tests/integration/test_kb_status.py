"""Issue 17 on the bot side, with the services' clock fixed: `/kbstatus`, the weekly post to the
staff group (once a week, across restarts), the terminal's rendering of expired and high-risk
answers, and `sme-assistant kb status`."""
import json
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.app.kb_status_post import PURPOSE
from bot.app.scheduler import run_due
from bot.app.services import running_services
from bot.app.staff_commands import COMMANDS, run_command
from bot.channels.console_chat import run_console
from bot.delivery.outgoing import STAFF_CHAT, Outgoing, plain_text
from bot.requests.staff_directory import Actor, Role
from storage.models import OutboxMessage, StaffAction
from tests.integration.test_cli import cli, env  # noqa: F401 - the CLI's environment fixture
from tests.kb_marks import mark

CST = ZoneInfo("Asia/Shanghai")
AGENT = Actor("staff", "7001", "王工", Role.AGENT)
SUPERVISOR = Actor("staff", "7003", "赵主管", Role.SUPERVISOR)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CST).astimezone(timezone.utc)


@pytest.fixture
def marked(kb_dir):
    mark(kb_dir, "labor-probation-length", valid_until="2027-03-25")  # Thursday
    mark(kb_dir, "debt-limitation-period", review_by="2027-04-30")
    mark(kb_dir, "labor-double-wage", risk="high")
    return kb_dir


async def posts(services) -> list[tuple[str, datetime, str]]:
    async with services.sessions() as session:
        rows = await session.scalars(select(OutboxMessage).where(
            OutboxMessage.purpose == PURPOSE).order_by(OutboxMessage.id))
        return [(r.chat_id, r.created_at, Outgoing.from_json(json.loads(r.payload)).text)
                for r in rows]


async def test_kbstatus_is_a_supervisor_command_of_every_channel(settings, marked):
    assert "kbstatus" in COMMANDS  # the registry: Telegram's staff handler and the terminal
    async with running_services(settings) as services:
        services.clock = lambda: at("2027-03-01 10:00")
        result = await run_command(services, SUPERVISOR, "kbstatus", [])
        text = plain_text(result.text)
        assert result.ok and text.startswith("知识库时效（2027-03-01，看未来 90 天；共 6 条）")
        assert "• labor-probation-length 试用期最长可以约定多久？　2027-03-25（还有 24 天）" in text
        assert "• debt-limitation-period 欠款超过三年还能要回来吗？　2027-04-30（还有 60 天）" in text
        shorter = plain_text((await run_command(services, SUPERVISOR, "kbstatus", ["30"])).text)
        assert "看未来 30 天" in shorter and "debt-limitation-period 欠款" not in shorter
        for bad in (["0"], ["abc"], ["30", "60"], ["3661"]):
            refused = await run_command(services, SUPERVISOR, "kbstatus", bad)
            assert not refused.ok and refused.text.startswith("用法：/kbstatus [天数]")
        forbidden = await run_command(services, AGENT, "kbstatus", [])
        assert not forbidden.ok and "kbstatus" not in forbidden.text
        async with services.sessions() as session:
            outcomes = list(await session.scalars(select(StaffAction.outcome).where(
                StaffAction.action == "kbstatus").order_by(StaffAction.id)))
        assert outcomes == ["ok", "ok", "refused", "refused", "refused", "refused", "refused"]


async def test_the_weekly_post_goes_out_once_a_week_in_working_time(settings, marked):
    async with running_services(settings) as services:
        services.clock = lambda: at("2027-02-22 10:00")  # Monday: 31 days to go, nothing due
        assert await run_due(services, services.clock()) == 0 and await posts(services) == []
        for moment in ("2027-03-01 08:30", "2027-02-28 10:00"):  # before hours; a Sunday
            assert await run_due(services, at(moment)) == 0
        assert await run_due(services, at("2027-03-01 09:05")) == 1
        assert await run_due(services, at("2027-03-01 09:06")) == 0
        [(chat, created, text)] = await posts(services)
        assert chat == STAFF_CHAT and created.replace(tzinfo=timezone.utc) == at("2027-03-01 09:05")
        assert plain_text(text).startswith("⚠️ 知识库提醒：1 条答案依据的政策将在 30 天内到期。")
        assert "labor-probation-length" in text and "还有 24 天" in text
    async with running_services(settings) as services:  # a restart later in the same week
        assert await run_due(services, at("2027-03-05 16:00")) == 0
        assert await run_due(services, at("2027-03-08 09:00")) == 1  # the next week
        assert await run_due(services, at("2027-03-29 10:00")) == 1  # expired: still reminded
        texts = [plain_text(text) for _, _, text in await posts(services)]
        assert len(texts) == 3 and "还有 17 天" in texts[1]
        assert texts[2].startswith("⚠️ 知识库提醒：1 条答案依据的政策已经到期")


async def test_the_weekly_post_reads_the_outbox_once_per_week(settings, marked):
    async with running_services(settings) as services:
        assert await run_due(services, at("2027-03-01 10:00")) == 1
        async with services.sessions.begin() as session:  # were it read again, it would post
            await session.execute(OutboxMessage.__table__.delete().where(
                OutboxMessage.purpose == PURPOSE))
        assert await run_due(services, at("2027-03-02 10:00")) == 0
        async with services.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def lines(*items):
    for item in items:
        yield item + "\n"


async def test_the_terminal_flags_an_expired_answer_and_offers_staff_under_a_risky_one(
        settings, marked):
    out: list[str] = []
    async with running_services(settings) as services:
        services.clock = lambda: at("2027-03-26 10:00")  # the day after the policy ended
        await run_console(services, "zh-CN", lines(
            "试用期最长可以约定多久？", "没签劳动合同要付双倍工资吗？", "/as staff", "/kbstatus",
            "/quit"), out.append)
    text = "\n".join(out)
    assert "【试用期最长可以约定多久？】（正在复核）" in text and "2027-03-25 到期" in text
    assert "试用期不得超过一个月" not in text
    assert "二倍的工资" in text and "发送 /human 转平台工作人员" in text
    assert "已过期（valid_until 已过，不再直接回答）：" in text and "已过 1 天" in text


def test_kb_status_on_the_command_line(env, marked):  # noqa: F811 - the fixture
    done = cli(env, "kb", "status", "--today", "2027-03-01")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("知识库时效（2027-03-01，看未来 90 天；共 6 条）")
    assert "labor-probation-length 试用期最长可以约定多久？　2027-03-25（还有 24 天）" in done.stdout
    data = json.loads(cli(env, "kb", "status", "--json", "--days", "30", "--today",
                          "2027-03-01").stdout)
    labor = next(c for c in data["chapters"] if c["category"] == "劳动用工")
    assert data["horizon_days"] == 30 and labor["expiring"][0]["days"] == 24
    assert all(not c["review_due"] for c in data["chapters"])  # 60 days away
    for args in (["--today", "2027-02-30"], ["--days", "0"]):
        bad = cli(env, "kb", "status", *args)
        assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "YYYY-MM-DD" in cli(env, "kb", "status", "--today", "2027-02-30").stderr
