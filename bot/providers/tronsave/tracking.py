"""How many order ids one TronSave tracking request carries.

TronSave documents no maximum, so the bot starts with every open order of the key in one
request (or `TRONSAVE_TRACK_CHUNK_SIZE`, an upper cap) and learns from the answers:

- a definite refusal of the size (HTTP 413, as Fastify answers a body over its limit, or a
  400 whose text speaks of a size, as ajv's "must NOT have more than N items"): the
  request is split in halves, and no later request is larger than half the refused one;
- no answer at all (a timeout, a dropped connection) to a request larger than any that
  was answered before: it may be the size, or the provider may be down. Such a request
  is not retried whole; it is split in halves, and the halves (smaller, so worth asking)
  are the retry. A few such splits per call at most, and the lower size is kept only for
  `SOFT_SECONDS`: after that the larger size is tried again, so an outage does not shrink
  the requests for good. A size that was answered before is retried as any safe read is.

Whatever the provider does, every id is asked about in some request or the failure is
raised for the poller, which skips that chunk for this cycle; nothing is lost.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

from bot.providers.errors import ProviderError, ProviderUnavailable

log = logging.getLogger(__name__)

UNCAPPED = 1 << 30  # "every open order": larger than any open order count
SOFT_SECONDS = 600.0
TIMEOUT_SPLITS = 2  # per call: a provider that is down costs a few requests, not log2(n)
# Codes of a request that went out and got no answer (see bot.net.http.send_fault).
_NO_ANSWER = frozenset({"TIMEOUT", "NETWORK_ERROR"})
_SIZE_WORDS = re.compile(
    r"too (?:large|long|many|big)|more than \d+|maxitems|payload|entity", re.IGNORECASE
)


def refuses_size(exc: ProviderError) -> bool:
    """The provider said outright that the request is too large."""
    if exc.http_status == 413:
        return True
    return exc.http_status == 400 and bool(_SIZE_WORDS.search(f"{exc.code} {exc.detail}"))


def unanswered(exc: ProviderError) -> bool:
    return isinstance(exc, ProviderUnavailable) and exc.code in _NO_ANSWER


class TrackSize:
    """The ids per tracking request: the cap, lowered by what the API refused."""

    def __init__(self, cap: int | None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.cap = cap if cap is not None else UNCAPPED
        self._clock = clock
        self._hard = UNCAPPED  # at most half the smallest size refused outright
        self._soft = UNCAPPED  # at most half a size that got no answer, for a while
        self._soft_until = 0.0
        self.worked = 0  # the largest size answered

    @property
    def limit(self) -> int:
        soft = self._soft if self._clock() < self._soft_until else UNCAPPED
        return max(1, min(self.cap, self._hard, soft))

    def proven(self, size: int) -> bool:
        return size <= self.worked

    def answered(self, size: int) -> None:
        self.worked = max(self.worked, size)

    def refused(self, size: int) -> int:
        """A definite refusal of `size` ids; returns the new limit."""
        self._hard = min(self._hard, max(1, size // 2))
        self.worked = min(self.worked, self._hard)  # the API's limit changed under us
        log.warning("tronsave refused tracking %d ids at once; now at most %d", size, self.limit)
        return self.limit

    def unanswered(self, size: int) -> int:
        """No answer to `size` ids (larger than any answered); returns the new limit."""
        self._soft = max(1, self.worked, size // 2)
        self._soft_until = self._clock() + SOFT_SECONDS
        log.warning(
            "no answer to tracking %d ids at once; trying %d per request for %.0f s",
            size,
            self.limit,
            SOFT_SECONDS,
        )
        return self.limit
