"""Imports run one way: telegram -> services -> (providers, chain, storage) -> (net, domain).

Read from the source with `ast` (every import, those under TYPE_CHECKING too); the
composition root (bot/app.py, bot/__main__.py) wires everything and is not checked.

What the Telegram layer may still name from below, as plain values it shows or passes
on: the provider port's value types and its errors (`bot.providers.port`,
`bot.providers.errors`) and the stored rows it reads (`_TELEGRAM_ROWS`) - never the
repository, a store, a provider package or its registry.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[2] / "bot"

_TELEGRAM_PROVIDER_MODULES = frozenset({"bot.providers.port", "bot.providers.errors"})
_TELEGRAM_ROWS = frozenset({"Order", "Submission", "Notification", "NoticePayload"})
# Packages each room must not import at all.
_FORBIDDEN: dict[str, frozenset[str]] = {
    "domain": frozenset(
        {"telegram", "services", "providers", "storage", "chain", "net", "sandbox"}
    ),
    # HTTP plumbing shared by providers and chain: below both.
    "net": frozenset({"telegram", "services", "providers", "storage", "chain", "sandbox", "app"}),
    "storage": frozenset({"telegram", "services", "providers", "chain", "sandbox", "app"}),
    "providers": frozenset({"telegram", "services", "storage", "chain", "sandbox", "app"}),
    "chain": frozenset({"telegram", "services", "storage", "sandbox", "app"}),
    "services": frozenset({"telegram", "sandbox", "app"}),
    "telegram": frozenset({"chain", "sandbox", "app"}),
}


def _imports(source: str) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(module, names) for every import of the bot's own modules."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "bot" or node.module.startswith("bot."):
                yield node.module, tuple(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("bot."):
                    yield alias.name, ()


def _telegram_may(room: str, module: str, names: tuple[str, ...]) -> bool:
    """Whether an import from providers or storage is one the Telegram layer may make."""
    if room != "telegram":
        return True
    target = module.split(".")[1]
    if target == "providers":
        return module in _TELEGRAM_PROVIDER_MODULES
    if target == "storage":
        return bool(names) and set(names) <= _TELEGRAM_ROWS
    return True


def violations(room: str, source: str) -> list[str]:
    found: list[str] = []
    for module, names in _imports(source):
        parts = module.split(".")
        target = parts[1] if len(parts) > 1 else ""
        if target == room:
            continue
        if target in _FORBIDDEN.get(room, frozenset()) or not _telegram_may(room, module, names):
            found.append(f"{module} ({', '.join(names)})" if names else module)
    return found


def _room_files() -> Iterator[tuple[str, Path]]:
    for path in sorted(BOT.rglob("*.py")):
        relative = path.relative_to(BOT)
        if len(relative.parts) > 1:
            yield relative.parts[0], path
        elif relative.stem == "domain":
            yield "domain", path


@pytest.mark.parametrize("room", sorted(_FORBIDDEN))
def test_each_room_imports_only_downwards(room: str) -> None:
    files = [path for name, path in _room_files() if name == room]
    assert files, f"no modules found for {room}"
    wrong = {
        str(path.relative_to(BOT)): found
        for path in files
        if (found := violations(room, path.read_text(encoding="utf-8")))
    }
    assert not wrong, wrong


@pytest.mark.parametrize(
    ("room", "source"),
    [
        ("telegram", "from bot.storage.repository import Repository"),
        ("telegram", "from bot.storage.repository import Order, NewOrder"),
        ("telegram", "import bot.storage.outbox"),
        ("telegram", "from bot.providers.registry import build_providers"),
        ("telegram", "from bot.providers.feee.client import FeeeClient"),
        ("telegram", "from bot.providers import registry"),
        ("services", "from bot.telegram.render import num"),
        ("providers", "from bot.storage.rows import Order"),
        ("storage", "from bot.providers.port import Quote"),
        ("storage", "from bot.services.orders import tracked"),
        ("domain", "from bot.storage import rows"),
        ("services", "if TYPE_CHECKING:\n    from bot.telegram.context import Context"),
    ],
)
def test_a_wrong_way_import_is_caught(room: str, source: str) -> None:
    assert violations(room, source)


@pytest.mark.parametrize(
    ("room", "source"),
    [
        ("telegram", "from bot.storage.repository import Order, Submission"),
        ("telegram", "from bot.providers.port import Quote"),
        ("telegram", "from bot.services.orders import OrderService"),
        ("services", "from bot.storage.repository import Repository"),
        ("services", "from bot.providers.registry import reason_of"),
    ],
)
def test_an_allowed_import_passes(room: str, source: str) -> None:
    assert violations(room, source) == []
