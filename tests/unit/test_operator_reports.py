"""Operator reports: unknown outcomes alerted once per submission or order (grouped per
check), and the daily summary of the previous UTC day, with its contents, once per day
across restarts, within Telegram's limit in both languages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest

from bot.domain import NoticeKind, OrderState, ProviderName, SubmissionState
from bot.i18n import LANGS, Lang
from bot.services.alerts_reports import (
    SUMMARY_USERS,
    UNKNOWN_AFTER,
    UNKNOWN_SHOWN,
    ReportAlerts,
    decode_totals,
)
from bot.storage.repository import (
    NewOrder,
    Notification,
    OrderChanges,
    ReceiverUpdate,
    Repository,
    Submission,
    Transition,
)
from bot.telegram.long_text import TELEGRAM_LIMIT
from bot.telegram.operator_render import operator_text
from bot.tron_address import address_from_bytes
from tests.support.clock import Clock

OPERATOR = -100777
DAY = 86_400.0
# 2026-11-30 00:00 UTC
DAY_START = datetime(2026, 11, 30, tzinfo=UTC).timestamp()
A = [address_from_bytes(bytes([i + 1]) * 20) for i in range(8)]


async def operator_notes(repo: Repository) -> list[Notification]:
    return [n for n in await repo.unsent_notifications() if n.chat_id == OPERATOR]


class _Notices:
    def __init__(self, lang: Lang) -> None:
        self.lang = lang

    async def chat_language(self, chat_id: int) -> str:
        return self.lang


class _Rt:
    def __init__(self, lang: Lang) -> None:
        self.notices = _Notices(lang)


async def render(note: Notification, lang: Lang = "en") -> str:
    assert note.kind is not None
    return await operator_text(cast(Any, _Rt(lang)), note, note.kind)


async def submission(
    repo: Repository,
    *,
    now: float,
    receivers: tuple[str, ...] = (A[0],),
    user: int = 501,
    provider: ProviderName = ProviderName.TRONSAVE,
) -> Submission:
    return await repo.create_submission(
        chat_id=user,
        user_id=user,
        provider=provider,
        key_id="key",
        amount=65_000,
        duration_sec=3600,
        max_price=70,
        deadline_sec=300,
        receivers=receivers,
        now=now,
    )


async def settle(repo: Repository, sub: Submission, state: SubmissionState, code: str) -> None:
    assert await repo.set_submission_state(
        sub.id,
        state,
        now=sub.created_at,
        expected=[SubmissionState.SENDING, SubmissionState.UNCERTAIN],
        error_code=code,
    )


# -- unknown outcomes -------------------------------------------------------------------


async def test_an_unresolved_submission_is_alerted_once_with_what_is_known(
    repo: Repository,
) -> None:
    clock = Clock(DAY_START)
    reports = ReportAlerts(repo, OPERATOR, clock=clock)
    sub = await submission(
        repo, now=clock.now, receivers=(A[0], A[1], A[2]), provider=ProviderName.FEEE
    )
    # Feee, one request per receiver: the first ordered, the second lost, the third never sent.
    await repo.mark_receivers_sending(sub, [0], now=clock.now)
    order = NewOrder("feee-1", A[0], 65_000, 3600)
    await repo.record_receivers(
        sub, [ReceiverUpdate(0, A[0], "ordered", order=order)], now=clock.now
    )
    await repo.mark_receivers_sending(sub, [1], now=clock.now)
    await settle(repo, sub, SubmissionState.UNRESOLVED, "INTERRUPTED")

    assert await reports.check_unknown() == 1
    assert await reports.check_unknown() == 0  # once per submission
    clock.now += 10 * DAY
    assert await ReportAlerts(repo, OPERATOR, clock=clock).check_unknown() == 0  # restarts too
    [note] = await operator_notes(repo)
    assert note.kind is NoticeKind.UNKNOWN_OUTCOMES
    text = await render(note)
    assert f"Submission #{sub.id} · Feee.io" in text
    assert "chat <code>501</code> · user <code>501</code>" in text
    assert "65000 energy × 3 receivers" in text
    assert "<code>unresolved INTERRUPTED</code>" in text
    assert f"with an order: 1; unknown: 1 ({A[1]})" in text  # only the lost one
    assert A[2] not in text  # never sent: known not to exist
    assert "2026-11-30 00:00 UTC" in text


async def test_an_uncertain_submission_is_alerted_only_once_older_than_the_window(
    repo: Repository,
) -> None:
    clock = Clock(DAY_START)
    reports = ReportAlerts(repo, OPERATOR, clock=clock)
    sub = await submission(repo, now=clock.now, receivers=(A[0], A[1]))
    await settle(repo, sub, SubmissionState.UNCERTAIN, "TIMEOUT")
    fresh = await submission(repo, now=clock.now + UNKNOWN_AFTER / 2)
    clock.now += UNKNOWN_AFTER / 2
    assert await reports.check_unknown() == 0  # recovery is still at it
    clock.now += UNKNOWN_AFTER / 2 + 1
    assert await reports.check_unknown() == 1  # `fresh` (still sending) is younger
    [note] = await operator_notes(repo)
    text = await render(note)
    assert f"Submission #{sub.id}" in text
    assert f"unknown: 2 ({A[0]}, {A[1]})" in text  # one request for all: none found
    assert f"#{fresh.id}" not in text
    clock.now += UNKNOWN_AFTER
    assert await reports.check_unknown() == 1  # now `fresh` too, in a new alert


async def test_an_order_in_an_undocumented_status_is_alerted_once(repo: Repository) -> None:
    clock = Clock(DAY_START)
    reports = ReportAlerts(repo, OPERATOR, clock=clock)
    sub = await submission(repo, now=clock.now)
    [order] = await repo.record_orders(sub, [NewOrder("ts-9", A[0], 65_000, 3600)], now=clock.now)
    assert await repo.apply([Transition(order, OrderState.UNKNOWN, "WEIRD")], now=clock.now)
    clock.now += UNKNOWN_AFTER + 1
    assert await reports.check_unknown() == 1
    assert await reports.check_unknown() == 0
    [note] = await operator_notes(repo)
    text = await render(note, "zh")
    assert f"订单 #{order.id}" in text
    assert "<code>ts-9</code>" in text
    assert "<code>WEIRD</code>" in text


async def test_many_unknown_outcomes_go_out_in_groups_within_telegrams_limit(
    repo: Repository,
) -> None:
    clock = Clock(DAY_START)
    reports = ReportAlerts(repo, OPERATOR, clock=clock)
    count = UNKNOWN_SHOWN + 3
    for _ in range(count):
        sub = await submission(repo, now=clock.now, receivers=tuple(A), user=-1001234567890)
        await settle(repo, sub, SubmissionState.UNRESOLVED, "SEARCH_INCOMPLETE")
    assert await reports.check_unknown() == UNKNOWN_SHOWN
    assert await reports.check_unknown() == 3
    assert await reports.check_unknown() == 0
    first, second = await operator_notes(repo)
    for lang in LANGS:
        text = await render(first, lang)
        assert len(text) <= TELEGRAM_LIMIT
        assert "+5" in text  # 8 unknown receivers, 3 listed
    assert "+3 more, listed in the next alert." in await render(first)
    assert "+3 more" not in await render(second)


# -- the daily summary ------------------------------------------------------------------


async def placed(
    repo: Repository,
    *,
    at: float,
    user: int,
    provider: ProviderName,
    charge: int | None,
    refund: int | None,
) -> None:
    sub = await submission(repo, now=at, user=user, provider=provider)
    new = NewOrder(f"o-{sub.id}", A[0], 65_000, 3600, charge_sun=charge)
    [order] = await repo.record_orders(sub, [new], now=at)
    if refund is not None:
        changes = OrderChanges(closed_at=at, refund_sun=refund)
        assert await repo.apply([Transition(order, OrderState.CANCELLED, "x", changes)], now=at)


async def test_daily_summary_counts_the_previous_utc_day_per_provider_and_user(
    repo: Repository,
) -> None:
    ts, feee = ProviderName.TRONSAVE, ProviderName.FEEE
    await placed(repo, at=DAY_START - 1, user=1, provider=ts, charge=9_000_000, refund=0)
    await placed(repo, at=DAY_START, user=1, provider=ts, charge=3_900_000, refund=3_900_000)
    await placed(repo, at=DAY_START + 60, user=1, provider=feee, charge=3_160_000, refund=None)
    await placed(repo, at=DAY_START + DAY - 1, user=2, provider=ts, charge=None, refund=None)
    await placed(repo, at=DAY_START + DAY, user=2, provider=ts, charge=7_000_000, refund=0)
    clock = Clock(DAY_START + DAY + 3600)  # 2026-12-01 01:00 UTC
    reports = ReportAlerts(repo, OPERATOR, clock=clock)
    assert await reports.check_daily_summary()
    [note] = await operator_notes(repo)
    assert note.payload is not None
    assert note.payload.alert is not None
    alert = note.payload.alert
    assert alert["day"] == "2026-11-30"
    overall = decode_totals(alert["all"])
    assert overall.orders == 3
    assert (overall.charge.sun, overall.charge.pending) == (7_060_000, 1)
    assert (overall.refund.sun, overall.refund.pending) == (3_900_000, 2)
    assert (overall.net.sun, overall.net.pending) == (0, 2)
    text = await render(note)
    assert "For 2026-11-30 (UTC):" in text
    assert "All: 3 orders · charged 7.06 TRX + 1 pending · refunded 3.9 TRX + 2 pending" in text
    assert "TronSave: 2 orders · charged 3.9 TRX + 1 pending · refunded 3.9 TRX + 1" in text
    assert "Feee.io: 1 orders · charged 3.16 TRX · refunded pending · net pending" in text
    assert "<code>1</code>: 2 orders · charged 7.06 TRX · refunded 3.9 TRX + 1 pending" in text
    assert "<code>2</code>: 1 orders · charged pending" in text
    assert "charged 9 TRX" not in text  # the day before
    assert "7 TRX" not in text.replace("7.06 TRX", "")  # the day after
    zh = await render(note, "zh")
    assert "全部：3 个订单" in zh


async def test_daily_summary_goes_out_once_per_day_across_restarts(repo: Repository) -> None:
    await placed(
        repo, at=DAY_START, user=1, provider=ProviderName.TRONSAVE, charge=1_000_000, refund=0
    )
    clock = Clock(DAY_START + DAY + 60)
    assert await ReportAlerts(repo, OPERATOR, clock=clock).check_daily_summary()
    clock.now += 3600
    assert not await ReportAlerts(repo, OPERATOR, clock=clock).check_daily_summary()
    clock.now += DAY  # the next day: summarised, though it had no orders
    reports = ReportAlerts(repo, OPERATOR, clock=clock)
    assert await reports.check_daily_summary()
    assert not await reports.check_daily_summary()
    _first, second = await operator_notes(repo)
    assert "No orders that day." in await render(second)
    assert "For 2026-12-01 (UTC):" in await render(second)


async def test_a_new_bot_says_nothing_of_a_day_without_orders(repo: Repository) -> None:
    clock = Clock(DAY_START + DAY + 60)
    assert not await ReportAlerts(repo, OPERATOR, clock=clock).check_daily_summary()
    assert await operator_notes(repo) == []


@pytest.mark.parametrize("lang", LANGS)
async def test_a_busy_day_lists_the_top_users_and_fits_one_message(
    repo: Repository, lang: Lang
) -> None:
    users = SUMMARY_USERS + 7
    for user in range(users):
        await placed(
            repo,
            at=DAY_START + user,
            user=10**12 + user,
            provider=ProviderName.FEEE if user % 2 else ProviderName.TRONSAVE,
            charge=123_456_789_012 + user,
            refund=None if user % 3 else 1_234_567,
        )
    reports = ReportAlerts(repo, OPERATOR, clock=Clock(DAY_START + DAY + 60))
    assert await reports.check_daily_summary()
    [note] = await operator_notes(repo)
    text = await render(note, lang)
    assert len(text) <= TELEGRAM_LIMIT
    assert ("+7 more users" if lang == "en" else "另有 7 个用户") in text
    # The most charged first: the last user placed charged the most.
    assert f"<code>{10**12 + users - 1}</code>" in text
    assert f"<code>{10**12}</code>" not in text
