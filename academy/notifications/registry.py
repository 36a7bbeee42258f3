"""The kinds of notification: each domain registers its own at start-up, so the shell imports none.

A kind says what is due at a moment (``produce``), how its notifications read in the
reader's language (``describe``, called inside that locale) and who may receive it
(``audience``): the one home of that rule, which both the preferences page (it lists only
the kinds a user may receive) and the run (it gives a kind to nobody else) read.
Registration is by name: a second app (tests build several) replaces the entry instead of
adding another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement

from academy.auth.models import User

if TYPE_CHECKING:
    from academy.notifications.models import Notification


@dataclass(frozen=True)
class Due:
    """One notification a kind says is due: to whom, about what, for which occurrence."""

    user_id: int
    subject: str
    period: str = ""
    params: dict[str, Any] | None = None


@dataclass(frozen=True)
class Message:
    """How one notification reads: a short title (the mail's subject), a sentence, and where it leads."""

    title: str
    text: str
    endpoint: str | None = None
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Kind:
    name: str
    #: What the preferences page calls it (a lazy string: read in the reader's language).
    label: Any
    produce: Callable[[datetime], Iterable[Due]]
    #: Messages by notification id; a notification whose subject is gone may be left out.
    describe: Callable[[Sequence[Notification]], dict[int, Message]]
    #: Sort order on the preferences page.
    order: int = 100
    #: Who may receive it: an SQL condition on ``users`` (academy.auth.models.User); None: every user.
    audience: Callable[[], ColumnElement[bool]] | None = None


def civil_servants() -> ColumnElement[bool]:
    """The audience of the kinds about one's own learning: users who are a person of the HR records."""
    return User.person_id.is_not(None)


_kinds: dict[str, Kind] = {}


def register_kind(kind: Kind) -> None:
    _kinds[kind.name] = kind


def kinds() -> list[Kind]:
    return sorted(_kinds.values(), key=lambda kind: (kind.order, kind.name))


def kind_named(name: str) -> Kind | None:
    return _kinds.get(name)
