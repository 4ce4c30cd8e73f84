"""The tenant's tree lock: what keeps the unit tree and the running totals in step.

A unit's ancestor path decides which running totals an approval or a reopen changes
(lhpn/consolidation/rollups.py), and a move rewrites the paths of a subtree and then rebuilds
the totals of the ancestors it changed. If an approval read the path before a move committed
and added to the old ancestors after the move had rebuilt them, the totals were wrong for good.
So every operation that reads a path to write by it, or writes paths, first takes the tenant's
tree lock and then reads the unit again; the lock is held until the transaction ends.
Whichever of two such operations comes second sees what the first committed: an approval after
a move reads the new path, a move after an approval rebuilds with the approval counted.

One lock per tenant, taken in one place, so there is no order to get wrong between two locks.
It costs approvals no concurrency they had: each approval already updates the tenant's row
(the figures counter of lhpn/consolidation/freshness.py), which serialises the approvals of a
tenant from that update to their commit. Tenants never wait for each other.

PostgreSQL: ``SELECT … FOR NO KEY UPDATE`` of the tenant's row, which conflicts with itself and
with updates of the row, but not with the key-share locks taken by inserting rows that refer
to the tenant (reports, audit entries). Under READ COMMITTED every later statement sees what
was committed before the lock was granted. SQLite locks the whole database for writing from a
transaction's first write to its end, and takes no lock for reading: the transaction is made
to write (a no-op update of the tenant's row) unless it has written already.
"""

from sqlalchemy import select, update

from lhpn.extensions import db
from lhpn.tenants.models import Tenant
from lhpn.units.models import Unit

TENANTS = Tenant.__table__


def lock_tree(tenant_id: int) -> None:
    """Hold the tenant's tree lock until the transaction ends (waits while another holds it)."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(select(TENANTS.c.id).where(TENANTS.c.id == tenant_id)
                           .with_for_update(key_share=True))
        return
    driver = connection.connection.driver_connection  # sqlite3's own connection
    assert driver is not None  # a connection in use has one
    if not driver.in_transaction:
        c = TENANTS.c
        connection.execute(update(TENANTS).where(c.id == tenant_id)
                           .values(figures_version=c.figures_version))


def hold_place(*units: Unit) -> None:
    """Take the tree lock, then read the units' places in the tree (path, depth, parent,
    closed) as committed, after writing what this transaction has pending: they cannot change
    again before it ends."""
    lock_tree(units[0].tenant_id)
    db.session.flush()
    for unit in units:
        db.session.refresh(unit, ["path", "depth", "parent_id", "closed", "parent"])


def held_units(ids) -> list[Unit]:
    """Units by id with their place read again (call with the tree lock held)."""
    return list(db.session.scalars(select(Unit).where(Unit.id.in_(list(ids)))
                                   .execution_options(populate_existing=True)))
