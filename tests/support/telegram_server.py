"""Moved to `testkit.telegram_server` (shared with the benchmark); re-exported for the tests."""

from testkit.telegram_server import *  # noqa: F403
