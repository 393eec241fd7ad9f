"""Who may spend and who may administer: ALLOWED_USER_IDS plus what admins granted or
withdrew in chat (a stored entry wins, so /deny also stops a configured user), effective
at once. Every admin action is recorded for /audit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.money import format_trx
from bot.services.orders.limits import LimitGuard
from bot.storage.access import AuditEntry
from bot.storage.repository import Repository

MENU_ADMINS_KEY = "menu:admins"  # the admins whose chats got the admin menu


@dataclass(frozen=True)
class UserSpend:
    user_id: int
    spent_sun: int
    limit_sun: int | None  # None: no daily limit


class AccessService:
    def __init__(
        self,
        repo: Repository,
        limits: LimitGuard,
        *,
        allowed: frozenset[int],
        admins: frozenset[int],
        clock: Callable[[], float],
    ) -> None:
        self._repo = repo
        self._limits = limits
        self._static = allowed
        self._admins = admins
        self._clock = clock
        self._grants: dict[int, bool] = {}

    async def load(self) -> None:
        """Read the stored grants (once the database is open)."""
        self._grants = await self._repo.access_grants()

    @property
    def admins(self) -> frozenset[int]:
        return self._admins

    async def former_menu_admins(self) -> list[int]:
        """Admins whose chats got the admin menu at an earlier start and are admins no
        longer (stored by `remember_menu_admins`)."""
        stored = await self._repo.alert_state(MENU_ADMINS_KEY) or ""
        before = {int(p) for p in stored.split(",") if p.isdecimal()}
        return sorted(before - self._admins)

    async def remember_menu_admins(self) -> None:
        state = ",".join(str(a) for a in sorted(self._admins))
        await self._repo.change_alert_state(
            MENU_ADMINS_KEY, state, None, now=self._clock(), first=False
        )

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self._admins

    def may_spend(self, user_id: int | None) -> bool:
        if user_id is None:
            return False
        return self._grants.get(user_id, user_id in self._static)

    def allowed_users(self) -> list[int]:
        granted = {u for u, ok in self._grants.items() if ok}
        static = {u for u in self._static if self._grants.get(u, True)}
        return sorted(granted | static)

    async def set_access(self, admin_id: int, user_id: int, allowed: bool) -> None:
        await self._repo.set_access(user_id, allowed, admin_id, self._clock())
        self._grants[user_id] = allowed

    async def set_daily_limit(self, admin_id: int, user_id: int, daily_sun: int | None) -> None:
        detail = "off" if daily_sun is None else f"{format_trx(daily_sun)} TRX"
        await self._repo.set_limit_audited(user_id, daily_sun, admin_id, detail, self._clock())

    async def record(self, admin_id: int, action: str, target: int | None = None) -> None:
        await self._repo.record_admin_action(admin_id, action, target, self._clock())

    async def users(self) -> list[UserSpend]:
        now = self._clock()
        return [
            UserSpend(
                u,
                await self._limits.spent_today(u, now),
                await self._limits.daily_limit(u),
            )
            for u in self.allowed_users()
        ]

    async def audit(self, limit: int) -> list[AuditEntry]:
        return await self._repo.audit_entries(limit)
