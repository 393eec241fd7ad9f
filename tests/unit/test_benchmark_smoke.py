"""The benchmark at a tiny size: one invocation runs the shipped and the naive
configuration on the same loads, and every figure is reported for both. A smoke test of
the instrument, not a timed test: the numbers themselves are not judged here."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import report

REPO_ROOT = Path(__file__).resolve().parents[2]
TINY = [
    "--users", "2", "--push", "4x2",
    "--pace", "0.05", "--poll-interval", "0.3", "--push-cap", "15", "--settle", "2",
]  # fmt: skip
SECONDS = re.compile(r"[0-9][0-9,.]* s")
NUMBER = re.compile(r"[0-9][0-9,.]*")


def _tables(out: str) -> dict[str, dict[str, tuple[str, str]]]:
    """Per table title, each figure's (shipped, naive) cells."""
    tables: dict[str, dict[str, tuple[str, str]]] = {}
    current: dict[str, tuple[str, str]] | None = None
    for line in out.splitlines():
        if line.startswith("== ") and line.endswith(" =="):
            current = tables.setdefault(line[3:-3], {})
        elif current is not None and line.strip():
            cells = re.split(r" {2,}", line.strip())
            if len(cells) >= 3:
                current[cells[0]] = (cells[1], cells[2])
        else:
            current = None
    return tables


@pytest.mark.e2e
def test_tiny_benchmark_reports_every_figure_for_both_configurations() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", *TINY],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, f"{out}\n{done.stderr}"
    assert re.search(r"^machine: \d+ cores .*Python 3\.", out, re.M), out
    assert (
        "configuration naive: TRONSAVE_TRACK_CHUNK_SIZE=1 POLL_INTERVAL_SECONDS=10 "
        "POLL_BUSY_INTERVAL_SECONDS=10" in out
    )
    tables = _tables(out)
    summary = tables["2 users ask for a summary at once (/new 65000 15m 70 T…)"]
    pushes = tables["4 open orders over 2 chats (2 receivers each) matched at once"]
    for table, figures in ((summary, report.SUMMARY_FIGURES), (pushes, report.PUSH_FIGURES)):
        for label in figures:
            assert label in table, f"{label!r} missing:\n{out}"
            for cell in table[label]:
                # Measured for both: a number, never "n/a" nor a bound ("> ...").
                assert NUMBER.match(cell), f"{label}: {table[label]}\n{out}"
    for label in (*report.CONFIRM, *report.PUSH):
        assert all(SECONDS.fullmatch(c) for c in {**summary, **pushes}[label]), label
    # The naive bot asks about one order per request, the shipped one about all four.
    assert pushes[report.REQUESTS][1].endswith("(1–1)")
    assert pushes[report.REQUESTS][0].endswith("(4–4)")
    # Cycles are read from the bot's own records, in both configurations.
    assert all(int(cell.split()[0]) >= 1 for cell in pushes[report.CYCLES]), pushes
    for table in (summary, pushes):
        assert table[report.PROVIDER_429] == ("0", "0")
        assert table[report.TELEGRAM_429] == ("0", "0")
    assert out.rstrip().endswith("result: OK")
