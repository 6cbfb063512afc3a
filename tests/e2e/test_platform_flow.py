"""The platform's own work on Telegram (the real Application against the fake Bot API): staff
register an enterprise, record a need found by phone and a visit, resolve it with its outcome,
and get the platform's report as text, a PNG chart and an xlsx sheet; enterprises sign up for
an event from its invitation."""
import io
import struct
from datetime import datetime, timezone

import openpyxl
from sqlalchemy import select

from storage.models import Ticket
from tests.e2e.harness import AGENT_A, CLERK, OUTSIDER, OWNER, STAFF_GROUP, SUPERVISOR, world
from tests.e2e.test_broadcast import subscribe_directly

DEC_3 = datetime(2026, 12, 3, 2, 0, tzinfo=timezone.utc)
CODE = "91350100M000100Y43"


async def test_record_resolve_outcome_and_report_on_telegram(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling",
                     SME_REPORTS__DIR=str(tmp_path / "reports")) as env:
        env.services.clock = lambda: DEC_3
        await env.staff(AGENT_A, f"/enterprise {CODE} 甲科技有限公司 行业=制造业 区=青秀区")
        await env.reply_to(STAFF_GROUP, "已登记企业")
        await env.staff(AGENT_A, "/record 甲科技 融资 需要流动资金贷款300万元 电话")
        await env.reply_to(STAFF_GROUP, "已记录需求 #1：甲科技有限公司，融资，来源：电话")
        await env.staff(AGENT_A, "/visit 甲科技 2026-12-01 了解经营情况\n需求 法律 货款被拖欠")
        await env.reply_to(STAFF_GROUP, "发现需求 1 项（#2）")
        card = await env.fake.wait_for(lambda: next(
            (m for m in env.fake.sent(STAFF_GROUP) if "货款被拖欠" in (m.get("text") or "")
             and m.get("reply_markup")), None))
        await env.press(AGENT_A, card, env.button(card, "tk:resolve:"))  # the card's button
        asked = await env.reply_to(STAFF_GROUP, "请补充 #2 的法律服务成果")
        assert asked.get("message_thread_id") == card.get("message_thread_id")
        await env.staff(AGENT_A, "/take 1")
        await env.staff(AGENT_A, "/resolve 1 已对接农业银行")
        await env.reply_to(STAFF_GROUP, "请补充 #1 的融资成果")
        await env.staff(AGENT_A, "/outcome 1 机构=农业银行 授信=1000000000000")
        await env.reply_to(STAFF_GROUP, "超过上限")
        await env.staff(AGENT_A, "/outcome 1 机构=农业银行 授信=500 放款=300")
        await env.reply_to(STAFF_GROUP, "授信 500 万元，放款 300 万元")
        await env.staff(OUTSIDER, "/record 甲科技 融资 贷款 电话")
        await env.reply_to(STAFF_GROUP, "不是平台工作人员")

        await env.staff(AGENT_A, "/report")
        text = (await env.reply_to(STAFF_GROUP, "平台服务报告 2026"))["text"]
        assert "服务企业数：1 家（按来源：电话 1、走访 1）" in text
        assert "了解需求数：2 件" in text and "解决率 100.0%（目标 80.0%）✅ 达标" in text
        assert "融资对接：1 家企业，获得授信 500 万元" in text
        photo = await env.fake.wait_for(lambda: next(
            (m for m in env.fake.sent(STAFF_GROUP) if "photo" in m), None))
        assert "平台服务报告" in photo["caption"]
        document = await env.fake.wait_for(lambda: next(
            (m for m in env.fake.sent(STAFF_GROUP) if "document" in m), None))
        assert document["document"]["file_name"] == "platform-report-2026.xlsx"
        [png] = [c for c in env.fake.calls if c.method == "sendPhoto"]
        data = png.params["photo"].data
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (1000, 560)
        [sheet] = [c for c in env.fake.calls if c.method == "sendDocument"]
        book = openpyxl.load_workbook(io.BytesIO(sheet.params["document"].data))
        values = {row[0]: row[1] for row in book["平台服务报告"].iter_rows(values_only=True)
                  if row and row[0]}
        assert values["服务企业数（家）"] == 1 and values["获得授信（万元）"] == 500

        async with env.services.sessions() as session:
            sources = list(await session.scalars(select(Ticket.source).order_by(Ticket.id)))
        assert sources == ["phone", "visit"]
        # Nothing was sent anywhere but the staff group: the enterprise is on no channel.
        assert {str(c.params["chat_id"]) for c in env.fake.calls
                if "chat_id" in c.params} == {str(STAFF_GROUP)}


async def test_event_invitation_sign_up_and_waiting_list_on_telegram(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        await subscribe_directly(env, OWNER, {"financing"})
        await subscribe_directly(env, CLERK, {"financing"})
        await env.staff(SUPERVISOR, "/event 培训 2030-01-10 09:00 1 市民中心301 融资政策培训")
        await env.reply_to(STAFF_GROUP, "已创建活动 A1")
        invitations = [await env.reply_to(user["id"], "融资政策培训") for user in (OWNER, CLERK)]
        await env.press(OWNER, invitations[0], env.button(invitations[0], "ev:join:"))
        await env.reply_to(OWNER["id"], "报名成功")
        await env.press(CLERK, invitations[1], env.button(invitations[1], "ev:join:"))
        await env.reply_to(CLERK["id"], "候补名单第 1 位")
        await env.press(OWNER, invitations[0], env.button(invitations[0], "ev:leave:"))
        await env.reply_to(OWNER["id"], "已取消报名")
        await env.reply_to(CLERK["id"], "已从候补转为正式报名")
        await env.say(CLERK, "/myevents")
        await env.reply_to(CLERK["id"], "A1《融资政策培训》")


async def test_a_survey_answered_on_telegram(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        await subscribe_directly(env, OWNER, {"financing"})
        await env.staff(SUPERVISOR, "/survey_send needs-2026")
        await env.reply_to(STAFF_GROUP, "问卷 Q1")
        invitation = await env.reply_to(OWNER["id"], "2026 年企业需求摸底")
        await env.press(OWNER, invitation, env.button(invitation, "sv:go:1"))
        await env.reply_to(OWNER["id"], "第 1/4 题")
        await env.say(OWNER, "两百")  # typed: caught by the survey, not the assistant
        await env.reply_to(OWNER["id"], "请回复一个数字")
        await env.say(OWNER, "200")
        multiple = await env.reply_to(OWNER["id"], "第 2/4 题")
        await env.press(OWNER, multiple, "sv:t:1:1:1")  # 科小
        await env.press(OWNER, multiple, "sv:d:1:1")
        single = await env.reply_to(OWNER["id"], "第 3/4 题")
        await env.press(OWNER, single, "sv:a:1:2:3")  # 没有
        await env.reply_to(OWNER["id"], "第 4/4 题")
        await env.say(OWNER, "无")
        await env.reply_to(OWNER["id"], "问卷已完成")
        async with env.services.sessions() as session:
            tickets = list(await session.scalars(select(Ticket).order_by(Ticket.id)))
        assert [(t.category, t.source) for t in tickets] == [
            ("financing", "survey"), ("project", "survey")]
        # Afterwards a question goes to the assistant again.
        await env.say(OWNER, "试用期最长可以约定多久")
        await env.reply_to(OWNER["id"], "第19条")


async def test_the_guided_record_dialog_on_telegram(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        await env.staff(AGENT_A, f"/enterprise {CODE} 甲科技有限公司")
        await env.reply_to(STAFF_GROUP, "已登记企业")
        await env.staff(AGENT_A, "/record")
        await env.reply_to(STAFF_GROUP, "第 1 步")
        for line, expect in (("甲科技", "第 2 步"), ("融资", "第 3 步"), ("走访", "第 4 步"),
                             ("流动资金贷款 200 万元", "已记录需求 #1")):
            await env.staff(AGENT_A, line)
            await env.reply_to(STAFF_GROUP, expect)
        async with env.services.sessions() as session:
            [ticket] = list(await session.scalars(select(Ticket)))
        assert (ticket.source, ticket.category) == ("visit", "financing")
