"""TronGrid's v1 paging: an address's outgoing USDT transfers since a time."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bot.chain.answers import Trc20Item, Trc20Page, parse
from bot.chain.models import USDT_CONTRACT, Trc20Transfer

log = logging.getLogger(__name__)

TRC20_PAGE_LIMIT = 200  # TronGrid's maximum page size

Get = Callable[[str, Mapping[str, str | int]], Awaitable[dict[str, Any]]]


async def outgoing_usdt_transfers(
    get: Get, address: str, since_ms: int, *, max_pages: int
) -> list[Trc20Transfer]:
    """Newest first, following TronGrid's fingerprint for at most `max_pages` pages;
    `get(path, params)` is the client's paced, retried GET."""
    path = f"/v1/accounts/{address}/transactions/trc20"
    params: dict[str, str | int] = {
        "only_from": "true",
        "contract_address": USDT_CONTRACT,
        "min_timestamp": since_ms,
        "limit": TRC20_PAGE_LIMIT,
        "order_by": "block_timestamp,desc",
    }
    found: list[Trc20Transfer] = []
    for _ in range(max_pages):
        page = parse(Trc20Page, await get(path, params))
        # The filters are TronGrid's; checked again so a lax node cannot mislead.
        found.extend(_transfer(item) for item in page.data if _sent_by(item, address, since_ms))
        if not page.data or page.meta.fingerprint is None:
            return found
        params["fingerprint"] = page.meta.fingerprint
    log.warning("tron trc20 history of %s cut at %d pages", address, max_pages)
    return found


def _sent_by(item: Trc20Item, address: str, since_ms: int) -> bool:
    return (
        item.sender == address
        and item.token_info.address == USDT_CONTRACT
        and item.block_timestamp >= since_ms
    )


def _transfer(item: Trc20Item) -> Trc20Transfer:
    fields = item.model_dump(exclude={"block_timestamp", "token_info"})
    return Trc20Transfer(
        **fields, block_timestamp_ms=item.block_timestamp, token_address=item.token_info.address
    )
