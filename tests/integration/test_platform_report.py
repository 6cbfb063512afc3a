"""The platform's report against a seeded year whose true figures the seeding computes itself
(tests/platform_data.py); `/report` as text, sheet and chart; `sme-assistant report`."""
import struct
from dataclasses import asdict
from datetime import date, datetime, timezone

import openpyxl
import pytest

from bot.app.services import running_services
from bot.app.staff_commands import run_command
from bot.foundation.periods import parse_period
from bot.reports.platform_report import collect_report
from bot.reports.platform_text import wan
from bot.requests.staff_directory import Actor, Role
from tests.platform_data import TZ, seed_year

AGENT = Actor("staff", "7003", "赵工", Role.AGENT)
OUTSIDER = Actor("enterprise", "9999", "路人", None)
DEC_6 = datetime(2026, 12, 6, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
async def seeded(settings, tmp_path):
    settings.reports.dir = tmp_path / "reports"
    async with running_services(settings) as services:
        services.clock = lambda: DEC_6
        truth = await seed_year(services.sessions)
        yield services, truth


async def test_the_figures_are_the_true_figures_of_the_seeded_year(seeded):
    services, truth = seeded
    period = parse_period("year", TZ, date(2026, 12, 6))
    report = await collect_report(services.sessions, period, 0.8, services.settings.outcomes)
    found = {name: getattr(report, name) for name in asdict(truth)}
    assert found == asdict(truth)
    assert truth.needs > 200 and truth.approved and truth.served_by_source.get("visit")
    assert report.rate == truth.resolved / truth.needs


async def test_report_command_text_sheet_and_chart(seeded):
    services, truth = seeded
    result = await run_command(services, AGENT, "report", [])  # this year by default
    assert result.ok
    text = result.text
    assert "平台服务报告 2026" in text
    assert f"服务企业数：{truth.served} 家" in text
    assert f"了解需求数：{truth.needs} 件" in text
    rate = truth.resolved / truth.needs
    assert f"已解决：{truth.resolved} 件，解决率 {rate:.1%}（目标 80.0%）" in text
    assert ("✅ 达标" if rate >= 0.8 else "⚠️ 未达标") in text
    assert f"获得授信 {wan(truth.credit_yuan)} 万元" in text
    assert f"挽回金额 {wan(truth.recovered_yuan)} 万元" in text
    assert f"走访：{truth.visits} 次，{truth.visited} 家企业" in text
    photo, sheet = result.files
    data = open(photo.file_path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (1000, 560)
    book = openpyxl.load_workbook(sheet.file_path)
    values = {row[0]: row[1] for row in book["平台服务报告"].iter_rows(values_only=True)
              if row and row[0]}
    assert values["服务企业数（家）"] == truth.served
    assert values["了解需求数（件）"] == truth.needs
    assert values["已解决（件）"] == truth.resolved
    assert values["解决率目标"] == 0.8
    assert values["获得授信（万元）"] == pytest.approx(truth.credit_yuan / 10_000)


async def test_target_marked_met_and_bad_periods_and_outsiders(seeded):
    services, truth = seeded
    services.settings.reports.resolution_target = 0.1
    assert "✅ 达标" in (await run_command(services, AGENT, "report", ["year"])).text
    bad = await run_command(services, AGENT, "report", ["2026-13"])
    assert not bad.ok and "用法：/report" in bad.text and not bad.files
    refused = await run_command(services, OUTSIDER, "report", [])
    assert not refused.ok and not refused.files


async def test_an_empty_period(seeded):
    services, _ = seeded
    result = await run_command(services, AGENT, "report", ["2025-06"])
    assert "服务企业数：0 家（按来源：—）" in result.text and "解决率 —" in result.text


async def test_the_command_line_report(seeded, tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    services, truth = seeded
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "SME_CONFIG": str(repo / "config.yaml"), "SME_LANG": "zh-CN",
           "SME_DATABASE_URL": services.settings.database.url,
           "SME_KNOWLEDGE__DIR": str(services.settings.knowledge_dir)}
    done = subprocess.run([sys.executable, "-m", "bot", "report", "2026-01-01..2026-12-31",
                           "--output", str(tmp_path / "out")], env=env, capture_output=True,
                          text=True, timeout=120, cwd=repo)
    assert done.returncode == 0, done.stderr
    assert f"服务企业数：{truth.served} 家" in done.stdout
    assert f"了解需求数：{truth.needs} 件" in done.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "platform-report-2026-01-01..2026-12-31.xlsx", "platform-report.png"]
    bad = subprocess.run([sys.executable, "-m", "bot", "report", "2026-13"], env=env,
                         capture_output=True, text=True, timeout=120, cwd=repo)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
