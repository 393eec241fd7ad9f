"""Settings: `.env.example` stays complete and true, and errors are one actionable line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import __main__ as entry
from bot.config import ConfigError, Settings, load_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = REPO_ROOT / ".env.example"
TOKEN = "123456:TEST-token-that-must-never-be-shown"
FIELD_NAMES = {name.upper() for name in Settings.model_fields}
SECRET_FIELDS = {
    "TELEGRAM_BOT_TOKEN",
    "TRONSAVE_API_KEY",
    "FEEE_API_KEY",
    "TRONGRID_API_KEY",
    "WEBHOOK_SECRET_TOKEN",
}
ASSIGNMENT = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No Settings variable from the developer's shell, and no `.env` in the cwd."""
    for name in FIELD_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def example_assignments() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = ASSIGNMENT.match(line)
        if match:
            assert match.group(1) not in values, f"{match.group(1)} is set twice in .env.example"
            values[match.group(1)] = match.group(2)
    return values


def example_comments() -> dict[str, str]:
    """The comment block directly above each assignment."""
    comments: dict[str, str] = {}
    block: list[str] = []
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = ASSIGNMENT.match(line)
        if match:
            comments[match.group(1)] = " ".join(block)
            block = []
        elif line.startswith("#"):
            block.append(line.lstrip("# "))
        else:
            block = []
    return comments


def settings_from_example(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TRONSAVE_API_KEY", "tronsave-test-key")
    return Settings(_env_file=ENV_EXAMPLE)


def test_every_setting_is_in_env_example_and_nothing_else() -> None:
    documented = set(example_assignments())
    assert FIELD_NAMES - documented == set(), "settings missing from .env.example"
    assert documented - FIELD_NAMES == set(), ".env.example names unknown settings"


def test_env_example_comments_each_setting_with_its_default() -> None:
    comments = example_comments()
    for name in FIELD_NAMES:
        text = comments.get(name, "")
        assert "Default" in text or "REQUIRED" in text, f"{name}: no default/required comment"
    assert "REQUIRED" in comments["TELEGRAM_BOT_TOKEN"]
    assert "api-dev.tronsave.io" in comments["TRONSAVE_BASE_URL"]


def test_env_example_holds_no_secrets() -> None:
    values = example_assignments()
    for name in SECRET_FIELDS:
        assert values[name] == "", f"{name} must be left empty in .env.example"


def test_env_example_values_are_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_from_example(monkeypatch)
    for name, field in Settings.model_fields.items():
        if name.upper() in SECRET_FIELDS:
            continue
        assert getattr(settings, name) == field.default, f"{name.upper()} in .env.example"


def test_documented_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_from_example(monkeypatch)
    assert settings.telegram_bot_token.get_secret_value() == TOKEN
    assert settings.telegram_base_url == "https://api.telegram.org/bot"
    assert settings.tronsave_base_url == "https://api.tronsave.io"
    assert settings.tronsave_min_interval_seconds == 2.0
    assert settings.tronsave_track_chunk_size is None
    assert settings.feee_api_key is None
    assert settings.feee_base_url == "https://feee.io/open"
    assert settings.feee_user_agent == "Feee.io Client/1.0.0 (https://feee.io)"
    assert settings.feee_requests_per_second == 5.0
    assert settings.database_path == Path("data/bot.sqlite3")
    assert settings.allowed_user_ids == frozenset()
    assert settings.poll_interval_seconds == 10.0
    assert settings.default_deadline_seconds == 300
    assert settings.deadline_grace_seconds == 60
    assert settings.http_timeout_seconds == 15.0
    assert settings.heartbeat_path is None
    assert settings.effective_heartbeat_path == Path("data/heartbeat")
    assert settings.log_level == "INFO"
    assert settings.outbox_retention_days == 30
    assert settings.order_retention_days == 365


def test_env_example_without_token_names_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEEE_API_KEY", "feee-test-key")
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        load_settings(_env_file=ENV_EXAMPLE)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1, 2,3", frozenset({1, 2, 3})),
        ("42", frozenset({42})),
        ("", frozenset()),
    ],
)
def test_allowed_user_ids_from_env(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: frozenset[int]
) -> None:
    monkeypatch.setenv("ALLOWED_USER_IDS", raw)
    settings = load_settings(_env_file=None, telegram_bot_token=TOKEN, feee_api_key="k")
    assert settings.allowed_user_ids == expected


def test_allowed_user_ids_not_numeric_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ALLOWED_USER_IDS", "abc")
    with pytest.raises(ConfigError) as info:
        load_settings(_env_file=None, telegram_bot_token=TOKEN, feee_api_key="k")
    message = str(info.value)
    assert "ALLOWED_USER_IDS" in message
    assert "\n" not in message
    assert TOKEN not in message


def test_missing_token_says_what_and_how_to_fix() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(_env_file=None, tronsave_api_key="k")
    message = str(info.value)
    assert "TELEGRAM_BOT_TOKEN" in message
    assert "required" in message
    assert ".env" in message
    assert "\n" not in message


def test_no_provider_key_says_so() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(_env_file=None, telegram_bot_token=TOKEN)
    message = str(info.value)
    assert "no provider" in message
    assert "TRONSAVE_API_KEY" in message
    assert "FEEE_API_KEY" in message
    assert TOKEN not in message


def test_blank_provider_key_counts_as_missing() -> None:
    with pytest.raises(ConfigError, match="no provider"):
        load_settings(_env_file=None, telegram_bot_token=TOKEN, tronsave_api_key="  ")


def test_token_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_from_example(monkeypatch)
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings)
    assert "tronsave-test-key" not in repr(settings)

    monkeypatch.setenv("POLL_INTERVAL_SECONDS", "-1")
    with pytest.raises(ConfigError) as info:
        load_settings(_env_file=ENV_EXAMPLE)
    assert "POLL_INTERVAL_SECONDS" in str(info.value)
    assert TOKEN not in str(info.value)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("TELEGRAM_BASE_URL", "http://localhost:8081/bot/", "http://localhost:8081/bot"),
        ("TRONSAVE_BASE_URL", "https://api-dev.tronsave.io/", "https://api-dev.tronsave.io"),
        ("FEEE_BASE_URL", "https://feee.io/open//", "https://feee.io/open"),
    ],
)
def test_base_url_trailing_slash_stripped(
    monkeypatch: pytest.MonkeyPatch, name: str, raw: str, expected: str
) -> None:
    monkeypatch.setenv(name, raw)
    settings = load_settings(_env_file=None, telegram_bot_token=TOKEN, tronsave_api_key="k")
    assert getattr(settings, name.lower()) == expected


def test_base_url_without_scheme_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRONSAVE_BASE_URL", "api.tronsave.io")
    with pytest.raises(ConfigError, match="TRONSAVE_BASE_URL"):
        load_settings(_env_file=None, telegram_bot_token=TOKEN, tronsave_api_key="k")


def test_blank_heartbeat_path_means_next_to_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEARTBEAT_PATH", "")
    monkeypatch.setenv("DATABASE_PATH", "/data/bot.sqlite3")
    settings = load_settings(_env_file=None, telegram_bot_token=TOKEN, tronsave_api_key="k")
    assert settings.heartbeat_path is None
    assert settings.effective_heartbeat_path == Path("/data/heartbeat")


def test_explicit_heartbeat_path_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEARTBEAT_PATH", "/run/bot/alive")
    settings = load_settings(_env_file=None, telegram_bot_token=TOKEN, tronsave_api_key="k")
    assert settings.effective_heartbeat_path == Path("/run/bot/alive")


def test_readme_table_lists_every_setting() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", readme, flags=re.MULTILINE))
    assert FIELD_NAMES - listed == set(), "settings missing from the README's table"
    assert listed - FIELD_NAMES == set(), "the README's table names unknown settings"


def test_chain_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRON_NODE_URL", "http://127.0.0.1:8090/")
    monkeypatch.setenv("TRONGRID_API_KEY", "trongrid-test-key")
    monkeypatch.setenv("TRON_REQUESTS_PER_SECOND", "4")
    settings = load_settings(_env_file=None, telegram_bot_token=TOKEN, tronsave_api_key="k")
    assert settings.tron_node_url == "http://127.0.0.1:8090"
    assert settings.trongrid_api_key is not None
    assert settings.trongrid_api_key.get_secret_value() == "trongrid-test-key"
    assert "trongrid-test-key" not in repr(settings)
    assert settings.make_pacer().min_interval == 0.25


def test_chain_defaults_and_a_blank_trongrid_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRONGRID_API_KEY", " ")
    settings = load_settings(_env_file=None, telegram_bot_token=TOKEN, tronsave_api_key="k")
    assert settings.trongrid_api_key is None
    assert settings.tron_node_url == "https://api.trongrid.io"
    assert settings.tron_requests_per_second == 5.0
    assert settings.tron_timeout_seconds == 10.0
    assert settings.tron_energy_fee_cache_seconds == 600.0


def test_tron_node_url_without_scheme_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRON_NODE_URL", "api.trongrid.io")
    with pytest.raises(ConfigError, match="TRON_NODE_URL"):
        load_settings(_env_file=None, telegram_bot_token=TOKEN, tronsave_api_key="k")


def test_every_secret_setting_is_masked_in_logs() -> None:
    secret_fields = {
        name.upper()
        for name, field in Settings.model_fields.items()
        if "SecretStr" in str(field.annotation)
    }
    assert secret_fields == SECRET_FIELDS
    assert secret_fields <= entry._SECRET_NAMES
