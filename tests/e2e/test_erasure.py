"""/deleteme reaches every table: after every kind of record was made for one person, no text
column of any table (found from the models, so a new table is scanned too) still holds their
phone, credit code, company, contact name or display name."""
from sqlalchemy import JSON, String, Text, select

from storage.db import create_engine
from storage.models import Base, InboundUpdate
from tests.e2e.harness import (
    AGENT_A, OWNER, PROFILE, STAFF_GROUP, fake_world, file_request, running_bot,
)

COMPANY, CREDIT_CODE, CONTACT_NAME, PHONE = PROFILE
PERSONAL = [PHONE, CREDIT_CODE, COMPANY, CONTACT_NAME, OWNER["first_name"]]


async def _seed_everything(env) -> None:
    """A question, a request with its profile, a conversation with staff (relays both ways,
    a note, the ticket's details shown to staff), a subscription and an unfinished request."""
    await env.say(OWNER, f"我是{CONTACT_NAME}，电话{PHONE}，试用期最长可以约定多久")
    await env.reply_to(OWNER["id"], "第19条")
    confirm = await file_request(env, OWNER, "legal", f"{COMPANY}被拖欠货款，联系{CONTACT_NAME}")
    await env.press(OWNER, confirm, "intake:confirm")
    await env.reply_to(OWNER["id"], "已受理")
    await env.reply_to(STAFF_GROUP, PHONE)  # the staff card carries the profile
    await env.say(OWNER, "/human")
    await env.reply_to(OWNER["id"], "已为您转接平台工作人员")
    card = await env.reply_to(STAFF_GROUP, "企业请求人工服务")
    human = int(env.button(card, "tk:claim:").rsplit(":", 1)[1])
    await env.say(OWNER, f"我的手机是{PHONE}，统一社会信用代码{CREDIT_CODE}")
    await env.reply_to(STAFF_GROUP, f"统一社会信用代码{CREDIT_CODE}")
    await env.staff(AGENT_A, f"/reply {human} {CONTACT_NAME}您好，我们会打{PHONE}联系{COMPANY}")
    await env.reply_to(OWNER["id"], "我们会打")
    await env.staff(AGENT_A, f"/note {human} {COMPANY} 信用代码 {CREDIT_CODE}")
    await env.reply_to(STAFF_GROUP, "备注")
    await env.staff(AGENT_A, "/ticket 1")
    await env.reply_to(STAFF_GROUP, "处理记录")
    await env.say(OWNER, "/subscribe")
    picker = await env.reply_to(OWNER["id"], "请选择想接收的平台通知主题")
    await env.press(OWNER, picker, env.button(picker, "sub:t:0:0"))
    await env.fake.wait_for(lambda: "sub:ok:1" in str(
        env.fake.messages[(OWNER["id"], picker["message_id"])].get("reply_markup")))
    await env.press(OWNER, picker, "sub:ok:1")
    await env.fake.wait_for(lambda: "已订阅平台通知" in (
        env.fake.messages[(OWNER["id"], picker["message_id"])].get("text") or ""))
    # A second request left half-way: its draft and step are conversation state.
    await env.say(OWNER, "/new")
    categories = await env.reply_to(OWNER["id"], "请选择需求类别", after=env.count(OWNER["id"]) - 1)
    await env.press(OWNER, categories, "cat:financing")
    await env.say(OWNER, f"{COMPANY}想贷款，找{CONTACT_NAME}，电话{PHONE}")
    await env.reply_to(OWNER["id"], "已收到", after=env.count(OWNER["id"]) - 1)


async def _text_values(url: str) -> list[tuple[str, str, str]]:
    """(table, column, value) of every text and JSON column of every table."""
    engine = create_engine(url)
    found = []
    try:
        async with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                columns = [c for c in table.columns if isinstance(c.type, (String, Text, JSON))]
                if not columns:
                    continue
                for row in await conn.execute(select(*columns)):
                    found += [(table.name, c.name, str(v)) for c, v in zip(columns, row)
                              if v is not None]
    finally:
        await engine.dispose()
    return found


async def test_deleteme_leaves_no_personal_data_in_any_table(tmp_path, kb_dir):
    async with fake_world(tmp_path, kb_dir, "webhook",  # faster than a person types
                          SME_ASSISTANT__FLOOD_MESSAGES="100") as (fake, settings):
        async with running_bot(fake, settings, "webhook") as env:
            await _seed_everything(env)
            before = await _text_values(settings.database.url)
            for term in PERSONAL:  # the scan can find them: each is stored somewhere
                assert any(term in value for *_, value in before), term
            await env.say(OWNER, "/deleteme")
            ask = await env.reply_to(OWNER["id"], "删除后无法恢复")
            await env.press(OWNER, ask, "erase:yes")
            await env.reply_to(OWNER["id"], "企业资料：已删除")
        # Stopped: everything held in memory (conversation state, user data) is written.
        leaks = [(table, column, value[:120]) for table, column, value
                 in await _text_values(settings.database.url)
                 for term in PERSONAL if term in value]
        assert leaks == [], sorted({(table, column) for table, column, _ in leaks})
        engine = create_engine(settings.database.url)
        try:
            async with engine.connect() as conn:
                waiting = (await conn.execute(select(InboundUpdate.update_id).where(
                    InboundUpdate.processed_at.is_(None)))).all()
        finally:
            await engine.dispose()
        assert waiting == []  # every update was processed, none lost to the erasure
