"""The benchmark's target checks: each speed target is judged on the shipped bot's
figures of the load it is set for, a figure the run did not see is never met, and a
naive run cut off at a wait's limit does not fail the benchmark."""

from __future__ import annotations

import io
from collections.abc import Sequence

from benchmarks.__main__ import _failed
from benchmarks.measure import Latencies
from benchmarks.scenario import PushLoad, RunResult, SummaryLoad
from benchmarks.targets import Check, print_checks, push_checks, summary_checks


def run(waits: list[float], total: int, **fields: object) -> RunResult:
    result = RunResult(latencies=Latencies.of(waits, total, censored_at=90.0))
    for name, value in fields.items():
        setattr(result, name, value)
    return result


def by_target(checks: Sequence[Check], word: str) -> bool:
    (check,) = [c for c in checks if word in c.target]
    return check.met


def test_the_summary_target_is_the_p95_of_20_users() -> None:
    fast = summary_checks(SummaryLoad(20), run([0.1] * 19 + [2.9], 20))
    slow = summary_checks(SummaryLoad(20), run([0.1] * 18 + [3.1, 3.2], 20))
    assert by_target(fast, "p95")
    assert not by_target(slow, "p95")
    # Another size has only the 429 targets.
    assert [c.target for c in summary_checks(SummaryLoad(60), run([0.1], 60))] == [
        "60 users: 0 provider 429s",
        "60 users: 0 Telegram 429s",
    ]


def test_the_medium_push_target_is_the_median_and_a_missing_one_is_not_met() -> None:
    load = PushLoad(2_000, 20, cap=90, settle=20)
    assert by_target(push_checks(load, 2.0, run([2.1] * 20, 20)), "p50")
    assert not by_target(push_checks(load, 2.0, run([2.6] * 20, 20)), "p50")
    # Half the chats never got theirs: the median is only a bound.
    assert not by_target(push_checks(load, 2.0, run([2.0] * 9, 20)), "p50")


def test_the_large_push_targets_and_the_429s() -> None:
    load = PushLoad(10_000, 1_000, cap=90, settle=20)
    pushes = [2.0 + i / 30 for i in range(1_000)]
    good = run(pushes, 1_000, pushes=pushes, peak_kib=90_000)
    checks = push_checks(load, 2.0, good)
    assert all(c.met for c in checks), checks
    late = run([*pushes[:-1], 40.0], 1_000, pushes=pushes, peak_kib=120_000, telegram_429=2)
    checks = push_checks(load, 2.0, late)
    assert not by_target(checks, "floor")
    assert not by_target(checks, "memory")
    assert not by_target(checks, "Telegram 429s")
    out = io.StringIO()
    print_checks(checks, out, markdown=True)
    assert "NOT MET" in out.getvalue()


def test_a_cut_off_naive_run_is_not_a_failure_but_a_shipped_one_is() -> None:
    cut = RunResult(error="timed out after 210 s waiting", cut_off=True)
    assert not _failed({"shipped": RunResult(), "naive": cut})
    assert _failed({"shipped": cut, "naive": RunResult()})
    assert _failed({"shipped": RunResult(), "naive": RunResult(error="the bot exited (code 1)")})
