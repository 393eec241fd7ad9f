"""Poller benchmark: many open orders, one match, how fast the pushes reach Telegram.

Run from the repository root::

    python -m benchmarks.poller                     # both sections, the spec's sizes
    python -m benchmarks.poller --only tronsave --chats 100
    python benchmarks/poller.py --only feee --feee-orders 50

Each section loads open orders into a provider simulator and, identically, into the bot's
database (as if the bot had submitted them), starts the bot as a separate process
(``python -m bot``, clean environment, cwd = a temporary directory) against the simulator
and an HTTP stand-in for the Telegram Bot API, waits for the poll cycle(s) before the
match, matches (TronSave) or delivers (Feee) every order at once, and measures until
every "Energy delivered" push has reached the stand-in and the bot has run a few idle
cycles.

Cycles are observed from outside through the heartbeat file the poll job rewrites (its
first field is the bot's clock at that moment) at the end of every cycle: a rewrite
followed by a quiet spell with no tracking request ends a cycle, since cycles are
POLL_INTERVAL_SECONDS apart. Requests come from the
simulator, push arrival times from the stand-in, memory and CPU from /proc/<pid>.
The real pacing is the default (TronSave one request per 2 s per endpoint, Feee 5
requests/s), so the 429 count says whether the bot stays within the providers' limits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

if not __package__:  # run as `python benchmarks/poller.py`: make `tests.support` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bot.domain import OrderState, ProviderName
from bot.net.pacing import key_fingerprint
from bot.sandbox.base import Request, Response
from bot.sandbox.feee import FeeeSimulator
from bot.sandbox.tronsave import TronSaveSimulator
from bot.storage.repository import NewOrder, Repository
from bot.tron_address import address_from_bytes
from tests.support.telegram_server import FakeTelegramServer
from tests.support.updates import JSONDict

REPO_ROOT = Path(__file__).resolve().parent.parent
TOKEN = "4242:benchmark-token-abcdef"
TRONSAVE_KEY = "bench-tronsave-key"
FEEE_KEY = "bench-feee-key"
FIRST_CHAT = 1_000_001
AMOUNT = 65_000
DURATION_SEC = 86_400  # rentals outlive the run: no "rental over" pushes interfere
DEADLINE_SEC = 21_600  # nor "not matched before the deadline" ones
PUSH_MARK = "Energy delivered"
TELEGRAM_OVERALL_RATE = 30  # AIORateLimiter's default overall limit, messages per second

# The figure labels, each printed at the start of a line as "label: value"; the smoke
# test looks for every one of them.
FIG_SETTINGS = "bot settings"
FIG_BEFORE = "tracking requests per poll cycle before the match"
FIG_MATCH_CYCLE = "tracking requests in the match cycle"
FIG_AFTER = "tracking requests per poll cycle after the match"
FIG_429 = "429s received by the simulator"
FIG_PUSHES = "pushes handed to Telegram"
FIG_LATENCY = "match to last push handed to Telegram"
FIG_FIRST_PUSH = "match to first push"
FIG_RATE = "pushes per second"
FIG_CYCLE = "poll cycle duration"
FIG_IDLE_CPU = "bot CPU per poll cycle after the match"
FIG_MEMORY = "bot peak memory (VmHWM)"
FIG_STANDIN = "stand-in time per sendMessage"
FIG_SECTION_WALL = "section wall time"
FIG_TOTAL_WALL = "total wall time"
FIGURES = (
    FIG_SETTINGS,
    FIG_BEFORE,
    FIG_MATCH_CYCLE,
    FIG_AFTER,
    FIG_429,
    FIG_PUSHES,
    FIG_LATENCY,
    FIG_FIRST_PUSH,
    FIG_RATE,
    FIG_CYCLE,
    FIG_IDLE_CPU,
    FIG_MEMORY,
    FIG_STANDIN,
    FIG_SECTION_WALL,
)


class BenchmarkError(Exception):
    """The run could not complete (bot died, a wait timed out); the message says why."""


# --------------------------------------------------------------------------------------
# Instrumented simulators and Telegram stand-in


@dataclass(frozen=True)
class Hit:
    at: float  # wall clock, as the bot's heartbeat
    status: int
    ids: int  # order ids asked about


class TrackingLog:
    """Status-tracking requests seen by a simulator (TronSave track, Feee query)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hits: list[Hit] = []

    def add(self, hit: Hit) -> None:
        with self._lock:
            self._hits.append(hit)

    def snapshot(self) -> list[Hit]:
        with self._lock:
            return list(self._hits)


class BenchTronSave(TronSaveSimulator):
    TRACK_PATH = "/v0/fast-charge-order-tracking"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tracking = TrackingLog()

    def handle(self, request: Request) -> Response:
        at = time.time()
        response = super().handle(request)
        if request.path == self.TRACK_PATH:
            ids = 0
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                body = request.json()
                ids = len(body.get("order_ids") or []) if isinstance(body, dict) else 0
            self.tracking.add(Hit(at, response.status, ids))
        return response


class BenchFeee(FeeeSimulator):
    QUERY_PATHS = ("/v2/order/query", "/open/v2/order/query")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tracking = TrackingLog()

    def handle(self, request: Request) -> Response:
        at = time.time()
        response = super().handle(request)
        if request.path in self.QUERY_PATHS:
            self.tracking.add(Hit(at, response.status, 1))
        return response


class TimedTelegram(FakeTelegramServer):
    """The Bot API stand-in, noting when each sendMessage was answered and how long the
    stand-in itself spent on it (to show it is not what limits the push rate)."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self._times_lock = threading.Lock()
        self._push_times: list[float] = []
        self._send_busy: list[float] = []

    def dispatch(
        self, path: str, content_type: str, body: bytes, query: str = ""
    ) -> tuple[int, JSONDict]:
        started = time.perf_counter()
        status, payload = super().dispatch(path, content_type, body, query)
        if path.lower().rstrip("/").endswith("/sendmessage"):
            busy = time.perf_counter() - started
            with self._times_lock:
                self._send_busy.append(busy)
                if status == 200:
                    self._push_times.append(time.time())
        return status, payload

    def push_times(self) -> list[float]:
        with self._times_lock:
            return list(self._push_times)

    def send_busy(self) -> list[float]:
        with self._times_lock:
            return list(self._send_busy)


# --------------------------------------------------------------------------------------
# The bot process and its heartbeat


class BotProcess:
    def __init__(self, env: dict[str, str], cwd: Path, log_path: Path) -> None:
        self.log_path = log_path
        self._log: TextIO = log_path.open("w", encoding="utf-8")
        self.started_at = time.time()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            env=env,
            cwd=cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def status_kib(self, name: str) -> int | None:
        """A "Vm..." line of /proc/<pid>/status, in KiB."""
        try:
            text = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        match = re.search(rf"^{name}:\s+(\d+) kB", text, re.M)
        return int(match[1]) if match else None

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the process so far."""
        try:
            text = Path(f"/proc/{self.pid}/stat").read_text()
        except OSError:
            return None
        fields = text[text.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> int:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()
        return self.proc.returncode

    def log_lines(self) -> list[str]:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return []


@dataclass(frozen=True)
class Beat:
    at: float  # the bot's clock at the end of the cycle (written into the file)
    cpu: float | None  # the bot's CPU seconds when the benchmark noticed the beat


class HeartbeatWatcher:
    """Notes every rewrite of the heartbeat file: the first is start-up (post_init), each
    later one the end of a poll cycle."""

    def __init__(self, path: Path, bot: BotProcess, period: float = 0.02) -> None:
        self._path = path
        self._bot = bot
        self._period = period
        self._lock = threading.Lock()
        self._beats: list[Beat] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def beats(self) -> list[Beat]:
        with self._lock:
            return list(self._beats)

    def _run(self) -> None:
        last = ""
        while not self._stop.wait(self._period):
            try:
                text = self._path.read_text(encoding="ascii").strip()
            except OSError:
                continue
            if not text or text == last:
                continue
            last = text
            with contextlib.suppress(ValueError):
                beat = Beat(float(text.split()[0]), self._bot.cpu_seconds())
                with self._lock:
                    self._beats.append(beat)


# --------------------------------------------------------------------------------------
# Results


@dataclass
class Cycle:
    index: int
    start: float  # previous heartbeat
    end: float
    phase: str  # "before", "match" or "after"
    requests: int
    ids: int
    rate_limited: int
    first_request: float | None
    pushes: int
    cpu: float | None

    @property
    def tracking_seconds(self) -> float | None:
        return None if self.first_request is None else self.end - self.first_request


@dataclass
class SectionResult:
    title: str
    provider: ProviderName
    chats: int
    receivers: int
    settings: dict[str, str]
    match_verb: str
    tracking_endpoint: str
    pace_interval: float  # seconds between tracking requests the pacing allows
    orders_per_request: int  # order ids one tracking request carries (at most)
    sim_load_seconds: float = 0.0
    db_load_seconds: float = 0.0
    bot_ready_seconds: float | None = None
    match_seconds: float = 0.0
    matched: int = 0
    match_at: float | None = None
    cycles: list[Cycle] = field(default_factory=list)
    rate_limited_total: int = 0
    requests_by_endpoint: dict[str, int] = field(default_factory=dict)
    push_times: list[float] = field(default_factory=list)
    pushes_ok_chats: int = 0
    other_messages: int = 0
    duplicate_chats: int = 0
    send_busy: list[float] = field(default_factory=list)
    vm_hwm_kib: int | None = None
    vm_rss_kib: int | None = None
    bot_exit: int | None = None
    bot_started_at: float = 0.0
    bot_warnings: Counter[str] = field(default_factory=Counter)
    wall_seconds: float = 0.0
    error: str | None = None
    log_tail: list[str] = field(default_factory=list)

    @property
    def orders(self) -> int:
        return self.chats * self.receivers

    def phase(self, name: str) -> list[Cycle]:
        return [c for c in self.cycles if c.phase == name]

    @property
    def complete(self) -> bool:
        return self.error is None and self.pushes_ok_chats == self.chats


# --------------------------------------------------------------------------------------
# Set-up helpers


def receivers_of(section: str, chat: int, count: int) -> list[str]:
    return [
        address_from_bytes(hashlib.sha256(f"bench:{section}:{chat}:{j}".encode()).digest()[:20])
        for j in range(count)
    ]


async def preload_database(
    path: Path,
    *,
    provider: ProviderName,
    key_id: str,
    max_price: int,
    deadline_sec: int,
    submissions: Sequence[tuple[int, Sequence[str], Sequence[NewOrder]]],
) -> None:
    """One submitted submission per chat, with its orders, as the bot stores them."""
    repo = await Repository.open(path)
    try:
        now = time.time()
        for chat_id, receivers, orders in submissions:
            sub = await repo.create_submission(
                chat_id=chat_id,
                user_id=chat_id,
                provider=provider,
                key_id=key_id,
                amount=AMOUNT,
                duration_sec=DURATION_SEC,
                max_price=max_price,
                deadline_sec=deadline_sec,
                receivers=receivers,
                now=now,
            )
            await repo.record_orders(sub, orders, now=now)
    finally:
        await repo.close()


def base_env(workdir: Path, opts: argparse.Namespace, chats: Sequence[int]) -> dict[str, str]:
    """A clean environment: nothing from the caller's but PATH and locale."""
    env = {name: os.environ[name] for name in ("PATH", "LANG", "LC_ALL") if name in os.environ}
    env.update(
        {
            "PYTHONPATH": str(REPO_ROOT),
            "PYTHONUNBUFFERED": "1",
            "PTB_TIMEDELTA": "1",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "DATABASE_PATH": str(workdir / "bot.sqlite3"),
            "HEARTBEAT_PATH": str(workdir / "heartbeat"),
            "ALLOWED_USER_IDS": ",".join(str(c) for c in chats),
            "POLL_INTERVAL_SECONDS": repr(opts.poll_interval),
            "LOG_LEVEL": "INFO",
        }
    )
    return env


# --------------------------------------------------------------------------------------
# One section


@dataclass
class SectionPlan:
    result: SectionResult
    simulator: BenchTronSave | BenchFeee
    load: Callable[[Path], None]  # fills the simulator and the database at this path
    provider_env: dict[str, str]
    match: Callable[[], int]


def cycle_ends(beats: Sequence[Beat], hits: Sequence[Hit], quiet: float) -> list[Beat]:
    """Start-up, then the heartbeats that end a cycle: those followed by neither a
    tracking request nor another heartbeat within `quiet` seconds (and that are at least
    that old). The last chunk's heartbeat and the cycle's own come together: one end."""
    now = time.time()
    ends = list(beats[:1])
    for i, beat in enumerate(beats[1:], start=1):
        window = (beat.at, beat.at + quiet)
        settled = window[1] <= now
        followed = any(window[0] < h.at <= window[1] for h in hits) or any(
            window[0] < b.at <= window[1] for b in beats[i + 1 :]
        )
        if settled and not followed:
            ends.append(beat)
    return ends


def quiet_spell(result: SectionResult, opts: argparse.Namespace) -> float:
    """Longer than the gap between two chunks, shorter than the pause between cycles."""
    return min(result.pace_interval + 1.0, float(opts.poll_interval) / 2)


def classify(
    beats: Sequence[Beat],
    hits: Sequence[Hit],
    pushes: Sequence[float],
    match_at: float | None,
    orders: int,
) -> list[Cycle]:
    """Cycles from heartbeats (beat 0 is start-up): before the match, the match cycle(s)
    until every order has been asked about once since the match, then after."""
    cycles: list[Cycle] = []
    seen_since_match = 0
    for index in range(1, len(beats)):
        start, end = beats[index - 1].at, beats[index].at
        mine = [h for h in hits if start < h.at <= end]
        before_cpu, after_cpu = beats[index - 1].cpu, beats[index].cpu
        if match_at is None or end <= match_at:
            phase = "before"
        elif seen_since_match >= orders:
            phase = "after"
        else:
            phase = "match"
            seen_since_match += sum(h.ids for h in mine if h.status == 200 and h.at > match_at)
        cycles.append(
            Cycle(
                index=index,
                start=start,
                end=end,
                phase=phase,
                requests=len(mine),
                ids=sum(h.ids for h in mine if h.status == 200),
                rate_limited=sum(1 for h in mine if h.status == 429),
                first_request=mine[0].at if mine else None,
                pushes=sum(1 for p in pushes if start < p <= end),
                cpu=None if before_cpu is None or after_cpu is None else after_cpu - before_cpu,
            )
        )
    return cycles


def wait_for(condition: Callable[[], bool], timeout: float, what: str, bot: BotProcess) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if not bot.alive():
            raise BenchmarkError(f"the bot exited (code {bot.proc.returncode}) while {what}")
        if time.monotonic() > deadline:
            raise BenchmarkError(f"timed out after {timeout:.0f} s {what}")
        time.sleep(0.05)


def cycle_budget(result: SectionResult, opts: argparse.Namespace) -> float:
    """A generous bound on one cycle's length, for timeouts."""
    requests = math.ceil(result.orders / result.orders_per_request)
    return requests * (result.pace_interval + 0.5) + float(opts.poll_interval) + 30


def match_all(plan: SectionPlan) -> None:
    result = plan.result
    t0 = time.time()
    result.matched = plan.match()
    result.match_at = time.time()
    result.match_seconds = result.match_at - t0
    if result.matched != result.orders:
        raise BenchmarkError(
            f"the simulator {result.match_verb} {result.matched} of {result.orders}"
        )


def run_section(plan: SectionPlan, opts: argparse.Namespace) -> SectionResult:
    result = plan.result
    started = time.time()
    sim = plan.simulator
    tg = TimedTelegram(TOKEN)
    bot: BotProcess | None = None
    watcher: HeartbeatWatcher | None = None
    with tempfile.TemporaryDirectory(prefix="bench-poller-") as tmp:
        workdir = Path(tmp)
        try:
            sim.start()
            tg.start()
            plan.load(workdir / "bot.sqlite3")
            chats = [FIRST_CHAT + i for i in range(result.chats)]
            env = base_env(workdir, opts, chats)
            env.update(plan.provider_env)
            env["TELEGRAM_BASE_URL"] = tg.base_url
            bot = BotProcess(env, workdir, workdir / "bot.log")
            result.bot_started_at = bot.started_at
            watcher = HeartbeatWatcher(workdir / "heartbeat", bot)
            watcher.start()
            budget = cycle_budget(result, opts)
            w = watcher  # for the closures
            quiet = quiet_spell(result, opts)

            def ends() -> list[Beat]:
                return cycle_ends(w.beats(), sim.tracking.snapshot(), quiet)

            wait_for(lambda: len(w.beats()) >= 1, 60, "waiting for the bot to start", bot)
            result.bot_ready_seconds = w.beats()[0].at - bot.started_at
            wait_for(
                lambda: len(ends()) >= 1 + opts.before_cycles,
                budget * opts.before_cycles + 30,
                "waiting for the poll cycles before the match",
                bot,
            )
            # Right after a cycle ended: the next one sees every order matched at once.
            match_all(plan)

            def finished() -> bool:
                pushes = tg.push_times()
                if len(pushes) < result.chats:
                    return False
                cycles = classify(
                    ends(), sim.tracking.snapshot(), pushes, result.match_at, result.orders
                )
                # Idle cycles: after the match cycle and after the last push arrived.
                idle = [c for c in cycles if c.phase == "after" and c.start >= max(pushes)]
                return len(idle) >= int(opts.after_cycles)

            wait_for(
                finished,
                budget * (2 + opts.after_cycles) + 60,
                "waiting for the pushes and the cycles after the match",
                bot,
            )
        except BenchmarkError as exc:
            result.error = str(exc)
        finally:
            if bot is not None:
                result.vm_hwm_kib = bot.status_kib("VmHWM")
                result.vm_rss_kib = bot.status_kib("VmRSS")
                if watcher is not None:
                    watcher.stop()
                result.bot_exit = bot.stop()
                lines = bot.log_lines()
                result.log_tail = lines[-40:]
                for line in lines:
                    found = re.match(r"\S+ \S+ (WARNING|ERROR|CRITICAL) (.*)", line)
                    if found:
                        result.bot_warnings[f"{found[1]} {_generic(found[2])}"] += 1
            collect(result, sim, tg, watcher, quiet_spell(result, opts))
            tg.stop()
            sim.stop()
    result.wall_seconds = time.time() - started
    return result


def _generic(message: str) -> str:
    """A warning with its numbers blanked, so repeats of one kind count together."""
    return re.sub(r"\d[\d.:-]*", "#", message)[:140]


def collect(
    result: SectionResult,
    sim: BenchTronSave | BenchFeee,
    tg: TimedTelegram,
    watcher: HeartbeatWatcher | None,
    quiet: float,
) -> None:
    log = sim.request_log()
    rate_limited = log.get("rate_limited", 0)
    result.rate_limited_total = rate_limited if isinstance(rate_limited, int) else 0
    counts = log.get("counts", {})
    result.requests_by_endpoint = (
        {str(k): int(v) for k, v in counts.items()} if isinstance(counts, dict) else {}
    )
    result.push_times = sorted(tg.push_times())
    result.send_busy = tg.send_busy()
    beats = (
        cycle_ends(watcher.beats(), sim.tracking.snapshot(), quiet) if watcher is not None else []
    )
    result.cycles = classify(
        beats, sim.tracking.snapshot(), result.push_times, result.match_at, result.orders
    )
    for i in range(result.chats):
        texts = [m.text or "" for m in tg.messages(FIRST_CHAT + i)]
        delivered = sum(1 for t in texts if PUSH_MARK in t)
        result.pushes_ok_chats += delivered >= 1
        result.duplicate_chats += delivered > 1
        result.other_messages += len(texts) - delivered


# --------------------------------------------------------------------------------------
# The two providers


def tronsave_plan(opts: argparse.Namespace) -> SectionPlan:
    chats, per_chat = opts.chats, opts.receivers
    sim = BenchTronSave(
        api_key=TRONSAVE_KEY, rate_interval=opts.rate_interval, supply=max(100, per_chat)
    )
    sim.start()  # for its URL; run_section stops it
    chunk = opts.chunk_size
    # Chunks never split a submission: each request carries whole submissions.
    per_request = max(1, min(chunk // per_chat, chats)) * per_chat
    result = SectionResult(
        title=(
            f"TronSave Fast Charge: {chats * per_chat:,} open orders "
            f"({chats:,} chats x one submission of {per_chat} receivers)"
        ),
        provider=ProviderName.TRONSAVE,
        chats=chats,
        receivers=per_chat,
        settings={
            "TRONSAVE_TRACK_CHUNK_SIZE": str(chunk),
            "TRONSAVE_MIN_INTERVAL_SECONDS": f"{opts.min_interval:g}",
            "POLL_INTERVAL_SECONDS": f"{opts.poll_interval:g}",
            "simulator rate_interval": f"{opts.rate_interval:g} s per endpoint",
        },
        match_verb="matched",
        tracking_endpoint="track",
        pace_interval=max(opts.min_interval, opts.rate_interval),
        orders_per_request=per_request,
    )

    def load(db_path: Path) -> None:
        t0 = time.time()
        specs: list[dict[str, object]] = []
        receivers: list[list[str]] = []
        for i in range(chats):
            addresses = receivers_of("tronsave", i, per_chat)
            receivers.append(addresses)
            specs.extend(
                {
                    "request_id": f"{i + 1:024x}",
                    "receiver": address,
                    "amount": AMOUNT,
                    "duration_sec": DURATION_SEC,
                    "deadline": DEADLINE_SEC,
                }
                for address in addresses
            )
        ids = sim.load_orders(specs)
        result.sim_load_seconds = time.time() - t0
        deadline_at = time.time() + DEADLINE_SEC
        submissions = []
        for i in range(chats):
            own = ids[i * per_chat : (i + 1) * per_chat]
            orders = [
                NewOrder(
                    provider_order_id=oid,
                    receiver=address,
                    amount=AMOUNT,
                    duration_sec=DURATION_SEC,
                    raw_status="Pending",
                    deadline_at=deadline_at,
                )
                for oid, address in zip(own, receivers[i], strict=True)
            ]
            submissions.append((FIRST_CHAT + i, receivers[i], orders))
        t1 = time.time()
        asyncio.run(
            preload_database(
                db_path,
                provider=ProviderName.TRONSAVE,
                key_id=key_fingerprint(TRONSAVE_KEY),
                max_price=70,
                deadline_sec=DEADLINE_SEC,
                submissions=submissions,
            )
        )
        result.db_load_seconds = time.time() - t1

    return SectionPlan(
        result=result,
        simulator=sim,
        load=load,
        provider_env={
            "TRONSAVE_API_KEY": TRONSAVE_KEY,
            "TRONSAVE_BASE_URL": sim.base_url,
            "TRONSAVE_MIN_INTERVAL_SECONDS": repr(opts.min_interval),
            "TRONSAVE_TRACK_CHUNK_SIZE": str(chunk),
        },
        match=lambda: len(sim.match()),
    )


def feee_plan(opts: argparse.Namespace) -> SectionPlan:
    per_chat = opts.feee_receivers
    chats = opts.feee_orders // per_chat
    # Orders are placed through the API, briefly without the rate limit; the limit the
    # bot meets is set afterwards.
    sim = BenchFeee(api_key=FEEE_KEY, qps=1_000_000, balance=10**9)
    sim.start()  # for its URL; run_section stops it
    pace = max(1 / opts.feee_rps, 1 / opts.feee_qps)
    result = SectionResult(
        title=(
            f"Feee.io: {chats * per_chat:,} open orders "
            f"({chats:,} chats x one submission of {per_chat} receivers)"
        ),
        provider=ProviderName.FEEE,
        chats=chats,
        receivers=per_chat,
        settings={
            "FEEE_REQUESTS_PER_SECOND": f"{opts.feee_rps:g}",
            "POLL_INTERVAL_SECONDS": f"{opts.poll_interval:g}",
            "track batch (fixed)": "25 orders, one query each",
            "simulator qps": f"{opts.feee_qps} per key",
        },
        match_verb="delivered",
        tracking_endpoint="query",
        pace_interval=pace,
        orders_per_request=1,
    )

    def load(db_path: Path) -> None:
        t0 = time.time()
        submissions: list[tuple[int, Sequence[str], Sequence[NewOrder]]] = []
        last_submit = time.monotonic()
        with httpx.Client(
            base_url=f"{sim.base_url}/open", headers={"key": FEEE_KEY}, timeout=10
        ) as http:
            for i in range(chats):
                addresses = receivers_of("feee", i, per_chat)
                orders: list[NewOrder] = []
                for address in addresses:
                    answer = http.post(
                        "/v2/order/submit",
                        json={
                            "resource_type": 1,
                            "receive_address": address,
                            "resource_value": AMOUNT,
                            "rent_duration": 1,
                            "rent_time_unit": "d",
                            "rent_time_second": 0,
                        },
                    ).json()
                    if answer.get("code") != 0:
                        raise BenchmarkError(f"the Feee simulator refused an order: {answer}")
                    data = answer["data"]
                    orders.append(
                        NewOrder(
                            provider_order_id=str(data["order_no"]),
                            receiver=address,
                            amount=AMOUNT,
                            duration_sec=DURATION_SEC,
                            state=OrderState.PENDING,
                            raw_status=str(data["status"]),
                            charge_sun=int(Decimal(str(data["pay_amount"])) * 1_000_000),
                            provider_created_at=float(data["create_time"]),
                        )
                    )
                submissions.append((FIRST_CHAT + i, addresses, orders))
            last_submit = time.monotonic()
        sim.configure(qps=opts.feee_qps)
        sim.clear_requests()
        result.sim_load_seconds = time.time() - t0
        t1 = time.time()
        asyncio.run(
            preload_database(
                db_path,
                provider=ProviderName.FEEE,
                key_id=key_fingerprint(FEEE_KEY),
                max_price=120,
                deadline_sec=300,
                submissions=submissions,
            )
        )
        result.db_load_seconds = time.time() - t1
        # The placing requests must leave the simulator's 1-second window first.
        time.sleep(max(0.0, last_submit + 1.1 - time.monotonic()))

    return SectionPlan(
        result=result,
        simulator=sim,
        load=load,
        provider_env={
            "FEEE_API_KEY": FEEE_KEY,
            "FEEE_BASE_URL": f"{sim.base_url}/open",
            "FEEE_REQUESTS_PER_SECOND": repr(opts.feee_rps),
        },
        match=lambda: len(sim.deliver()),
    )


# --------------------------------------------------------------------------------------
# Report


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _secs(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} s"


def _mib(kib: int | None) -> str:
    return "n/a" if kib is None else f"{kib / 1024:.1f} MiB"


def _per_cycle(cycles: Sequence[Cycle]) -> str:
    if not cycles:
        return "n/a (no complete cycle)"
    mean = sum(c.requests for c in cycles) / len(cycles)
    text = f"{mean:g}" if mean == int(mean) else f"{mean:.1f}"
    span = ", ".join(f"cycle {c.index}: {c.requests}" for c in cycles[:4])
    ids = sum(c.ids for c in cycles)
    return f"{text} ({span}{', ...' if len(cycles) > 4 else ''}; {ids:,} order ids asked)"


def print_section(r: SectionResult, out: TextIO = sys.stdout) -> None:
    def say(text: str = "") -> None:
        print(text, file=out, flush=True)

    before, matching, after = r.phase("before"), r.phase("match"), r.phase("after")
    endpoint = r.tracking_endpoint
    say(f"== {r.title} ==")
    if r.provider is ProviderName.FEEE:
        say("   (the match = the simulator delivers, i.e. delegates, every order at once)")
    settings = ", ".join(f"{k}={v}" for k, v in r.settings.items())
    say(f"{FIG_SETTINGS}: {settings}")
    say(
        f"set-up: simulator loaded in {_secs(r.sim_load_seconds)}, database in "
        f"{_secs(r.db_load_seconds)}; bot ready (first heartbeat) "
        f"{_secs(r.bot_ready_seconds)} after launch; {r.matched:,} orders {r.match_verb} in "
        f"{r.match_seconds * 1000:.0f} ms right after cycle {len(before)} ended"
    )
    say(f"{FIG_BEFORE}: {_per_cycle(before)}")
    say(f"{FIG_MATCH_CYCLE}: {_per_cycle(matching)}")
    say(f"{FIG_AFTER}: {_per_cycle(after)}")
    by_endpoint = ", ".join(f"{k} {v:,}" for k, v in sorted(r.requests_by_endpoint.items()))
    total = sum(r.requests_by_endpoint.values())
    say(f"{FIG_429}: {r.rate_limited_total} (of {total:,} requests: {by_endpoint or 'none'})")

    pushes = r.push_times
    say(
        f'{FIG_PUSHES}: {r.pushes_ok_chats:,}/{r.chats:,} ("{PUSH_MARK}", one per chat; '
        f"{r.duplicate_chats} chats got it twice, {r.other_messages} other messages)"
    )
    last = pushes[-1] - r.match_at if pushes and r.match_at is not None else None
    first = pushes[0] - r.match_at if pushes and r.match_at is not None else None
    complete = "" if r.pushes_ok_chats == r.chats else " (INCOMPLETE)"
    say(f"{FIG_LATENCY}: {_secs(last)}{complete}")
    say(
        f"{FIG_FIRST_PUSH}: {_secs(first)} (the bot tracks again at its next poll tick, "
        f"<= {r.settings['POLL_INTERVAL_SECONDS']} s after the match)"
    )
    rate = (len(pushes) - 1) / (pushes[-1] - pushes[0]) if len(pushes) > 1 else None
    rate_text = "n/a" if rate is None or pushes[-1] == pushes[0] else f"{rate:.1f}"
    say(f"{FIG_RATE}: {rate_text} (first to last push)")
    asked = r.orders_per_request / r.pace_interval
    release = asked / r.receivers
    say(
        f"   why: a submission's push is queued once the poller has committed the chunk "
        f"holding its orders; the pacing allows one {endpoint} request per "
        f"{r.pace_interval:g} s with up to {r.orders_per_request:,} order id(s), i.e. "
        f"{asked:,.1f} orders/s = at most {release:,.1f} pushes/s ({r.receivers} orders per "
        f"push)."
    )
    say(
        f"   PTB's AIORateLimiter sends at most {TELEGRAM_OVERALL_RATE} messages/s overall "
        f"(and 1/s per chat), so {r.chats:,} pushes need >= "
        f"{r.chats / TELEGRAM_OVERALL_RATE:.1f} s; the slower of the two sets the pace "
        f"({'tracking' if release < TELEGRAM_OVERALL_RATE else 'the Telegram limiter'} here)."
    )
    tracked_before = [t for c in before if (t := c.tracking_seconds) is not None]
    tracked_match = [t for c in matching if (t := c.tracking_seconds) is not None]
    say(
        f"{FIG_CYCLE}: {_secs(_mean(tracked_before))} before the match, "
        f"{_secs(_mean(tracked_match))} in the match cycle (first {endpoint} request to "
        f"cycle end); cycles start every {r.settings['POLL_INTERVAL_SECONDS']} s unless "
        f"one is still running"
    )
    # Cycles during which pushes still arrived also paid for sending them.
    idle = [c.cpu for c in after if c.cpu is not None and c.pushes == 0]
    idle_text = "n/a" if not idle else f"{sum(idle) / len(idle) * 1000:.0f} ms"
    say(
        f"{FIG_IDLE_CPU}: {idle_text} (mean of {len(idle)} cycle(s) without pushes: reads "
        f"{r.orders:,} open orders, sends no request; CPU clock ticks are 10 ms)"
    )
    say(f"{FIG_MEMORY}: {_mib(r.vm_hwm_kib)} (VmRSS at the end: {_mib(r.vm_rss_kib)})")
    busy = r.send_busy
    if busy and len(pushes) > 1:
        window = pushes[-1] - pushes[0]
        share = sum(busy) / window
        verdict = "not the bottleneck" if share < 0.5 else "it may limit the push rate"
        if window < 1:
            verdict = "window too short to judge"
        say(
            f"{FIG_STANDIN}: {sum(busy) / len(busy) * 1000:.2f} ms mean, "
            f"{max(busy) * 1000:.1f} ms max; {sum(busy):.2f} s busy over the "
            f"{window:.1f} s push window ({share * 100:.1f} %): {verdict}"
        )
    else:
        mean_busy = f"{sum(busy) / len(busy) * 1000:.2f} ms mean" if busy else "n/a"
        say(f"{FIG_STANDIN}: {mean_busy}")
    warnings = sum(r.bot_warnings.values())
    say(f"bot log: {warnings} warning/error line(s); exit code {r.bot_exit}")
    for text, count in r.bot_warnings.most_common(3):
        say(f"   {count} x {text}")
    say(f"{FIG_SECTION_WALL}: {r.wall_seconds:.1f} s")
    say("cycles (seconds since the bot was launched):")
    say("   cycle  phase    ends at  requests  order ids   429  tracking s  pushes  CPU ms")
    shown = r.cycles if len(r.cycles) <= 30 else [*r.cycles[:15], *r.cycles[-15:]]
    for c in shown:
        tracking = "" if c.tracking_seconds is None else f"{c.tracking_seconds:.1f}"
        cpu = "" if c.cpu is None else f"{c.cpu * 1000:.0f}"
        say(
            f"   {c.index:>5}  {c.phase:<6} {c.end - r.bot_started_at:>8.1f}  "
            f"{c.requests:>8}  {c.ids:>9,}  {c.rate_limited:>4}  {tracking:>10}  "
            f"{c.pushes:>6}  {cpu:>6}"
        )
    if r.error is not None:
        say(f"FAILED: {r.error}")
        say("bot log (last lines):")
        for line in r.log_tail:
            say(f"   | {line}")
    say()


# --------------------------------------------------------------------------------------
# Command line


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.poller",
        description="Open orders, one match, pushes to Telegram: the bot's poller measured.",
    )
    parser.add_argument("--only", choices=("tronsave", "feee"), help="run one section")
    ts = parser.add_argument_group("TronSave")
    ts.add_argument("--chats", type=_positive_int, default=1000, help="default 1000")
    ts.add_argument(
        "--receivers", type=_positive_int, default=10, help="orders per chat (default 10)"
    )
    ts.add_argument("--chunk-size", type=_positive_int, default=500, help="default 500")
    ts.add_argument(
        "--min-interval",
        type=_non_negative_float,
        default=2.0,
        help="TRONSAVE_MIN_INTERVAL_SECONDS (default 2)",
    )
    ts.add_argument(
        "--rate-interval",
        type=_non_negative_float,
        default=2.0,
        help="simulator: seconds per accepted request per endpoint (default 2)",
    )
    fe = parser.add_argument_group("Feee")
    fe.add_argument("--feee-orders", type=_positive_int, default=200, help="default 200")
    fe.add_argument(
        "--feee-receivers", type=_positive_int, default=10, help="orders per chat (default 10)"
    )
    fe.add_argument(
        "--feee-rps", type=_positive_float, default=5.0, help="FEEE_REQUESTS_PER_SECOND"
    )
    fe.add_argument(
        "--feee-qps", type=_positive_int, default=5, help="simulator requests/s (default 5)"
    )
    parser.add_argument(
        "--poll-interval", type=_positive_float, default=10.0, help="POLL_INTERVAL_SECONDS"
    )
    parser.add_argument(
        "--before-cycles", type=_positive_int, default=1, help="cycles before the match"
    )
    parser.add_argument(
        "--after-cycles", type=_positive_int, default=2, help="cycles measured after it"
    )
    opts = parser.parse_args(argv)
    if opts.chunk_size > 5000:
        parser.error("--chunk-size: the bot accepts at most 5000")
    if opts.feee_orders % opts.feee_receivers:
        parser.error("--feee-orders must be a multiple of --feee-receivers")
    return opts


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)
    started = time.time()
    print(
        f"poller benchmark: bot = {Path(sys.executable).name} -m bot (separate process), "
        f"simulators and Telegram stand-in in this process, all on 127.0.0.1",
        flush=True,
    )
    print(
        "the match happens right after the first poll cycle(s) end; pushes are timed when "
        "the stand-in answers sendMessage",
        flush=True,
    )
    print(flush=True)
    builders = {"tronsave": tronsave_plan, "feee": feee_plan}
    results: list[SectionResult] = []
    for name, build in builders.items():
        if opts.only in (None, name):
            result = run_section(build(opts), opts)
            print_section(result)
            results.append(result)
    ok = all(r.complete for r in results)
    print(f"{FIG_TOTAL_WALL}: {time.time() - started:.1f} s", flush=True)
    print(f"result: {'OK' if ok else 'FAILED'}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
