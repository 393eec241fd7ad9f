"""`python -m bot.backup DEST` (or `tron-energy-bot backup DEST`): a consistent copy of
the bot's SQLite database, safe while the bot runs.

It uses SQLite's online backup API, which copies the database as one reader sees it:
with WAL, the bot keeps writing meanwhile and the copy holds every committed
transaction up to that moment (a plain `cp` of the file could miss what is still in the
`-wal` file, or catch a page half-written). The copy is written beside DEST, checked
with `PRAGMA integrity_check`, switched to a self-contained rollback journal, and only
then renamed to DEST, so DEST is never a half-written file.

The source is `--database`, else DATABASE_PATH from the environment or `.env`, else
`data/bot.sqlite3` (like the bot). DEST may be a directory: the file is then named
`bot-<UTC time>.sqlite3` inside it. An existing file is never overwritten.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
import sys
from collections.abc import Sequence
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from dotenv import dotenv_values

from bot.healthcheck import DEFAULT_DATABASE_PATH


class BackupError(Exception):
    """The backup could not be made; the message is one line for the operator."""


def backup(source: Path, dest: Path) -> Path:
    """Copy the database at `source` to `dest` (a new file, or a directory to put it in);
    returns the file written."""
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    if dest.is_dir():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        dest = dest / f"bot-{stamp}.sqlite3"
    if dest.exists():
        raise BackupError(f"{dest} exists already; choose a new name")
    partial = dest.with_name(f".{dest.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        with (
            closing(sqlite3.connect(source, timeout=10)) as src,  # reads only
            closing(sqlite3.connect(partial)) as copy,
        ):
            src.backup(copy)  # every page in one step, under one read transaction
            copy.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal to carry along
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                raise BackupError(f"the copy failed its integrity check: {verdict}")
        os.replace(partial, dest)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot back up {source}: {exc}") from None
    finally:
        partial.unlink(missing_ok=True)
    return dest


def database_from_env() -> Path:
    """DATABASE_PATH as the bot reads it: the environment, then `.env`, then the default."""
    value = os.environ.get("DATABASE_PATH", "").strip()
    if not value:
        with contextlib.suppress(OSError, UnicodeDecodeError):
            value = (dotenv_values(".env").get("DATABASE_PATH") or "").strip()
    return Path(value or DEFAULT_DATABASE_PATH)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.backup",
        description="Copy the bot's SQLite database consistently, even while the bot runs.",
    )
    parser.add_argument("dest", type=Path, help="new file, or a directory to put it in")
    parser.add_argument("--database", type=Path, default=None, help="default: DATABASE_PATH")
    args = parser.parse_args(argv)
    source = args.database or database_from_env()
    try:
        written = backup(source, args.dest)
    except BackupError as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        return 1
    print(f"backed up {source} to {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
