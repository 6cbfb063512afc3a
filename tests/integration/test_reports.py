"""/stats and /export on a seeded month: the figures, the charts, the workbook, the CSV, the
command line and the terminal."""
import asyncio
import csv
import io
import os
import struct
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import event, select

from bot.foundation.settings import load_settings
from bot.channels.console_chat import run_console
from bot.foundation.periods import parse_period
from bot.reports.ledger import ledger_rows
from bot.reports.stats import bucket_starts, collect
from bot.app.services import running_services
from bot.requests.staff_directory import Actor, Role
from bot.app.staff_commands import run_command
from storage.models import StaffAction
from tests.reports_data import EXPECTED, FORMULA, TZ, seed

REPO = Path(__file__).resolve().parents[2]
AGENT = Actor("staff", "7003", "赵工", Role.AGENT)
OUTSIDER = Actor("telegram", "9999", "路人", None)
NOVEMBER_27 = datetime(2026, 11, 27, 3, 0, tzinfo=timezone.utc)

HEADERS = ["编号", "登记时间", "企业名称", "统一社会信用代码", "联系人", "联系电话", "所属行业", "需求类别", "需求描述",
           "办理状态", "处理人", "首次响应时间", "首次响应用时（工作小时）", "办结时间",
           "办结用时（工作小时）", "满意度", "转办部门", "回访结果"]
C1 = ("甲科技有限公司", "91350100M000100Y43", "联系人", "13800138000", "制造业")
C2 = ("乙软件有限公司", "91350100M000200Y21", "联系人", "13800138000", "软件和信息技术服务")
ERASED = (None,) * 5  # /deleteme removed the profile


def d(text):
    return datetime.strptime(f"2026-{text}", "%Y-%m-%d %H:%M") if text else None


# Every column of every row of November 2026 (request numbers are the seeding order).
LEDGER = [
    (1, d("11-01 00:10"), *C1, "其他", "周日凌晨提交的咨询", "待企业回复", "李工<2>",
     d("11-02 10:00"), 1.0, None, None, None, None, None),
    (2, d("11-06 16:30"), *C1, "融资", "申请科技贷款", "已解决", "王工",
     d("11-09 09:30"), 1.5, d("11-10 10:00"), 9.0, 5, None, "已解决"),
    (3, d("11-09 10:00"), *C1, "法律咨询", "合同纠纷咨询", "已关闭", "李工<2>",
     d("11-09 11:00"), 1.0, d("11-09 14:30"), 3.0, None, None, None),
    (4, d("11-11 09:00"), *C2, "法律咨询", FORMULA, "已转办", "李工<2>",
     d("11-11 13:30"), 3.0, None, None, None, "市市场监管局", None),
    (5, d("11-12 15:00"), *C2, "项目申报", "高企认定材料清单", "新建", None,
     None, None, None, None, None, None, None),
    (6, d("11-16 09:00"), *ERASED, "人力资源", "[已删除]", "已解决", "王工",
     d("11-16 09:10"), 0.17, d("11-17 09:00"), 7.0, 2, None, "未解决"),
    (7, d("11-21 10:00"), *C1, "政策咨询", "周六提交的政策咨询", "已解决", "王工",
     d("11-23 09:00"), 0.0, d("11-23 12:00"), 3.0, 4, None, None),
    (8, d("11-25 09:00"), *C2, "数字化转型", "上云补贴", "处理中", "王工",
     d("11-25 11:00"), 2.0, None, None, None, None, None),
    (9, d("11-30 23:30"), *C2, "市场开拓", "参加展会", "新建", None,
     None, None, None, None, None, None, None),
]


@pytest.fixture
def report_settings(database_url, tmp_path, kb_dir):
    return load_settings(environ={
        "SME_CONFIG": str(REPO / "config.yaml"), "SME_DATABASE_URL": database_url,
        "SME_KNOWLEDGE__DIR": str(kb_dir), "SME_KNOWLEDGE__SEMANTIC": "off",
        "SME_KNOWLEDGE__CACHE_DIR": str(tmp_path / "cache"),
        "SME_REPORTS__DIR": str(tmp_path / "reports")})


@pytest.fixture
async def services(report_settings):
    async with running_services(report_settings) as services:
        services.clock = lambda: NOVEMBER_27
        await seed(services.sessions)
        yield services


@pytest.fixture
def services_seeded_url(report_settings):
    """The database of `report_settings`, seeded, with no service left running."""
    async def prepare():
        async with running_services(report_settings) as services:
            await seed(services.sessions)

    asyncio.run(prepare())
    return report_settings.database.url


def november():
    return parse_period("2026-11", TZ, date(2026, 11, 27))


def png_size(path: Path) -> tuple[int, int]:
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


async def test_statistics_of_a_seeded_month(services):
    stats = await collect(services.sessions, november(), services.calendar)
    for name in ("enterprises", "logged", "resolved", "by_category", "by_status", "ratings",
                 "questions", "topics"):
        assert getattr(stats, name) == EXPECTED[name], name
    assert stats.resolution_rate == pytest.approx(4 / 9)
    # medians in working hours, across a weekend (Friday → Monday, a Saturday request)
    assert stats.first_response_h == pytest.approx(EXPECTED["first_response_h"])
    assert stats.resolution_h == pytest.approx(EXPECTED["resolution_h"])
    assert stats.rating_average == pytest.approx(11 / 3) and stats.rated == 3
    staff = {s.assignee_id: s for s in stats.staff}
    assert staff.keys() == EXPECTED["staff"].keys()
    for assignee, figures in EXPECTED["staff"].items():
        for name, value in figures.items():
            assert getattr(staff[assignee], name) == pytest.approx(value), (assignee, name)
    assert [(b.label, b.logged, b.resolved) for b in stats.buckets] == EXPECTED["buckets"]
    assert not stats.by_month


async def test_long_periods_are_counted_by_month(services):
    year = parse_period("2026-01-01..2026-12-31", TZ, date(2026, 11, 27))
    stats = await collect(services.sessions, year, services.calendar)
    assert stats.by_month and len(stats.buckets) == 12
    assert {b.label: b.logged for b in stats.buckets if b.logged} == {
        "2026-10": 1, "2026-11": 9, "2026-12": 1}
    assert stats.logged == 11
    starts, by_month = bucket_starts(parse_period("2026-11-10..2026-12-05", TZ, date.today()))
    assert not by_month and starts == [date(2026, 11, 10), date(2026, 11, 16),
                                       date(2026, 11, 23), date(2026, 11, 30)]


async def test_stats_command_text_and_charts(services):
    result = await run_command(services, AGENT, "stats", ["2026-11"])
    assert result.ok
    text = result.text
    assert "统计报表 2026-11" in text and "2026-11-01 至 2026-11-30" in text
    assert "服务企业：4 家" in text
    assert "登记需求：9 件，已解决或已关闭 4 件，解决率 44.4%" in text
    assert "首次响应中位数：1.0 工作小时；办结中位数：5.0 工作小时" in text
    assert "平均 3.67 分（3 件评价）" in text and "★★★★★ 1" in text
    assert "法律咨询 2" in text and "待企业回复 1" in text
    assert "王工：处理 4，解决 3，首次响应 0.8 h，办结 7.0 h，评分 3.67" in text
    assert "李工&lt;2&gt;：处理 3，解决 1" in text and "李工<2>" not in text  # escaped
    assert "提问 5 次：直接回答 3，推荐相近问题 1，未能回答 1" in text
    assert "1. 试用期最长可以约定多久？（2 次）" in text
    assert "热门主题：劳动用工 3　货款拖欠与债权 1" in text
    assert [f.kind for f in result.files] == ["photo", "photo"]
    assert "每周登记需求与解决率" in result.files[0].text
    for file in result.files:
        path = Path(file.file_path)
        assert path.is_relative_to(services.settings.reports.dir)
        assert png_size(path) == (1000, 560)


async def test_stats_for_a_period_without_requests_and_the_default_period(services):
    services.clock = lambda: datetime(2027, 2, 10, 3, 0, tzinfo=timezone.utc)
    result = await run_command(services, AGENT, "stats", [])
    assert result.ok and "统计报表 2027-02" in result.text
    assert "本期没有登记的需求" in result.text and result.files == []
    services.clock = lambda: NOVEMBER_27
    assert "统计报表 2026-11" in (await run_command(services, AGENT, "stats", [])).text


@pytest.mark.parametrize("command, args", [("stats", ["2026-13"]), ("stats", ["下周"]),
                                           ("export", ["2026-02-30", "csv"]),
                                           ("export", ["xls"])])
async def test_a_bad_period_gets_the_usage_and_no_file(services, command, args):
    result = await run_command(services, AGENT, command, args)
    assert not result.ok and result.text.startswith("用法：/" + command)
    assert result.files == []
    assert not any(services.settings.reports.dir.glob("*/*"))


async def test_outsiders_may_not_see_reports(services):
    for command in ("stats", "export"):
        result = await run_command(services, OUTSIDER, command, ["2026-11"])
        assert not result.ok and "不是平台工作人员" in result.text and result.files == []
    async with services.sessions() as session:
        refused = set(await session.scalars(select(StaffAction.action).where(
            StaffAction.outcome == "refused")))
    assert refused == {"stats", "export"}


async def test_export_workbook_every_column(services):
    result = await run_command(services, AGENT, "export", ["2026-11"])
    assert result.ok and "9 条" in result.text
    [file] = result.files
    assert file.kind == "document" and file.file_path.endswith("ledger-2026-11.xlsx")
    book = openpyxl.load_workbook(file.file_path)
    assert book.sheetnames == ["需求台账", "统计"]
    ledger = book["需求台账"]
    rows = list(ledger.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert len(rows) == 1 + len(LEDGER)
    for got, want in zip(rows[1:], LEDGER):
        assert len(got) == len(want) == len(HEADERS)
        for header, value, expected in zip(HEADERS, got, want):
            if isinstance(expected, float):
                assert value == pytest.approx(expected, abs=0.01), (want[0], header)
            else:
                assert value == expected, (want[0], header)
    # real Excel dates, a formula typed by an enterprise kept as text, a usable sheet
    assert ledger["B2"].is_date and ledger["B2"].number_format == "yyyy-mm-dd hh:mm"
    assert ledger["L2"].is_date and ledger["N3"].is_date
    assert ledger["I5"].data_type == "s" and ledger["I5"].value == FORMULA
    assert ledger.freeze_panes == "A2" and ledger.auto_filter.ref == "A1:R10"
    assert ledger.column_dimensions["I"].width > ledger.column_dimensions["A"].width
    figures = {row[0]: row[1] for row in book["统计"].iter_rows(values_only=True) if row[0]}
    assert figures["服务企业（家）"] == 4 and figures["登记需求（件）"] == 9
    assert figures["已解决或已关闭（件）"] == 4
    assert figures["解决率"] == pytest.approx(4 / 9)
    assert figures["首次响应用时中位数（工作小时）"] == pytest.approx(1.0)
    assert figures["办结用时中位数（工作小时）"] == pytest.approx(5.0)
    assert figures["法律咨询"] == 2 and figures["已转办"] == 1 and figures["王工"] == 4


async def test_export_csv_has_a_bom_and_round_trips(services):
    result = await run_command(services, AGENT, "export", ["2026-11", "CSV"])
    [file] = result.files
    assert file.file_path.endswith("ledger-2026-11.csv")
    raw = Path(file.file_path).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == HEADERS and len(rows) == 1 + len(LEDGER)
    text = lambda v: (v.strftime("%Y-%m-%d %H:%M") if isinstance(v, datetime)  # noqa: E731
                      else "" if v is None else str(v))
    for got, want in zip(rows[1:], LEDGER):
        expected = [text(v) for v in want]
        if want[8] == FORMULA:  # a spreadsheet must not evaluate what an enterprise typed
            expected[8] = "'" + FORMULA
        assert got == expected, want[0]


async def test_the_ledger_is_read_in_batches(services):
    statements = []
    event.listen(services.engine.sync_engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))
    batches = [[row.number for row in rows] async for rows in ledger_rows(
        services.sessions, november(), services.calendar, batch=4)]
    assert batches == [[1, 2, 3, 4], [5, 6, 7, 8], [9]]
    # the period's bounds, then one query per batch: none past the period's last request
    assert len([s for s in statements if "FROM tickets" in s]) == 1 + 3


async def test_export_of_an_empty_period(services):
    result = await run_command(services, AGENT, "export", ["2026-01", "xlsx"])
    assert result.ok and "0 条" in result.text
    rows = list(openpyxl.load_workbook(result.files[0].file_path).worksheets[0].values)
    assert rows == [tuple(HEADERS)]


async def test_console_staff_mode_prints_the_files(report_settings):
    async with running_services(report_settings) as services:
        await seed(services.sessions)
        out: list[str] = []

        async def lines():
            for line in ("/as staff", "/stats 2026-11", "/export 2026-11 csv", "/quit"):
                yield line + "\n"

        await run_console(services, "zh-CN", lines(), out.append)
    text = "\n".join(out)
    assert "解决率 44.4%" in text
    assert text.count("trend.png") == 1 and "categories.png" in text
    assert "ledger-2026-11.csv" in text


def test_command_line_export(services_seeded_url, tmp_path, kb_dir):
    output = tmp_path / "out" / "台账.csv"
    env = {**os.environ, "SME_CONFIG": str(REPO / "config.yaml"),
           "SME_DATABASE_URL": services_seeded_url, "SME_KNOWLEDGE__DIR": str(kb_dir),
           "SME_REPORTS__DIR": str(tmp_path / "reports")}
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "bot", "export", *args], env=env, capture_output=True,
        text=True, timeout=120, cwd=REPO)
    done = run("--period", "2026-11", "--format", "csv", "--output", str(output))
    assert done.returncode == 0, done.stderr
    assert "已导出 9 条需求（2026-11）" in done.stdout
    assert output.read_bytes().startswith(b"\xef\xbb\xbf")
    assert len(output.read_text(encoding="utf-8-sig").splitlines()) == 10
    done = run("--period", "2026-01-01..2026-12-31")
    assert done.returncode == 0, done.stderr
    book = tmp_path / "reports" / "ledger-2026-01-01_2026-12-31.xlsx"
    assert len(list(openpyxl.load_workbook(book).worksheets[0].values)) == 12
    done = run("--period", "next week")
    assert done.returncode == 2 and "无法识别的期间" in done.stderr and not done.stdout
