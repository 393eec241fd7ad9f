"""Feeds the errors the bot caught into the operator's error alerts: a logging handler
on the root logger takes every record at ERROR or above (PTB's error handler
`basic.on_error` for handlers and jobs, a failed poll cycle, a failed outbox drain, ...)
and notes its type and where, masked with the redacting logger's own formatter, so a
secret that reached an exception's text never reaches the chat.

"Where" is the innermost frame of the bot's own code in the traceback (where it was
raised), and the logger that reported it.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Final

from bot.logging_setup import RedactingFormatter, secret_variants
from bot.services.alerts_errors import DETAIL_CHARS, CaughtError, ErrorAlerts

_PACKAGE: Final = Path(__file__).resolve().parents[1]  # the `bot` package
_BARE: Final = "%(message)s"


def _raised_at(tb: TracebackType | None) -> str | None:
    """`bot/x/y.py:12 f` for the innermost frame inside the bot package, if any."""
    found: str | None = None
    for frame in traceback.extract_tb(tb):
        path = Path(frame.filename)
        if path.is_relative_to(_PACKAGE):
            relative = path.relative_to(_PACKAGE.parent).as_posix()
            found = f"{relative}:{frame.lineno} {frame.name}"
    return found


class ErrorAlertHandler(logging.Handler):
    def __init__(self, alerts: ErrorAlerts, secrets: Iterable[str]) -> None:
        super().__init__(logging.ERROR)
        self._alerts = alerts
        self._mask = RedactingFormatter(secret_variants(secrets), _BARE)

    def redact(self, text: str) -> str:
        return self._mask.format(logging.makeLogRecord({"msg": text, "args": None}))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._alerts.note(self.caught(record))
        except Exception:  # a broken alert must never break logging
            self.handleError(record)

    def caught(self, record: logging.LogRecord) -> CaughtError:
        exc_type, exc, tb = record.exc_info or (None, None, None)
        logged = f"{record.name}.{record.funcName}"
        raised = _raised_at(tb)
        where = logged if raised is None else f"{raised} ({logged})"
        message = record.getMessage()
        if exc is not None:
            message = f"{message}: {exc}"
        detail = self.redact(message)
        return CaughtError(
            type_name=exc_type.__name__ if exc_type is not None else "error",
            where=self.redact(where),
            detail=detail[:DETAIL_CHARS],
        )


def install(handler: ErrorAlertHandler) -> None:
    root = logging.getLogger()
    if handler not in root.handlers:
        root.addHandler(handler)


def uninstall(handler: ErrorAlertHandler) -> None:
    logging.getLogger().removeHandler(handler)
