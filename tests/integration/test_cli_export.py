"""`sme-assistant export` as a user runs it (issue 15, item 10): quiet, documented periods,
the file's format never at odds with its name."""
from __future__ import annotations

import csv

import openpyxl

from tests.integration.test_cli import REPO, cli, env  # noqa: F401 (fixture)


def test_export_prints_only_its_result(env, tmp_path):
    output = tmp_path / "ledger.xlsx"
    done = cli(env, "export", "--period", "year", "--output", str(output))
    assert done.returncode == 0, done.stderr
    assert "INFO" not in done.stderr and "alembic" not in done.stderr.lower()
    assert done.stdout.strip().startswith("已导出 0 条需求")


def test_export_help_and_period_error_name_every_period(env):
    helped = cli(env, "export", "--help")
    refused = cli(env, "export", "--period", "someday")
    assert refused.returncode == 2
    for text in (" ".join(helped.stdout.split()), refused.stderr):
        for period in ("lastmonth", "year", "2026-11-27"):
            assert period in text


def test_export_format_follows_the_suffix(env, tmp_path):
    output = tmp_path / "ledger.csv"
    done = cli(env, "export", "--output", str(output))
    assert done.returncode == 0, done.stderr
    with output.open(encoding="utf-8-sig") as file:
        assert next(csv.reader(file))[0]  # a CSV header, not a zip archive
    workbook = tmp_path / "ledger.xlsx"
    assert cli(env, "export", "--output", str(workbook)).returncode == 0
    openpyxl.load_workbook(workbook)


def test_export_refuses_a_format_at_odds_with_the_name(env, tmp_path):
    output = tmp_path / "x.xlsx"
    done = cli(env, "export", "--format", "csv", "--output", str(output))
    assert done.returncode == 2
    assert "--format csv" in done.stderr and ".xlsx" in done.stderr
    assert not output.exists()


def test_readme_documents_what_make_run_calls():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "sme-assistant start" in makefile
    assert "`sme-assistant start`" in (REPO / "README.md").read_text(encoding="utf-8")
