from pathlib import Path

import pytest

from bot.foundation.settings import ConfigError, Settings, load_settings

REPO = Path(__file__).resolve().parents[2]


def test_documented_config_equals_the_defaults():
    assert load_settings(REPO / "config.yaml", environ={}) == Settings()


def test_environment_overrides(tmp_path):
    settings = load_settings(REPO / "config.yaml", environ={
        "SME_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1/test",
        "SME_KNOWLEDGE__SEMANTIC": "off",
        "SME_ASSISTANT__MAX_QUESTION_CHARS": "500",
        "TELEGRAM_BOT_TOKEN": "123:abc",
    })
    assert settings.database.url.startswith("postgresql+asyncpg://")
    assert settings.knowledge.semantic == "off"
    assert settings.assistant.max_question_chars == 500
    assert settings.telegram.token.get_secret_value() == "123:abc"
    assert "123:abc" not in repr(settings)


@pytest.mark.parametrize("env, key", [
    ({"SME_KNOWLEDGE__SEMANTIC": "maybe"}, "knowledge.semantic"),
    ({"SME_ASSISTANT__MAX_QUESTION_CHARS": "lots"}, "assistant.max_question_chars"),
    ({"SME_DATABASE_URL": "mysql://x"}, "database.url"),
    ({"SME_ASSISTANT__COLOUR": "red"}, "assistant.colour"),
    ({"SME_WEB__MAX_CONNECTIONS": "0"}, "web.max_connections"),
    ({"SME_WEB__HEADER_TIMEOUT_S": "-1"}, "web.header_timeout_s"),
    ({"SME_WEB__BODY_TIMEOUT_S": "forever"}, "web.body_timeout_s"),
])
def test_bad_values_name_the_key(env, key):
    with pytest.raises(ConfigError) as info:
        load_settings(REPO / "config.yaml", environ=env)
    assert key in str(info.value)


def test_secrets_are_refused_in_the_file(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("telegram:\n  token: '123:abc'\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    assert "telegram.token" in str(info.value)


def test_malformed_file_names_the_line(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("database:\n  url: [oops\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    assert "config.yaml" in str(info.value) and "3" in str(info.value)


def test_logs_redact_secrets_and_phone_numbers():
    import logging

    from bot.foundation.logs import Redactor

    record = logging.LogRecord("x", logging.INFO, __file__, 1,
                               "url https://api/bot%s/send to %s", ("123:abc", "13800138000"), None)
    Redactor(["123:abc"]).filter(record)
    assert record.getMessage() == "url https://api/bot***/send to 138****8000"


@pytest.mark.parametrize("phone", [
    "+8613812345678", "8613900001111", "+86 138 1234 5678", "86-13812345678", "138-1234-5678",
    "0771-1234567", "010-12345678", "0755 88889999", "02112345678",
])
def test_logs_mask_every_phone_number_format(phone):
    import logging

    from bot.foundation.logs import Redactor

    digits = "".join(c for c in phone if c.isdigit())
    record = logging.LogRecord("x", logging.DEBUG, __file__, 1, "payload %s, at 2026-12-06",
                               (f'{{"text": "{phone}"}}',), None)
    try:
        raise ValueError(f"bad phone {phone}")
    except ValueError:
        import sys
        record.exc_info = sys.exc_info()
    Redactor([]).filter(record)
    for text in (record.getMessage(), record.exc_text):
        assert "****" in text and digits[-8:-4] not in "".join(c for c in text if c.isdigit())
    assert "2026-12-06" in record.getMessage()  # dates are not phone numbers


def test_refusal_log_lines_are_rate_limited(caplog):
    import logging

    from bot.foundation.logs import Throttled

    now = [0.0]
    throttled = Throttled(logging.getLogger("refusals"), interval_s=60, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="refusals"):
        for _ in range(10_000):
            throttled.warning("refused %s", "x")
        now[0] = 61
        throttled.warning("refused %s", "y")
    assert [r.getMessage() for r in caplog.records] == [
        "refused x", "refused y (and 9999 more since the last such line)"]
