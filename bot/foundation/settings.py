"""Typed settings: `config.yaml` + environment overrides, validated at start.

Precedence (lowest first): defaults in this module, the YAML file (`SME_CONFIG` or
`./config.yaml`), then environment variables `SME_<SECTION>__<KEY>` (e.g.
`SME_KNOWLEDGE__SEMANTIC=off`) and the named ones below. Secrets come only from the environment.
"""
from __future__ import annotations

import os
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, ValidationError, field_validator

from .i18n import cli_lang, t

NAMED_ENV = {
    "SME_DATABASE_URL": ("database", "url"),
    "TELEGRAM_BOT_TOKEN": ("telegram", "token"),
    "SME_WEBHOOK_SECRET": ("telegram", "webhook_secret"),
}
SECRET_KEYS = {("telegram", "token"), ("telegram", "webhook_secret")}


def _flat_list(value: Any) -> Any:
    """The environment gives lists as `a,b,c`; config.yaml may group items in sublists (the
    days of one holiday)."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [x for item in value for x in (item if isinstance(item, list) else [item])]
    return value


T = TypeVar("T")
Listed = Annotated[list[T], BeforeValidator(_flat_list)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatabaseSettings(Section):
    url: str = Field("sqlite+aiosqlite:///var/sme-assistant.db")
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _supported(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db")
        return value


class KnowledgeSettings(Section):
    dir: Path | None = None
    semantic: Literal["auto", "on", "off"] = "auto"
    cache_dir: Path = Path("var/cache")


class AssistantSettings(Section):
    default_language: Literal["zh-CN", "en"] = "zh-CN"
    max_question_chars: int = Field(2000, ge=10, le=100_000)
    flood_messages: int = Field(12, ge=1)
    flood_window_s: float = Field(10.0, gt=0)


class TelegramSettings(Section):
    token: SecretStr | None = None
    webhook_secret: SecretStr | None = None
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    webhook_url: str | None = None
    webhook_path: str = "/telegram/webhook"
    poll_timeout: int = Field(30, ge=0, le=50)
    pace_chat_s: float = Field(1.0, ge=0)
    pace_group_per_minute: int = Field(20, ge=1)
    pace_overall_per_s: int = Field(30, ge=1)
    replay_after_s: float = Field(30.0, gt=0)
    max_update_attempts: int = Field(3, ge=1, le=100)


class WebSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    # Slow and excess clients (bot/channels/web_guard.py): connections open at once, seconds
    # for a request's head to arrive (and a kept-alive connection to stay idle), for its body.
    max_connections: int = Field(200, ge=1, le=100_000)
    header_timeout_s: float = Field(10.0, gt=0, le=300)
    body_timeout_s: float = Field(30.0, gt=0, le=600)


class StaffSettings(Section):
    chat_id: int | None = None
    use_topics: bool = True
    agents: Listed[int] = []
    supervisors: Listed[int] = []
    admins: Listed[int] = []


def _days(first: str, count: int) -> list[date]:
    start = date.fromisoformat(first)
    return [start + timedelta(days=n) for n in range(count)]


def parse_hours(spans: list[str]) -> list[tuple[time, time]]:
    """`["09:00-12:00", "13:30-17:30"]` → sorted, non-overlapping (start, end) pairs."""
    parsed = []
    for span in spans:
        start_text, sep, end_text = span.partition("-")
        if not sep:
            raise ValueError(f"{span!r}: expected HH:MM-HH:MM")
        start, end = time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())
        if start >= end:
            raise ValueError(f"{span!r}: the end must be after the start")
        parsed.append((start, end))
    parsed.sort()
    for (_, end), (start, _) in zip(parsed, parsed[1:]):
        if start < end:
            raise ValueError(f"{spans!r}: working hours overlap")
    return parsed


class CalendarSettings(Section):
    """The working calendar that service-level targets and report durations count in."""

    timezone: str = "Asia/Shanghai"
    workdays: Listed[int] = [1, 2, 3, 4, 5]  # ISO weekdays: 1 = Monday
    hours: Listed[str] = ["09:00-12:00", "13:30-17:30"]
    # China's 2026 public holidays and make-up working days (调休上班), from the State Council
    # notice 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04); config.yaml lists them by holiday.
    holidays: Listed[date] = [*_days("2026-01-01", 3), *_days("2026-02-15", 9),
                            *_days("2026-04-04", 3), *_days("2026-05-01", 5),
                            *_days("2026-06-19", 3), *_days("2026-09-25", 3),
                            *_days("2026-10-01", 7)]
    makeup_workdays: Listed[date] = [date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28),
                                   date(2026, 5, 9), date(2026, 9, 20), date(2026, 10, 10)]

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("an IANA time zone such as Asia/Shanghai") from exc
        return value

    @field_validator("workdays")
    @classmethod
    def _iso_weekdays(cls, value: list[int]) -> list[int]:
        if any(day < 1 or day > 7 for day in value):
            raise ValueError("ISO weekdays, 1 (Monday) to 7 (Sunday)")
        return value

    @field_validator("hours")
    @classmethod
    def _working_hours(cls, value: list[str]) -> list[str]:
        parse_hours(value)
        return value


class SlaSettings(Section):
    """Targets in working hours; reminders before them, supervisors alerted when missed."""

    first_response_hours: float = Field(8.0, gt=0)
    resolution_hours: float = Field(40.0, gt=0)
    remind_before_minutes: int = Field(60, ge=0)
    check_interval_s: float = Field(60.0, gt=0)
    followup_days: int = Field(7, ge=0)  # 0 = no follow-up visits


INDUSTRIES = ["制造业", "批发和零售业", "软件和信息技术服务业", "建筑业", "交通运输和物流",
              "住宿和餐饮业", "科学研究和技术服务业", "租赁和商务服务业", "农林牧渔业",
              "文化、体育和娱乐业", "居民服务和其他服务业", "其他"]


class IntakeSettings(Section):
    """The request intake: the industries an enterprise may pick (所属行业, optional)."""

    industries: Listed[str] = INDUSTRIES

    @field_validator("industries")
    @classmethod
    def _industries(cls, value: list[str]) -> list[str]:
        names = [name.strip() for name in value]
        if not all(names) or len(set(names)) != len(names):
            raise ValueError("industries must be distinct, non-empty names")
        if any(len(name) > 64 for name in names):
            raise ValueError("an industry name has at most 64 characters")
        return names


class ReportsSettings(Section):
    """Statistics charts and ledger exports (/stats, /export) are written here."""

    dir: Path = Path("var/reports")
    keep_days: int = Field(7, ge=1)  # report folders older than this are removed
    resolution_target: float = Field(0.8, gt=0, le=1)  # 解决率 target marked in /report


OUTCOME_KINDS = ("financing", "project", "legal", "other")


class OutcomesSettings(Section):
    """What resolving a request asks for, by the outcome kind of its category (categories not
    listed give a short result), and the bounds of what is accepted."""

    kinds: dict[str, Literal["financing", "project", "legal", "other"]] = {
        "financing": "financing", "project": "project", "legal": "legal"}
    programmes: Listed[str] = ["高企", "科小", "专精特新", "小巨人", "名优产品目录", "扶持资金"]
    levels: Listed[str] = ["国家", "自治区", "市"]
    # One amount (credit granted, disbursed, recovered) above this many 万元 is refused as a
    # typing error: 1,000,000 万元 = 100 亿元.
    max_amount_wan: float = Field(1_000_000, gt=0)

    def kind_of(self, category: str) -> str:
        return self.kinds.get(category, "other")


class BroadcastSettings(Section):
    """Notices to subscribed enterprises (sent at Telegram's pace, after interactive answers)."""

    progress_interval_s: float = Field(5.0, gt=0)  # between edits of the staff's progress message


class RetentionSettings(Section):
    """How long processed updates and sent outbox messages are kept."""

    days: int = Field(30, ge=1, le=3650)


class LoggingSettings(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # The terminal chat logs here instead of between the lines of the conversation.
    chat_file: str = "var/sme-assistant-chat.log"


class Settings(Section):
    database: DatabaseSettings = DatabaseSettings()
    knowledge: KnowledgeSettings = KnowledgeSettings()
    assistant: AssistantSettings = AssistantSettings()
    telegram: TelegramSettings = TelegramSettings()
    staff: StaffSettings = StaffSettings()
    web: WebSettings = WebSettings()
    calendar: CalendarSettings = CalendarSettings()
    sla: SlaSettings = SlaSettings()
    intake: IntakeSettings = IntakeSettings()
    broadcast: BroadcastSettings = BroadcastSettings()
    reports: ReportsSettings = ReportsSettings()
    outcomes: OutcomesSettings = OutcomesSettings()
    retention: RetentionSettings = RetentionSettings()
    logging: LoggingSettings = LoggingSettings()

    @property
    def knowledge_dir(self) -> Path:
        from knowledge.service import BUNDLED_DIR

        return self.knowledge.dir or BUNDLED_DIR


class ConfigError(Exception):
    """A configuration problem, already phrased for the person starting the assistant."""


def _set(tree: dict, path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        node = tree.setdefault(key, {})
        if not isinstance(node, dict):
            raise ConfigError(t("config.not_a_section", cli_lang(), key=".".join(path[:-1])))
        tree = node
    tree[path[-1]] = value


def _env_overrides(environ: dict[str, str]) -> list[tuple[tuple[str, ...], str]]:
    overrides = []
    for name, value in environ.items():
        if name in NAMED_ENV:
            overrides.append((NAMED_ENV[name], value))
        elif name.startswith("SME_") and "__" in name:
            path = tuple(part.lower() for part in name[4:].split("__"))
            overrides.append((path, value))
    return overrides


def _format_error(exc: ValidationError, source: str) -> str:
    lang = cli_lang()
    lines = [t("config.invalid", lang, source=source)]
    for error in exc.errors():
        key = ".".join(str(p) for p in error["loc"])
        if error["type"] == "extra_forbidden":
            lines.append(t("config.unknown_key", lang, key=key))
        else:
            lines.append(t("config.bad_value", lang, key=key, expected=error["msg"],
                           value=error.get("input")))
    return "\n".join(lines)


def load_settings(path: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    environ = dict(os.environ if environ is None else environ)
    lang = cli_lang()
    if path is None:
        path = Path(environ["SME_CONFIG"]) if environ.get("SME_CONFIG") else Path("config.yaml")
        if not path.exists() and "SME_CONFIG" not in environ:
            path = None
    tree: dict = {}
    source = "defaults"
    if path is not None:
        source = str(path)
        try:
            tree = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise ConfigError(t("config.unreadable", lang, path=path, error=exc)) from exc
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark else "?"
            raise ConfigError(t("config.yaml_error", lang, path=path, line=line,
                                error=getattr(exc, "problem", exc))) from exc
        if not isinstance(tree, dict):
            raise ConfigError(t("config.not_mapping", lang, path=path))
        for section, key in SECRET_KEYS:
            if isinstance(tree.get(section), dict) and tree[section].get(key):
                raise ConfigError(t("config.secret_in_file", lang, key=f"{section}.{key}"))
    for key_path, value in _env_overrides(environ):
        _set(tree, key_path, value)
    try:
        return Settings.model_validate(tree)
    except ValidationError as exc:
        raise ConfigError(_format_error(exc, source)) from exc
