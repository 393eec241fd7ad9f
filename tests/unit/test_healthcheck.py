"""`python -m bot.healthcheck`: exit 0 on a fresh heartbeat, 1 (with a reason) otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.config import Settings
from bot.healthcheck import heartbeat_path_from_env, main, max_age_from_env, touch_heartbeat

ENV_NAMES = ("HEARTBEAT_PATH", "DATABASE_PATH", "POLL_INTERVAL_SECONDS", "TELEGRAM_BOT_TOKEN")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def heartbeat(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / "state" / "heartbeat"
    monkeypatch.setenv("HEARTBEAT_PATH", str(path))
    return path


def test_fresh_heartbeat_is_healthy(heartbeat: Path, capsys: pytest.CaptureFixture[str]) -> None:
    touch_heartbeat(heartbeat)
    assert main() == 0
    assert capsys.readouterr().out.startswith("ok")


def test_stale_heartbeat_is_unhealthy(heartbeat: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Default limit: 3 * 10 s + 60 s = 90 s.
    touch_heartbeat(heartbeat, now=time.time() - 91)
    assert main() == 1
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert "ago" in out
    assert str(heartbeat) in out


def test_missing_heartbeat_is_unhealthy(
    heartbeat: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main() == 1
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert "does not exist" in out


def test_garbage_heartbeat_is_unhealthy(
    heartbeat: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    heartbeat.parent.mkdir(parents=True)
    heartbeat.write_text("not a time\n", encoding="ascii")
    assert main() == 1
    assert "not a unix time" in capsys.readouterr().out


def test_max_age_follows_poll_interval(heartbeat: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLL_INTERVAL_SECONDS", "100")
    touch_heartbeat(heartbeat, now=time.time() - 300)  # limit 3 * 100 + 60 = 360 s
    assert main() == 0
    touch_heartbeat(heartbeat, now=time.time() - 400)
    assert main() == 1


@pytest.mark.parametrize("raw", ["abc", "0", "-5", "nan", "inf"])
def test_bad_poll_interval_is_unhealthy(
    heartbeat: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    raw: str,
) -> None:
    touch_heartbeat(heartbeat)
    monkeypatch.setenv("POLL_INTERVAL_SECONDS", raw)
    assert main() == 1
    assert "POLL_INTERVAL_SECONDS" in capsys.readouterr().out


def test_heartbeat_slightly_in_the_future_is_fresh(heartbeat: Path) -> None:
    touch_heartbeat(heartbeat, now=time.time() + 5)
    assert main() == 0


def test_default_path_is_next_to_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "db" / "bot.sqlite3"))
    touch_heartbeat(tmp_path / "db" / "heartbeat")
    assert main() == 0


def test_touch_heartbeat_writes_the_time_atomically(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "heartbeat"
    touch_heartbeat(path, now=1_700_000_000.25)
    assert float(path.read_text(encoding="ascii")) == 1_700_000_000.25
    touch_heartbeat(path, now=1_700_000_010.0)
    assert float(path.read_text(encoding="ascii")) == 1_700_000_010.0
    assert sorted(p.name for p in path.parent.iterdir()) == ["heartbeat"]


def test_touch_heartbeat_leaves_no_temp_file_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        touch_heartbeat(tmp_path / "heartbeat")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"DATABASE_PATH": "/data/bot.sqlite3"},
        {"DATABASE_PATH": "/data/bot.sqlite3", "HEARTBEAT_PATH": ""},
        {"DATABASE_PATH": "/data/bot.sqlite3", "HEARTBEAT_PATH": "/run/alive"},
    ],
)
def test_path_matches_settings(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None, telegram_bot_token="1:x", tronsave_api_key="k")
    assert heartbeat_path_from_env(env) == settings.effective_heartbeat_path


def test_default_max_age() -> None:
    assert max_age_from_env({}) == 90.0
    assert max_age_from_env({"POLL_INTERVAL_SECONDS": "2.5"}) == 67.5


def test_runs_as_module_without_token(heartbeat: Path) -> None:
    touch_heartbeat(heartbeat)
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    src_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src_root, env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-m", "bot.healthcheck"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok")
