"""The speed targets, checked on the shipped bot's figures for the loads they are set
for (a load of another size has only the 429 targets): one line each, met or not."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from benchmarks.measure import mean_rate
from benchmarks.report import floors
from benchmarks.scenario import PushLoad, RunResult, SummaryLoad

SUMMARY_USERS, SUMMARY_P95 = 20, 3.0  # seconds to Confirm, 20 users at once
MEDIUM, MEDIUM_P50 = (2_000, 20), 2.5  # orders, chats; seconds match -> push
LARGE, LARGE_LAST = (10_000, 1_000), 1.1  # the last push, times its floor
MIN_RATE = 25.0  # pushes per second at the large load
MAX_MEMORY_MB = 100.0  # peak, at the large load (10^6 bytes)


@dataclass(frozen=True)
class Check:
    target: str
    measured: str
    met: bool


def _wait(result: RunResult, p: float) -> float | None:
    """An exact percentile; None when the run did not see it (or saw no chat)."""
    value = result.latencies.percentile(p) if result.latencies is not None else None
    return value.value if value is not None and value.exact else None


def _at_most(target: str, value: float | None, limit: float, unit: str) -> Check:
    measured = "not measured" if value is None else f"{value:,.2f}{unit}"
    return Check(target, measured, value is not None and value <= limit)


def _no_429s(where: str, shipped: RunResult) -> list[Check]:
    return [
        Check(f"{where}: 0 provider 429s", str(shipped.provider_429), shipped.provider_429 == 0),
        Check(f"{where}: 0 Telegram 429s", str(shipped.telegram_429), shipped.telegram_429 == 0),
    ]


def summary_checks(load: SummaryLoad, shipped: RunResult) -> list[Check]:
    checks = _no_429s(f"{load.users} users", shipped)
    if load.users == SUMMARY_USERS:
        target = f"{load.users} users: time to Confirm p95 ≤ {SUMMARY_P95:g} s"
        checks.insert(0, _at_most(target, _wait(shipped, 95), SUMMARY_P95, " s"))
    return checks


def push_checks(load: PushLoad, pace: float, shipped: RunResult) -> list[Check]:
    where = f"{load.orders:,}/{load.chats:,}"
    checks: list[Check] = []
    if (load.orders, load.chats) == MEDIUM:
        target = f"{where}: match → push p50 ≤ {MEDIUM_P50:g} s"
        checks.append(_at_most(target, _wait(shipped, 50), MEDIUM_P50, " s"))
    if (load.orders, load.chats) == LARGE:
        _, last_floor = floors(load, pace)
        last = _wait(shipped, 100)
        ratio = None if last is None else last / last_floor
        target = f"{where}: last push ≤ {LARGE_LAST:g} × its floor ({last_floor:.1f} s)"
        checks.append(_at_most(target, ratio, LARGE_LAST, "×"))
        rate = mean_rate(shipped.pushes)
        checks.append(
            Check(
                f"{where}: ≥ {MIN_RATE:g} pushes per second",
                "not measured" if rate is None else f"{rate:.2f}/s",
                rate is not None and rate >= MIN_RATE,
            )
        )
        mb = None if shipped.peak_kib is None else shipped.peak_kib * 1024 / 1e6
        checks.append(_at_most(f"{where}: peak memory ≤ {MAX_MEMORY_MB:g} MB", mb, 100.0, " MB"))
    return checks + _no_429s(where, shipped)


def print_checks(checks: Sequence[Check], out: TextIO, *, markdown: bool) -> None:
    if not checks:
        return
    print("targets (the shipped bot):", file=out)
    for check in checks:
        mark = "met" if check.met else "NOT MET"
        bullet = "- " if markdown else "  "
        print(f"{bullet}{check.target}: {check.measured}, {mark}", file=out)
    print(file=out)
