"""Typed views of the simulators' state, shared by integration and end-to-end tests."""

from __future__ import annotations

from typing import Any, cast

from bot.sandbox.base import BaseSimulator


def sim_orders(sim: BaseSimulator) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], sim.state()["orders"])


def sim_counts(sim: BaseSimulator) -> dict[str, int]:
    """Requests per endpoint the simulator accepted or refused."""
    return dict(cast(dict[str, int], sim.request_log()["counts"]))
