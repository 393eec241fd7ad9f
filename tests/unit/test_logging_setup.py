"""Secrets never reach the log output: message, args and tracebacks are masked."""

from __future__ import annotations

import io
import logging
import sys
import threading
import warnings
from collections.abc import Iterator
from types import TracebackType

import pytest

from bot.logging_setup import RedactingFormatter, configure_logging, secret_variants

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]

TOKEN = "123456789:AAH-secret-bot-token_xyz"
API_KEY = "ts-api-key-0123456789abcdef"


def _record(
    msg: str,
    args: tuple[object, ...] = (),
    exc_info: ExcInfo | None = None,
) -> logging.LogRecord:
    return logging.LogRecord("test", logging.ERROR, __file__, 1, msg, args, exc_info)


def _exc_info(message: str) -> ExcInfo:
    try:
        raise RuntimeError(message)
    except RuntimeError as exc:
        return (type(exc), exc, exc.__traceback__)


@pytest.fixture
def formatter() -> RedactingFormatter:
    return RedactingFormatter([TOKEN, API_KEY], fmt="%(levelname)s %(message)s")


def test_secret_in_message_is_masked(formatter: RedactingFormatter) -> None:
    text = formatter.format(_record(f"GET https://api.telegram.org/bot{TOKEN}/getMe"))
    assert text == "ERROR GET https://api.telegram.org/bot***/getMe"


def test_secret_in_args_is_masked(formatter: RedactingFormatter) -> None:
    text = formatter.format(_record("key=%s token=%r", (API_KEY, TOKEN)))
    assert TOKEN not in text
    assert API_KEY not in text
    assert text == "ERROR key=*** token='***'"


def test_secret_in_traceback_is_masked(formatter: RedactingFormatter) -> None:
    record = _record("request failed", exc_info=_exc_info(f"connect to /bot{TOKEN}/ failed"))
    text = formatter.format(record)
    assert "Traceback (most recent call last)" in text
    assert "RuntimeError: connect to /bot***/ failed" in text
    assert TOKEN not in text


def test_secret_in_stack_info_is_masked(formatter: RedactingFormatter) -> None:
    record = _record("here")
    record.stack_info = f"Stack (most recent call last):\n  token = {API_KEY}"
    text = formatter.format(record)
    assert API_KEY not in text
    assert "token = ***" in text


def test_every_occurrence_is_masked(formatter: RedactingFormatter) -> None:
    text = formatter.format(_record(f"{TOKEN} {TOKEN} {API_KEY}{API_KEY}"))
    assert text == "ERROR *** *** ******"


def test_longer_secret_masked_first() -> None:
    # A secret that contains another must be masked whole, not leave a tail behind.
    short, long = "abcd", "abcd-efgh-ijkl"
    formatter = RedactingFormatter([short, long], fmt="%(message)s")
    assert formatter.format(_record(f"{long} {short}")) == "*** ***"


@pytest.mark.parametrize("secret", ["", "a", "ab", "abc"])
def test_short_strings_are_not_masked(secret: str) -> None:
    formatter = RedactingFormatter([secret], fmt="%(message)s")
    assert formatter.format(_record("abc ab a x")) == "abc ab a x"


def test_four_characters_are_masked() -> None:
    formatter = RedactingFormatter(["abcd"], fmt="%(message)s")
    assert formatter.format(_record("xabcdx")) == "x***x"


def test_no_secrets_leaves_text_alone() -> None:
    formatter = RedactingFormatter([], fmt="%(message)s")
    assert formatter.format(_record("plain %s", ("text",))) == "plain text"


def test_default_format_has_time_level_name() -> None:
    formatter = RedactingFormatter([TOKEN])
    text = formatter.format(_record("hello"))
    assert text.endswith(" ERROR test: hello")


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    others = {name: logging.getLogger(name).level for name in ("httpx", "httpcore", "apscheduler")}
    hooks = (sys.excepthook, threading.excepthook)
    yield
    sys.excepthook, threading.excepthook = hooks
    logging.captureWarnings(False)
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    for name, level in others.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.usefixtures("restore_logging")
def test_configure_logging_installs_redaction_and_quiets_httpx() -> None:
    logging.getLogger("httpx").setLevel(logging.DEBUG)
    configure_logging("info", [TOKEN, "abc"])
    root = logging.getLogger()
    assert root.level == logging.INFO
    assert len(root.handlers) == 1
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    assert isinstance(handler.formatter, RedactingFormatter)
    assert logging.getLogger("httpx").level == logging.WARNING
    assert logging.getLogger("apscheduler").level == logging.WARNING
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)

    stream = io.StringIO()
    handler.setStream(stream)
    logging.getLogger("bot.test").info("url=/bot%s/ abc", TOKEN)
    logging.getLogger("httpx").info("HTTP Request: POST /bot%s/getUpdates", TOKEN)
    output = stream.getvalue()
    assert "url=/bot***/ abc" in output
    assert TOKEN not in output
    assert "getUpdates" not in output


@pytest.mark.usefixtures("restore_logging")
def test_configure_logging_replaces_existing_handlers() -> None:
    root = logging.getLogger()
    root.addHandler(logging.NullHandler())
    root.addHandler(logging.NullHandler())
    configure_logging("DEBUG", [])
    assert len(root.handlers) == 1
    assert root.level == logging.DEBUG


def test_token_secret_half_is_masked_even_with_an_encoded_colon() -> None:
    formatter = RedactingFormatter(secret_variants([TOKEN, None, API_KEY]), fmt="%(message)s")
    encoded = TOKEN.replace(":", "%3A")
    assert formatter.format(_record(f"GET /bot{encoded}/getMe")) == "GET /bot123456789%3A***/getMe"


def _captured(handler: logging.Handler) -> io.StringIO:
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    handler.setStream(stream)
    return stream


@pytest.mark.usefixtures("restore_logging")
def test_ptb_bootstrap_traceback_is_dropped_other_ptb_errors_kept() -> None:
    configure_logging("INFO", [TOKEN])
    stream = _captured(logging.getLogger().handlers[0])
    ptb = logging.getLogger("telegram.ext")
    try:
        raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")
    except RuntimeError:
        ptb.exception(
            "%s Invalid token. Aborting retry loop.", "Network Retry Loop (Bootstrap x):"
        )
        ptb.exception("%s Failed run number 1 of 1.", "Network Retry Loop (Polling Updates):")
    output = stream.getvalue()
    assert "Bootstrap" not in output
    assert "Polling Updates" in output
    assert TOKEN not in output


@pytest.mark.usefixtures("restore_logging")
def test_uncaught_exceptions_and_warnings_go_through_the_redacting_logger() -> None:
    configure_logging("INFO", [TOKEN])
    stream = _captured(logging.getLogger().handlers[0])
    error = RuntimeError(f"url /bot{TOKEN}/getMe")
    sys.excepthook(RuntimeError, error, None)
    thread = threading.Thread(target=lambda: (_ for _ in ()).throw(error), name="worker")
    thread.start()
    thread.join()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        logging.captureWarnings(True)
        warnings.warn(f"token {TOKEN} in a warning", UserWarning, stacklevel=1)
    output = stream.getvalue()
    assert "uncaught RuntimeError: url /bot***/getMe" in output
    assert "uncaught RuntimeError in thread worker" in output
    assert "token *** in a warning" in output
    assert TOKEN not in output
