"""The TronSave simulator's control API (no auth), besides the shared ``/_sim/`` routes of
`BaseSimulator`; each route calls the book's Python control API (`TronSaveBook`):

``POST /_sim/orders/match``, ``/_sim/orders/expire``, ``/_sim/orders/end-rental``
(``{"order_ids": [...]}``, omitted = every eligible order), ``POST /_sim/orders/set-status``
(``{"order_id", "status"}``), ``POST /_sim/orders/load`` (``{"orders": [...]}``),
``POST /_sim/orders/refuse-tracking`` (``{"order_ids": [...]}``: any track request naming
one of them is refused whole with 400 ``TSAS:408 INVALID_PARAMS Invalid orderId``; ``[]``
ends it) and ``POST /_sim/orders/null-status`` (``{"order_ids": [...]}``: tracked with
``"status": null``). Both replace the settings ``track_refuse_ids`` /
``track_null_status_ids``, also reachable through ``/_sim/config``. ``POST
/_sim/orders/track-limit`` (``{"max_ids": n | null, "refusal": "413" | "400" | "slow"}``)
refuses a tracking request naming more than n ids: 413 ``FST_ERR_CTP_BODY_TOO_LARGE``
(Fastify's answer to a body over its ``bodyLimit``, 1 MiB by default: about 38,000 ids),
400 ``FST_ERR_VALIDATION`` "body/order_ids must NOT have more than n items" (an ajv
``maxItems``), or ``slow``: answered only after ``track_slow_seconds`` (30), so the client
times out first (settings ``track_max_ids``, ``track_too_many``, ``track_slow_seconds``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.sandbox.server import ControlRoute
from bot.sandbox.tronsave_book import TronSaveBook
from bot.sandbox.values import as_float, as_int, as_str, body_object


def control_routes(sim: TronSaveBook) -> list[ControlRoute]:
    """The ``/_sim/orders/...`` routes of `sim`."""

    def ids(body: Mapping[str, Any]) -> list[str] | None:
        raw = body.get("order_ids")
        return None if raw is None else [as_str(item) for item in raw]

    def foreign(body: Mapping[str, Any]) -> object:
        order_id = sim.place_foreign(
            receiver=as_str(body["receiver"]),
            amount=as_int(body["amount"]),
            duration_sec=as_int(body["duration_sec"]),
            max_price_accept=as_float(body["max_price_accept"]),
            deadline=as_int(body.get("deadline", 300)),
            age=as_float(body.get("age", 0.0)),
        )
        return {"order_id": order_id}

    def load(body: Mapping[str, Any]) -> object:
        orders = [body_object(item) for item in body["orders"]]
        loaded = sim.load_orders(orders)
        return {"loaded": len(loaded), "order_ids": loaded}

    return [
        ControlRoute("POST", "/_sim/orders/match", lambda b: {"order_ids": sim.match(ids(b))}),
        ControlRoute("POST", "/_sim/orders/expire", lambda b: {"order_ids": sim.expire(ids(b))}),
        ControlRoute(
            "POST",
            "/_sim/orders/end-rental",
            lambda b: {"order_ids": sim.end_rental(ids(b))},
        ),
        ControlRoute(
            "POST",
            "/_sim/orders/set-status",
            lambda b: sim.set_status(as_str(b["order_id"]), as_str(b["status"])),
        ),
        ControlRoute("POST", "/_sim/orders/load", load),
        ControlRoute(
            "POST",
            "/_sim/orders/refuse-tracking",
            lambda b: sim.configure(track_refuse_ids=b.get("order_ids", [])),
        ),
        ControlRoute(
            "POST",
            "/_sim/orders/null-status",
            lambda b: sim.configure(track_null_status_ids=b.get("order_ids", [])),
        ),
        ControlRoute("POST", "/_sim/orders/foreign", foreign),
        ControlRoute(
            "POST",
            "/_sim/orders/track-limit",
            lambda b: sim.configure(
                track_max_ids=b.get("max_ids"),
                track_too_many=b.get("refusal", "413"),
            ),
        ),
    ]
