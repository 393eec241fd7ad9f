"""The bot under measurement: `python -m bot` started through the launcher the end-to-end
tests use, its environment, and the poll-cycle records it logs.

Each finished poll cycle logs one record (bot/telegram/poll_job.py)::

    poll cycle done tracked=10000 changed=0 track_calls=20 unreadable=0 skipped=0
    errors=none seconds=40.113

The benchmark reads those lines as they arrive instead of guessing cycles from the
heartbeat file's timing.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from testkit.launcher import BotProcess, clean_environ, launch_bot

TOKEN = "4242:benchmark-token-abcdef"
TRONSAVE_KEY = "bench-tronsave-key"
_RECORD = re.compile(
    r"poll cycle done tracked=(?P<tracked>\d+) changed=(?P<changed>\d+) "
    r"track_calls=(?P<calls>\d+) .*seconds=(?P<seconds>[0-9.]+)"
)
_WARNING = re.compile(r"\S+ \S+ (WARNING|ERROR|CRITICAL) (.*)")


class BenchmarkError(Exception):
    """The run could not complete (the bot died, a wait timed out); says why."""


class WaitTimedOut(BenchmarkError):
    """What the run waited for did not come in time: the bot was too slow, not broken."""


@dataclass(frozen=True)
class CycleRecord:
    ended_at: float  # when the line arrived
    tracked: int
    changed: int
    track_calls: int
    seconds: float


class BotUnderTest:
    """One bot process; collects its cycle records and warnings while it runs."""

    def __init__(
        self,
        *,
        workdir: Path,
        telegram_url: str,
        tronsave_url: str,
        allowed: list[int],
        settings: Mapping[str, str],
    ) -> None:
        env = clean_environ()
        env.update(
            {
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_BASE_URL": telegram_url,
                "TRONSAVE_API_KEY": TRONSAVE_KEY,
                "TRONSAVE_BASE_URL": tronsave_url,
                "DATABASE_PATH": str(workdir / "bot.sqlite3"),
                "ALLOWED_USER_IDS": ",".join(map(str, allowed)),
                "LOG_LEVEL": "INFO",
                # The figures are the providers' and Telegram's pace; no test reaches a node.
                "TRON_CHAIN_READS": "false",
                **settings,
            }
        )
        self._env = env
        self._workdir = workdir
        self._lock = threading.Lock()
        self._cycles: list[CycleRecord] = []
        self.warnings: Counter[str] = Counter()
        self.proc: BotProcess | None = None
        self.peak_kib: int | None = None
        self.stop_seconds: float | None = None  # SIGTERM to exit
        self.exit_code: int | None = None

    def start(self) -> None:
        self.proc = launch_bot(
            self._env,
            cwd=self._workdir,
            log_path=self._workdir / "bot.log",
            on_line=self._on_line,
        )

    def _on_line(self, line: str, at: float) -> None:
        found = _RECORD.search(line)
        if found is not None:
            record = CycleRecord(
                at,
                int(found["tracked"]),
                int(found["changed"]),
                int(found["calls"]),
                float(found["seconds"]),
            )
            with self._lock:
                self._cycles.append(record)
            return
        warning = _WARNING.match(line)
        if warning is not None:
            generic = re.sub(r"\d[\d.:-]*", "#", warning[2])[:120]
            with self._lock:
                self.warnings[f"{warning[1]} {generic}"] += 1

    def cycles(self) -> list[CycleRecord]:
        with self._lock:
            return list(self._cycles)

    def wait_for(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.proc is None or not self.proc.running:
                code = None if self.proc is None else self.proc.popen.returncode
                tail = "" if self.proc is None else self.proc.log()[-3000:]
                raise BenchmarkError(f"the bot exited (code {code}) while {what}\n{tail}")
            if time.monotonic() > deadline:
                raise WaitTimedOut(f"timed out after {timeout:.0f} s {what}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.peak_kib = self.proc.status_kib("VmHWM")
        asked = time.monotonic()
        # Killed after the timeout (AssertionError); the figures are taken already.
        with contextlib.suppress(AssertionError):
            self.proc.terminate(timeout=30)
        self.stop_seconds = time.monotonic() - asked
        self.exit_code = self.proc.popen.returncode
