"""/profile on Telegram (issue 15, item 8): the profile saved by the first request, viewed and
edited through the real Application against the fake Bot API."""
import pytest

from tests.e2e.harness import OWNER, file_request, world


@pytest.mark.parametrize("mode", ["polling"])
async def test_profile_view_and_edit(tmp_path, kb_dir, mode):
    async with world(tmp_path, kb_dir, mode) as env:
        await env.say(OWNER, "/profile")
        await env.reply_to(OWNER["id"], "还没有保存企业信息")
        confirm = await file_request(env, OWNER, "legal", "合同纠纷")
        assert "企业：某某公司" in confirm["text"]
        await env.press(OWNER, confirm, "intake:confirm")
        await env.reply_to(OWNER["id"], "已受理，编号")
        await env.say(OWNER, "/profile")
        shown = await env.reply_to(OWNER["id"], "企业名称：某某公司")
        assert "所属行业：制造业" in shown["text"] and "联系电话：13800138000" in shown["text"]
        await env.say(OWNER, "/profile 电话 0771-1234567")
        await env.reply_to(OWNER["id"], "已更新联系电话：0771-1234567")
        profile = await env.services.contacts.profile(
            (await env.services.contacts.ensure("telegram", str(OWNER["id"]), "x")).id)
        assert profile.phone == "0771-1234567" and profile.industry == "制造业"
