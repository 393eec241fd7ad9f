"""The poller benchmark at a tiny size: it runs end to end, prints every figure, and every
push arrives. Runs the script as a user would (`python -m benchmarks.poller`), which starts
`python -m bot` as a separate process."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import poller

REPO_ROOT = Path(__file__).resolve().parents[2]
TINY = [
    "--chats", "3", "--receivers", "2",
    "--feee-orders", "4", "--feee-receivers", "2",
    "--min-interval", "0.05", "--rate-interval", "0.05",
    "--feee-rps", "50", "--feee-qps", "100",
    "--poll-interval", "0.5", "--after-cycles", "1",
]  # fmt: skip


def _value(report: str, label: str) -> list[str]:
    """The text after "label: " on every line starting with it (one per section)."""
    return re.findall(rf"^{re.escape(label)}: (.*)$", report, re.M)


@pytest.mark.e2e
def test_tiny_benchmark_reports_every_figure_and_all_pushes() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.poller", *TINY],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    report = done.stdout
    assert done.returncode == 0, f"{report}\n{done.stderr}"
    assert "== TronSave Fast Charge: 6 open orders" in report
    assert "== Feee.io: 4 open orders" in report

    for label in poller.FIGURES:
        values = _value(report, label)
        assert len(values) == 2, f"{label!r} not printed once per section:\n{report}"
        if label != poller.FIG_SETTINGS:
            # A number, not "n/a": every figure was measured.
            assert all(re.match(r"[0-9]", v) for v in values), f"{label}: {values}"

    tronsave, feee = _value(report, poller.FIG_PUSHES)
    assert tronsave.startswith("3/3 ")
    assert feee.startswith("2/2 ")
    for pushes in (tronsave, feee):
        assert "0 chats got it twice, 0 other messages" in pushes
    # Before the match every open order is tracked; after it, matched orders are not.
    assert [v.split()[0] for v in _value(report, poller.FIG_BEFORE)] == ["1", "4"]
    assert [v.split()[0] for v in _value(report, poller.FIG_AFTER)] == ["0", "0"]
    assert all(v.split()[0] == "0" for v in _value(report, poller.FIG_429)), report
    assert re.search(rf"^{poller.FIG_TOTAL_WALL}: [0-9.]+ s$", report, re.M)
    assert report.rstrip().endswith("result: OK")
