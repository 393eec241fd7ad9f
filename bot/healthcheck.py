"""Liveness heartbeat for a polling bot, which has no port to probe.

The bot's poller calls :func:`touch_heartbeat` once per cycle; Docker's
``HEALTHCHECK CMD ["python", "-m", "bot.healthcheck"]`` runs :func:`main`, which exits 0
while the heartbeat is recent and 1 (with one line saying why) once it is missing or stale.

The check reads only a few environment variables, never the full :class:`bot.config.Settings`,
so it works without TELEGRAM_BOT_TOKEN or provider keys in its environment:

- ``HEARTBEAT_PATH``: the file; if unset or blank, ``<dir of DATABASE_PATH>/heartbeat``
  (``DATABASE_PATH`` defaults to ``data/bot.sqlite3``), as ``Settings.effective_heartbeat_path``.
- ``POLL_INTERVAL_SECONDS`` (default 10): the heartbeat may be at most
  ``3 * POLL_INTERVAL_SECONDS + 60`` seconds old.
"""

from __future__ import annotations

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


class Unhealthy(Exception):
    """The bot is not healthy; the message is one line saying why."""


def touch_heartbeat(path: Path, now: float | None = None) -> None:
    """Atomically write the current unix time (or ``now``) to ``path``.

    The parent directory is created if needed. The value goes to a temporary file in the same
    directory which then replaces ``path``, so a reader never sees a half-written file.
    """
    stamp = time.time() if now is None else now
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes it 0600; let a monitor run as another user
        with os.fdopen(fd, "w", encoding="ascii") as tmp:
            tmp.write(f"{stamp:.3f}\n")
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def heartbeat_path_from_env(env: Mapping[str, str]) -> Path:
    """``HEARTBEAT_PATH`` if set and not blank, else ``<dir of DATABASE_PATH>/heartbeat``."""
    explicit = env.get("HEARTBEAT_PATH", "").strip()
    if explicit:
        return Path(explicit)
    database = env.get("DATABASE_PATH", "").strip() or DEFAULT_DATABASE_PATH
    return Path(database).with_name("heartbeat")


def max_age_from_env(env: Mapping[str, str]) -> float:
    """``3 * POLL_INTERVAL_SECONDS + 60`` seconds; POLL_INTERVAL_SECONDS defaults to 10.

    Raises :class:`Unhealthy` if POLL_INTERVAL_SECONDS is set but not a positive number
    (the bot itself would refuse to start with it).
    """
    raw = env.get("POLL_INTERVAL_SECONDS", "").strip()
    if not raw:
        return MISSED_CYCLES * DEFAULT_POLL_INTERVAL_SECONDS + SLACK_SECONDS
    try:
        interval = float(raw)
    except ValueError:
        interval = math.nan
    if not math.isfinite(interval) or interval <= 0:
        raise Unhealthy(f"POLL_INTERVAL_SECONDS={raw!r} is not a positive number of seconds")
    return MISSED_CYCLES * interval + SLACK_SECONDS


def read_heartbeat(path: Path) -> float:
    """The unix time stored in ``path``; raises :class:`Unhealthy` if there is none."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise Unhealthy(f"heartbeat file {path} does not exist (bot not polling yet?)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise Unhealthy(f"cannot read heartbeat file {path}: {exc}") from None
    try:
        stamp = float(text)
    except ValueError:
        stamp = math.nan
    if not math.isfinite(stamp):
        raise Unhealthy(f"heartbeat file {path} holds {text[:40]!r}, not a unix time")
    return stamp


def check(env: Mapping[str, str], now: float | None = None) -> tuple[bool, str]:
    """Return ``(healthy, one-line reason)`` for the heartbeat described by ``env``."""
    try:
        max_age = max_age_from_env(env)
        path = heartbeat_path_from_env(env)
        stamp = read_heartbeat(path)
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
