"""Fixtures for the end-to-end tests: the fake Bot API, the provider simulators and a
launcher for `python -m bot`, all on 127.0.0.1. A failed test's report carries the logs
of every bot process it started."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from bot.sandbox.feee import FeeeSimulator
from bot.sandbox.tronsave import TronSaveSimulator
from tests.e2e.process import (
    ALICE,
    FEEE_KEY,
    TOKEN,
    TRONSAVE_INTERVAL,
    TS_KEY,
    BotLauncher,
    TelegramUser,
)
from tests.support.telegram_server import FakeTelegramServer

TRONSAVE_UNIT_PRICE = 60  # SUN per energy unit
FEEE_UNIT_PRICE = 40  # cheaper than TronSave, so Feee is preselected when both can serve

_LAUNCHER = pytest.StashKey[BotLauncher]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    launcher = item.stash.get(_LAUNCHER, None)
    if launcher is not None and report.failed:
        for proc in launcher.processes:
            report.sections.append((f"bot log {proc.log_path.name}", proc.log() or "(empty)"))
    return report


@pytest.fixture
def tg() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer(TOKEN) as server:
        yield server


@pytest.fixture
def tronsave() -> Iterator[TronSaveSimulator]:
    # The simulator's rate window equals the bot's pacing, so no request is refused.
    with TronSaveSimulator(
        api_key=TS_KEY, rate_interval=TRONSAVE_INTERVAL, unit_price=TRONSAVE_UNIT_PRICE
    ) as sim:
        yield sim


@pytest.fixture
def feee() -> Iterator[FeeeSimulator]:
    # 20 requests/s allowed; the bot is told to send at most 10 (FEEE_REQUESTS_PER_SECOND).
    with FeeeSimulator(api_key=FEEE_KEY, qps=20, price_v2=FEEE_UNIT_PRICE) as sim:
        yield sim


@pytest.fixture
def launcher(
    request: pytest.FixtureRequest, tmp_path: Path, tg: FakeTelegramServer
) -> Iterator[BotLauncher]:
    bots = BotLauncher(tmp_path, tg)
    request.node.stash[_LAUNCHER] = bots
    try:
        yield bots
    finally:
        bots.cleanup()


@pytest.fixture
def alice(tg: FakeTelegramServer) -> TelegramUser:
    return TelegramUser(tg, ALICE)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "bot.sqlite3"
