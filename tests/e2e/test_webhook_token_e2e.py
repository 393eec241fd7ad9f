"""A token revoked while `python -m bot` serves a webhook: Telegram stops posting
updates, so only the watchdog's getMe notices; the bot then stops with exit code 3 and
one line naming the setting, as in polling mode, the token never in its log."""

from __future__ import annotations

import socket
import subprocess
from contextlib import closing
from pathlib import Path

import pytest

from bot.sandbox.tronsave import TronSaveSimulator
from bot.telegram.watchdog import TOKEN_CHECK_INTERVAL
from tests.e2e.process import ALICE, TOKEN, BotLauncher, bot_env
from tests.support.telegram_server import FakeTelegramServer

pytestmark = pytest.mark.e2e

SECRET = "e2e_Webhook-secret_token_check"


def _free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_token_revoked_in_webhook_mode_stops_the_bot_with_exit_3(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    tronsave: TronSaveSimulator,
    tmp_path: Path,
) -> None:
    hook_port = _free_port()
    env = bot_env(
        telegram_url=tg.base_url,
        database=tmp_path / "bot.sqlite3",
        tronsave_url=tronsave.base_url,
        TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{hook_port}/telegram/updates",
        WEBHOOK_PORT=str(hook_port),
        WEBHOOK_SECRET_TOKEN=SECRET,
        HEALTH_PORT=str(_free_port()),
    )
    bot = launcher.start(env, ready_call="setWebhook", listening=hook_port)
    accepted, sent = tg.webhook_command("/start", user_id=ALICE, chat_id=ALICE)
    assert accepted == 200
    tg.wait_for_message(ALICE, lambda m: "TRON energy rental" in (m.text or ""), after=sent)
    tg.revoke_token()
    try:
        code = bot.popen.wait(timeout=TOKEN_CHECK_INTERVAL + 10)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"the bot kept serving a dead token; log:\n{bot.log()}") from None
    assert code == 3
    log = bot.log()
    assert "Telegram rejected TELEGRAM_BOT_TOKEN" in log.splitlines()[-1]
    assert "InvalidToken" not in log
    for secret in (TOKEN, TOKEN.split(":", 1)[1], SECRET):
        assert secret not in log
