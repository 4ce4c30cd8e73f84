"""The record kinds a unit keeps (incidents, supervisions, critiques, dialogues, petitions), as
one list: what the pages shared by every kind ask of each (the search of a unit's records,
the deadlines on the dashboard and the calendar, the page a follow-up belongs to).

A kind registers itself once, where its blueprint is made::

    records.register(records.RecordKind(
        "supervision", _l("Giám sát"), url=lambda i: url_for("supervisions.view", …),
        search=…, deadlines=…))

Every function is given the user and answers only what the user may see (lhpn.authz); none
answers personal data: a title names the record ("Đơn số 12, khiếu nại"), never a person.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Hit:
    """One record found: its kind, id, title (no personal data), unit, day and state."""

    object_type: str
    id: int
    title: str
    unit_name: str
    on: date | None
    status: str  # the state's label, in the reader's language
    url: str


@dataclass(frozen=True)
class Deadline:
    """Something due on a day: a recommendation's answer, a petition's legal deadline, the
    comments on a draft. ``overdue`` when the day has passed and it is still waited for."""

    object_type: str
    object_id: int
    title: str  # no personal data
    unit_name: str
    due_on: date
    overdue: bool
    url: str


# search(user, words, unit_ids): the user's records matching ``words`` (already a search key,
# lhpn.text.search_key) in the units of ``unit_ids`` (a SELECT of unit ids), newest first.
Search = Callable[[Any, str, Any], list[Hit]]
# deadlines(user, start, end): what falls due between two days (both included), and what is
# overdue whatever its day when ``start`` is None.
Deadlines = Callable[[Any, date | None, date], list[Deadline]]


@dataclass(frozen=True)
class RecordKind:
    object_type: str          # "supervision": the object_type of its follow-ups and events
    label: object             # a lazy string: "Giám sát"
    url: Callable[[int], str]  # the page of one record, by id
    search: Search | None = None
    deadlines: Deadlines | None = None
    # names(ids) → {id: name}: how the shared pages name a record of this kind (its follow-ups
    # in the deadlines: "Đơn số 3/2026 (khiếu nại) — UBND xã"), never with personal data;
    # without it, "<label> số <id>".
    names: Callable[[list[int]], dict[int, str]] | None = None


KINDS: dict[str, RecordKind] = {}


def register(kind: RecordKind) -> RecordKind:
    """Add ``kind``; registering one object type twice is a programming error."""
    if kind.object_type in KINDS and KINDS[kind.object_type] != kind:
        raise ValueError(f"record kind {kind.object_type!r} registered twice")
    KINDS[kind.object_type] = kind
    return kind


def url_of(object_type: str, object_id: int) -> str | None:
    kind = KINDS.get(object_type)
    return kind.url(object_id) if kind is not None else None
