"""Local HTTP simulators of TronSave Fast Charge, Feee.io and a TRON node.

`SANDBOX=true` runs the bot against them (`bot.sandbox.runtime`). Tests start one
in-process with ``with TronSaveSimulator(...) as sim: url = sim.base_url``; by hand:
``python -m bot.sandbox.tronsave`` / ``feee`` / ``tron_node`` (``--help``).

Each simulator is three modules: ``<name>_model`` (settings, records, request parsing),
``<name>_book`` / ``tron_node_chain`` (state, lifecycle rules, Python control API) and
``<name>`` (the HTTP API, its docstring documenting what is real and what invented). The
shared plumbing: ``base`` (routing, faults, clock, settings), ``order_book``, ``server``
(HTTP), ``traffic`` (request log, faults, rate windows), ``values``, ``cli``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.sandbox.feee import FeeeSimulator
    from bot.sandbox.tronsave import TronSaveSimulator

__all__ = ["FeeeSimulator", "TronSaveSimulator"]

_MODULES = {"FeeeSimulator": "bot.sandbox.feee", "TronSaveSimulator": "bot.sandbox.tronsave"}


def __getattr__(name: str) -> object:
    # Lazy, so `python -m bot.sandbox.tronsave` does not import the module twice.
    if name in _MODULES:
        return getattr(importlib.import_module(_MODULES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
