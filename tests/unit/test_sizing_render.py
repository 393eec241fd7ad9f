"""The summary's chain block and the saving after a confirm, as rendered text: both
languages, every basis and flag, an unreachable node, and 100 receivers within 4,096."""

from __future__ import annotations

import pytest

from bot.chain.models import (
    TRANSFER_ENERGY_TO_HOLDER,
    TRANSFER_ENERGY_TO_NON_HOLDER,
    AccountResources,
)
from bot.domain import OrderState, ProviderName
from bot.i18n import LANGS, Lang
from bot.sandbox.base import derive_address
from bot.services.energy_need import (
    Check,
    NeedBasis,
    NeedReport,
    ReceiverNeed,
    TransferNeed,
    size_receiver,
)
from bot.services.savings import Savings
from bot.services.sizing import Sizing, UsageSnapshot, provider_minimum
from bot.storage.repository import Order
from bot.telegram.long_text import TELEGRAM_LIMIT, utf16_len
from bot.telegram.sizing_render import (
    DETAILED_RECEIVERS,
    confirm_result_lines,
    saving_made_line,
    sizing_lines,
    total_saving_line,
)

PAYEE = derive_address("render:payee")
SIMULATED = TransferNeed(TRANSFER_ENERGY_TO_HOLDER, NeedBasis.SIMULATED)


def receiver(
    name: str,
    *,
    available: int | None = 0,
    exists: bool = True,
    transfer: TransferNeed = SIMULATED,
    amount: int = 65_000,
    failure: str | None = None,
) -> ReceiverNeed:
    address = derive_address(name)
    resources = None if available is None else AccountResources(address, exists, available, 0)
    if not exists:
        resources = AccountResources(address, False)
    return size_receiver(address, resources, transfer, amount=amount, minimum=0, failure=failure)


def report(
    *needs: ReceiverNeed,
    transfer: TransferNeed = SIMULATED,
    amount: int = 65_000,
    unchecked: frozenset[Check] = frozenset(),
    payee: str | None = PAYEE,
) -> NeedReport:
    return NeedReport(amount, payee, transfer, tuple(needs), unchecked)


def text(lang: Lang, sizing: Sizing | None, *, rental: int | None = 3_900_000) -> str:
    suggested = sizing.suggested_amount(65_000) if sizing is not None else None
    return "\n".join(sizing_lines(lang, sizing, rental_sun=rental, suggested=suggested))


def test_a_simulated_transfer_shows_need_and_saving() -> None:
    shown = text("en", Sizing(True, report(receiver("a")), 100))
    assert "<b>64,285</b> energy (simulated on chain)" in shown
    assert "has 0, needs 64,285 for 1 transfer(s); covers 1" in shown
    assert "Burning TRX instead: 6.4285 TRX (64,285 energy at 100 SUN)" in shown
    assert "renting: 3.9 TRX · you save <b>2.5285 TRX</b> (39%)" in shown
    assert "Suggested" not in shown  # 64,285 is under the minimum of 65,000 asked
    assert "Not checked" not in shown


@pytest.mark.parametrize(
    ("basis", "energy", "expected"),
    [
        (
            NeedBasis.PAYEE_HOLDER,
            TRANSFER_ENERGY_TO_HOLDER,
            "about <b>64,285</b> energy (it holds USDT",
        ),
        (
            NeedBasis.PAYEE_NON_HOLDER,
            TRANSFER_ENERGY_TO_NON_HOLDER,
            "about <b>130,285</b> energy (it holds no USDT",
        ),
        (
            NeedBasis.ASSUMED_HOLDER,
            TRANSFER_ENERGY_TO_HOLDER,
            "No payee given: about <b>64,285</b>",
        ),
    ],
)
def test_the_fallback_figures_say_where_they_come_from(
    basis: NeedBasis, energy: int, expected: str
) -> None:
    transfer = TransferNeed(energy, basis)
    sized = report(receiver("a", transfer=transfer), transfer=transfer)
    assert expected in text("en", Sizing(True, sized, 100))


def test_a_transfer_that_could_not_be_sized_gives_both_figures() -> None:
    transfer = TransferNeed(None, NeedBasis.UNKNOWN)
    sized = report(
        receiver("a", available=5_000, transfer=transfer),
        transfer=transfer,
        unchecked=frozenset({Check.TRANSFER_NEED}),
    )
    shown = text("en", Sizing(True, sized, 100))
    assert "could not be checked: about 64,285 to a payee holding USDT, about 130,285" in shown
    assert "has 5,000 energy" in shown
    assert "Not checked: the transfer's energy." in shown
    assert "Burning" not in shown  # no figure to burn


def test_flags_warn_and_the_suggestion_covers_every_receiver() -> None:
    non_holder = TransferNeed(TRANSFER_ENERGY_TO_NON_HOLDER, NeedBasis.SIMULATED)
    sized = report(
        receiver("ghost", exists=False, transfer=non_holder),
        receiver("short", available=1_000, transfer=non_holder),
        receiver("rich", available=200_000, transfer=non_holder),
        transfer=non_holder,
    )
    shown = text("en", Sizing(True, sized, 100))
    assert "not activated: a delegation to it may fail" in shown
    assert (
        "has 1,000; 65,000 more does not cover one transfer (130,285): it needs 129,285" in shown
    )
    assert "has 200,000 energy, enough for a transfer: it needs no rental" in shown
    assert "Suggested amount: <b>130,285</b> energy per address" in shown
    # Problems first: the inactive receiver, then the short one, then the rest.
    assert shown.index("not activated") < shown.index("does not cover") < shown.index("no rental")


def test_no_receiver_needing_energy_is_said() -> None:
    sized = report(receiver("a", available=100_000), receiver("b", available=70_000))
    shown = text("en", Sizing(True, sized, 100))
    assert "No receiver needs a rental for one transfer." in shown
    assert "Suggested" not in shown


def test_renting_dearer_than_burning_says_by_how_much() -> None:
    shown = text("en", Sizing(True, report(receiver("a")), 100), rental=9_000_000)
    assert "⚠️ renting costs 2.5715 TRX more" in shown


def test_without_a_quote_the_burn_cost_is_still_shown() -> None:
    shown = text("en", Sizing(True, report(receiver("a")), 100), rental=None)
    assert "Burning TRX instead: 6.4285 TRX (64,285 energy at 100 SUN)" in shown
    assert "renting" not in shown


def test_an_unread_burn_price_is_named() -> None:
    shown = text("en", Sizing(True, report(receiver("a")), None))
    assert "Not checked: the burn price." in shown
    assert "Burning" not in shown


@pytest.mark.parametrize("lang", LANGS)
def test_an_unreachable_node_says_what_was_not_checked(lang: Lang) -> None:
    transfer = TransferNeed(None, NeedBasis.UNKNOWN)
    down = report(
        receiver("a", available=None, transfer=transfer, failure="CONNECT_ERROR"),
        transfer=transfer,
        unchecked=frozenset(Check),
    )
    shown = text(lang, Sizing(True, down, None))
    assert ("could not be reached" if lang == "en" else "无法连接 TRON 节点") in shown
    assert len(shown.splitlines()) == 2  # the header and that line: nothing guessed


@pytest.mark.parametrize("lang", LANGS)
def test_chain_reads_off_and_checks_still_running_are_said(lang: Lang) -> None:
    assert ("Chain checks are off" if lang == "en" else "链上检查已关闭") in text(
        lang, Sizing(enabled=False)
    )
    assert ("Still checking" if lang == "en" else "仍在检查") in text(lang, None)
    # A failure of the checks themselves reads as an unreachable node.
    assert ("could not be reached" if lang == "en" else "无法连接") in text(lang, Sizing(True))


def test_receivers_cut_by_the_budget_are_not_checked_in_time() -> None:
    sized = report(
        receiver("a"),
        receiver("late", available=None, failure="BUDGET"),
        unchecked=frozenset({Check.ACTIVATION, Check.ENERGY}),
    )
    shown = text("en", Sizing(True, sized, 100))
    assert "not checked in time" in shown
    assert "Not checked: activation, energy on hand." in shown
    assert "Burning" not in shown  # a partial figure would overstate the saving


@pytest.mark.parametrize("lang", LANGS)
def test_100_receivers_fit_one_message_in_both_languages(lang: Lang) -> None:
    non_holder = TransferNeed(TRANSFER_ENERGY_TO_NON_HOLDER, NeedBasis.PAYEE_NON_HOLDER)
    needs = []
    for i in range(100):
        kind = i % 5
        needs.append(
            receiver(
                f"many:{i}",
                exists=kind != 0,
                available=None if kind == 1 else (200_000 if kind == 2 else 1_000 * i),
                failure="BUDGET" if kind == 1 else None,
                transfer=non_holder,
            )
        )
    # The one inactive receiver that matters most is the last one: it is still shown.
    sized = report(*needs, transfer=non_holder, unchecked=frozenset(Check))
    lines = sizing_lines(
        lang, Sizing(True, sized, 100), rental_sun=100 * 3_900_000, suggested=130_285
    )
    shown = "\n".join(lines)
    assert utf16_len(shown) <= TELEGRAM_LIMIT // 2  # room for the rest of the summary
    rest = [line for line in lines if line.startswith("…")]
    assert len(rest) == 1
    assert str(100 - DETAILED_RECEIVERS) in rest[0]
    # 20 inactive receivers: the first 8 lines are theirs, 12 more are counted.
    assert ("12 not activated" if lang == "en" else "12 个未激活") in shown


def test_the_suggestion_respects_the_providers_minimum() -> None:
    sized = Sizing(True, report(receiver("a", available=30_000)), 100)
    assert sized.suggested_amount(provider_minimum(ProviderName.FEEE.value)) == 34_285
    assert sized.suggested_amount(provider_minimum(ProviderName.TRONSAVE.value)) == 65_000
    assert sized.suggested_amount(provider_minimum(None)) == 65_000


# -- after a confirm -------------------------------------------------------------------


def order(*, charge: int | None = 3_900_000, refund: int | None = 1_000_000) -> Order:
    return Order(
        id=7,
        submission_id=1,
        provider=ProviderName.TRONSAVE,
        key_id="k",
        provider_order_id="p7",
        chat_id=1,
        receiver=derive_address("confirm:receiver"),
        amount=65_000,
        duration_sec=900,
        state=OrderState.CONFIRMED,
        raw_status=None,
        created_at=0.0,
        deadline_at=None,
        matched_at=1.0,
        ends_at=None,
        closed_at=2.0,
        charge_sun=charge,
        refund_sun=refund,
        delivered_amount=65_000,
        delegate_txid=None,
        provider_created_at=None,
    )


@pytest.mark.parametrize("lang", LANGS)
def test_the_saving_made_is_net_of_the_refund(lang: Lang) -> None:
    lines = confirm_result_lines(lang, order(), energy_used=64_285, energy_fee=100)
    shown = "\n".join(lines)
    # Net 2.9 TRX against burning 6.4285 TRX: 3.5285 TRX saved, 55 %.
    assert "2.9 TRX" in shown
    assert "<b>3.5285 TRX</b>" in shown
    assert "55%" in shown
    assert "6.4285 TRX" in shown


def test_a_saving_that_is_none_says_so() -> None:
    line = saving_made_line("en", order(refund=0), energy_used=10_000, energy_fee=100)
    assert line is not None
    assert "Saved: nothing: the net cost is 2.9 TRX more than burning 1 TRX" in line


def test_no_saving_line_while_the_refund_is_pending() -> None:
    assert saving_made_line("en", order(refund=None), energy_used=1, energy_fee=100) is None
    unknown = saving_made_line("en", order(), energy_used=None, energy_fee=100)
    assert unknown == "Saved: not known (the chain could not be read)."


def test_the_energy_used_comes_from_the_energy_left_before_the_confirm() -> None:
    confirmed = order()
    assert confirmed.receiver is not None
    snapshot = UsageSnapshot(100, {confirmed.receiver: 715})
    assert snapshot.energy_used(confirmed) == 64_285
    # Energy of its own beyond the rental: nothing of the rental counts as used.
    assert UsageSnapshot(100, {confirmed.receiver: 90_000}).energy_used(confirmed) == 0
    assert UsageSnapshot(100, {}).energy_used(confirmed) is None
    saved = snapshot.saving_made(confirmed)
    assert saved == Savings(64_285, 100, 6_428_500, 2_900_000)
    assert UsageSnapshot(None, {confirmed.receiver: 0}).saving_made(confirmed) is None


def test_many_confirmed_orders_sum_their_savings() -> None:
    one = Savings(64_285, 100, 6_428_500, 2_900_000)
    assert total_saving_line("en", [one, one]) == (
        "Saved: <b>7.057 TRX</b> (55%) against burning 12.857 TRX for the 128,570 energy "
        "used (at 100 SUN)"
    )
    assert total_saving_line("en", [one, None]) == (
        "Saved: not known (the chain could not be read)."
    )
    assert total_saving_line("en", []) is None
