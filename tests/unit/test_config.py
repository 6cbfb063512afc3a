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
