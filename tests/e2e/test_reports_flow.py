"""/stats and /export in the staff group: the bot uploads PNG charts (sendPhoto) and the
ledger (sendDocument) through the fake Bot API, which keeps the uploaded bytes."""
import io
import struct
from datetime import datetime, timezone

import openpyxl

from tests.e2e.harness import AGENT_A, OUTSIDER, STAFF_GROUP, world
from tests.reports_data import seed

NOVEMBER_27 = datetime(2026, 11, 27, 3, 0, tzinfo=timezone.utc)


def uploads(env, method: str) -> list:
    return [c for c in env.fake.calls if c.method == method]


async def test_stats_and_export_upload_charts_and_the_ledger(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling",
                     SME_REPORTS__DIR=str(tmp_path / "reports")) as env:
        env.services.clock = lambda: NOVEMBER_27
        await seed(env.services.sessions)

        await env.staff(AGENT_A, "/stats")  # this month, by the services' clock
        summary = await env.reply_to(STAFF_GROUP, "统计报表 2026-11")
        assert "解决率 44.4%" in summary["text"] and "李工&lt;2&gt;" not in summary["text"]
        assert "李工<2>" in summary["text"]  # escaped in HTML, shown as typed
        photos = await env.fake.wait_for(lambda: (
            found if len(found := [m for m in env.fake.sent(STAFF_GROUP) if "photo" in m]) == 2
            else None))
        assert "每周登记需求与解决率" in photos[0]["caption"]
        assert "需求类别分布" in photos[1]["caption"]
        for call in uploads(env, "sendPhoto"):
            data = call.params["photo"].data
            assert data[:8] == b"\x89PNG\r\n\x1a\n"
            assert struct.unpack(">II", data[16:24]) == (1000, 560)

        await env.staff(AGENT_A, "/export 2026-11")
        message = await env.fake.wait_for(lambda: next(
            (m for m in env.fake.sent(STAFF_GROUP) if "document" in m), None))
        assert message["document"]["file_name"] == "ledger-2026-11.xlsx"
        assert "需求台账 2026-11（9 条）" in message["caption"]
        [call] = uploads(env, "sendDocument")
        book = openpyxl.load_workbook(io.BytesIO(call.params["document"].data))
        assert book.sheetnames == ["需求台账", "统计"]
        assert len(list(book["需求台账"].values)) == 10

        await env.staff(AGENT_A, "/export 2026-11 csv")
        csv_message = await env.fake.wait_for(lambda: next(
            (m for m in env.fake.sent(STAFF_GROUP)
             if m.get("document", {}).get("file_name") == "ledger-2026-11.csv"), None))
        data = env.fake.files[csv_message["document"]["file_id"]].data
        assert data.startswith(b"\xef\xbb\xbf") and len(data.decode("utf-8-sig").splitlines()) == 10


async def test_bad_periods_and_outsiders_get_no_files(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling",
                     SME_REPORTS__DIR=str(tmp_path / "reports")) as env:
        await seed(env.services.sessions)
        await env.staff(AGENT_A, "/stats 2026-13")
        await env.reply_to(STAFF_GROUP, "用法：/stats")
        await env.staff(OUTSIDER, "/export 2026-11")
        await env.reply_to(STAFF_GROUP, "不是平台工作人员")
        await env.staff(AGENT_A, "/export 2026-02-30")
        await env.reply_to(STAFF_GROUP, "用法：/export")
        assert not uploads(env, "sendPhoto") and not uploads(env, "sendDocument")
