"""The TronSave simulator's delegations made real on the TRON node simulator: a matched
order delegates its energy to the receiver's account on the node, a confirm or the
rental's end takes it back. With it, a transfer from the receiver uses the rented
energy, and the bot's automatic confirmation sees the whole loop.

`link_delegations(tronsave, node)` connects two running simulators in one process (the
sandbox, and tests). A receiver the node does not know is created activated, holding
`usdt` (10⁻⁶ USDT) and `trx_sun`, so a transfer can be sent from it at once, e.g.::

    curl -X POST <node>/_sim/usdt/transfer \\
        -d '{"from": "<receiver>", "to": "<payee>", "amount": 1000000}'
"""

from __future__ import annotations

from bot.sandbox.tron_node import TronNodeSimulator
from bot.sandbox.tronsave import TronSaveSimulator

FUND_USDT = 1_000 * 1_000_000  # 1,000 USDT
FUND_TRX_SUN = 100 * 1_000_000  # 100 TRX, to burn for what the energy does not cover


def link_delegations(
    tronsave: TronSaveSimulator,
    node: TronNodeSimulator,
    *,
    usdt: int = FUND_USDT,
    trx_sun: int = FUND_TRX_SUN,
) -> None:
    def on_delegation(receiver: str, amount: int, delegated: bool) -> None:
        if not delegated:
            if node.account(receiver) is not None:
                node.undelegate_energy(receiver, amount)
            return
        known = node.account(receiver)
        if known is None or not known.get("activated"):
            node.set_account(receiver, activated=True, usdt=usdt, trx_sun=trx_sun)
        node.delegate_energy(receiver, amount)

    tronsave.add_delegation_listener(on_delegation)
