"""Starting `python -m bot` for real: configuration errors, secrets kept out of the log,
and the Docker health check against a running bot's heartbeat."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.sandbox.tronsave import TronSaveSimulator
from bot.tron_address import address_from_bytes
from tests.e2e.process import (
    TOKEN,
    TS_KEY,
    BotLauncher,
    Finished,
    TelegramUser,
    bot_env,
    clean_environ,
    run_bot_to_exit,
    wait_until,
)
from tests.support.telegram_server import FakeTelegramServer

pytestmark = pytest.mark.e2e

A1 = address_from_bytes(b"\x55" * 20)


def _healthcheck(env: dict[str, str], workdir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.healthcheck"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_missing_token_exits_2_with_one_line_naming_it(
    tmp_path: Path, tronsave: TronSaveSimulator
) -> None:
    env = bot_env(
        telegram_url="http://127.0.0.1:9/bot",
        database=tmp_path / "bot.sqlite3",
        tronsave_url=tronsave.base_url,
        token=None,
    )
    assert "TELEGRAM_BOT_TOKEN" not in env
    done = run_bot_to_exit(env, tmp_path)
    assert done.returncode == 2, done
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "TELEGRAM_BOT_TOKEN" in lines[0]
    assert done.stdout == ""
    assert not (tmp_path / "bot.sqlite3").exists()  # refused before touching anything


def test_no_provider_key_exits_2_saying_no_provider_is_configured(tmp_path: Path) -> None:
    env = bot_env(telegram_url="http://127.0.0.1:9/bot", database=tmp_path / "bot.sqlite3")
    assert not any(name.startswith(("TRONSAVE_", "FEEE_")) for name in env)
    done = run_bot_to_exit(env, tmp_path)
    assert done.returncode == 2, done
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "no provider configured" in lines[0]
    assert TOKEN not in done.stderr


def test_secrets_never_reach_the_log(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    tronsave: TronSaveSimulator,
    alice: TelegramUser,
    tmp_path: Path,
) -> None:
    # DEBUG logs the most; the token is in every Bot API URL the bot calls.
    env = bot_env(
        telegram_url=tg.base_url,
        database=tmp_path / "bot.sqlite3",
        tronsave_url=tronsave.base_url,
        LOG_LEVEL="DEBUG",
    )
    bot = launcher.start(env)
    assert "TRON energy rental" in (alice.reply_to("/start").text or "")
    summary = alice.wait_for("Order summary", after=alice.send(f"/new 65000 15m 70 {A1}"))
    submitted = alice.press_and_wait(summary, "Confirm", "Submitted to TronSave")
    tronsave.match()
    alice.wait_for("Energy delivered", after=submitted.message_id)
    assert bot.terminate() == 0

    log = bot.log()
    assert "bot ready" in log  # the log did capture the run
    assert "getUpdates" in log  # including the Bot API calls, whose URLs hold the token
    for secret in (TOKEN, TOKEN.split(":", 1)[1], TS_KEY):
        assert secret not in log, f"a secret leaked into the log: {secret[:8]}..."


def test_healthcheck_passes_against_a_running_bot(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    tronsave: TronSaveSimulator,
    tmp_path: Path,
) -> None:
    heartbeat = tmp_path / "health" / "heartbeat"
    env = bot_env(
        telegram_url=tg.base_url,
        database=tmp_path / "bot.sqlite3",
        tronsave_url=tronsave.base_url,
        HEARTBEAT_PATH=str(heartbeat),
    )
    check_env = {
        **clean_environ(),
        "HEARTBEAT_PATH": env["HEARTBEAT_PATH"],
        "POLL_INTERVAL_SECONDS": env["POLL_INTERVAL_SECONDS"],
    }
    before = _healthcheck(check_env, tmp_path)
    assert before.returncode == 1, before  # no heartbeat yet: unhealthy
    assert "does not exist" in before.stdout

    bot = launcher.start(env)
    first = wait_until(
        lambda: heartbeat.read_text() if heartbeat.exists() else None,
        timeout=5,
        what="the heartbeat file",
    )
    # The poll job refreshes it every cycle.
    wait_until(
        lambda: heartbeat.read_text() != first, timeout=5, what="the heartbeat to be refreshed"
    )
    done = _healthcheck(check_env, tmp_path)
    assert done.returncode == 0, done
    assert done.stdout.startswith("ok:"), done.stdout
    assert bot.terminate() == 0


def _assert_one_clear_line(done: Finished, *, code: int, says: str) -> None:
    """Exit `code`, exactly one line (no traceback) saying `says`, and no secret anywhere."""
    assert done.returncode == code, done
    output = (done.stdout + done.stderr).splitlines()
    assert len(output) == 1, done.stdout + done.stderr
    assert says in output[0], output[0]
    assert "Traceback" not in output[0]
    for secret in (TOKEN, TOKEN.split(":", 1)[1], TS_KEY):
        assert secret not in done.stdout + done.stderr


# A well-formed but wrong token gets 401 from Telegram, a malformed one 404.
MALFORMED_TOKEN = "e2e-malformed-token-0123456789"


@pytest.mark.parametrize("token", [TOKEN, MALFORMED_TOKEN], ids=["401", "404"])
def test_a_token_telegram_rejects_exits_3_with_one_line_and_no_token(
    tmp_path: Path, tronsave: TronSaveSimulator, token: str
) -> None:
    # The server knows another bot's token, so it refuses ours as Telegram would.
    with FakeTelegramServer("999999:another-bots-token") as other:
        env = bot_env(
            telegram_url=other.base_url,
            database=tmp_path / "bot.sqlite3",
            tronsave_url=tronsave.base_url,
            token=token,
        )
        done = run_bot_to_exit(env, tmp_path)
    _assert_one_clear_line(done, code=3, says="Telegram rejected TELEGRAM_BOT_TOKEN")
    assert token not in done.stdout + done.stderr


def test_an_unusable_database_path_exits_4_with_one_line(
    tmp_path: Path, tg: FakeTelegramServer, tronsave: TronSaveSimulator
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the database directory should be")
    env = bot_env(
        telegram_url=tg.base_url,
        database=blocker / "bot.sqlite3",
        tronsave_url=tronsave.base_url,
    )
    done = run_bot_to_exit(env, tmp_path)
    _assert_one_clear_line(done, code=4, says="cannot open the database at")


def test_a_file_that_is_not_a_database_exits_4_with_one_line(
    tmp_path: Path, tg: FakeTelegramServer, tronsave: TronSaveSimulator
) -> None:
    database = tmp_path / "bot.sqlite3"
    database.write_bytes(b"this is not an SQLite file" * 100)
    env = bot_env(telegram_url=tg.base_url, database=database, tronsave_url=tronsave.base_url)
    done = run_bot_to_exit(env, tmp_path)
    _assert_one_clear_line(done, code=4, says="cannot open the database at")


def test_an_unreachable_bot_api_exits_5_with_one_line(
    tmp_path: Path, tronsave: TronSaveSimulator
) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = bot_env(
        telegram_url=f"http://127.0.0.1:{port}/bot",
        database=tmp_path / "bot.sqlite3",
        tronsave_url=tronsave.base_url,
    )
    done = run_bot_to_exit(env, tmp_path)
    _assert_one_clear_line(done, code=5, says="cannot reach the Telegram Bot API")


def test_a_token_revoked_while_running_stops_the_bot_with_exit_3(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    tronsave: TronSaveSimulator,
    alice: TelegramUser,
    tmp_path: Path,
) -> None:
    env = bot_env(
        telegram_url=tg.base_url,
        database=tmp_path / "bot.sqlite3",
        tronsave_url=tronsave.base_url,
    )
    bot = launcher.start(env)
    assert "TRON energy rental" in (alice.reply_to("/start").text or "")
    tg.revoke_token()
    try:
        code = bot.popen.wait(timeout=15)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"the bot kept running deaf; log:\n{bot.log()}") from None
    assert code == 3
    log = bot.log()
    assert "Telegram rejected TELEGRAM_BOT_TOKEN" in log.splitlines()[-1]
    assert "InvalidToken" not in log
    for secret in (TOKEN, TOKEN.split(":", 1)[1], TS_KEY):
        assert secret not in log
