"""Telegram side of issue 15: commands and menu buttons inside a dialog are never its data
(they run and the dialog says it waits), every advertised command exists, and the enterprise
is told when its conversation goes to a person and when it comes back to the assistant."""
from sqlalchemy import select

from storage.models import Ticket
from tests.e2e.harness import AGENT_A, OWNER, PROFILE, STAFF_GROUP, file_request, world

WAITING = "正在填写需求：请按上一步的提示回复"


async def descriptions(env) -> list[str]:
    async with env.services.sessions() as session:
        return list(await session.scalars(select(Ticket.description).order_by(Ticket.id)))


async def test_commands_and_menu_buttons_inside_new_run_and_the_request_waits(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        me = OWNER["id"]
        await env.say(OWNER, "/new")
        categories = await env.reply_to(me, "请选择需求类别")
        await env.say(OWNER, "/help")  # at the category step
        await env.reply_to(me, "怎么用")
        await env.reply_to(me, WAITING)
        await env.press(OWNER, categories, "cat:legal")
        await env.reply_to(me, "第 2 步")
        await env.say(OWNER, "客户欠款二十万")
        more = await env.reply_to(me, "已收到")
        seen = env.count(me)
        for line in ("/mytickets", "/queue", "📋 我的需求", "/topics"):
            await env.say(OWNER, line)
        await env.fake.wait_for(lambda: sum(WAITING in (m.get("text") or "")
                                            for m in env.fake.sent(me)[seen:]) == 4)
        texts = [m.get("text") or "" for m in env.fake.sent(me)[seen:]]
        assert sum("还没有提交过需求" in t for t in texts) == 2 and not any("已收到" in t for t in texts)
        await env.press(OWNER, more, "intake:done")
        for text in PROFILE:
            await env.say(OWNER, text)
        industry = await env.reply_to(me, "所属行业")
        await env.press(OWNER, industry, "ind:1")
        consent = await env.reply_to(me, "是否同意")
        await env.press(OWNER, consent, "consent:yes")
        confirm = await env.reply_to(me, "请确认")
        assert "/queue" not in confirm["text"] and "我的需求" not in confirm["text"]
        await env.press(OWNER, confirm, "intake:confirm")
        await env.reply_to(me, "已受理")
        assert await descriptions(env) == ["客户欠款二十万"]
        await env.say(OWNER, "/help")  # the dialog is over: no reminder any more
        await env.reply_to(me, "怎么用", after=env.count(me) - 1)
        assert WAITING not in (env.fake.sent(me)[-1].get("text") or "")


async def test_new_inside_new_starts_again_saying_so(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        await env.say(OWNER, "/new")
        categories = await env.reply_to(OWNER["id"], "请选择需求类别")
        await env.press(OWNER, categories, "cat:legal")
        await env.say(OWNER, "第一份")
        await env.say(OWNER, "/new")
        restarted = await env.reply_to(OWNER["id"], "之前没有提交的需求已放弃，重新开始")
        await env.fake.wait_for(lambda: "请选择需求类别" in (
            env.fake.sent(OWNER["id"])[-1].get("text") or "") and restarted)


async def each_answered(env, exchanges) -> None:
    """Send each command as the owner; each must be answered by a new message containing its
    reply."""
    for command, reply in exchanges:
        before = env.count(OWNER["id"])
        await env.say(OWNER, command)
        await env.reply_to(OWNER["id"], reply, after=before)


async def test_commands_outside_dialogs_are_answered(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        await each_answered(env, (("/cancel", "现在没有正在填写的内容，/cancel"),
                                  ("/skip", "现在没有正在填写的内容，/skip"),
                                  ("/end", "当前没有进行中的人工对话"),
                                  ("/nope", "不认识的命令 /nope")))


async def test_lang_takes_the_names_people_type(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        await each_answered(env, (("/lang English", "Language set to English."),
                                  ("/lang zh", "已切换为简体中文。"),
                                  ("/lang", "Language set to English."),
                                  ("/lang 中文", "已切换为简体中文。"),
                                  ("/lang fr", "用法：/lang zh（中文）或 /lang en（English）")))


async def test_the_category_can_be_changed_at_the_confirmation(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        me = OWNER["id"]
        confirmation = await file_request(env, OWNER, "hr", "客户欠款二十万，想请律师看看")
        assert "人力资源" in confirmation["text"]
        await env.press(OWNER, confirmation, "intake:category")
        picker = await env.reply_to(me, "请选择新的需求类别", after=env.count(me) - 1)
        before = env.count(me)
        await env.press(OWNER, picker, "recat:legal")
        again = await env.reply_to(me, "请确认", after=before)
        assert "法律咨询" in again["text"] and "客户欠款二十万" in again["text"]
        await env.press(OWNER, again, "intake:confirm")
        await env.reply_to(me, "已受理", after=before)
        async with env.services.sessions() as session:
            assert list(await session.scalars(select(Ticket.category))) == ["legal"]


async def test_subscription_questions_wait_for_commands(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        me = OWNER["id"]
        await env.say(OWNER, "/subscribe")
        picker = await env.reply_to(me, "请选择想接收的平台通知主题")
        await env.press(OWNER, picker, "sub:all:0")
        await env.fake.wait_for(lambda: "sub:ok:511" in str(
            env.fake.messages[(me, picker["message_id"])].get("reply_markup")))
        await env.press(OWNER, picker, "sub:ok:511")
        saved = await env.fake.wait_for(lambda: "已订阅平台通知" in (
            env.fake.messages[(me, picker["message_id"])].get("text") or "") and
            env.fake.messages[(me, picker["message_id"])])
        await env.press(OWNER, saved, "sub:profile")
        await env.reply_to(me, "所属行业")
        await env.say(OWNER, "/mytickets")
        await env.reply_to(me, "订阅信息还没有补充完")
        await env.say(OWNER, "制造业")
        await env.reply_to(me, "所在区域")


async def test_the_enterprise_is_told_when_staff_take_over_and_when_it_ends(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        me = OWNER["id"]
        await env.press(OWNER, await file_request(env, OWNER, "legal", "客户欠款"),
                        "intake:confirm")
        await env.reply_to(STAFF_GROUP, "客户欠款")
        await env.staff(AGENT_A, "/resolve 1 已处理")
        await env.reply_to(me, "已办结")
        await env.staff(AGENT_A, "/reopen 1")
        await env.reply_to(me, "已重新打开")
        handed = await env.reply_to(me, "会直接转给平台工作人员")
        assert "/end" in handed["text"] and env.button(handed, "human:end")
        await env.say(OWNER, "还没收到钱")
        await env.reply_to(STAFF_GROUP, "还没收到钱")
        await env.staff(AGENT_A, "/close 1")
        await env.reply_to(me, "之后的消息由智能助手回答")
        await env.say(OWNER, "试用期最长可以约定多久")
        await env.reply_to(me, "第19条")
