"""Counts of people harmed, broken down below the province: a cell of 1 or 2 could point at a
person, so a reader who may not read identities on that unit (``read_protected``) reads
"< 3" there. Totals stay exact. The page, its workbook and its Word report all ask
``hide_small_cells`` before showing the per-unit breakdown."""

from lhpn import authz
from lhpn.consolidation.services import Consolidation
from lhpn.indicators.bindings import is_sensitive

SMALL = "< 3"
SMALL_VALUES = (1, 2)


def hide_small_cells(result: Consolidation, reader) -> Consolidation:
    """Mark, on each child row, the sensitive indicators whose small value ``reader`` may not
    see (``Row.cell`` then answers "< 3"); the result is changed in place and returned."""
    sensitive = [item.indicator_id for item in result.items if is_sensitive(item.indicator)]
    if not sensitive:
        return result
    for row in result.children:
        small = frozenset(i for i in sensitive if row.value(i) in SMALL_VALUES)
        if small and not authz.can(reader, "read_protected", row.unit):
            row.small = small
    return result
