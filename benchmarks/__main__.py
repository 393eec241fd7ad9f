"""The speed benchmark: the bot as it ships against the bot configured as a naive bot
would work, on the same load, side by side. Run from the repository root::

    python -m benchmarks              # every load at the issue's sizes (~10 min, 2 cores)
    python -m benchmarks --quick      # CI-sized loads, real pacing (~3 min)
    python -m benchmarks --only push --push 2000x20

Each run starts its own TronSave simulator (one request per 2 s per endpoint, as
TronSave allows), its own Bot API stand-in (Telegram's send limits enforced: 30 per
rolling second, 1 per second per private chat after a burst of 3, 20 per minute per
group) and `python -m bot` as a separate process. The two configurations of one load run
at the same time (each on its own stand-ins), unless --sequential.

Under the tables each speed target set for a load of that size is checked on the
shipped bot's figures (`targets`). The result is OK when every run completed (the naive
bot may be cut off at a wait's limit: its figures are then lower bounds) and every target
is met.

Configurations:
- shipped: the bot's defaults, nothing set but keys, URLs and the database path;
- naive:   TRONSAVE_TRACK_CHUNK_SIZE=1 (one order per tracking request) and
           POLL_INTERVAL_SECONDS=10 POLL_BUSY_INTERVAL_SECONDS=10 (a fixed pause
           between cycles, busy or not) and QUOTE_SHARING=false (each summary its own
           price call).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

from benchmarks.report import (
    floors,
    machine,
    print_notes,
    print_table,
    push_rows,
    summary_rows,
)
from benchmarks.scenario import Pace, PushLoad, RunResult, SummaryLoad, run_pushes, run_summaries
from benchmarks.targets import Check, print_checks, push_checks, summary_checks

CONFIGURATIONS: dict[str, dict[str, str]] = {
    "shipped": {},
    "naive": {
        "TRONSAVE_TRACK_CHUNK_SIZE": "1",
        "POLL_INTERVAL_SECONDS": "10",
        "POLL_BUSY_INTERVAL_SECONDS": "10",
        "QUOTE_SHARING": "false",
    },
}


@dataclass(frozen=True)
class Sizes:
    users: str
    push: str
    cap: float  # seconds after the match a run waits for pushes


FULL = Sizes(users="20,60", push="2000x20,10000x1000", cap=90.0)
QUICK = Sizes(users="5,10", push="200x20,1000x100", cap=30.0)


def _users(text: str) -> list[int]:
    values = [int(v) for v in text.split(",") if v.strip()]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("comma-separated user counts >= 1")
    return values


def _pushes(text: str) -> list[tuple[int, int]]:
    """ "2000x20,10000x1000": orders x chats."""
    loads = []
    for part in text.split(","):
        orders, _, chats = part.strip().partition("x")
        try:
            load = (int(orders), int(chats))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{part!r}: ORDERSxCHATS") from None
        if min(load) < 1 or load[0] % load[1]:
            raise argparse.ArgumentTypeError(f"{part!r}: orders a multiple of chats, >= 1")
        loads.append(load)
    return loads


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="The bot as it ships and a naive configuration, side by side.",
    )
    parser.add_argument("--quick", action="store_true", help="CI-sized loads")
    parser.add_argument("--only", choices=("summary", "push"), help="one kind of load")
    parser.add_argument("--users", type=_users, help=f"summary loads (default {FULL.users})")
    parser.add_argument(
        "--push", type=_pushes, help=f"push loads, ORDERSxCHATS (default {FULL.push})"
    )
    parser.add_argument(
        "--push-cap",
        type=_positive,
        help=f"seconds after the match a run waits for pushes (default {FULL.cap:g})",
    )
    parser.add_argument(
        "--settle",
        type=_positive,
        default=20.0,
        help="match after the first poll cycle or this many seconds of tracking (default 20)",
    )
    parser.add_argument(
        "--pace",
        type=_positive,
        default=2.0,
        help="TronSave seconds per request per endpoint, simulator and bot (default 2)",
    )
    parser.add_argument(
        "--poll-interval",
        type=_positive,
        help="POLL_INTERVAL_SECONDS for both configurations (tiny runs only)",
    )
    parser.add_argument("--sequential", action="store_true", help="one configuration at a time")
    parser.add_argument("--markdown", action="store_true", help="tables as Markdown")
    opts = parser.parse_args(argv)
    sizes = QUICK if opts.quick else FULL
    opts.users = opts.users or _users(sizes.users)
    opts.push = opts.push or _pushes(sizes.push)
    opts.push_cap = opts.push_cap or sizes.cap
    return opts


def side_by_side(
    run: Callable[[dict[str, str]], RunResult], sequential: bool
) -> dict[str, RunResult]:
    if sequential:
        return {name: run(config) for name, config in CONFIGURATIONS.items()}
    with ThreadPoolExecutor(max_workers=len(CONFIGURATIONS)) as pool:
        futures = {name: pool.submit(run, config) for name, config in CONFIGURATIONS.items()}
        return {name: future.result() for name, future in futures.items()}


def _failed(runs: dict[str, RunResult]) -> bool:
    """A run that went wrong; the naive bot cut off at a wait's limit did not: its
    figures are lower bounds ("> …")."""
    return any(
        r.error is not None and not (name == "naive" and r.cut_off) for name, r in runs.items()
    )


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)
    out = sys.stdout
    started = time.time()
    pace = Pace(interval=opts.pace, poll_interval=opts.poll_interval)
    print(f"machine: {machine()}", file=out)
    for name, config in CONFIGURATIONS.items():
        settings = " ".join(f"{k}={v}" for k, v in config.items()) or "the defaults"
        print(f"configuration {name}: {settings}", file=out)
    print(f"TronSave pace: one request per {pace.interval:g} s per endpoint", file=out)
    print(file=out, flush=True)
    failed = False
    checks: list[Check] = []
    if opts.only in (None, "summary"):
        for users in opts.users:
            load = SummaryLoad(users)
            runs = side_by_side(partial(run_summaries, load, pace=pace), opts.sequential)
            print_table(
                load.title,
                summary_rows(runs["shipped"], runs["naive"]),
                out,
                markdown=opts.markdown,
            )
            print_notes(load, runs, out)
            failed |= _failed(runs)
            checks += summary_checks(load, runs["shipped"])
            out.flush()
    if opts.only in (None, "push"):
        for orders, chats in opts.push:
            push = PushLoad(orders, chats, cap=opts.push_cap, settle=opts.settle)
            runs = side_by_side(partial(run_pushes, push, pace=pace), opts.sequential)
            print_table(
                push.title,
                push_rows(push, pace.interval, runs["shipped"], runs["naive"]),
                out,
                markdown=opts.markdown,
            )
            floor, last = floors(push, pace.interval)
            print(
                f"floor: {floor:g} s (one tracking request per {pace.interval:g} s); the "
                f"last push's: {last:.1f} s (plus {chats:,} pushes at 30/s)",
                file=out,
            )
            print_notes(push, runs, out)
            failed |= _failed(runs)
            checks += push_checks(push, pace.interval, runs["shipped"])
            out.flush()
    print_checks(checks, out, markdown=opts.markdown)
    failed |= not all(c.met for c in checks)
    print(f"total wall time: {time.time() - started:.0f} s", file=out)
    print(f"result: {'FAILED' if failed else 'OK'}", file=out, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
