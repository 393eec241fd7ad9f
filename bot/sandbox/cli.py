"""`python -m bot.sandbox.<name>`: `build` (one option per setting), then `serve`.

Options are made from the simulator's settings dataclass (`--unit-price` for
`unit_price`, ...), parsed by the same coercers as `configure()`: a yes/no setting is a
flag that turns its default around, a set of strings is given once per value.
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

from bot.sandbox.base import BaseSimulator
from bot.sandbox.configured import ConfiguredSimulator
from bot.sandbox.values import as_optional_str_set, as_str_set

logger = logging.getLogger("bot.sandbox")

SimT = TypeVar("SimT", bound=ConfiguredSimulator[Any])


def build(
    simulator_type: type[SimT],
    description: str,
    default_port: int,
    argv: Sequence[str] | None = None,
    *,
    aliases: Mapping[str, str] | None = None,
    extend: Callable[[argparse.ArgumentParser], None] | None = None,
) -> tuple[SimT, argparse.Namespace]:
    """The simulator the options in `argv` describe (not started), and the options.
    `aliases` adds a short flag for a setting, `extend` more options."""
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
        if isinstance(default, bool):  # a flag that turns the default around
            options.update(action="store_const", const=not default, help=f"not {default}")
            if default:
                flags[0] = f"--no-{name.replace('_', '-')}"
        elif coercer in (as_str_set, as_optional_str_set):
            options.update(action="append", help="repeatable")
        parser.add_argument(*flags, **options)
    if extend is not None:
        extend(parser)
    args = parser.parse_args(argv)
    given = {n: getattr(args, n) for n in simulator_type.coercers if getattr(args, n) is not None}
    return simulator_type(host=args.host, port=args.port, **given), args


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
