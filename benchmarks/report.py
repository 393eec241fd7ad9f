"""The side-by-side table: each figure for both configurations and how many times the
shipped bot is ahead (naive / shipped for waits, shipped / naive for rates).

A wait the run did not see end (a push still missing when the run stopped) is a lower
bound, printed "> N s"; a ratio built on one is a bound too ("≥", "≤").
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TextIO

from benchmarks.measure import Bound, mean_rate, rolling_max
from benchmarks.scenario import PushLoad, RunResult, SummaryLoad

TELEGRAM_RATE = 30  # messages per second overall

# Figure labels (the smoke test looks for each, once per table).
CONFIRM = ("time to Confirm p50", "time to Confirm p95", "time to Confirm max")
PUSH = ("match → push p50", "match → push p95", "match → push max")
FLOOR = ("p50 / floor", "p95 / floor", "max / floor")
LAST_FLOOR = "last push / its floor"
RATE = "pushes per second"
ROLLING = "sends in the busiest second"
REQUESTS = "tracking requests (ids each)"
CYCLES = "poll cycles finished"
PROVIDER_429 = "provider 429s"
TELEGRAM_429 = "Telegram 429s"
MEMORY = "bot peak memory (VmHWM)"
SUMMARY_FIGURES = (*CONFIRM, PROVIDER_429, TELEGRAM_429, MEMORY)
PUSH_FIGURES = (
    *PUSH,
    *FLOOR,
    LAST_FLOOR,
    RATE,
    ROLLING,
    REQUESTS,
    CYCLES,
    PROVIDER_429,
    TELEGRAM_429,
    MEMORY,
)

Value = Bound | None


@dataclass(frozen=True)
class Row:
    label: str
    shipped: str
    naive: str
    ratio: str


def machine() -> str:
    """nproc, memory and Python, for the record next to the figures."""
    try:
        mem = (
            subprocess.run(["free", "-h"], capture_output=True, text=True, check=False, timeout=5)
            .stdout.splitlines()[1]
            .split()[1]
        )
    except (OSError, IndexError, subprocess.SubprocessError):
        mem = "?"
    return (
        f"{os.cpu_count()} cores (nproc {len(os.sched_getaffinity(0))}), {mem} RAM, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def _fmt(value: Value, unit: str, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    text = f"{value.value:,.{digits}f}{unit}"
    return text if value.exact else f"> {text}"


def _ratio(shipped: Value, naive: Value, *, higher_is_better: bool = False) -> str:
    """How many times the shipped bot is ahead."""
    if shipped is None or naive is None:
        return "n/a"
    ahead, behind = (shipped, naive) if higher_is_better else (naive, shipped)
    if behind.value == 0:
        return "n/a"
    text = f"{ahead.value / behind.value:.2f}×"
    if ahead.exact and behind.exact:
        return text
    if not ahead.exact and behind.exact:
        return f"≥ {text}"  # the worse one is worse still
    if ahead.exact and not behind.exact:
        return f"≤ {text}"
    return "?"


def _count(value: int) -> Value:
    return Bound(float(value))


def _mib(kib: int | None) -> Value:
    return None if kib is None else Bound(kib / 1024)


@dataclass(frozen=True)
class Figure:
    label: str
    get: Callable[[RunResult], Value]
    unit: str = ""
    digits: int = 1
    higher_is_better: bool = False
    ratio: bool = True


def _rows(figures: Sequence[Figure], shipped: RunResult, naive: RunResult) -> list[Row]:
    rows = []
    for f in figures:
        s, n = f.get(shipped), f.get(naive)
        ratio = _ratio(s, n, higher_is_better=f.higher_is_better) if f.ratio else ""
        rows.append(Row(f.label, _fmt(s, f.unit, f.digits), _fmt(n, f.unit, f.digits), ratio))
    return rows


def _percentile(p: float, floor: float = 1.0) -> Callable[[RunResult], Value]:
    """The p-th percentile wait, divided by `floor`."""

    def get(result: RunResult) -> Value:
        value = None if result.latencies is None else result.latencies.percentile(p)
        return None if value is None else Bound(value.value / floor, value.exact)

    return get


def _common(shipped: RunResult, naive: RunResult) -> list[Row]:
    return _rows(
        [
            Figure(PROVIDER_429, lambda r: _count(r.provider_429), digits=0, ratio=False),
            Figure(TELEGRAM_429, lambda r: _count(r.telegram_429), digits=0, ratio=False),
            Figure(MEMORY, lambda r: _mib(r.peak_kib), " MiB"),
        ],
        shipped,
        naive,
    )


def summary_rows(shipped: RunResult, naive: RunResult) -> list[Row]:
    figures = [
        Figure(label, _percentile(p), " s")
        for label, p in zip(CONFIRM, (50, 95, 100), strict=True)
    ]
    return _rows(figures, shipped, naive) + _common(shipped, naive)


def _requests(result: RunResult) -> str:
    hits = [h for h in result.tracking if h.status == 200]
    if not hits:
        return "0"
    ids = sorted(h.ids for h in hits)
    return f"{len(result.tracking):,} ({ids[0]:,}–{ids[-1]:,})"


def floors(load: PushLoad, pace: float) -> tuple[float, float]:
    """The floor of a push (one tracking request's pace: a match can wait that long for
    the next request) and of the last push (that, plus every chat's push at Telegram's
    30 per second)."""
    return pace, pace + load.chats / TELEGRAM_RATE


def push_rows(load: PushLoad, pace: float, shipped: RunResult, naive: RunResult) -> list[Row]:
    floor, last_floor = floors(load, pace)
    figures = [
        Figure(label, _percentile(p), " s", 2)
        for label, p in zip(PUSH, (50, 95, 100), strict=True)
    ]
    figures += [
        Figure(label, _percentile(p, floor), "×", 2)
        for label, p in zip(FLOOR, (50, 95, 100), strict=True)
    ]
    figures += [
        Figure(LAST_FLOOR, _percentile(100, last_floor), "×", 2),
        Figure(RATE, lambda r: _opt(mean_rate(r.pushes)), "/s", 2, higher_is_better=True),
        Figure(ROLLING, lambda r: _count(rolling_max(r.sent)), digits=0, ratio=False),
    ]
    rows = _rows(figures, shipped, naive)
    rows.append(Row(REQUESTS, _requests(shipped), _requests(naive), ""))
    rows.append(Row(CYCLES, _cycles(shipped), _cycles(naive), ""))
    return rows + _common(shipped, naive)


def _opt(value: float | None) -> Value:
    return None if value is None else Bound(value)


def _cycles(result: RunResult) -> str:
    if not result.cycles:
        return "0"
    first = result.cycles[0]
    return f"{len(result.cycles)} (first {first.seconds:.1f} s, {first.track_calls} calls)"


def print_table(title: str, rows: Sequence[Row], out: TextIO, *, markdown: bool) -> None:
    header = Row("figure", "shipped", "naive", "shipped ahead by")
    if markdown:
        print(f"\n**{title}**\n", file=out)
        for row in (header, Row("---", "---", "---", "---"), *rows):
            print(f"| {row.label} | {row.shipped} | {row.naive} | {row.ratio} |", file=out)
        print(file=out)
        return
    widths = [max(len(getattr(r, f)) for r in (header, *rows)) for f in Row.__dataclass_fields__]
    print(f"== {title} ==", file=out)
    for row in (header, *rows):
        cells = [row.label, row.shipped, row.naive, row.ratio]
        line = "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        )
        print(f"{line.rstrip()}", file=out)
    print(file=out)


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def print_notes(load: SummaryLoad | PushLoad, runs: dict[str, RunResult], out: TextIO) -> None:
    """Errors and warnings of each run, under its table."""
    for name, run in runs.items():
        if run.error is not None:
            status = "cut off" if run.cut_off else "FAILED"
            print(f"{name}: {status}: {run.error}", file=out)
        for text, count in sorted(run.warnings.items(), key=lambda w: -w[1])[:3]:
            print(f"{name}: bot log {count} × {_one_line(text)}", file=out)
        if run.telegram_429_rules:
            rules = ", ".join(f"{k} {v}" for k, v in sorted(run.telegram_429_rules.items()))
            print(f"{name}: Telegram 429s by limit: {rules}", file=out)
        if isinstance(load, PushLoad) and run.latencies is not None and run.latencies.missing:
            print(f"{name}: {_projection(load, run)}", file=out)
        stopped = "" if run.stop_seconds is None else f"{run.stop_seconds:.1f} s"
        print(
            f"{name}: run took {run.seconds:.0f} s; the bot exited {stopped} after SIGTERM "
            f"(code {run.exit_code})",
            file=out,
        )
    print(file=out)


def _projection(load: PushLoad, run: RunResult) -> str:
    """For a run stopped at the cap: when its last order would have been asked about, at
    the tracking pace it kept after the match (an estimate, not a measurement)."""
    assert run.latencies is not None
    got = f"{run.latencies.total - run.latencies.missing:,} of {load.chats:,} pushes came"
    after = [h for h in run.tracking if run.match_at is not None and h.at > run.match_at]
    asked = sum(h.ids for h in after if h.status == 200)
    if run.match_at is None or len(after) < 2 or asked == 0:
        return f"{got} within the {load.cap:g} s cap"
    rate = asked / (after[-1].at - run.match_at)
    return (
        f"{got} within the {load.cap:g} s cap; at the tracking pace it kept "
        f"({rate:.2f} orders/s) its last order would be asked about "
        f"≈ {load.orders / rate:,.0f} s after the match (estimate)"
    )
