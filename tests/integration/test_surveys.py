"""Surveys: sent through the outbox to subscribers, answered question by question (buttons,
typed numbers and text), stopped and resumed; needs stated become requests (source 问卷);
`/survey_results` counts, chart and sheet; bad input refused."""
import json
from datetime import datetime, timezone

import openpyxl
import pytest
from sqlalchemy import select

from bot.app.services import running_services
from bot.app.staff_commands import run_command
from bot.app.survey_commands import surveys
from bot.outreach.surveys import SurveyError, load_definition, press
from bot.requests.staff_directory import Actor, Role
from storage.models import OutboxMessage, Subscription, SurveyResponse, Ticket
from tests.integration.test_console import chat

AGENT = Actor("staff", "7003", "赵工", Role.AGENT)
SUPERVISOR = Actor("staff", "7009", "孙主管", Role.SUPERVISOR)
DEC_3 = datetime(2026, 12, 3, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
async def services(settings, tmp_path):
    settings.reports.dir = tmp_path / "reports"
    async with running_services(settings) as services:
        services.clock = lambda: DEC_3
        people = []
        for n in (1, 2, 3):
            contact = await services.contacts.ensure("telegram", str(900 + n), str(900 + n))
            async with services.sessions.begin() as session:
                session.add(Subscription(contact_id=contact.id, topics="all"))
            people.append(contact)
        services.extras["people"] = people
        yield services


async def last_to(services, chat: str) -> dict:
    async with services.sessions() as session:
        row = await session.scalar(select(OutboxMessage).where(
            OutboxMessage.chat_id == chat).order_by(OutboxMessage.id.desc()).limit(1))
    return json.loads(row.payload)


async def test_answer_stop_resume_needs_and_results(services):
    a, b, _ = services.extras["people"]
    assert not (await run_command(services, AGENT, "survey_send", ["needs-2026"])).ok
    sent = await run_command(services, SUPERVISOR, "survey_send", ["needs-2026"])
    assert sent.ok and "Q1" in sent.text and "3 家订阅企业" in sent.text
    invitation = await last_to(services, "901")
    assert "2026 年企业需求摸底" in invitation["text"]
    assert invitation["buttons"][0][0]["data"] == "sv:go:1"

    service = surveys(services)
    assert (await press(service, a.id, "go", [1])).typed
    assert "第 1/4 题" in (await last_to(services, "901"))["text"]
    assert (await service.answer(a.id, 1, "很多")).key == "err.number"
    assert (await service.answer(a.id, 1, "-5")).key == "err.range"
    assert (await service.answer(a.id, 1, "2000000")).key == "err.range"
    assert (await service.answer(a.id, 1, "300")).key == "asked"
    question = await last_to(services, "901")
    assert "第 2/4 题" in question["text"] and question["buttons"][0][0]["data"] == "sv:t:1:1:0"
    assert (await press(service, a.id, "t", [1, 1, 0])).params == {"chosen": "高企"}
    await press(service, a.id, "t", [1, 1, 2])
    assert (await press(service, a.id, "t", [1, 1, 2])).params == {"chosen": "高企"}
    assert (await press(service, a.id, "t", [1, 0, 1])).key == "stale"  # an old question
    assert (await press(service, a.id, "d", [1, 1])).key == "asked"
    assert (await press(service, a.id, "a", [1, 1, 0])).key == "stale"  # pressed twice
    assert (await press(service, a.id, "a", [1, 2, 0])).typed  # 货款拖欠 → the text question
    assert (await service.answer(a.id, 1, "x" * 501)).key == "err.text"
    done = await service.answer(a.id, 1, "招聘焊工 5 名")
    assert done.key == "finished" and len(done.tickets) == 4
    assert (await press(service, a.id, "go", [1])).key == "finished_before"

    # B stops after one answer and resumes where it stopped; it states no need.
    await press(service, b.id, "go", [1])
    await service.answer(b.id, 1, "0")
    assert (await press(service, b.id, "stop", [1])).key == "stopped"
    await press(service, b.id, "go", [1])
    assert "第 2/4 题" in (await last_to(services, "902"))["text"]
    assert (await press(service, b.id, "d", [1, 1])).key == "err.choice"  # nothing chosen
    await press(service, b.id, "t", [1, 1, 4])
    await press(service, b.id, "d", [1, 1])
    await press(service, b.id, "a", [1, 2, 3])
    assert (await service.answer(b.id, 1, "无")).tickets == []

    async with services.sessions() as session:
        tickets = list(await session.scalars(select(Ticket).order_by(Ticket.id)))
        finished = list(await session.scalars(select(SurveyResponse.finished_at)))
    assert [(t.source, t.category, t.contact_id) for t in tickets] == [
        ("survey", "financing", a.id), ("survey", "project", a.id), ("survey", "legal", a.id),
        ("survey", "hr", a.id)]
    assert "回答：300" in tickets[0].description and "回答：高企" in tickets[1].description
    assert all(finished)

    results = await run_command(services, AGENT, "survey_results", ["1"])
    assert "邀请 3 家，开始填写 2 家，完成 2 家" in results.text
    assert "高企 1；科小 0；专精特新 0；小巨人 0；暂无 1" in results.text
    assert "2 家作答，合计 300" in results.text
    photo, sheet = results.files
    assert open(photo.file_path, "rb").read()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = list(openpyxl.load_workbook(sheet.file_path).active.values)
    assert len(rows) == 3 and rows[1][1:] == ("300", "高企", "货款拖欠", "招聘焊工 5 名")
    report = await run_command(services, AGENT, "report", ["2026-12"])
    assert "问卷调查：发出 1 份，覆盖 3 家企业，完成 2 份" in report.text
    assert "了解需求数：4 件（按来源：问卷 4）" in report.text


async def test_bad_survey_commands(services, tmp_path):
    for args, says in ((["nothing-here"], "没有找到问卷"), (["../etc"], "不合法"),
                       ([""], "用法：/survey_send")):
        result = await run_command(services, SUPERVISOR, "survey_send", args)
        assert not result.ok and says in result.text
    assert not (await run_command(services, AGENT, "survey_results", ["9"])).ok
    (tmp_path / "bad.yaml").write_text("title: x\nquestions:\n  - {id: a, text: b, type: pick}\n",
                                       encoding="utf-8")
    with pytest.raises(SurveyError) as error:
        load_definition("bad", tmp_path)
    assert error.value.reason == "question"
    async with services.sessions() as session:
        assert (await session.scalars(select(OutboxMessage))).first() is None


async def test_a_survey_in_the_terminal(settings):
    text = await chat(
        settings, "/subscribe all", "/skip", "/skip", "/as staff", "/survey_send needs-2026",
        "/as enterprise", "/survey 1", "/answer 1 abc", "/answer 1 500", "/answer 1 1 2",
        "/answer 1 4", "/answer 1 无", "/quit")
    assert "[开始 / 继续填写 → /survey 1]" in text and "请回复一个数字" in text
    assert "[高企 → /answer 1 1]" in text and "问卷已完成" in text
