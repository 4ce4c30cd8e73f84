"""Choosing a unit: one search for every page where a unit is picked (role assignment, a new
user's work unit, a move, the filters), with each unit named by its parents so that the 154
"Chi hội thôn Đông" of a province can be told apart.

``search`` finds the units a user may act on (``authz.reachable``) whose name, or a parent's
name, has a word beginning with each word typed, diacritics and case aside ("dong minh tan"
finds "Chi hội thôn Đông — xã Minh Tân — huyện Hưng Hà"), or whose code is the text typed.
``Picker`` is what a page needs to show the choice without script: the text typed, the
matches as radio choices, the unit already chosen.
``/units/search`` answers the same search as JSON for the script (lhpn/static/picker.js).
"""

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import SQLColumnExpression, and_, case, func, literal, select
from sqlalchemy.orm import aliased

from lhpn import authz
from lhpn.errors import DomainError, as_id
from lhpn.extensions import db
from lhpn.labels import level_label
from lhpn.tenants.models import LEVELS
from lhpn.text import nfc, search_key
from lhpn.units.models import Unit

SEPARATOR = " — "
MAX_QUERY = 100
JSON_LIMIT = 20      # the combobox shows a short list; typing more narrows it
PAGE_LIMIT = 50      # without script, the matches come back as radio choices
# Parents' names are searched too: up to three levels above (a group's branch, commune and
# district), never the province, whose name every unit would match.
SEARCHED_PARENTS = 3
PREFIXES = ("hội liên hiệp phụ nữ ", "hội lhpn ")


def short_name(name: str) -> str:
    """"Hội LHPN xã Minh Tân" → "xã Minh Tân": a parent named as people say it."""
    lowered = name.lower()
    for prefix in PREFIXES:
        if lowered.startswith(prefix) and len(name) > len(prefix):
            return name[len(prefix):]
    return name


def parent_chains(units) -> dict[int, str]:
    """unit id → its parents, nearest first, root left out ("xã Minh Tân — huyện Hưng Hà"),
    for units or rows with ``id`` and ``path``; one statement for all of them."""
    parents = {u.id: [int(p) for p in u.path.strip("/").split("/") if p][1:-1] for u in units}
    wanted = {i for ids in parents.values() for i in ids}
    names = dict(db.session.execute(
        select(Unit.id, Unit.name).where(Unit.id.in_(wanted))).all()) if wanted else {}
    return {unit_id: SEPARATOR.join(short_name(names[i]) for i in reversed(ids) if i in names)
            for unit_id, ids in parents.items()}


@dataclass(frozen=True)
class Choice:
    id: int
    name: str
    parents: str
    level: str
    code: str
    depth: int = 0
    closed: bool = False

    @property
    def label(self) -> str:
        return f"{self.name}{SEPARATOR}{self.parents}" if self.parents else self.name

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "parents": self.parents, "label": self.label,
                "level": self.level, "level_label": level_label(self.level), "code": self.code}


def choices(units: list[Unit]) -> list[Choice]:
    chains = parent_chains(units)
    return [Choice(u.id, u.name, chains[u.id], u.level, u.code, u.depth, u.closed)
            for u in units]


def parse_levels(value: object) -> list[str]:
    levels = [v.strip() for v in str(value or "").split(",") if v.strip()]
    unknown = [v for v in levels if v not in LEVELS]
    if unknown:
        raise DomainError(_("Cấp không hợp lệ: %(levels)s.", levels=", ".join(unknown)[:60]),
                          "level")
    return levels


def check_action(action: object) -> str:
    if action not in authz.ACTIONS:
        raise DomainError(_("Thao tác không hợp lệ."), "action")
    return str(action)


def search(user, q: str | None, action: str, *, levels: list[str] | None = None,
           exclude: Unit | None = None, limit: int = JSON_LIMIT,
           include_closed: bool = False) -> tuple[list[Choice], bool]:
    """Up to ``limit`` units ``user`` may do ``action`` on matching ``q`` (every word in the
    unit's name or a parent's, or the code), best first; and whether there were more."""
    stmt = select(Unit).where(authz.reachable(user, action))
    if not include_closed:
        stmt = stmt.where(~Unit.closed)
    if levels:
        stmt = stmt.where(Unit.level.in_(levels))
    if exclude is not None:
        stmt = stmt.where(~Unit.path.startswith(exclude.path, autoescape=True))
    text = nfc(q)[:MAX_QUERY]
    words = search_key(text).split()
    order: list[SQLColumnExpression[Any]] = [Unit.depth, Unit.search_name, Unit.id]
    if words:
        haystack: SQLColumnExpression[str] = Unit.search_name
        child = Unit
        for _level in range(SEARCHED_PARENTS):
            parent = aliased(Unit)
            # Outer joins: a commune has fewer parents than a branch. The root is left out.
            stmt = stmt.outerjoin(parent, and_(parent.id == child.parent_id,
                                               parent.parent_id.is_not(None)))
            haystack = haystack + " " + func.coalesce(parent.search_name, "")
            child = parent
        # Each word begins a word of the names: "a" finds "xã Đông Á", not every "xã".
        haystack = " " + haystack
        matched = [haystack.contains(" " + word, autoescape=True) for word in words]
        stmt = stmt.where(and_(*matched) | (Unit.code == text.upper()))
        # Units whose own name holds more of the words come first: "thôn Đông" typed finds
        # the branches "thôn Đông" before the branches of "xã Đông Hòa".
        own = " " + Unit.search_name
        score = sum((case((own.contains(" " + word, autoescape=True), 1), else_=0)
                     for word in words), literal(0))
        order = [score.desc(), *order]
    found = list(db.session.scalars(stmt.order_by(*order).limit(limit + 1)))
    page = choices(found[:limit])
    # Same names side by side, told apart by their parents in alphabetical order.
    page.sort(key=lambda c: (-_own_words(c.name, words), c.depth, search_key(c.name),
                             search_key(c.parents)))
    return page, len(found) > limit


def _own_words(name: str, words: list[str]) -> int:
    """How many of the words typed begin a word of the unit's own name (the SQL order's
    score, to sort the page the same way)."""
    own = " " + search_key(name)
    return sum(1 for word in words if " " + word in own)


@dataclass
class Picker:
    """One unit field of a form, as the page shows it (templates/_unit_picker.html)."""

    name: str
    action: str
    query: str = ""
    chosen: Choice | None = None
    matches: list[Choice] = field(default_factory=list)
    searched: bool = False
    more: bool = False
    params: dict = field(default_factory=dict)  # what the JSON search must also be told


def picker(name: str, action: str, values, *, chosen_id: object = None,
           levels: list[str] | None = None, exclude: Unit | None = None) -> Picker:
    """The picker for field ``name`` from the request's ``values``: the unit chosen (the
    field's value, else ``chosen_id``), and, when "Tìm" was pressed or text was typed with
    nothing chosen, the units matching the text."""
    query = nfc(values.get(f"{name}_q"))[:MAX_QUERY]
    raw = values.get(name)
    chosen_key = raw if raw not in (None, "") else chosen_id
    chosen = None
    if chosen_key not in (None, ""):
        key = as_id(chosen_key)
        unit = db.session.scalar(select(Unit).where(
            Unit.id == key, authz.reachable(current_user, action))) if key else None
        chosen = choices([unit])[0] if unit is not None else None
    params: dict[str, str | int] = {"action": action}
    if levels:
        params["level"] = ",".join(levels)
    if exclude is not None:
        params["exclude"] = exclude.id
    result = Picker(name, action, query, chosen, params=params)
    if values.get("find") == name or (query and raw in (None, "")):
        result.searched = True
        result.matches, result.more = search(current_user, query, action, levels=levels,
                                             exclude=exclude, limit=PAGE_LIMIT)
    return result
