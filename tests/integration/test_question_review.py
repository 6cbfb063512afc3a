"""/unanswered, /attach and /draft over the real services and database (any channel)."""
import logging
from datetime import timedelta

from sqlalchemy import update

from bot.answering.question_review import ReviewQuestion, build_groups
from bot.app.services import running_services
from bot.requests.staff_directory import Actor, Role
from bot.app.staff_commands import run_command
from knowledge.loader import STAFF_FILE
from storage.models import QuestionLog

AGENT = Actor("staff", "7001", "王工", Role.AGENT)
OTHER_AGENT = Actor("staff", "7002", "李工", Role.AGENT)
SUPERVISOR = Actor("staff", "7003", "赵主管", Role.SUPERVISOR)
# A direct answer must beat 0.40 by the margin; "欠款快三年了" scores ≈0.425: low confidence.
CALIBRATION = "fingerprint: x\nlexical: {high: 0.40, low: 0.2752, margin: 0.01}\n"


async def ask(services, *texts: str, user: str = "u1") -> list[int]:
    replies = [await services.assistant.ask(text, channel="test", user_ref=user, lang="zh-CN")
               for text in texts]
    return [r.question_id for r in replies]


async def command(services, actor: Actor, text: str):
    name, *args = text.lstrip("/").split()
    return await run_command(services, actor, name, args)


def row(qid: int, text: str, normalized: str, entry: str | None = None,
        disliked: bool = False) -> ReviewQuestion:
    return ReviewQuestion(qid, text, normalized, entry, disliked)


def test_groups_show_the_most_asked_wording_and_closest_entry_and_skip_known_phrasings():
    rows = [row(1, "专精特新 怎么申报", "专精特新怎么申报", "projects-tech-sme"),
            row(2, "专精特新怎么申报？", "专精特新怎么申报", "projects-hitech-conditions", True),
            row(3, "专精特新怎么申报？", "专精特新怎么申报", "projects-tech-sme"),
            row(4, "专精特新怎么申报呢", "专精特新怎么申报呢", None),
            row(5, "可以开发票吗", "可以开发票吗", "debt-dishonest-debtor"),
            row(6, "诉讼时效是几年", "诉讼时效是几年", None)]
    groups = build_groups(rows, known={"诉讼时效是几年"})
    assert [g.count for g in groups] == [4, 1]
    assert groups[0].texts == ("专精特新怎么申报？", "专精特新怎么申报呢")
    assert groups[0].candidate == "projects-tech-sme" and groups[0].disliked == 1
    assert groups[1].texts == ("可以开发票吗",) and groups[1].disliked == 0


async def test_review_attach_reload_answers_directly(settings, kb_root, caplog):
    (kb_root / "calibration.yaml").write_text(CALIBRATION, encoding="utf-8")
    async with running_services(settings) as services:
        await ask(services, "对方欠钱不还怎么起诉", "对方欠钱不还，怎么起诉？", "专精特新怎么申报")
        await ask(services, "对方欠钱不还怎么起诉啊", "欠款快三年了", "试用期最长可以约定多久？",
                  user="u2")
        disliked, word_for_word = await ask(services, "高企认定要啥条件",
                                            "高新技术企业认定需要什么条件？", user="u3")
        for qid in (disliked, word_for_word):
            assert await services.questions.feedback(qid, "u3", None, helpful=False)
        old, = await ask(services, "很久以前没人回答的问题")
        async with services.sessions.begin() as session:
            await session.execute(update(QuestionLog).where(QuestionLog.id == old).values(
                asked_at=services.clock() - timedelta(days=40)))

        result = await command(services, AGENT, "/unanswered")
        text = result.text
        assert result.ok and "4 组，6 次提问" in text
        assert text.index("对方欠钱不还怎么起诉　×3") < text.index("专精特新怎么申报　×1")
        assert "相近问法 1 种：对方欠钱不还怎么起诉啊" in text
        assert "debt-limitation-period" in text
        assert "欠款快三年了" in text  # answered, but just above the threshold
        assert "高企认定要啥条件　×1（👎 1）" in text
        # Asked word for word as an entry's phrasing: a 👎 there is about the answer itself.
        assert "高新技术企业认定需要什么条件？　×" not in text
        assert "试用期最长可以约定多久" not in text and "很久以前" not in text
        today = services.clock().astimezone(services.calendar.tz).date()
        wide = await command(services, OTHER_AGENT,
                             f"/unanswered {today - timedelta(days=45)}..{today}")
        assert "很久以前没人回答的问题" in wide.text

        # Numbers refer to each person's own last listing.
        assert "请先发送 /unanswered" in (await command(services, SUPERVISOR, "/attach 1 x")).text
        group = text.split("对方欠钱不还怎么起诉　×3")[0].rsplit("<b>", 1)[1].split(".")[0]
        refused = await command(services, AGENT, f"/attach {group} no-such-entry")
        assert not refused.ok and "没有编号为“no-such-entry”的条目" in refused.text
        missing = await command(services, AGENT, "/attach 9 debt-limitation-period")
        assert "没有第 9 组" in missing.text
        assert "用法" in (await command(services, AGENT, "/attach debt-limitation-period")).text
        assert not (services.knowledge.directory / STAFF_FILE).exists()

        model = services.knowledge.matcher.model
        done = await command(services, AGENT, f"/attach {group} debt-limitation-period")
        assert done.ok and "2 个问法" in done.text and "/reload" in done.text
        again = await command(services, AGENT, f"/attach {group} debt-limitation-period")
        assert not again.ok and "没有写入" in again.text
        before = await services.assistant.ask("对方欠钱不还怎么起诉", channel="test", user_ref="u4",
                                              lang="zh-CN")
        assert before.entry is None  # not live before /reload

        with caplog.at_level(logging.WARNING, logger="knowledge.service"):
            assert (await command(services, SUPERVISOR, "/reload")).ok
        assert any("kb calibrate" in r.getMessage() for r in caplog.records)
        assert services.knowledge.matcher.model == model  # the stored one
        assert not services.knowledge.matcher.calibrated
        for wording in ("对方欠钱不还怎么起诉", "对方欠钱不还怎么起诉啊"):
            reply = await services.assistant.ask(wording, channel="test", user_ref="u4",
                                                 lang="zh-CN")
            assert reply.entry is not None and reply.entry.id == "debt-limitation-period"
        assert "对方欠钱不还" not in (await command(services, AGENT, "/unanswered")).text


async def test_drafts_need_a_supervisor_and_a_valid_entry(settings):
    async with running_services(settings) as services:
        await ask(services, "专精特新怎么申报", "专精特新怎么申报呢", "可以开发票吗")
        await command(services, AGENT, "/unanswered")
        draft = "/draft 1 projects | 专精特新企业怎么申报？ | 先认定创新型中小企业，再申报。 | 《优质中小企业梯度培育管理暂行办法》"
        refused = await command(services, AGENT, draft)
        assert not refused.ok and "不能使用这个命令" in refused.text
        assert not (services.knowledge.directory / STAFF_FILE).exists()

        await command(services, SUPERVISOR, "/unanswered")
        usage = await command(services, SUPERVISOR, "/draft 1 projects | 只有问题")
        assert not usage.ok and "用法：/draft 组号 分类" in usage.text
        unknown = await command(services, SUPERVISOR, "/draft 1 税务 | 问题？ | 答案 | 来源")
        assert not unknown.ok and "可用分类：货款拖欠与债权、劳动用工、项目申报与认定" in unknown.text
        no_source = await command(services, SUPERVISOR, "/draft 1 projects | 专精特新企业怎么申报？ | 答案 |  ")
        assert not no_source.ok and "缺少或为空：source" in no_source.text
        taken = await command(services, SUPERVISOR, "/draft 1 projects | 诉讼时效是几年 | 答案 | 来源")
        assert not taken.ok and "debt-limitation-period" in taken.text
        assert not (services.knowledge.directory / STAFF_FILE).exists()

        done = await command(services, SUPERVISOR, draft)
        assert done.ok and "projects-staff-1" in done.text
        assert (await command(services, SUPERVISOR, "/reload")).ok
        reply = await services.assistant.ask("专精特新怎么申报", channel="test", user_ref="u2",
                                             lang="zh-CN")
        assert reply.entry is not None and reply.entry.id == "projects-staff-1"
        assert reply.entry.answer == "先认定创新型中小企业，再申报。"


async def test_long_listings_are_paged_with_stable_numbers(settings):
    subjects = ["开发票", "注册商标", "招聘外国人", "出口退税", "办理食品许可", "申请专利",
                "缴纳社保", "申请贷款", "办理环评", "变更法人", "注销公司", "签电子合同"]
    async with running_services(settings) as services:
        await ask(services, *subjects, user="many")
        first = await command(services, AGENT, "/unanswered")
        assert "12 组" in first.text and "第 1/2 页" in first.text and "<b>10.</b>" in first.text
        assert "<b>11.</b>" not in first.text
        next_page = first.text.split("下一页：")[1].split("\n")[0]
        await ask(services, "新来的问题会不会打乱编号呢")  # would sort before some of the others
        second = await command(services, AGENT, next_page)
        assert "12 组" in second.text and "<b>11.</b>" in second.text and "<b>12.</b>" in second.text
        assert "新来的问题" not in second.text
        shown = [line.split("</b> ")[1].split("　×")[0] for page in (first, second)
                 for line in page.text.splitlines() if line[3:4].isdigit()]
        assert sorted(shown) == sorted(subjects)
        fresh = await command(services, AGENT, "/unanswered")  # page 1 lists anew
        assert "13 组" in fresh.text
        assert "没有第 3 页" in (await command(services, AGENT, next_page[:-1] + "3")).text
        assert "无法识别的期间" in (await command(services, AGENT, "/unanswered 上上月")).text


async def test_only_the_newest_questions_are_grouped_beyond_the_cap(settings, monkeypatch):
    monkeypatch.setattr("bot.answering.question_review.MAX_QUESTIONS", 2)
    async with running_services(settings) as services:
        await ask(services, "可以开发票吗", "注册商标", "出口退税")
        text = (await command(services, AGENT, "/unanswered")).text
        assert "2 组，2 次提问" in text and "只统计了最近的 2 条" in text
        assert "出口退税" in text and "可以开发票吗" not in text
