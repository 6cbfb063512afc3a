"""The product as users meet it: the real Application over HTTP against the fake Bot API."""
import pytest

from tests.calibration_overrides import suggest_only
from tests.e2e.harness import CLERK, OWNER, STAFF_GROUP, file_request, world

MODES = ["polling", "webhook"]
VALID_CODE = "91350100M000100Y43"


@pytest.mark.parametrize("mode", MODES)
async def test_question_gets_a_cited_answer_with_feedback(tmp_path, kb_dir, mode):
    async with world(tmp_path, kb_dir, mode) as env:
        await env.say(OWNER, "/start")
        await env.reply_to(OWNER["id"], "中小企业公共服务平台")
        call = await env.fake.wait_for_call("sendMessage", chat_id=OWNER["id"])
        assert "📝 提交需求" in str(call.params["reply_markup"]["keyboard"])
        await env.say(OWNER, "请问试用期最长可以约定多久？")
        answer = await env.reply_to(OWNER["id"], "第19条")
        assert "审核日期：2026-11-27" in answer["text"] and "不构成法律意见" in answer["text"]
        assert {"bold", "italic"} <= {e["type"] for e in answer["entities"]}
        helpful = env.button(answer, "fb:")
        await env.press(OWNER, answer, helpful.rsplit(":", 1)[0] + ":0")
        await env.reply_to(OWNER["id"], "暂时没有找到可靠的答案", after=2)
        rows = await env.services.questions.recent()
        assert rows[0].decision == "answered" and rows[0].channel == "telegram"
        asker = await env.services.contacts.ensure("telegram", str(OWNER["id"]), "x")
        assert rows[0].contact_id == asker.id  # counted among the enterprises served


@pytest.mark.parametrize("mode", MODES)
async def test_did_you_mean_then_choose(tmp_path, kb_dir, mode):
    suggest_only(kb_dir.parent)
    async with world(tmp_path, kb_dir, mode) as env:
        await env.say(OWNER, "合同的事")
        suggestion = await env.reply_to(OWNER["id"], "您是不是想问")
        choice = env.button(suggestion, "kb:")
        assert env.button(suggestion, "none:")
        await env.press(OWNER, suggestion, choice)
        answer = await env.reply_to(OWNER["id"], "来源", after=1)
        assert choice[3:] and "审核日期" in answer["text"]


async def test_english_user_and_hostile_text(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        await env.say(CLERK, "<script>alert(1)</script> & 明天天气")
        reply = await env.reply_to(CLERK["id"], "no reliable answer")
        assert reply["reply_markup"]["inline_keyboard"]
        await env.say(CLERK, "What is the longest probation period I can agree?")
        foreign = await env.reply_to(CLERK["id"], "ask in Chinese")
        assert env.button(foreign, "fwd:")


async def test_unanswered_question_goes_to_staff_in_one_tap_once(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        await env.say(OWNER, "你好")
        await env.reply_to(OWNER["id"], "我是中小企业公共服务平台的智能助手")
        await env.say(OWNER, "明天会不会下雨呢")
        reply = await env.reply_to(OWNER["id"], "暂时没有找到可靠的答案")
        forward = env.button(reply, "fwd:")
        await env.press(OWNER, reply, forward)
        await env.reply_to(OWNER["id"], "已受理，编号 #1")
        card = await env.fake.wait_for_call("sendMessage", chat_id=STAFF_GROUP)
        assert "明天会不会下雨呢" in card.params["text"]
        await env.press(OWNER, reply, forward)  # pressed again: the same request
        await env.fake.wait_for(lambda: len([c for c in env.fake.calls if c.method.lower()
                                             == "answercallbackquery"]) >= 2 or None)
        assert [t.id for t in await env.services.tickets.for_contact(
            (await env.services.contacts.ensure("telegram", str(OWNER["id"]), "x")).id)] == [1]
        rows = await env.services.questions.recent()
        assert [r.text for r in rows] == ["明天会不会下雨呢"]  # the greeting is not logged


@pytest.mark.parametrize("mode", MODES)
async def test_intake_invalid_then_valid_input_creates_ticket(tmp_path, kb_dir, mode):
    async with world(tmp_path, kb_dir, mode) as env:
        await env.say(OWNER, "/new")
        categories = await env.reply_to(OWNER["id"], "请选择需求类别")
        await env.say(OWNER, "随便打的字")
        await env.reply_to(OWNER["id"], "请点选上方的类别按钮")
        await env.press(OWNER, categories, "cat:legal")
        await env.reply_to(OWNER["id"], "第 2 步")
        await env.say(OWNER, "客户欠我们 20 万货款 <b>两年</b> 了")
        more = await env.reply_to(OWNER["id"], "已收到")
        await env.press(OWNER, more, "intake:done")
        await env.reply_to(OWNER["id"], "企业全称")
        await env.say(OWNER, "南宁某某科技有限公司")
        await env.reply_to(OWNER["id"], "统一社会信用代码（18 位")
        await env.say(OWNER, "91350100M000100Y44")
        await env.reply_to(OWNER["id"], "校验位不正确")
        await env.say(OWNER, VALID_CODE.lower())
        await env.reply_to(OWNER["id"], "联系人姓名")
        await env.say(OWNER, "张三")
        await env.say(OWNER, "12345")
        await env.reply_to(OWNER["id"], "电话号码格式不正确")
        await env.say(OWNER, "138 0013 8000")
        await env.reply_to(OWNER["id"], "所属行业（可选）")
        shown = env.count(OWNER["id"])
        await env.say(OWNER, "制造业")  # typed instead of pressed: the buttons are shown again
        industry = await env.reply_to(OWNER["id"], "所属行业（可选）", after=shown)
        await env.press(OWNER, industry, "ind:1")
        consent = await env.reply_to(OWNER["id"], "是否同意")
        await env.press(OWNER, consent, "consent:yes")
        confirm = await env.reply_to(OWNER["id"], "请确认")
        assert "&lt;b&gt;" not in confirm["text"] and "<b>两年</b>" in confirm["text"]
        await env.press(OWNER, confirm, "intake:confirm")
        accepted = await env.reply_to(OWNER["id"], "已受理，编号")
        assert "#1" in accepted["text"]
        assert (await env.services.tickets.get(1))[2].industry == "制造业"  # the ledger's 所属行业
        card = await env.reply_to(STAFF_GROUP, "南宁某某科技有限公司")
        assert VALID_CODE in card["text"] and "13800138000" in card["text"]
        assert card.get("message_thread_id")  # its own forum topic
        profile = await env.services.contacts.profile(
            (await env.services.contacts.ensure("telegram", str(OWNER["id"]), "x")).id)
        assert profile.credit_code == VALID_CODE and profile.consent_at is not None


async def test_intake_cancel_and_no_consent(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        await env.say(OWNER, "/new")
        await env.reply_to(OWNER["id"], "请选择需求类别")
        await env.say(OWNER, "/cancel")
        await env.reply_to(OWNER["id"], "已取消")
        await file_request(env, OWNER, "hr", "招聘", consent="no")
        assert await env.services.tickets.count_open() == 0
