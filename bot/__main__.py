"""`python -m bot` / `tron-energy-bot`: load settings, then poll Telegram until stopped.

Every way start-up can fail ends in one line on stderr and a non-zero exit code, through
the redacting logger once it is set up (a configuration error comes before it, and its
message never holds a value). PTB's own exceptions are never left to print themselves:
`InvalidToken`'s text holds the token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import threading

from dotenv import dotenv_values
from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.app import build_application
from bot.config import ConfigError, Settings, load_settings
from bot.logging_setup import configure_logging
from bot.sandbox.runtime import sandboxed
from bot.storage.repository import Repository
from bot.telegram import watchdog

log = logging.getLogger("bot")

EXIT_CONFIG = 2
EXIT_TOKEN = 3
EXIT_DATABASE = 4
EXIT_NETWORK = 5
EXIT_UNEXPECTED = 1


async def _check_database(settings: Settings) -> None:
    """Open (and migrate) the database once before anything else, so an unwritable path
    or a schema from a newer bot is reported as such, not as a PTB start-up failure."""
    repo = await Repository.open(settings.database_path)
    await repo.close()


def run(settings: Settings) -> int:
    """Run the bot until it is stopped; returns the process exit code."""
    try:
        asyncio.run(_check_database(settings))
    except (OSError, sqlite3.Error, RuntimeError) as exc:
        log.critical("cannot open the database at %s: %s", settings.database_path, exc)
        return EXIT_DATABASE
    return _poll(settings)


def _poll(settings: Settings) -> int:
    try:
        app = build_application(settings)
        app.run_polling(allowed_updates=[Update.MESSAGE, Update.CALLBACK_QUERY])
    except InvalidToken:
        return _token_rejected()
    except NetworkError as exc:  # TimedOut included
        log.critical(
            "cannot reach the Telegram Bot API at %s: %s", settings.telegram_base_url, exc
        )
        return EXIT_NETWORK
    except TelegramError as exc:
        log.critical("Telegram refused to start the bot: %s", exc)
        return EXIT_UNEXPECTED
    except Exception as exc:
        # One line for the operator; the traceback only at DEBUG (still redacted).
        log.critical("the bot stopped on an unexpected error: %s: %s", type(exc).__name__, exc)
        log.debug("traceback of the error above", exc_info=exc)
        return EXIT_UNEXPECTED
    if watchdog.token_rejected(app):  # revoked while running
        return _token_rejected()
    return 0


def _token_rejected() -> int:
    # Never the exception's text: it quotes the token.
    log.critical(
        "Telegram rejected TELEGRAM_BOT_TOKEN (401/404): "
        "copy the token from @BotFather into .env or the environment"
    )
    return EXIT_TOKEN


_SECRET_NAMES = frozenset(
    {"TELEGRAM_BOT_TOKEN", "TRONSAVE_API_KEY", "FEEE_API_KEY", "TRONGRID_API_KEY"}
)
_BARE = "%(message)s"


def _raw_secrets() -> list[str]:
    """The secret settings' raw values from the environment and `.env`, as Settings
    reads them, for masking before Settings could be built."""
    found = [v for k, v in os.environ.items() if k.upper() in _SECRET_NAMES]
    # An unreadable .env: Settings has reported that already.
    with contextlib.suppress(OSError, UnicodeDecodeError):
        dotenv = dotenv_values(".env")
        found += [v for k, v in dotenv.items() if k.upper() in _SECRET_NAMES and v]
    return [v.strip() for v in found if v.strip()]


def main() -> None:
    try:
        settings = load_settings()
    except ConfigError as exc:
        # The message names settings, never their values; masked all the same.
        configure_logging("INFO", _raw_secrets(), fmt=_BARE)
        log.critical("configuration error: %s", exc)
        raise SystemExit(EXIT_CONFIG) from None
    secrets = [
        s.get_secret_value()
        for s in (
            settings.telegram_bot_token,
            settings.tronsave_api_key,
            settings.feee_api_key,
            settings.trongrid_api_key,
        )
        if s is not None
    ]
    configure_logging(settings.log_level, secrets)
    with sandboxed(settings) as settings:
        code = run(settings)
    if code:
        exit_now(code)


def exit_now(code: int) -> None:
    """Exit with `code` even if a run that failed half-way left worker threads behind
    (aiosqlite's are not daemons, and Python would wait for them forever). Leaving the
    database like that is safe: it is WAL, and must survive a kill anyway."""
    lingering = [
        t for t in threading.enumerate() if t is not threading.current_thread() and not t.daemon
    ]
    if lingering:
        log.debug("exiting past %d lingering threads", len(lingering))
        logging.shutdown()
        os._exit(code)
    raise SystemExit(code)


if __name__ == "__main__":
    main()
