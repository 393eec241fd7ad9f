"""Starting `python -m bot` as a separate process: shared by the end-to-end tests and the
benchmark, so both run the bot exactly as an operator does.

The process gets a clean environment (nothing inherited that the bot's settings read),
runs in a directory of the caller's choosing (so no stray `.env` is picked up) and writes
its stdout and stderr to a log file. With `on_line`, each output line is also handed to
the caller with the wall-clock time it arrived (the benchmark reads the poller's cycle
records this way); the log file still receives every line.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Settings

STOP_TIMEOUT = 10.0

# Names the bot's settings read (case-insensitively) are never inherited from the caller.
_SETTINGS_NAMES = frozenset(name.upper() for name in Settings.model_fields)
_STRIPPED_PREFIXES = ("TELEGRAM_", "TRONSAVE_", "FEEE_", "TRON_", "TRONGRID_")

LineHandler = Callable[[str, float], None]


def clean_environ(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default: os.environ) without anything that configures the bot."""
    env = dict(os.environ if base is None else base)
    for name in list(env):
        upper = name.upper()
        if upper.startswith(_STRIPPED_PREFIXES) or upper in _SETTINGS_NAMES:
            del env[name]
    env["PTB_TIMEDELTA"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class BotProcess:
    popen: subprocess.Popen[bytes]
    log_path: Path
    started_at: float = field(default_factory=time.time)
    _reader: threading.Thread | None = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def running(self) -> bool:
        return self.popen.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def terminate(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM, then the exit code; a bot still running after `timeout` is killed and
        AssertionError says so."""
        if self.running:
            self.popen.send_signal(signal.SIGTERM)
        try:
            code = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"the bot did not exit within {timeout}s of SIGTERM; log:\n{self.log()}"
            ) from None
        self._join_reader()
        return code

    def kill(self) -> int:
        """SIGKILL (no chance to clean up), then the exit code."""
        if self.running:
            os.kill(self.pid, signal.SIGKILL)
        code = self.popen.wait(STOP_TIMEOUT)
        self._join_reader()
        return code

    def _join_reader(self) -> None:
        if self._reader is not None:
            self._reader.join(timeout=5)

    def status_kib(self, name: str) -> int | None:
        """A "Vm..." line of /proc/<pid>/status (e.g. VmHWM, the peak RSS), in KiB."""
        try:
            text = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        found = re.search(rf"^{name}:\s+(\d+) kB", text, re.M)
        return int(found[1]) if found else None


def launch_bot(
    env: Mapping[str, str],
    *,
    cwd: Path,
    log_path: Path,
    on_line: LineHandler | None = None,
) -> BotProcess:
    """Start `python -m bot` in `cwd` with exactly `env`; output goes to `log_path`."""
    command = [sys.executable, "-m", "bot"]
    if on_line is None:
        with log_path.open("wb") as log:
            popen = subprocess.Popen(
                command,
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return BotProcess(popen, log_path)
    popen = subprocess.Popen(
        command,
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    reader = threading.Thread(
        target=_copy_lines, args=(popen, log_path, on_line), name="bot-output", daemon=True
    )
    reader.start()
    return BotProcess(popen, log_path, _reader=reader)


def _copy_lines(popen: subprocess.Popen[bytes], log_path: Path, on_line: LineHandler) -> None:
    assert popen.stdout is not None
    with log_path.open("wb") as log:
        for raw in popen.stdout:
            arrived = time.time()
            log.write(raw)
            log.flush()
            on_line(raw.decode("utf-8", errors="replace").rstrip("\n"), arrived)
