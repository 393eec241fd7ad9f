"""Moved to `testkit.updates` (shared with the benchmark); re-exported for the tests."""

from testkit.updates import *  # noqa: F403
