"""What a new user hit in the terminal chat's first hour (issue 15): restarts on the same
database, commands typed inside a dialog, advertised commands, the layout of lists, Ctrl-C and
Ctrl-D, an interrupted /new resumed."""
from sqlalchemy import select

from bot.app.services import running_services
from bot.channels.console_chat import run_console
from storage.models import Ticket

PROFILE = ("某某科技有限公司", "91350100M000100Y43", "张三", "13800138000", "0", "y")
FILE_REQUEST = ("/new", "2", "客户欠款二十万", "/done", *PROFILE, "y")


async def lines(*items, end=None):
    for item in items:
        yield item + "\n"
    if end is not None:
        raise end


async def chat(settings, *inputs, end=None) -> str:
    """One run of the terminal chat (a fresh process, as far as the chat can tell)."""
    out: list[str] = []
    async with running_services(settings) as services:
        await run_console(services, "zh-CN", lines(*inputs, end=end), out.append)
    return "\n".join(out)


async def tickets(settings) -> list[Ticket]:
    async with running_services(settings) as services, services.sessions() as session:
        return list(await session.scalars(select(Ticket).order_by(Ticket.id)))


async def test_restart_on_the_same_database_keeps_working(settings):
    """The terminal numbered its messages from 1 in every run: the second run's messages to
    the staff group collided with the first run's links and every later start crashed."""
    first = await chat(settings, *FILE_REQUEST, "/as staff", "/reply 1 请提供合同", "/as enterprise",
                       "合同已经发了", "/quit")
    assert "合同已经发了" in first
    for run in range(2):
        text = await chat(settings, f"第{run}次补充一", f"第{run}次补充二", f"第{run}次补充三",
                          "/as staff", "/ticket 1", "/quit")
        for n in "一二三":
            assert f"💬 #1 某某科技有限公司：\n第{run}次补充{n}" in text
        assert "出错" not in text and text.rstrip().endswith("再见！祝生意兴隆。")


async def test_commands_inside_new_are_never_the_description(settings):
    text = await chat(settings, "/new", "2", "客户欠款二十万", "", "/help", "/mytickets", "/queue",
                      "/topics", "/done", *PROFILE, "y", "/mytickets", "/quit")
    found = await tickets(settings)
    assert [t.description for t in found] == ["客户欠款二十万"]
    assert "需求填写还没有完成" in text  # the dialog waits, and says so
    assert "/queue 是工作人员的命令：请先发送 /as staff" in text
    assert "知识库主题" in text and "企业身份：" in text
    assert "已受理，编号 #1" in text


async def test_staff_commands_are_not_swallowed_by_an_open_dialog(settings):
    text = await chat(settings, "/new", "2", "客户欠款二十万", "/as staff", "/queue",
                      "/as enterprise", "继续描述", "/done", *PROFILE, "y", "/quit")
    assert "待处理队列为空" in text or "待处理队列（0" in text or "没有待处理" in text
    assert "需求填写还没有完成" in text
    assert [t.description for t in await tickets(settings)] == ["客户欠款二十万\n继续描述"]


async def test_commands_at_the_subscription_questions(settings):
    text = await chat(settings, "/subscribe 1", "/as staff", "/broadcast 测试通知",
                      "/as enterprise", "/help", "制造业", "/skip", "/quit")
    assert "通知 #1 预览" in text  # the staff command ran
    assert text.count("订阅信息补充还没有完成") == 2  # back as enterprise, after /help
    assert "已记下" in text or "制造业" in text


async def test_a_second_dialog_is_refused_and_new_restarts(settings):
    text = await chat(settings, "/new", "2", "第一份", "/deleteme", "/subscribe 1", "/new", "3",
                      "第二份", "/done", *PROFILE, "y", "/quit")
    assert text.count("请先完成需求填写，或发送 /cancel 放弃") == 2
    assert "之前没有完成的需求填写已放弃，重新开始" in text
    assert [t.description for t in await tickets(settings)] == ["第二份"]


async def test_advertised_commands_exist_outside_dialogs(settings):
    text = await chat(settings, "/cancel", "/done", "/skip", "/lang xx", "/deleteme", "n",
                      "/deleteme", "y", "/quit")
    assert "不认识的命令" not in text
    assert text.count("现在没有正在填写的内容") == 3
    assert "用法：/lang zh（中文）或 /lang en（English）" in text
    assert "没有删除任何信息" in text and "已删除。企业资料：无（未保存过）" in text


async def test_lang_takes_the_names_people_type(settings):
    text = await chat(settings, "/lang zh", "/lang English", "/lang", "/lang 英文", "/quit")
    assert "用法" not in text and "Usage" not in text
    assert text.count("已切换为简体中文。") == 2 and text.count("Language set to English.") == 2


async def test_no_answer_does_not_send_the_user_to_telegram(settings):
    text = await chat(settings, "明天会不会下雨呢", "/quit")
    assert "暂时没有找到可靠的答案" in text and "/new" in text and "Telegram" not in text


async def test_list_rows_stay_on_one_line(settings):
    text = await chat(settings, "/new", "2", "第一行很长的描述", "/queue", "第二行", "/done",
                      *PROFILE, "y", "/mytickets", "/as staff", "/queue", "/take 1", "/mine",
                      "/quit")
    rows = [line for line in text.splitlines() if line.startswith("#1")]
    assert len(rows) == 3 and all("第一行很长的描述 第二行" in row for row in rows)


async def test_ctrl_d_and_ctrl_c_say_goodbye(settings):
    eof = await chat(settings, "试用期最长可以约定多久")
    assert eof.endswith("\n\n再见！祝生意兴隆。")  # a new line after the prompt, then goodbye
    interrupted = await chat(settings, "/new", "2", end=KeyboardInterrupt())
    assert interrupted.endswith("没有完成的需求填写已保存，下次启动时接着填写。\n再见！祝生意兴隆。")


async def test_interrupted_new_is_resumed_after_a_restart(settings):
    await chat(settings, "/new", "2", "客户欠款二十万", end=KeyboardInterrupt())
    text = await chat(settings, "还有利息", "/done", "某某科技有限公司", "/quit")
    assert "接着上次没有完成的需求填写" in text and "类别：法律咨询" in text
    assert "已记下的描述：\n客户欠款二十万\n" in text  # what was typed is shown, not asked again
    text = await chat(settings, "91350100M000100Y43", "张三", "13800138000", "0", "y", "y", "/quit")
    assert "已受理，编号 #1" in text
    assert [t.description for t in await tickets(settings)] == ["客户欠款二十万\n还有利息"]
    assert "接着上次" not in await chat(settings, "/quit")  # nothing left to resume


async def test_a_message_id_handed_out_again_never_stops_the_sender(settings):
    """Any channel: a (chat, message id) linked before is taken over by the newer message."""
    from bot.delivery.outbox import Delivered
    from storage.models import MessageLink

    class SameId:
        async def send(self, chat_id, message, thread_id, edit_message_id):
            return Delivered(edit_message_id or 7)

        async def create_topic(self, chat_id, name):
            return None

    async with running_services(settings) as services:
        sender = services.start_sender(SameId(), "-5", background=False)
        contact = await services.contacts.ensure("console", "u", "u", "用户", "zh-CN")
        for text in ("第一份", "第二份"):
            await services.tickets.create(contact.id, "legal", text)
            await sender.deliver_due()
        async with services.sessions() as session:
            links = list(await session.scalars(select(MessageLink)))
    assert [(link.chat_id, link.message_id, link.ticket_id) for link in links] == [("-5", 7, 2)]


async def test_the_enterprise_is_told_when_its_messages_go_to_staff_and_back(settings):
    text = await chat(settings, *FILE_REQUEST, "/as staff", "/resolve 1 已处理", "/reopen 1",
                      "/as enterprise", "还没收到钱", "/as staff", "/close 1", "/as enterprise",
                      "试用期最长可以约定多久", "/quit")
    assert ("[→ 企业] 接下来您在这里发送的消息会直接转给平台工作人员（需求 #1），不再由智能助手"
            "回答。想回到智能助手，发送 /end。\n    [结束人工对话 → /end]") in text
    assert "💬 #1 某某科技有限公司：\n还没收到钱" in text
    assert "[→ 企业] 关于需求 #1 与工作人员的对话已结束，之后的消息由智能助手回答" in text
    assert "第19条" in text  # answered by the assistant again
    assert "[评分 → /rate 1 1-5]" in text  # the rating stars, as the command that gives them


async def test_staff_messages_are_labelled_with_their_request_after_a_restart(settings):
    await chat(settings, *FILE_REQUEST, "/quit")
    text = await chat(settings, "/human", "/quit")
    assert "[→ 员工群 · #2] #2 【其他】" in text


async def test_a_restart_says_the_conversation_is_still_with_staff(settings):
    await chat(settings, *FILE_REQUEST, "/as staff", "/reply 1 请提供合同", "/quit")
    text = await chat(settings, "合同已经发了", "/end", "/quit")
    assert "您仍在与平台工作人员对话（需求 #1）" in text.split("合同已经发了")[0]
    assert text.index("您仍在与平台工作人员对话") < text.index("💬 #1")


async def test_the_confirmation_corrects_the_category_and_never_drops_on_a_slip(settings):
    """A wrong category picked at step 1 was final (only y or discard-everything), and any
    answer but y at the confirmation threw the whole request away."""
    text = await chat(settings, "/new", "1", "客户欠款二十万", "/done", *PROFILE,
                      "好的", "c", "2", "y", "/quit")
    assert "已取消" not in text
    assert text.count("修改类别输入 c") >= 3  # confirmation, the slip re-asked, after the change
    assert "类别：法律咨询" in text
    [ticket] = await tickets(settings)
    assert ticket.category == "legal"
    discarded = await chat(settings, "/new", "1", "再来一个", "/done", "n", "/quit")
    assert "已取消" in discarded and len(await tickets(settings)) == 1
