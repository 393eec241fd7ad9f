"""Liveness heartbeat for a polling bot, which has no port to probe.

The heartbeat means "a poll cycle finished": the poll job writes it when a cycle has run
to its end (never per chunk, and not when a cycle failed), together with how long that
cycle took; start-up writes it once (with the last run's cycle length, if recorded) so
the first cycle gets the same allowance as any other. A failed write (disk full) is
logged by :func:`write_heartbeat` and never stops polling. Docker's
``HEALTHCHECK CMD ["python", "-m", "bot.healthcheck"]`` runs :func:`main`, which exits 0
while the heartbeat is recent and 1 (with one line saying why) once it is missing or
stale.

The check reads only a few environment variables, never the full :class:`bot.config.Settings`,
so it works without TELEGRAM_BOT_TOKEN or provider keys in its environment:

- ``HEARTBEAT_PATH``: the file; if unset or blank, ``<dir of DATABASE_PATH>/heartbeat``
  (``DATABASE_PATH`` defaults to ``data/bot.sqlite3``), as ``Settings.effective_heartbeat_path``.
- ``POLL_INTERVAL_SECONDS`` (default 10). The heartbeat may be at most
  ``max(3 * POLL_INTERVAL_SECONDS, 2 * last cycle + POLL_INTERVAL_SECONDS) + 60`` seconds
  old: three missed cycles, or, when cycles are long (many open orders at the providers'
  pace), a cycle twice as long as the last one. A bot stuck inside a cycle goes stale.

File format: one line, ``<unix time> [<seconds the cycle took>]``.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

DEFAULT_DATABASE_PATH = "data/bot.sqlite3"
DEFAULT_POLL_INTERVAL_SECONDS = 10.0
MISSED_CYCLES = 3
SLACK_SECONDS = 60.0
CYCLE_FACTOR = 2.0  # a cycle may take this many times the last one's length

log = logging.getLogger(__name__)
_failing: set[Path] = set()  # one warning per streak of failed writes, not one per cycle


class Unhealthy(Exception):
    """The bot is not healthy; the message is one line saying why."""


def touch_heartbeat(
    path: Path, now: float | None = None, *, cycle_seconds: float | None = None
) -> None:
    """Atomically write the current unix time (or ``now``) to ``path``, followed by the
    length of the cycle that just finished, if given.

    The parent directory is created if needed. The value goes to a temporary file in the same
    directory which then replaces ``path``, so a reader never sees a half-written file.
    """
    stamp = time.time() if now is None else now
    line = f"{stamp:.3f}" if cycle_seconds is None else f"{stamp:.3f} {cycle_seconds:.3f}"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes it 0600; let a monitor run as another user
        with os.fdopen(fd, "w", encoding="ascii") as tmp:
            tmp.write(f"{line}\n")
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def write_heartbeat(path: Path, *, cycle_seconds: float | None = None) -> bool:
    """:func:`touch_heartbeat` for the running bot: a failure (disk full, read-only
    volume) is logged, once per streak, and reported as False, never raised, so the
    heartbeat can never stop the poller it reports on."""
    try:
        touch_heartbeat(path, cycle_seconds=cycle_seconds)
    except OSError as exc:
        if path not in _failing:
            log.warning("could not write the heartbeat %s: %s", path, exc)
        _failing.add(path)
        return False
    if path in _failing:
        log.info("heartbeat %s written again", path)
        _failing.discard(path)
    return True


def heartbeat_path_from_env(env: Mapping[str, str]) -> Path:
    """``HEARTBEAT_PATH`` if set and not blank, else ``<dir of DATABASE_PATH>/heartbeat``."""
    explicit = env.get("HEARTBEAT_PATH", "").strip()
    if explicit:
        return Path(explicit)
    database = env.get("DATABASE_PATH", "").strip() or DEFAULT_DATABASE_PATH
    return Path(database).with_name("heartbeat")


def interval_from_env(env: Mapping[str, str]) -> float:
    """POLL_INTERVAL_SECONDS (default 10). Raises :class:`Unhealthy` if it is set but not
    a positive number (the bot itself would refuse to start with it)."""
    raw = env.get("POLL_INTERVAL_SECONDS", "").strip()
    if not raw:
        return DEFAULT_POLL_INTERVAL_SECONDS
    try:
        interval = float(raw)
    except ValueError:
        interval = math.nan
    if not math.isfinite(interval) or interval <= 0:
        raise Unhealthy(f"POLL_INTERVAL_SECONDS={raw!r} is not a positive number of seconds")
    return interval


def max_age_from_env(env: Mapping[str, str], last_cycle: float | None = None) -> float:
    """``max(3 * POLL_INTERVAL_SECONDS, 2 * last_cycle + POLL_INTERVAL_SECONDS) + 60``
    seconds; without a last cycle's length, ``3 * POLL_INTERVAL_SECONDS + 60``."""
    interval = interval_from_env(env)
    bound = MISSED_CYCLES * interval
    if last_cycle is not None:
        bound = max(bound, CYCLE_FACTOR * last_cycle + interval)
    return bound + SLACK_SECONDS


def read_heartbeat_record(path: Path) -> tuple[float, float | None]:
    """The unix time in ``path`` and the length of the cycle it ended (None if not
    recorded or not a sensible number); raises :class:`Unhealthy` if there is no time."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise Unhealthy(f"heartbeat file {path} does not exist (bot not polling yet?)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise Unhealthy(f"cannot read heartbeat file {path}: {exc}") from None
    fields = text.split()
    stamp = _number(fields[0]) if fields else math.nan
    if not math.isfinite(stamp) or len(fields) > 2:
        raise Unhealthy(f"heartbeat file {path} holds {text[:40]!r}, not a unix time")
    cycle = _number(fields[1]) if len(fields) == 2 else math.nan
    return stamp, cycle if math.isfinite(cycle) and cycle >= 0 else None


def last_cycle_seconds(path: Path) -> float | None:
    """The length of the last finished cycle recorded in ``path``, if any: start-up
    carries it over, so a first cycle as long as the last run's is not called stuck."""
    try:
        return read_heartbeat_record(path)[1]
    except Unhealthy:
        return None


def read_heartbeat(path: Path) -> float:
    """The unix time stored in ``path``; raises :class:`Unhealthy` if there is none."""
    return read_heartbeat_record(path)[0]


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def check(env: Mapping[str, str], now: float | None = None) -> tuple[bool, str]:
    """Return ``(healthy, one-line reason)`` for the heartbeat described by ``env``."""
    try:
        path = heartbeat_path_from_env(env)
        interval_from_env(env)  # a bad setting is reported before a missing file
        stamp, last_cycle = read_heartbeat_record(path)
        max_age = max_age_from_env(env, last_cycle)
    except Unhealthy as exc:
        return False, f"unhealthy: {exc}"
    current = time.time() if now is None else now
    # A heartbeat slightly in the future (clock adjusted backwards) still counts as fresh.
    age = max(0.0, current - stamp)
    if age > max_age:
        return False, (
            f"unhealthy: last heartbeat in {path} was {age:.0f}s ago (limit {max_age:.0f}s)"
        )
    return True, f"ok: heartbeat {age:.0f}s old (limit {max_age:.0f}s)"


def main() -> int:
    healthy, reason = check(os.environ)
    print(reason)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
