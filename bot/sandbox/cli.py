"""`python -m bot.sandbox.<name>`: one option per setting of the simulator, then serve.

Options are made from the simulator's settings dataclass (`--unit-price` for
`unit_price`, ...), parsed by the same coercers as `configure()`: a yes/no setting is
`--x` / `--no-x`, a set of strings is given once per value.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, fields
from types import FrameType
from typing import Any, TypeVar

from bot.sandbox.base import BaseSimulator, ConfiguredSimulator
from bot.sandbox.values import as_optional_str_set, as_str_set

logger = logging.getLogger("bot.sandbox")

SimT = TypeVar("SimT", bound=ConfiguredSimulator[Any])


def run(
    simulator_type: type[SimT],
    description: str,
    default_port: int,
    argv: Sequence[str] | None = None,
    *,
    aliases: Mapping[str, str] | None = None,
    extend: Callable[[argparse.ArgumentParser], None] | None = None,
    prepare: Callable[[SimT, argparse.Namespace], None] | None = None,
) -> None:
    """Parse `argv`, build the simulator from the options given, serve until stopped.
    `aliases` adds a short flag for a setting, `extend` more options, `prepare` acts on
    the simulator (and the parsed options) before it serves."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=default_port, help="0 = any free port")
    parser.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    defaults = {
        f.name: f.default for f in fields(simulator_type.settings_type) if f.default is not MISSING
    }
    if "balance" in simulator_type.coercers:
        defaults["balance"] = getattr(simulator_type, "default_balance", None)
    for name, coercer in simulator_type.coercers.items():
        flags = [f"--{name.replace('_', '-')}"]
        if aliases and name in aliases:
            flags.append(aliases[name])
        default = defaults.get(name)
        options: dict[str, Any] = {"dest": name, "default": None, "help": f"default {default}"}
        if isinstance(default, bool):
            options["action"] = argparse.BooleanOptionalAction
        elif coercer in (as_str_set, as_optional_str_set):
            options.update(action="append", help="repeatable")
        parser.add_argument(*flags, **options)
    if extend is not None:
        extend(parser)
    args = parser.parse_args(argv)
    given = {n: getattr(args, n) for n in simulator_type.coercers if getattr(args, n) is not None}
    simulator = simulator_type(host=args.host, port=args.port, **given)
    if prepare is not None:
        prepare(simulator, args)
    serve(simulator, args.log_level)


def serve(simulator: BaseSimulator, log_level: str) -> None:
    """Run until Ctrl-C or SIGTERM, logging each request to stderr."""
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(message)s")
    done = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    url = simulator.start()
    logger.info("%s listening on %s (control API: %s/_sim/)", type(simulator).__name__, url, url)
    while not done.wait(0.5):
        pass
    simulator.stop()
