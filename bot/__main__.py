"""`python -m bot` / `tron-energy-bot`: load settings, then poll Telegram until stopped."""

from __future__ import annotations

import sys

from telegram import Update

from bot.app import build_application
from bot.config import ConfigError, load_settings
from bot.logging_setup import configure_logging


def main() -> None:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    secrets = [
        s.get_secret_value()
        for s in (settings.telegram_bot_token, settings.tronsave_api_key, settings.feee_api_key)
        if s is not None
    ]
    configure_logging(settings.log_level, secrets)
    app = build_application(settings)
    app.run_polling(allowed_updates=[Update.MESSAGE, Update.CALLBACK_QUERY])


if __name__ == "__main__":
    main()
