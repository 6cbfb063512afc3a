"""Subscriptions and broadcasts through the real Application and the fake Bot API."""
from sqlalchemy import select

from bot.outreach.subscriptions import Subscriptions
from storage.models import Broadcast, OutboxMessage, Subscription
from tests.e2e.harness import AGENT_A, CLERK, OWNER, STAFF_GROUP, SUPERVISOR, world
from tests.fakebot import blocked, builders as b


async def subscribe_directly(env, user: dict, topics: set[str], industry: str | None = None,
                             district: str | None = None) -> None:
    """A subscriber set up through the core (the Telegram flow has its own test)."""
    env.fake.add_user(user)
    contact = await env.services.contacts.ensure("telegram", str(user["id"]), str(user["id"]),
                                                 user["first_name"], "zh-CN")
    subscriptions = Subscriptions(env.services.sessions)
    _, missing = await subscriptions.save(contact.id, frozenset(topics), "zh-CN")
    for value in (industry, district):
        _, missing = await subscriptions.answer(contact.id, "zh-CN", missing, value or "/skip")


def edits(env, message_id: int) -> list[str]:
    return [c.params.get("text", "") for c in env.fake.calls
            if c.method == "editMessageText" and c.params.get("message_id") == message_id]


async def test_subscribe_with_toggles_profile_questions_and_unsubscribe(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        await env.say(OWNER, "/unsubscribe")
        await env.reply_to(OWNER["id"], "您目前没有订阅平台通知")
        await env.say(OWNER, "/subscribe")
        picker = await env.reply_to(OWNER["id"], "请选择想接收的平台通知主题")
        await env.press(OWNER, picker, env.button(picker, "sub:t:0:0"))  # 融资 on
        toggled = await env.fake.wait_for(lambda: "✅ 融资" in str(
            env.fake.messages[(OWNER["id"], picker["message_id"])].get("reply_markup")) and
            env.fake.messages[(OWNER["id"], picker["message_id"])])
        await env.press(OWNER, toggled, env.button(toggled, "sub:t:1:1"))  # 法律咨询 on
        await env.fake.wait_for(lambda: "sub:ok:3" in str(
            env.fake.messages[(OWNER["id"], picker["message_id"])].get("reply_markup")))
        await env.press(OWNER, picker, "sub:ok:3")
        saved = await env.fake.wait_for(lambda: "已订阅平台通知：融资、法律咨询" in (
            env.fake.messages[(OWNER["id"], picker["message_id"])].get("text") or "") and
            env.fake.messages[(OWNER["id"], picker["message_id"])])
        assert env.count(OWNER["id"]) == 2  # the picker was edited in place, not resent
        await env.press(OWNER, saved, "sub:profile")
        await env.reply_to(OWNER["id"], "所属行业")
        await env.say(OWNER, "x" * 40)
        await env.reply_to(OWNER["id"], "不超过 32 个字")
        await env.say(OWNER, "制造业")
        await env.reply_to(OWNER["id"], "所在区域")
        await env.say(OWNER, "鼓楼区")
        await env.reply_to(OWNER["id"], "订阅设置完成")
        contact = await env.services.contacts.ensure("telegram", str(OWNER["id"]),
                                                     str(OWNER["id"]))
        profile = await env.services.contacts.profile(contact.id)
        assert (profile.industry, profile.district) == ("制造业", "鼓楼区")
        assert await Subscriptions(env.services.sessions).topics(contact.id) == {
            "financing", "legal"}
        # A question afterwards is answered as a question again.
        await env.say(OWNER, "试用期最长可以约定多久")
        await env.reply_to(OWNER["id"], "第19条")
        await env.say(OWNER, "/unsubscribe")
        await env.reply_to(OWNER["id"], "已退订平台通知")
        assert await Subscriptions(env.services.sessions).topics(contact.id) is None
        # /deleteme erases a subscription too.
        await env.say(CLERK, "/subscribe")
        clerk_picker = await env.reply_to(CLERK["id"], "Choose the topics")
        await env.press(CLERK, clerk_picker, "sub:all:0")
        await env.fake.wait_for(lambda: "sub:ok:511" in str(
            env.fake.messages[(CLERK["id"], clerk_picker["message_id"])].get("reply_markup")))
        await env.press(CLERK, clerk_picker, "sub:ok:511")
        await env.fake.wait_for(lambda: "Subscribed to platform notices: All" in (
            env.fake.messages[(CLERK["id"], clerk_picker["message_id"])].get("text") or ""))
        async with env.services.sessions() as session:
            assert len((await session.scalars(select(Subscription))).all()) == 1
        await env.say(CLERK, "/deleteme")
        confirm = await env.reply_to(CLERK["id"], "This will delete")
        await env.press(CLERK, confirm, "erase:yes")
        await env.reply_to(CLERK["id"], "Deleted.")
        async with env.services.sessions() as session:
            assert (await session.scalars(select(Subscription))).all() == []


async def test_supervisor_broadcasts_to_a_segment_with_preview_progress_and_summary(
        tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        fin_gulou = [b.user(61_000 + i, f"F{i}") for i in range(3)]
        for user in fin_gulou:
            await subscribe_directly(env, user, {"financing"}, "汽车制造业", "鼓楼区")
        everything = b.user(61_100, "全")
        await subscribe_directly(env, everything, {"financing", "legal", "project", "policy",
                                                   "market", "digital", "hr", "logistics",
                                                   "other"}, district="鼓楼区")
        other_topic = b.user(61_200, "法")
        await subscribe_directly(env, other_topic, {"legal"}, district="鼓楼区")
        other_district = b.user(61_300, "台")
        await subscribe_directly(env, other_district, {"financing"}, district="台江区")
        gone = b.user(61_400, "退")
        await subscribe_directly(env, gone, {"financing"}, district="鼓楼区")
        await env.say(gone, "/unsubscribe")
        await env.reply_to(gone["id"], "已退订平台通知")
        env.fake.inject("sendMessage", blocked(), match={"chat_id": fin_gulou[0]["id"]})

        text = "/broadcast [类别:融资] [区域:鼓楼]\n<b>贴息政策</b>申报开始\n利率<3% <script>"
        await env.staff(AGENT_A, text)
        await env.reply_to(STAFF_GROUP, "不是平台工作人员")  # agents may not broadcast
        await env.staff(SUPERVISOR, "/broadcast [行业:] 正文")
        await env.reply_to(STAFF_GROUP, "至少要有一个值")
        await env.staff(SUPERVISOR, text)
        preview = await env.reply_to(STAFF_GROUP, "预览（草稿")
        assert "收件企业：4 家" in preview["text"]
        assert "贴息政策申报开始\n利率<3% <script>" in preview["text"]  # line break kept
        offset = len(preview["text"][:preview["text"].index("贴息政策")].encode("utf-16-le")) // 2
        assert {"type": "bold", "offset": offset, "length": 4} in [  # kept as formatting
            {k: e[k] for k in ("type", "offset", "length")} for e in preview["entities"]]
        await env.press(AGENT_A, preview, env.button(preview, "bc:send:"))
        await env.fake.wait_for(lambda: any("不是平台工作人员" in c.params.get("text", "")
                                            for c in env.fake.calls
                                            if c.method == "answerCallbackQuery"))
        assert not any("贴息政策" in (m.get("text") or "") for m in env.fake.sent(everything["id"]))
        await env.press(SUPERVISOR, preview, env.button(preview, "bc:send:"))
        progress = await env.reply_to(STAFF_GROUP, "发送中")
        await env.fake.wait_for(lambda: any("发送完毕" in text
                                            for text in edits(env, progress["message_id"])))
        summary = env.fake.messages[(STAFF_GROUP, progress["message_id"])]
        assert "共 4 家：已送达 3，失败 1（其中已屏蔽机器人 1）" in summary["text"]
        assert not summary.get("reply_markup")  # the stop button is gone
        for user in fin_gulou[1:] + [everything]:
            notice = await env.reply_to(user["id"], "平台通知")
            assert notice["text"] == preview["text"].split("————\n", 1)[1].split("\n————")[0]
            assert env.button(notice, "sub:off")
        for user in (other_topic, other_district, gone):
            assert not any("贴息政策" in (m.get("text") or "") for m in env.fake.sent(user["id"]))
        blocked_sends = [c for c in env.fake.calls if c.method == "sendMessage"
                         and c.params.get("chat_id") == fin_gulou[0]["id"]]
        assert len(blocked_sends) == 1  # a 403 is counted, never retried
        await env.press(SUPERVISOR, preview, env.button(preview, "bc:send:"))
        await env.fake.wait_for(lambda: any("已发送完毕" in c.params.get("text", "")
                                            for c in env.fake.calls
                                            if c.method == "answerCallbackQuery"))
        async with env.services.sessions() as session:
            broadcast = (await session.scalars(select(Broadcast))).one()
        assert (broadcast.status, broadcast.recipients, broadcast.author_id) == (
            "done", 4, str(SUPERVISOR["id"]))
        assert broadcast.progress_message_id == progress["message_id"]


async def test_cancel_mid_way_and_progress_edits(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling", SME_TELEGRAM__PACE_OVERALL_PER_S="4",
                     SME_BROADCAST__PROGRESS_INTERVAL_S="0.5") as env:
        users = [b.user(62_000 + i, f"C{i}") for i in range(40)]
        for user in users:
            await subscribe_directly(env, user, {"policy"})
        await env.staff(SUPERVISOR, "/broadcast 今年的政策申报通知")
        preview = await env.reply_to(STAFF_GROUP, "收件企业：40 家")
        await env.staff(SUPERVISOR, f"/broadcast_send {preview['text'].split('#')[1].split()[0]}")
        progress = await env.reply_to(STAFF_GROUP, "发送中")

        def delivered() -> int:
            return sum(1 for u in users for m in env.fake.sent(u["id"])
                       if "政策申报通知" in (m.get("text") or ""))

        await env.fake.wait_for(lambda: delivered() >= 6, timeout=20)
        await env.fake.wait_for(lambda: any("已送达" in t and "待发送" in t and "已送达 0 " not in t
                                            for t in edits(env, progress["message_id"])))
        await env.press(SUPERVISOR, progress, env.button(progress, "bc:cancel:"))

        def summary() -> str:
            return env.fake.messages[(STAFF_GROUP, progress["message_id"])].get("text") or ""

        # A send already handed to Telegram when it was stopped still arrives and is counted:
        # the summary settles on what was really delivered.
        await env.fake.wait_for(lambda: "已停止" in summary()
                                and f"已送达 {delivered()} " in summary())
        async with env.services.sessions() as session:
            rows = (await session.scalars(select(OutboxMessage).where(
                OutboxMessage.purpose == "broadcast"))).all()
        statuses = [r.status for r in rows]
        assert "pending" not in statuses and statuses.count("cancelled") >= 20
        assert statuses.count("sent") == delivered()
        assert f"未发送 {statuses.count('cancelled')} / 共 40" in summary()
        # Nothing cancelled goes out later: the sender has nothing left to do for it.
        await env.say(OWNER, "/help")
        await env.reply_to(OWNER["id"], "怎么用")
        assert delivered() == statuses.count("sent")
