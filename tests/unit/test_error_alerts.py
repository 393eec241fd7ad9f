"""Errors the bot caught, alerted to the operator: type and where, secrets masked, one
kind at most once per REPEAT_AFTER with its repeats counted, an hourly cap, a bounded
memory, and no repeat after a restart."""

from __future__ import annotations

import html
import logging
import re
import sys
from collections.abc import Iterator
from typing import Any, cast

import pytest

from bot.domain import NoticeKind
from bot.i18n import LANGS
from bot.money import trx_to_sun
from bot.services.alerts_errors import (
    ALERTS_PER_HOUR,
    HOUR,
    KEPT,
    REPEAT_AFTER,
    SHOWN,
    CaughtError,
    ErrorAlerts,
)
from bot.storage.repository import Notification, Repository
from bot.telegram.error_alerts import ErrorAlertHandler
from bot.telegram.long_text import TELEGRAM_LIMIT
from bot.telegram.operator_render import operator_text
from tests.support.clock import Clock

OPERATOR = 4242
TOKEN = "123456:AAbbCCddEEffGGhhIIjjKKll"
API_KEY = "ts-secret-api-key-0001"


class _Notices:
    async def chat_language(self, chat_id: int) -> str | None:
        return self.lang

    lang: str | None = None


class _Rt:
    notices = _Notices()


async def render(note: Notification, lang: str | None = None) -> str:
    assert note.kind is not None
    rt = _Rt()
    rt.notices.lang = lang
    return await operator_text(cast(Any, rt), note, note.kind)


async def alerts_sent(repo: Repository) -> list[Notification]:
    notes = [n for n in await repo.unsent_notifications() if n.chat_id == OPERATOR]
    assert all(n.kind is NoticeKind.BOT_ERRORS for n in notes)
    return notes


def visible(text: str) -> int:
    """The length Telegram counts: after HTML parsing, in UTF-16 code units."""
    plain = html.unescape(re.sub(r"<[^>]+>", "", text))
    return len(plain.encode("utf-16-le")) // 2


def boom(n: int = 0) -> CaughtError:
    return CaughtError("ValueError", f"bot/x.py:{n} f", "it broke")


@pytest.fixture
def logger(repo: Repository) -> Iterator[tuple[logging.Logger, ErrorAlerts, Clock]]:
    clock = Clock()
    alerts = ErrorAlerts(repo, OPERATOR, clock=clock)
    handler = ErrorAlertHandler(alerts, [TOKEN, API_KEY])
    log = logging.getLogger("bot.tests.error_alerts")
    log.addHandler(handler)
    yield log, alerts, clock
    log.removeHandler(handler)


def _fails_with_secrets() -> None:
    raise RuntimeError(f"GET https://api.telegram.org/bot{TOKEN}/getMe key={API_KEY}")


async def test_a_caught_error_is_alerted_with_type_and_where_and_no_secret(
    repo: Repository, logger: tuple[logging.Logger, ErrorAlerts, Clock]
) -> None:
    log, alerts, _ = logger
    try:
        _fails_with_secrets()
    except RuntimeError:
        log.exception("poll cycle failed")
    log.warning("not an error")  # below ERROR: not alerted
    assert await alerts.flush() == 1
    [note] = await alerts_sent(repo)
    for lang in LANGS:
        text = await render(note, lang)
        assert TOKEN not in text
        assert TOKEN.split(":")[1] not in text
        assert API_KEY not in text
        assert "***" in text
        assert "<code>RuntimeError</code> ×1" in text
        assert "tests/unit/test_error_alerts.py" not in text  # only the bot's own frames
        assert "bot.tests.error_alerts.test_a_caught_error" in text  # who reported it
        assert "poll cycle failed" in text
    assert "not an error" not in await render(note)


async def test_where_is_the_innermost_frame_of_the_bots_code(repo: Repository) -> None:
    alerts = ErrorAlerts(repo, OPERATOR, clock=Clock())
    handler = ErrorAlertHandler(alerts, [])
    try:
        trx_to_sun(cast(Any, "not a number"))
    except Exception:
        record = logging.LogRecord("bot.x", logging.ERROR, __file__, 1, "failed", None, None)
        record.exc_info = sys.exc_info()
        caught = handler.caught(record)
    assert caught.where.startswith("bot/money.py:")
    assert "trx_to_sun" in caught.where


async def test_one_kind_is_alerted_once_per_interval_with_its_repeats_counted(
    repo: Repository,
) -> None:
    clock = Clock()
    alerts = ErrorAlerts(repo, OPERATOR, clock=clock)
    for _ in range(500):  # a loop failing fast
        alerts.note(boom())
    assert await alerts.flush() == 1
    for _ in range(300):
        alerts.note(boom())
        clock.now += 1
        assert await alerts.flush() == 0  # held back, counted
    clock.now += REPEAT_AFTER
    # Its time has come: the held repeats are told, even without a new occurrence.
    assert await alerts.flush() == 1
    assert await alerts.flush() == 0
    first, second = await alerts_sent(repo)
    assert "×500" in await render(first)
    assert "×300" in await render(second)
    assert "at most once per 15 minutes" in await render(second)


async def test_the_alerts_per_hour_are_capped_and_what_waits_is_told_later(
    repo: Repository,
) -> None:
    clock = Clock()
    alerts = ErrorAlerts(repo, OPERATOR, clock=clock)
    for n in range(ALERTS_PER_HOUR * 3):
        alerts.note(boom(n))  # a new kind each time
        await alerts.flush()
        clock.now += 1
    assert len(await alerts_sent(repo)) == ALERTS_PER_HOUR
    assert alerts.waiting() == ALERTS_PER_HOUR * 2  # nothing forgotten
    clock.now += HOUR
    assert await alerts.flush() == SHOWN
    last = (await alerts_sent(repo))[-1]
    assert f"+{ALERTS_PER_HOUR * 2 - SHOWN} more kinds" in await render(last)


async def test_memory_is_bounded_and_further_kinds_are_counted(repo: Repository) -> None:
    alerts = ErrorAlerts(repo, OPERATOR, clock=Clock())
    for n in range(KEPT + 50):
        alerts.note(boom(n))
    assert await alerts.flush() == SHOWN
    [note] = await alerts_sent(repo)
    text = await render(note)
    assert "+50 errors of further kinds" in text
    assert f"+{KEPT - SHOWN} more kinds" in text
    for lang in LANGS:
        assert visible(await render(note, lang)) <= TELEGRAM_LIMIT


async def test_long_details_keep_the_alert_within_telegrams_limit(repo: Repository) -> None:
    alerts = ErrorAlerts(repo, OPERATOR, clock=Clock())
    for n in range(SHOWN):
        alerts.note(CaughtError("E" * 80, "w" * 120 + str(n), "<&>" * 400))
    await alerts.flush()
    [note] = await alerts_sent(repo)
    for lang in LANGS:
        assert visible(await render(note, lang)) <= TELEGRAM_LIMIT


async def test_a_restart_does_not_repeat_a_kind_within_its_interval(repo: Repository) -> None:
    clock = Clock()
    alerts = ErrorAlerts(repo, OPERATOR, clock=clock)
    alerts.note(boom())
    assert await alerts.flush() == 1
    restarted = ErrorAlerts(repo, OPERATOR, clock=clock)  # e.g. a crash loop
    restarted.note(boom())
    clock.now += 60
    assert await restarted.flush() == 0
    clock.now += REPEAT_AFTER
    assert await restarted.flush() == 1
