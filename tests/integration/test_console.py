from bot.channels.console_chat import run_console
from bot.app.services import running_services
from tests.calibration_overrides import suggest_only


async def lines(*items):
    for item in items:
        yield item + "\n"


async def chat(settings, *inputs) -> str:
    out: list[str] = []
    async with running_services(settings) as services:
        await run_console(services, "zh-CN", lines(*inputs), out.append)
    return "\n".join(out)


async def test_answer_shows_source_date_disclaimer_and_follow_ups(settings):
    text = await chat(settings, "试用期最长可以约定多久？", "1", "/quit")
    assert "智能助手" in text
    assert "来源：《中华人民共和国劳动合同法》第19条" in text
    assert "审核日期：2026-11-27" in text and "仅供参考，不构成法律意见" in text
    assert "相关问题" in text and "没签劳动合同要付双倍工资吗？" in text
    assert "第82条" in text  # follow-up 1 was opened
    assert text.rstrip().endswith("再见！祝生意兴隆。")


async def test_did_you_mean_then_none_of_these(settings, kb_root):
    # Raise the bar for a direct answer so that a vague question gets suggestions.
    suggest_only(kb_root)
    text = await chat(settings, "合同", "0", "9", "/quit")
    assert "您是不是想问" in text and "  1. " in text
    assert "/human" in text  # none of these → offer staff
    assert "没有待选的编号列表" in text  # "9" once the list is closed


async def test_fallback_bad_input_and_topics(settings):
    text = await chat(settings, "明天会不会下雨呢", "", "😀", "/topics", "/topics 1", "/nope")
    assert "暂时没有找到可靠的答案" in text and "/new" in text
    assert text.count("没有看到问题内容") == 2
    assert "知识库主题" in text and "货款拖欠与债权" in text
    assert "不认识的命令 /nope" in text


async def test_small_talk_gets_a_reply_and_an_unanswered_question_goes_to_staff(settings):
    text = await chat(settings, "你好", "谢谢！", "42", "/forward", "明天会不会下雨呢", "/forward",
                      "/forward", "/as staff", "/queue", "/quit")
    assert "您好！我是中小企业公共服务平台的智能助手" in text
    assert "不客气" in text and "没有待选的编号列表" in text
    assert text.count("没有可以转交的问题") == 2  # before any question, and a second /forward
    assert "已受理，编号 #1" in text and "#2" not in text
    queue = text.split("切换到平台工作人员")[-1]
    assert "#1" in queue and "明天会不会下雨呢" in queue


async def test_english(settings):
    text = await chat(settings, "/lang en", "试用期最长可以约定多久", "/quit")
    assert "Source: 《中华人民共和国劳动合同法》第19条" in text and "not legal advice" in text


async def test_whole_product_in_the_terminal(settings):
    text = await chat(
        settings,
        "试用期最长可以约定多久", "/new", "2", "客户欠款二十万", "/done",
        "某某科技有限公司", "91350100M000100Y44", "91350100M000100Y43", "张三", "123",
        "13800138000", "1", "y", "y",
        "/as staff", "/queue", "/take 1", "/reply 1 请提供合同复印件", "/note 1 内部备注",
        "/as enterprise", "合同已经发了", "/mytickets",
        "/as staff", "/resolve 1 已出具律师函", "/ticket 1",
        "/as enterprise", "/rate 1 5", "/quit")
    assert "已受理，编号 #1" in text
    assert "校验位不正确" in text and "电话号码格式不正确" in text
    assert "[→ 员工群 · #1]" in text and "某某科技有限公司" in text
    assert "已认领 #1" in text
    assert "[→ 企业] 👩‍💼 平台工作人员（需求 #1）：\n请提供合同复印件" in text
    assert "已为 #1 保存内部备注" in text and "[→ 企业] 内部备注" not in text
    assert "[→ 员工群 · #1] 💬 #1 某某科技有限公司：\n合同已经发了" in text
    assert "已办结" in text and "已出具律师函" in text and "处理记录" in text
    assert "企业评分：★★★★★" in text


async def test_a_terminal_that_goes_away_ends_the_input(monkeypatch):
    """Reads from a closed terminal fail with EIO: the chat's input ends (as with Ctrl-D)
    instead of waiting for ever for a line that cannot come."""
    import asyncio
    import errno

    from bot.channels.console_chat import stdin_lines

    class ClosedTerminal:
        def __init__(self):
            self.lines = ["你好\n"]

        def readline(self):
            if self.lines:
                return self.lines.pop()
            raise OSError(errno.EIO, "Input/output error")

        def isatty(self):
            return False

    monkeypatch.setattr("sys.stdin", ClosedTerminal())

    async def read_all():
        return [line async for line in stdin_lines()]

    assert await asyncio.wait_for(read_all(), timeout=10) == ["你好\n"]
