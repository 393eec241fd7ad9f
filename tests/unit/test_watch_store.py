"""The stored watches: the per-user cap, a change written with its push (or neither when
the watch is gone), and which watches have an order for their address still open (auto-
rent must not order again while one is, or while a submission naming it is unsettled)."""

from __future__ import annotations

from bot.domain import NoticeKind, OrderState, ProviderName, SubmissionState
from bot.sandbox.base import derive_address
from bot.storage.repository import NewNotification, NewOrder, NoticePayload, Repository

ADDR = derive_address("watch-store:one")
OTHER = derive_address("watch-store:two")
USER = 20
NOW = 1_000.0


async def add(repo: Repository, address: str = ADDR, user: int = USER, cap: int = 3) -> int:
    row, _ = await repo.add_watch(
        chat_id=user, user_id=user, address=address, threshold=65_000, lang="en",
        max_per_user=cap, now=NOW,
    )  # fmt: skip
    assert row is not None
    return row.id


async def submission(repo: Repository, receivers: tuple[str, ...], user: int = USER) -> int:
    sub = await repo.create_submission(
        chat_id=user, user_id=user, provider=ProviderName.TRONSAVE, key_id="k", amount=65_000,
        duration_sec=3_600, max_price=70, deadline_sec=300, receivers=receivers, now=NOW,
    )  # fmt: skip
    return sub.id


async def open_flags(repo: Repository, now: float = NOW) -> dict[str, bool]:
    return {w.address: w.open_order for w in await repo.all_watches(now)}


async def test_the_cap_and_a_second_watch_of_the_same_address(repo: Repository) -> None:
    await add(repo, cap=1)
    again, created = await repo.add_watch(
        chat_id=USER, user_id=USER, address=ADDR, threshold=80_000, lang=None,
        max_per_user=1, now=NOW,
    )  # fmt: skip
    assert again is not None
    assert not created
    assert again.threshold == 80_000
    refused, created = await repo.add_watch(
        chat_id=USER, user_id=USER, address=OTHER, threshold=1, lang=None,
        max_per_user=1, now=NOW,
    )  # fmt: skip
    assert refused is None
    assert not created
    assert len(await repo.watches_of(USER, USER)) == 1


async def test_a_change_is_written_with_its_push_or_not_at_all(repo: Repository) -> None:
    watch_id = await add(repo)
    note = NewNotification(USER, NoticeKind.WATCH_LOW, NoticePayload(0, alert={"a": "b"}))
    assert await repo.set_watch_alert_state(watch_id, "low", note, now=NOW)
    assert len(await repo.unsent_notifications()) == 1
    assert await repo.remove_watch(watch_id)
    assert not await repo.set_watch_alert_state(watch_id, "ok", note, now=NOW)
    assert not await repo.set_watch_ledger(watch_id, "{}", note, now=NOW)
    assert len(await repo.unsent_notifications()) == 1  # nothing queued for a gone watch


async def test_an_open_order_or_an_unsettled_submission_counts_as_open(
    repo: Repository,
) -> None:
    await add(repo)
    await add(repo, OTHER)
    assert await open_flags(repo) == {ADDR: False, OTHER: False}
    sending = await submission(repo, (ADDR,))
    assert await open_flags(repo) == {ADDR: True, OTHER: False}  # outcome not known yet
    sub = await repo.get_submission(sending)
    assert sub is not None
    [order] = await repo.record_orders(
        sub, [NewOrder("p1", ADDR, 65_000, 3_600, OrderState.PENDING)], now=NOW
    )
    assert await open_flags(repo) == {ADDR: True, OTHER: False}  # pending
    async with repo._tx() as db:
        await db.execute("UPDATE orders SET state = ? WHERE id = ?", ("completed", order.id))
    assert await open_flags(repo) == {ADDR: False, OTHER: False}


async def test_failed_and_old_unresolved_submissions_do_not_block(repo: Repository) -> None:
    await add(repo)
    sub_id = await submission(repo, (OTHER, ADDR))
    for state in (SubmissionState.UNRESOLVED, SubmissionState.FAILED):
        await repo.set_submission_state(
            sub_id, state, now=NOW, expected=[SubmissionState.SENDING, SubmissionState.UNRESOLVED]
        )
        if state is SubmissionState.UNRESOLVED:
            assert await open_flags(repo) == {ADDR: True}  # a rental may still run
            assert await open_flags(repo, NOW + 300 + 3_600 + 1) == {ADDR: False}  # over
    assert await open_flags(repo) == {ADDR: False}


async def test_another_users_order_does_not_block(repo: Repository) -> None:
    await add(repo)
    await submission(repo, (ADDR,), user=USER + 1)
    assert await open_flags(repo) == {ADDR: False}


async def test_a_group_upgraded_to_a_supergroup_keeps_its_watches(repo: Repository) -> None:
    group, supergroup = -100, -1_000_000_000_100
    for address in (ADDR, OTHER):
        await repo.add_watch(
            chat_id=group, user_id=USER, address=address, threshold=65_000, lang=None,
            max_per_user=5, now=NOW,
        )  # fmt: skip
    await repo.add_watch(
        chat_id=supergroup, user_id=USER, address=ADDR, threshold=1, lang=None,
        max_per_user=5, now=NOW,
    )  # fmt: skip
    await repo.migrate_chat(group, supergroup)
    assert await repo.watches_of(group, USER) == []
    moved = {w.address: w.threshold for w in await repo.watches_of(supergroup, USER)}
    assert moved == {ADDR: 1, OTHER: 65_000}
