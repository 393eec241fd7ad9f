"""Logging that cannot leak secrets: known secret values are masked in every line,
tracebacks included (an exception's text can carry a URL with the bot token in it).

Everything that could print goes through it: warnings, uncaught exceptions in the main
thread and in worker threads (aiosqlite runs one), not only explicit log calls.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterable
from types import TracebackType

from telegram.error import InvalidToken

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Loggers that write request URLs (and so the bot token) at INFO or DEBUG.
_URL_LOGGERS = ("httpx", "httpcore")
# PTB logs a start-up failure (and a rejected token at any time) with its traceback
# before re-raising it; `bot.__main__` reports the cause in one line, so the traceback
# would only repeat it, at length.
_BOOTSTRAP_PREFIX = "Network Retry Loop (Bootstrap"

log = logging.getLogger("bot")


def secret_variants(secrets: Iterable[str | None]) -> list[str]:
    """The secrets plus the part of a bot token after its colon: URLs may percent-encode
    the colon (`123%3AABC`), and the bot id before it is public anyway."""
    out: list[str] = []
    for secret in secrets:
        if not secret:
            continue
        out.append(secret)
        if ":" in secret:
            out.append(secret.split(":", 1)[1])
    return out


class RedactingFormatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str], fmt: str = _FORMAT) -> None:
        super().__init__(fmt)
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


class _DropReportedErrors(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("telegram") and record.levelno >= logging.ERROR:
            if record.exc_info and isinstance(record.exc_info[1], InvalidToken):
                return False  # `bot.__main__` says it in one line, whenever it happens
            try:
                return not record.getMessage().startswith(_BOOTSTRAP_PREFIX)
            except (TypeError, ValueError):
                return True
        return True


def _log_uncaught(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    log.critical("uncaught %s: %s", exc_type.__name__, exc, exc_info=(exc_type, exc, tb))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None:
        return
    log.critical(
        "uncaught %s in thread %s: %s",
        args.exc_type.__name__,
        args.thread.name if args.thread is not None else "?",
        args.exc_value,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )


def configure_logging(level: str, secrets: Iterable[str], *, fmt: str = _FORMAT) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter(secret_variants(secrets), fmt))
    handler.addFilter(_DropReportedErrors())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every URL at INFO, and Telegram URLs contain the bot token.
    for name in _URL_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # Warnings and uncaught exceptions would otherwise be printed raw, unmasked.
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread
