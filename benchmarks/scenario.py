"""The loads, identical for every configuration: users asking for a summary at once, and
many open orders matched at once. Each run starts its own simulator, Bot API stand-in
and bot process, so two configurations can run side by side without sharing anything.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.botproc import (
    TOKEN,
    TRONSAVE_KEY,
    BenchmarkError,
    BotUnderTest,
    CycleRecord,
    WaitTimedOut,
)
from benchmarks.measure import BenchTronSave, Hit, Latencies, TimedTelegram
from bot.domain import ProviderName
from bot.net.pacing import key_fingerprint
from bot.storage.repository import NewOrder, Repository
from bot.tron_address import address_from_bytes

FIRST_USER = 2_000_001
FIRST_CHAT = 1_000_001
AMOUNT = 65_000
MAX_PRICE = 70
DURATION_SEC = 86_400  # rentals outlive the run: no "rental over" pushes interfere
DEADLINE_SEC = 21_600  # nor "not matched before the deadline" ones


@dataclass(frozen=True)
class Pace:
    """The provider's limit, as the simulator enforces it and the bot is told."""

    interval: float = 2.0  # seconds per request per TronSave endpoint
    poll_interval: float | None = None  # POLL_INTERVAL_SECONDS for every configuration


@dataclass(frozen=True)
class SummaryLoad:
    users: int

    @property
    def title(self) -> str:
        return f"{self.users} users ask for a summary at once (/new 65000 15m 70 T…)"


@dataclass(frozen=True)
class PushLoad:
    orders: int
    chats: int
    cap: float  # seconds after the match the run waits for pushes at most
    settle: float  # the match comes after the first cycle, or this long into tracking

    @property
    def receivers(self) -> int:
        return self.orders // self.chats

    @property
    def title(self) -> str:
        return (
            f"{self.orders:,} open orders over {self.chats:,} chats "
            f"({self.receivers} receivers each) matched at once"
        )


@dataclass
class RunResult:
    """What one configuration did under one load."""

    latencies: Latencies | None = None  # summary: to Confirm; push: match -> push
    sent: list[float] = field(default_factory=list)  # every accepted sendMessage
    pushes: list[float] = field(default_factory=list)  # each chat's first push
    provider_429: int = 0
    telegram_429: int = 0
    telegram_429_rules: dict[str, int] = field(default_factory=dict)  # overall, private, group
    peak_kib: int | None = None
    cycles: list[CycleRecord] = field(default_factory=list)
    tracking: list[Hit] = field(default_factory=list)
    match_at: float | None = None
    warnings: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    stop_seconds: float | None = None  # SIGTERM to exit
    exit_code: int | None = None
    error: str | None = None
    cut_off: bool = False  # the error is a wait's limit: the figures are lower bounds


def receivers_of(chat: int, count: int) -> list[str]:
    return [
        address_from_bytes(hashlib.sha256(f"bench:{chat}:{j}".encode()).digest()[:20])
        for j in range(count)
    ]


def _settings(config: Mapping[str, str], pace: Pace) -> dict[str, str]:
    settings = dict(config)
    if pace.interval != 2.0:
        settings["TRONSAVE_MIN_INTERVAL_SECONDS"] = repr(pace.interval)
    if pace.poll_interval is not None:
        settings["POLL_INTERVAL_SECONDS"] = repr(pace.poll_interval)
        if "POLL_BUSY_INTERVAL_SECONDS" in settings:  # a fixed pause stays one, shorter
            settings["POLL_BUSY_INTERVAL_SECONDS"] = repr(pace.poll_interval)
    return settings


def run_summaries(load: SummaryLoad, config: Mapping[str, str], *, pace: Pace) -> RunResult:
    """Every user sends `/new 65000 15m 70 <address>` at the same moment; each waits for
    the summary message with its Confirm button."""
    result = RunResult()
    started = time.time()
    users = [FIRST_USER + i for i in range(load.users)]
    sim = BenchTronSave(api_key=TRONSAVE_KEY, rate_interval=pace.interval, supply=10_000)
    tg = TimedTelegram(TOKEN)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        bot = BotUnderTest(
            workdir=Path(tmp),
            telegram_url=tg.start(),
            tronsave_url=sim.start(),
            allowed=users,
            settings=_settings(config, pace),
        )
        try:
            bot.start()
            bot.wait_for(lambda: len(bot.cycles()) >= 1, 60, "waiting for the bot to start")
            time.sleep(pace.interval + 0.1)  # start-up's requests leave the rate window
            asked: dict[int, float] = {}
            for user in users:
                (address,) = receivers_of(user, 1)
                tg.send_command(
                    f"/new {AMOUNT} 15m {MAX_PRICE} {address}", user_id=user, chat_id=user
                )
                asked[user] = time.time()
            budget = load.users * (pace.interval + 0.5) + 60
            bot.wait_for(
                lambda: len(tg.confirm_times()) >= load.users,
                budget,
                "waiting for every summary's Confirm button",
            )
        except BenchmarkError as exc:
            result.error = str(exc)
            result.cut_off = isinstance(exc, WaitTimedOut)
        finally:
            bot.stop()
            confirms = tg.confirm_times()
            waits = [confirms[u] - asked[u] for u in users if u in confirms and u in asked]
            result.latencies = Latencies.of(waits, load.users, time.time() - started)
            _collect(result, bot, sim, tg)
            tg.stop()
            sim.stop()
    result.seconds = time.time() - started
    return result


def run_pushes(load: PushLoad, config: Mapping[str, str], *, pace: Pace) -> RunResult:
    """Open orders in the simulator and the bot's database (as if the bot had placed
    them); after the first poll cycle (or `settle` seconds of tracking) every order is
    matched at once, and each chat waits for its "Energy delivered" push."""
    result = RunResult()
    started = time.time()
    chats = [FIRST_CHAT + i for i in range(load.chats)]
    sim = BenchTronSave(
        api_key=TRONSAVE_KEY, rate_interval=pace.interval, supply=max(100, load.receivers)
    )
    tg = TimedTelegram(TOKEN)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workdir = Path(tmp)
        bot = BotUnderTest(
            workdir=workdir,
            telegram_url=tg.start(),
            tronsave_url=sim.start(),
            allowed=chats,
            settings=_settings(config, pace),
        )
        try:
            _load_orders(sim, workdir / "bot.sqlite3", chats, load.receivers)
            bot.start()
            bot.wait_for(
                lambda: bool(sim.tracking()), 60 + load.orders / 500, "waiting for tracking"
            )
            first = sim.tracking()[0].at
            bot.wait_for(
                lambda: bool(bot.cycles()) or time.time() >= first + load.settle,
                load.settle + 60,
                "waiting for the first poll cycle",
            )
            matched = len(sim.match())
            result.match_at = time.time()
            if matched != load.orders:
                result.error = f"the simulator matched {matched} of {load.orders}"
            bot.wait_for(
                lambda: (
                    len(tg.push_times()) >= load.chats
                    or time.time() >= (result.match_at or 0) + load.cap
                ),
                load.cap + 30,
                "waiting for the pushes",
            )
        except BenchmarkError as exc:
            result.error = str(exc)
            result.cut_off = isinstance(exc, WaitTimedOut)
        finally:
            bot.stop()
            pushes = tg.push_times()
            match_at = result.match_at or time.time()
            waits = [pushes[c] - match_at for c in chats if c in pushes]
            result.latencies = Latencies.of(waits, load.chats, load.cap)
            result.pushes = sorted(pushes.values())
            _collect(result, bot, sim, tg)
            tg.stop()
            sim.stop()
    result.seconds = time.time() - started
    return result


def _collect(result: RunResult, bot: BotUnderTest, sim: BenchTronSave, tg: TimedTelegram) -> None:
    result.sent = tg.sent_times()
    result.provider_429 = sim.rate_limited()
    result.telegram_429_rules = tg.too_many_requests()
    result.telegram_429 = sum(result.telegram_429_rules.values())
    result.peak_kib = bot.peak_kib
    result.cycles = bot.cycles()
    result.tracking = sim.tracking()
    result.warnings = dict(bot.warnings)
    result.stop_seconds = bot.stop_seconds
    result.exit_code = bot.exit_code


def _load_orders(sim: BenchTronSave, db_path: Path, chats: Sequence[int], per_chat: int) -> None:
    """One submitted submission of `per_chat` receivers per chat, in the simulator and in
    the database, as the bot would have stored them."""
    specs: list[dict[str, object]] = []
    receivers = {chat: receivers_of(chat, per_chat) for chat in chats}
    for i, chat in enumerate(chats):
        specs.extend(
            {
                "request_id": f"{i + 1:024x}",
                "receiver": address,
                "amount": AMOUNT,
                "duration_sec": DURATION_SEC,
                "deadline": DEADLINE_SEC,
            }
            for address in receivers[chat]
        )
    ids = iter(sim.load_orders(specs))
    deadline_at = time.time() + DEADLINE_SEC
    submissions = [
        (
            chat,
            receivers[chat],
            [
                NewOrder(
                    provider_order_id=next(ids),
                    receiver=address,
                    amount=AMOUNT,
                    duration_sec=DURATION_SEC,
                    raw_status="Pending",
                    deadline_at=deadline_at,
                )
                for address in receivers[chat]
            ],
        )
        for chat in chats
    ]
    asyncio.run(_preload(db_path, submissions))


async def _preload(
    path: Path, submissions: Sequence[tuple[int, Sequence[str], Sequence[NewOrder]]]
) -> None:
    repo = await Repository.open(path)
    try:
        now = time.time()
        for chat_id, receivers, orders in submissions:
            sub = await repo.create_submission(
                chat_id=chat_id,
                user_id=chat_id,
                provider=ProviderName.TRONSAVE,
                key_id=key_fingerprint(TRONSAVE_KEY),
                amount=AMOUNT,
                duration_sec=DURATION_SEC,
                max_price=MAX_PRICE,
                deadline_sec=DEADLINE_SEC,
                receivers=receivers,
                now=now,
            )
            await repo.record_orders(sub, orders, now=now)
    finally:
        await repo.close()
