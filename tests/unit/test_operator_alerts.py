"""Operator alerts: a low provider balance is alerted once per crossing below its
threshold and once on recovery, never repeated while it stays on one side."""

from __future__ import annotations

from bot.domain import NoticeKind, ProviderName
from bot.providers.errors import ProviderUnavailable
from bot.services.alerts_operator import OperatorAlerts, OperatorSettings
from bot.services.orders import OrderService
from bot.storage.repository import Notification, Repository
from tests.support.fake_provider import FakeProvider

OPERATOR = -100123
TRX = 1_000_000


def alerts_for(
    repo: Repository, *providers: FakeProvider, thresholds: dict[ProviderName, int]
) -> OperatorAlerts:
    orders = OrderService(repo, {p.name: p for p in providers})
    return OperatorAlerts(repo, orders, OperatorSettings(OPERATOR, thresholds))


async def queued(repo: Repository) -> list[Notification]:
    return [n for n in await repo.unsent_notifications() if n.chat_id == OPERATOR]


async def test_low_balance_alerted_once_per_crossing_and_once_on_recovery(
    repo: Repository,
) -> None:
    ts = FakeProvider(balance_sun=100 * TRX)
    alerts = alerts_for(repo, ts, thresholds={ProviderName.TRONSAVE: 50 * TRX})

    assert await alerts.check_balances() == 0  # above when first seen: nothing to say
    ts.balance_sun = 49 * TRX
    assert await alerts.check_balances() == 1
    ts.balance_sun = 10 * TRX
    assert await alerts.check_balances() == 0  # still low: not repeated
    ts.balance_sun = 50 * TRX  # at the threshold counts as recovered
    assert await alerts.check_balances() == 1
    assert await alerts.check_balances() == 0
    ts.balance_sun = 1 * TRX
    assert await alerts.check_balances() == 1  # a new crossing is a new alert

    notes = await queued(repo)
    assert [n.kind for n in notes] == [
        NoticeKind.LOW_BALANCE,
        NoticeKind.BALANCE_RECOVERED,
        NoticeKind.LOW_BALANCE,
    ]
    first = notes[0].payload
    assert first is not None
    assert first.alert == {
        "provider": "tronsave",
        "balance": "49",
        "threshold": "50",
    }


async def test_low_when_first_seen_is_alerted(repo: Repository) -> None:
    alerts = alerts_for(
        repo, FakeProvider(balance_sun=TRX), thresholds={ProviderName.TRONSAVE: 5 * TRX}
    )
    assert await alerts.check_balances() == 1
    assert [n.kind for n in await queued(repo)] == [NoticeKind.LOW_BALANCE]


async def test_state_survives_a_restart(repo: Repository) -> None:
    thresholds = {ProviderName.TRONSAVE: 5 * TRX}
    assert (
        await alerts_for(
            repo, FakeProvider(balance_sun=TRX), thresholds=thresholds
        ).check_balances()
        == 1
    )
    # A new service on the same database (a restart) does not alert the same crossing again.
    again = alerts_for(repo, FakeProvider(balance_sun=2 * TRX), thresholds=thresholds)
    assert await again.check_balances() == 0
    assert len(await queued(repo)) == 1


async def test_each_provider_against_its_own_threshold(repo: Repository) -> None:
    ts = FakeProvider(balance_sun=40 * TRX)
    feee = FakeProvider(name=ProviderName.FEEE, key_id="feee", balance_sun=40 * TRX)
    alerts = alerts_for(
        repo, ts, feee, thresholds={ProviderName.TRONSAVE: 50 * TRX, ProviderName.FEEE: 30 * TRX}
    )
    assert await alerts.check_balances() == 1
    [note] = await queued(repo)
    assert note.payload is not None
    assert note.payload.alert is not None
    assert note.payload.alert["provider"] == "tronsave"


async def test_no_threshold_no_alert_and_a_silent_provider_keeps_its_state(
    repo: Repository,
) -> None:
    ts = FakeProvider(balance_sun=TRX)
    feee = FakeProvider(name=ProviderName.FEEE, key_id="feee", balance_sun=TRX)
    alerts = alerts_for(repo, ts, feee, thresholds={ProviderName.TRONSAVE: 5 * TRX})
    assert await alerts.check_balances() == 1  # TronSave only: Feee has no threshold
    ts.balance_error = ProviderUnavailable(
        "tronsave", "HTTP_503", http_status=503, outcome_unknown=False
    )
    assert await alerts.check_balances() == 0  # no answer: neither low again nor recovered
    ts.balance_error = None
    ts.balance_sun = 6 * TRX
    assert await alerts.check_balances() == 1
    assert [n.kind for n in await queued(repo)] == [
        NoticeKind.LOW_BALANCE,
        NoticeKind.BALANCE_RECOVERED,
    ]


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def failing_alerts(repo: Repository, clock: Clock, *providers: FakeProvider) -> OperatorAlerts:
    orders = OrderService(repo, {p.name: p for p in providers})
    return OperatorAlerts(repo, orders, OperatorSettings(OPERATOR, {}), clock=clock)


async def test_provider_failing_alerted_once_per_episode(repo: Repository) -> None:
    clock = Clock()
    alerts = failing_alerts(repo, clock, FakeProvider())
    results = []
    for _ in range(6):  # a failing cycle every minute
        results.append(await alerts.note_cycle({"tronsave": "HTTP_503"}))
        clock.now += 60
    assert results == [0, 0, 1, 0, 0, 0]  # the third failure in the window; not repeated
    [note] = await queued(repo)
    assert note.kind is NoticeKind.PROVIDER_FAILING
    assert note.payload is not None
    assert note.payload.alert == {
        "provider": "tronsave",
        "count": "3",
        "minutes": "10",
        "code": "HTTP_503",
    }
    # Calm for longer than the window ends the episode, alerted once; a new burst is a
    # new alert.
    clock.now += 700
    assert await alerts.note_cycle({}) == 1
    assert await alerts.note_cycle({}) == 0
    for _ in range(3):
        clock.now += 10
        await alerts.note_cycle({"tronsave": "UNAUTHORISED"})
    assert [n.kind for n in await queued(repo)] == [
        NoticeKind.PROVIDER_FAILING,
        NoticeKind.PROVIDER_RECOVERED,
        NoticeKind.PROVIDER_FAILING,
    ]


async def test_no_recovery_alert_without_an_episode_across_restarts(repo: Repository) -> None:
    clock = Clock()
    alerts = failing_alerts(repo, clock, FakeProvider())
    assert await alerts.note_cycle({}) == 0  # calm from the start: nothing recovered
    for _ in range(3):
        await alerts.note_cycle({"tronsave": "HTTP_503"})
        clock.now += 5
    restarted = failing_alerts(repo, clock, FakeProvider())
    clock.now += 700
    assert await restarted.note_cycle({}) == 1  # the stored episode ends after a restart
    assert [n.kind for n in await queued(repo)] == [
        NoticeKind.PROVIDER_FAILING,
        NoticeKind.PROVIDER_RECOVERED,
    ]


async def test_failures_spread_wider_than_the_window_do_not_alert(repo: Repository) -> None:
    clock = Clock()
    alerts = failing_alerts(repo, clock, FakeProvider())
    for _ in range(10):
        assert await alerts.note_cycle({"tronsave": "TIMEOUT"}) == 0
        clock.now += 301  # at most two failures within any 10 minutes
    assert await queued(repo) == []


async def test_only_the_failing_provider_is_alerted(repo: Repository) -> None:
    clock = Clock()
    feee = FakeProvider(name=ProviderName.FEEE, key_id="feee")
    alerts = failing_alerts(repo, clock, FakeProvider(), feee)
    for _ in range(3):
        await alerts.note_cycle({"feee": "HTTP_500", "reconcile": "INTERNAL"})
        clock.now += 5
    [note] = await queued(repo)
    assert note.payload is not None
    assert note.payload.alert is not None
    assert note.payload.alert["provider"] == "feee"
