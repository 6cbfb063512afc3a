"""Unanswered questions become knowledge: /unanswered, /attach, /draft and /reload in the staff
group, against the fake Bot API."""
from knowledge.loader import STAFF_FILE
from tests.e2e.harness import AGENT_A, CLERK, OUTSIDER, OWNER, STAFF_GROUP, SUPERVISOR, world

DRAFT = "专精特新企业怎么申报？ | 先认定为创新型中小企业，再向省级主管部门申报专精特新中小企业。"
SOURCE = "《优质中小企业梯度培育管理暂行办法》"


async def ask(env, user: dict, text: str, expect: str) -> dict:
    before = env.count(user["id"])
    await env.say(user, text)
    return await env.reply_to(user["id"], expect, after=before)


async def staff(env, user: dict, text: str, expect: str) -> dict:
    before = env.count(STAFF_GROUP)
    await env.staff(user, text)
    return await env.reply_to(STAFF_GROUP, expect, after=before)


async def test_unanswered_questions_attached_and_drafted_are_then_answered(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        await ask(env, OWNER, "对方欠钱不还怎么起诉", "您是不是想问")
        await ask(env, CLERK, "对方欠钱不还，怎么起诉？", "Did you mean")
        await ask(env, OUTSIDER, "对方欠钱不还怎么起诉啊", "您是不是想问")
        await ask(env, OWNER, "专精特新怎么申报", "暂时没有找到可靠的答案")
        await ask(env, CLERK, "专精特新怎么申报呢", "no reliable answer")
        await ask(env, OWNER, "试用期最长可以约定多久", "第19条")  # answered: not listed

        listing = (await staff(env, AGENT_A, "/unanswered", "待完善的问题"))["text"]
        assert "2 组，5 次提问" in listing
        assert "1. 对方欠钱不还怎么起诉　×3" in listing
        assert "相近问法 1 种：对方欠钱不还怎么起诉啊" in listing
        assert "最接近的条目：debt-limitation-period" in listing
        assert "2. 专精特新怎么申报　×2" in listing and "试用期" not in listing

        await staff(env, AGENT_A, "/attach 1 debt-limitation-period", "已把第 1 组的 2 个问法")
        additions = kb_dir / STAFF_FILE
        attached = additions.read_text(encoding="utf-8")
        assert "王工 (7001) /attach 1 debt-limitation-period" in attached

        # Drafting takes a supervisor; a bad draft is refused with the loader's reason.
        await staff(env, AGENT_A, f"/draft 2 projects | {DRAFT} | {SOURCE}", "不能使用这个命令")
        await staff(env, SUPERVISOR, f"/draft 2 projects | {DRAFT} | {SOURCE}", "请先发送 /unanswered")
        await staff(env, SUPERVISOR, "/unanswered", "待完善的问题")
        await staff(env, SUPERVISOR, "/draft 2 projects | x", "用法：/draft 组号 分类")
        refused = await staff(env, SUPERVISOR, f"/draft 2 projects | {DRAFT} |  ", "没有写入")
        assert "staff_additions.yaml" in refused["text"] and "缺少或为空：source" in refused["text"]
        assert additions.read_text(encoding="utf-8") == attached
        await staff(env, SUPERVISOR, f"/draft 2 projects | {DRAFT} | {SOURCE}",
                    "已为第 2 组起草条目 projects-staff-1")

        # Nothing changes for enterprises until /reload.
        await ask(env, OWNER, "对方欠钱不还怎么起诉", "您是不是想问")
        await staff(env, SUPERVISOR, "/reload", "知识库已重新加载：7 条")
        answer = await ask(env, OWNER, "对方欠钱不还怎么起诉", "诉讼期间为三年")
        assert "来源：《中华人民共和国民法典》第188条" in answer["text"]
        answer = await ask(env, OUTSIDER, "专精特新怎么申报呢", "再向省级主管部门申报")
        assert SOURCE in answer["text"]
        await staff(env, AGENT_A, "/unanswered", "没有需要完善的问题")
