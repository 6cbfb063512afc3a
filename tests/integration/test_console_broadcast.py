"""Subscriptions and broadcasts in the terminal: the same core as on Telegram."""
from sqlalchemy import func, select

from bot.channels.console_chat import run_console
from bot.app.services import running_services
from storage.models import Broadcast, EnterpriseProfile, OutboxMessage, Subscription


async def lines(*items):
    for item in items:
        yield item + "\n"


async def chat(services, *inputs) -> str:
    out: list[str] = []
    await run_console(services, "zh-CN", lines(*inputs), out.append)
    return "\n".join(out)


async def test_subscribe_profile_questions_and_unsubscribe(settings):
    async with running_services(settings) as services:
        text = await chat(services, "/unsubscribe", "/subscribe", "/subscribe 1 9 x",
                          "/subscribe 1 2", "制造业" * 20, "汽车制造业", "/skip",
                          "/subscribe", "/quit")
        assert "您目前没有订阅平台通知" in text  # /unsubscribe always answers
        assert "当前：未订阅" in text and "1. 融资" in text
        assert "请用主题编号" in text  # a bad choice changes nothing
        assert "已订阅平台通知：融资、法律咨询" in text and "所属行业" in text
        assert "不超过 32 个字" in text  # too long: asked again
        assert "所在区域" in text and "订阅设置完成" in text
        assert "当前：融资、法律咨询" in text
        async with services.sessions() as session:
            subscription = await session.get(Subscription, 1)
            profile = await session.get(EnterpriseProfile, 1)
        assert subscription.topics == "financing,legal"
        assert profile.industry == "汽车制造业" and profile.district is None
        assert profile.consent_at is None  # not the intake's consent
        text = await chat(services, "/subscribe 全部", "/cancel", "/unsubscribe", "/quit")
        assert "已订阅平台通知：全部" in text and "已退订平台通知" in text
        async with services.sessions() as session:
            assert await session.get(Subscription, 1) is None


async def test_staff_broadcast_preview_send_and_cancel_in_the_terminal(settings):
    async with running_services(settings) as services:
        await chat(services, "/subscribe 1", "/skip", "/skip", "/quit")
        text = await chat(
            services, "/as staff", "/broadcast", "/broadcast [行业:制造] 无人匹配",
            "/broadcast [类别:税务] 正文", "/broadcast [类别:融资] <b>贴息</b> 利率<3% <i>x",
            "/broadcast_send 1", "/broadcast_send 1", "/broadcast_cancel 1",
            "/broadcast 第二条", "/broadcast_cancel 2", "/broadcast_send 2", "/quit")
        assert "用法：/broadcast [类别" in text
        assert "没有可以送达的订阅企业" in text  # nobody in the segment: no draft
        assert "没有“税务”这个类别" in text
        assert "通知 #1 预览" in text and "收件企业：1 家" in text
        assert "利率<3% <i>x" in text  # the preview shows the text as it will be received
        assert "[✅ 确认发送（1 家）]" in text
        assert "通知 #1 开始发送" in text and "通知 #1 已发送完毕。" in text  # sent once only
        assert "平台通知" in text and "贴息" in text  # delivered to the enterprise
        assert "通知 #1 发送完毕" in text and "已送达 1" in text
        assert "通知 #1 已发送完毕，无法取消" in text
        assert "通知 #2 的草稿已放弃" in text and "通知 #2 已取消，不能再发送" in text
        async with services.sessions() as session:
            first = await session.get(Broadcast, 1)
            rows = await session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.broadcast_id == 1, OutboxMessage.purpose == "broadcast"))
        assert first.status == "done" and first.recipients == 1 and rows == 1
        assert first.text == "<b>贴息</b> 利率&lt;3% &lt;i&gt;x"
        assert first.author_id == "console" and first.finished_at is not None
