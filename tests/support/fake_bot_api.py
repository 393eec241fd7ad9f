"""Moved to `testkit.fake_bot_api` (shared with the benchmark); re-exported for the tests."""

from testkit.fake_bot_api import *  # noqa: F403
