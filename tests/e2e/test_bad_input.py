"""Bad and hostile input: a polite, specific reply; nothing crashes, leaks or is lost."""
import asyncio

from sqlalchemy import select, text

from storage.models import Contact
from tests.e2e.harness import OUTSIDER, OWNER, STAFF_GROUP, SUPERVISOR, file_request, world
from tests.e2e.test_access_rules import filed_and_resolved
from tests.fakebot import builders as b


async def test_unsupported_content_and_edits(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        chat = b.private_chat(OWNER)
        fake = env.fake
        stub = b.file_stub("media")
        for content in (lambda i: b.sticker_message(chat, OWNER, i, stub),
                        lambda i: b.voice_message(chat, OWNER, i, stub),
                        lambda i: b.location_message(chat, OWNER, i, 22.8, 108.3),
                        lambda i: b.contact_message(chat, OWNER, i, "13800138000", "张三")):
            await env.push(message=content(fake.next_message_id(OWNER["id"])))
        await env.fake.wait_for(lambda: sum("只能处理文字" in (m.get("text") or "")
                                            for m in fake.sent(OWNER["id"])) >= 4)
        original = b.text_message(chat, OWNER, "试用期", fake.next_message_id(OWNER["id"]))
        await env.push(edited_message=b.edited(original, "试用期多久"))
        await env.reply_to(OWNER["id"], "修改后的消息不会重新处理")
        await env.say(OWNER, "欠款" * 1500)
        await env.reply_to(OWNER["id"], "问题太长了")
        await env.say(OWNER, "🙏🙏🙏")
        await env.reply_to(OWNER["id"], "没有看到问题内容")
        big = b.document(b.file_stub("big", size=25 * 1024 * 1024), "scan.pdf")
        await env.push(message=b.message(chat, OWNER, fake.next_message_id(OWNER["id"]),
                                         document=big))
        await env.reply_to(OWNER["id"], "文件超过 20 MB")
        # A message in some other group is ignored without a reply.
        other = b.supergroup(-100999, "别的群")
        fake.add_chat(other, {OUTSIDER["id"]: "member"})
        await env.push(message=b.text_message(other, OUTSIDER, "大家好",
                                              fake.next_message_id(-100999)))
        await env.say(OWNER, "/help")
        await env.reply_to(OWNER["id"], "怎么用")
        assert fake.sent(-100999) == []


# What a forged or stale button could change (the audit log of refusals and the outbox of
# answers are expected to grow; contacts: the presser's own is created on first contact).
STATE_TABLES = ("tickets", "ticket_events", "ticket_messages", "feedback", "question_log",
                "enterprise_profiles", "subscriptions", "broadcasts", "message_links")


async def state(env) -> dict[str, list]:
    async with env.services.sessions() as session:
        return {table: [tuple(row) for row in (await session.execute(
            text(f"SELECT * FROM {table} ORDER BY 1"))).all()] for table in STATE_TABLES}


async def test_forged_and_stale_callback_data_change_nothing(tmp_path, kb_dir):
    """Another user replays or forges buttons aimed at the owner's request #1 and question:
    each is refused, and no row of anything a button can change is different afterwards."""
    async with world(tmp_path, kb_dir, "polling") as env:
        ticket_id, resolved = await filed_and_resolved(env)
        await env.say(OWNER, "试用期最长可以约定多久")
        answer = await env.reply_to(OWNER["id"], "第19条")
        question_id = int(env.button(answer, "fb:").split(":")[1])
        before = await state(env)
        forged = [f"rate:{ticket_id}:1", f"reopen:{ticket_id}", f"fu:{ticket_id}:no",
                  f"fb:{question_id}:0", f"tk:claim:{ticket_id}", f"tk:reopen:{ticket_id}",
                  f"tk:close:{ticket_id}", "bc:send:1", "intake:confirm", "consent:yes",
                  "rate:999:5", "rate:x:y", "reopen:abc", "kb:no-such-entry", "tp:99:0",
                  "cat:bogus", f"rate:{ticket_id}:99", f"fb:{question_id}"]
        for data in forged:
            for message in (resolved, answer):
                await env.press(OUTSIDER, message, data)
        await env.say(OWNER, "/help")  # the same chat: handled after every press above
        await env.reply_to(OWNER["id"], "怎么用")
        assert await state(env) == before


async def test_mytickets_and_deleteme(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        await env.say(OWNER, "/mytickets")
        await env.reply_to(OWNER["id"], "还没有提交过需求")
        confirm = await file_request(env, OWNER, "legal", "张三欠款，电话13800138000")
        await env.press(OWNER, confirm, "intake:confirm")
        await env.reply_to(OWNER["id"], "已受理")
        await env.say(OWNER, "/mytickets")
        listing = await env.reply_to(OWNER["id"], "我的需求")
        assert "#1" in listing["text"] and "新建" in listing["text"]
        await env.say(OWNER, "/deleteme")
        ask = await env.reply_to(OWNER["id"], "删除后无法恢复")
        await env.press(OWNER, ask, "erase:yes")
        done = await env.reply_to(OWNER["id"], "企业资料：已删除")
        assert "1 条需求的描述已匿名化" in done["text"]
        contact = await env.services.contacts.ensure("telegram", str(OWNER["id"]), "x")
        assert await env.services.contacts.profile(contact.id) is None
        ticket, *_ = await env.services.tickets.get(1)
        assert ticket.description == "[已删除]" and ticket.category == "legal"
        assert "13800138000" not in str([m.text for m in (await env.services.tickets.get(1))[4]])


async def test_blocking_the_bot_marks_the_contact_unreachable(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        await env.say(OWNER, "/start")
        await env.reply_to(OWNER["id"], "中小企业公共服务平台")
        chat = b.private_chat(OWNER)
        await env.push(my_chat_member=b.chat_member_updated(
            chat, OWNER, env.fake.bot_user, "member", "kicked"))
        # Waited for as a condition: another chat's update (the old way of waiting) is
        # handled concurrently, not after it, and the check failed under load.
        async with asyncio.timeout(10):
            while (await unreachable_at(env, OWNER)) is None:
                await asyncio.sleep(0.02)


async def unreachable_at(env, user: dict):
    async with env.services.sessions() as session:
        return await session.scalar(select(Contact.unreachable_at).where(
            Contact.external_id == str(user["id"])))


async def test_flood_gets_one_notice_and_others_stay_served(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling", SME_ASSISTANT__FLOOD_MESSAGES="5") as env:
        for i in range(12):
            env.fake.user_text(OWNER, f"试用期最长可以约定多久{i}")
        await env.say(OUTSIDER, "/help")
        await env.reply_to(OUTSIDER["id"], "怎么用")
        await env.reply_to(OWNER["id"], "您发送得太快了")
        sent = [m.get("text") or "" for m in env.fake.sent(OWNER["id"])]
        assert sum("您发送得太快了" in t for t in sent) == 1
        assert sum("第19条" in t for t in sent) <= 5


STAFF_INPUTS = [  # (command, what its refusal says)
    ("/stats 9999-12-31", "日期超出范围"), ("/stats 0001-01-01", "日期超出范围"),
    ("/export 0001-01 csv", "日期超出范围"), ("/unanswered 9999-12-31", "日期超出范围"),
    ("/unanswered 0001-01-01..0001-01-31 2", "日期超出范围"),
    ("/ticket ²", "用法"), ("/ticket #①", "用法"), ("/ticket 99999999999", "用法"),
    ("/take 2147483648", "用法"), ("/reply 99999999999 您好", "用法"),
    ("/note 9223372036854775808 备注", "用法"), ("/broadcast_cancel 99999999999", "用法"),
    ("/attach ² kb-1", "用法"),
]


async def test_staff_inputs_out_of_range_get_a_refusal_in_the_group(tmp_path, kb_dir):
    """Issue 16, item 6: each input used to raise (no reply at all); now each gets its
    refusal where it was typed, and /export leaves no file behind."""
    reports = tmp_path / "reports"
    async with world(tmp_path, kb_dir, "polling", SME_REPORTS__DIR=str(reports)) as env:
        for text, refusal in STAFF_INPUTS:
            before = env.count(STAFF_GROUP)
            await env.staff(SUPERVISOR, text)
            reply = await env.reply_to(STAFF_GROUP, "", after=before)
            assert refusal in reply["text"], (text, reply["text"])
        assert not [p for p in reports.rglob("*") if p.is_file()]
        # Ticket numbers past the database's range in button data: a "stale button" answer.
        for data in ("tk:claim:99999999999", "tk:claim:²", "tk:resolve:2147483648"):
            answered = len(answers(env))
            await env.press(SUPERVISOR, reply, data)
            await env.fake.wait_for(lambda: len(answers(env)) > answered)
            assert "已失效" in answers(env)[-1].params.get("text", ""), data


def answers(env) -> list:
    return [c for c in env.fake.calls if c.method == "answerCallbackQuery"]


async def test_a_command_that_fails_is_answered_in_the_group_and_its_topic(tmp_path, kb_dir,
                                                                           monkeypatch):
    """Issue 16, item 6: the error handler answered private chats only; a staff command that
    raised left the group without a reply."""
    from bot.app.command_types import StaffCommand
    from bot.app.staff_commands import REGISTRY
    from bot.requests.staff_directory import Role

    async def broken(services, actor, args):
        raise RuntimeError("a defect")

    monkeypatch.setitem(REGISTRY, "queue", StaffCommand("queue", Role.AGENT, broken))
    from tests.e2e.test_staff_flow import human_ticket

    async with world(tmp_path, kb_dir, "polling") as env:
        _, topic = await human_ticket(env)
        await env.staff(SUPERVISOR, "/queue", thread_id=topic)
        reply = await env.reply_to(STAFF_GROUP, "出错")
        assert reply.get("message_thread_id") == topic
