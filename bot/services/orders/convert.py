"""Stored rows as the provider port sees them, and the port's orders as the repository
stores them: the same facts under the same names, copied field by field."""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

from bot.providers.port import SubmissionQuery, TrackedOrder
from bot.storage.repository import Order, Submission

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_T = TypeVar("_T", bound="DataclassInstance")


def project(kind: type[_T], source: object) -> _T:
    """A `kind` holding `source`'s values for each of `kind`'s fields (which `source`
    must have, of the same type: tests/unit/test_order_convert.py pins each pair)."""
    values: dict[str, Any] = {f.name: getattr(source, f.name) for f in fields(kind)}
    return kind(**values)


def tracked(order: Order) -> TrackedOrder:
    """A stored order as the provider port sees it."""
    return project(TrackedOrder, order)


def submission_query(sub: Submission) -> SubmissionQuery:
    return project(SubmissionQuery, sub)
