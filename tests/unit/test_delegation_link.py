"""The TronSave simulator's delegations on the TRON node simulator (tests and sandbox)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.sandbox.base import derive_address
from bot.sandbox.delegation_link import link_delegations
from bot.sandbox.tron_node import TronNodeSimulator
from bot.sandbox.tronsave import TronSaveSimulator

RECEIVER = derive_address("link:receiver")
PAYEE = derive_address("link:payee")


@pytest.fixture
def pair() -> Iterator[tuple[TronSaveSimulator, TronNodeSimulator]]:
    with TronSaveSimulator() as tronsave, TronNodeSimulator(recovery_seconds=0) as node:
        link_delegations(tronsave, node)
        yield tronsave, node


def _place(tronsave: TronSaveSimulator, amount: int = 130_000) -> str:
    return tronsave.place_foreign(
        receiver=RECEIVER, amount=amount, duration_sec=3_600, max_price_accept=100, deadline=300
    )


def test_a_match_delegates_and_the_rental_end_takes_it_back(
    pair: tuple[TronSaveSimulator, TronNodeSimulator],
) -> None:
    tronsave, node = pair
    order_id = _place(tronsave)
    assert node.account(RECEIVER) is None  # nothing before the match
    tronsave.match([order_id])
    account = node.account(RECEIVER)
    assert account is not None
    assert account["available_energy"] == 130_000
    node.transfer_usdt(RECEIVER, PAYEE, 1)
    tronsave.end_rental([order_id])
    ended = node.account(RECEIVER)
    assert ended is not None
    assert ended["energy_limit"] == 0


def test_a_known_receiver_keeps_its_own_energy_and_balances(
    pair: tuple[TronSaveSimulator, TronNodeSimulator],
) -> None:
    tronsave, node = pair
    node.set_account(RECEIVER, energy_limit=10_000, usdt=5, trx_sun=7)
    tronsave.match([_place(tronsave, 65_000)])
    account = node.account(RECEIVER)
    assert account is not None
    assert (account["energy_limit"], account["usdt"], account["trx_sun"]) == (75_000, 5, 7)


def test_a_failing_listener_does_not_break_the_simulator() -> None:
    with TronSaveSimulator() as tronsave:

        def broken(receiver: str, amount: int, delegated: bool) -> None:
            raise RuntimeError("node gone")

        tronsave.add_delegation_listener(broken)
        order_id = _place(tronsave)
        assert tronsave.match([order_id]) == [order_id]
        order = tronsave.order(order_id)
        assert order is not None
        assert order["status"] == "Matched"
