"""Re-encrypting stored values under the current data key (``flask privacy rotate-key``), and
counting them per key (``flask privacy status``).

A row is re-encrypted only when one of its values is under another key, which SQL tells from
the value's first characters (``crypto.key_prefix``) without decrypting anything. So a run
that stops half-way loses nothing: the batches committed before the stop are under the new
key, the rest still under a key the ring holds, and the next run takes up only the rest.
Nothing here commits: ``reencrypt`` yields after each batch and the caller (the CLI) commits.

Every tenant's rows are read and written by Core statements: only inside a named crossing
(lhpn/tenancy.py), with no tenant set.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    MetaData,
    Table,
    Text,
    and_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    type_coerce,
    update,
)

from lhpn.extensions import db
from lhpn.privacy.crypto import (
    PREFIX_CHARS,
    EncryptedText,
    decrypt,
    encrypt,
    key_prefix,
    stored_key_id,
)
from lhpn.privacy.keys import KeyRing
from lhpn.privacy.registry import encrypted_columns, encrypted_tables
from lhpn.tenancy import TenantNotSet, current_crossing, current_tenant_id

BATCH_SIZE = 500
UNREADABLE = "?"  # the "key id" of a stored value that is not in the encrypted format


@dataclass(frozen=True)
class Batch:
    table: str
    rows: int


def reencrypt(ring: KeyRing, *, metadata: MetaData | None = None,
              batch_size: int = BATCH_SIZE) -> Iterator[Batch]:
    """Put every encrypted value of ``metadata`` (default: the app's) under ``ring``'s current
    key, ``batch_size`` rows at a time; yields after each batch is written, for the caller to
    commit. A value the ring cannot read stops the run with ``DecryptionError``."""
    _require_every_tenant("re-encryption")
    for table, columns in encrypted_tables(metadata).items():
        yield from _reencrypt_table(table, columns, ring, batch_size)


def _reencrypt_table(table: Table, columns: list[Column], ring: KeyRing,
                     batch_size: int) -> Iterator[Batch]:
    key = _primary_key(table)
    stored = [type_coerce(column, Text) for column in columns]  # as stored: not decrypted
    current = key_prefix(ring.current)
    stale = or_(*(and_(value.is_not(None), _prefix(value) != current) for value in stored))
    write = (update(table).where(key == bindparam("row_key"))
             .values({column.name: bindparam(f"value_{n}", type_=Text)
                      for n, column in enumerate(columns)}))
    after = None
    while True:
        query = select(key, *stored).where(stale).order_by(key).limit(batch_size)
        if after is not None:
            query = query.where(key > after)
        rows = db.session.execute(query).all()
        if not rows:
            return
        db.session.execute(write, [
            {"row_key": row[0], **{f"value_{n}": _under_current(value, column, ring, current)
                                   for n, (column, value) in enumerate(zip(columns, row[1:],
                                                                           strict=True))}}
            for row in rows])
        after = rows[-1][0]
        yield Batch(table.name, len(rows))


def _place(column: Column) -> str:
    """The "table.column" an encrypted column's values are bound to."""
    kind = column.type
    if not isinstance(kind, EncryptedText) or kind.place is None:
        raise TypeError(f"{column} is not an encrypted column of a table")
    return kind.place


def _under_current(value: str | None, column: Column, ring: KeyRing, current: str) -> str | None:
    if value is None or value.startswith(current):
        return value
    place = _place(column)
    return encrypt(decrypt(value, place, ring), place, ring)


def key_usage(metadata: MetaData | None = None) -> dict[str, dict[str, int]]:
    """How many values each encrypted column holds under each key id ("table.column" → key id
    → count; ``UNREADABLE`` for a value not in the encrypted format). No value is decrypted."""
    _require_every_tenant("counting encrypted values")
    usage = {}
    for column in encrypted_columns(metadata):
        value = type_coerce(column, Text)
        prefix = _prefix(value).label("prefix")
        counts: dict[str, int] = {}
        for found, n in db.session.execute(select(prefix, func.count())
                                           .where(value.is_not(None)).group_by(prefix)):
            kid = stored_key_id(found) or UNREADABLE
            counts[kid] = counts.get(kid, 0) + n
        usage[_place(column)] = counts
    return usage


def keys_in_use(usage: dict[str, dict[str, int]]) -> set[str]:
    return {kid for counts in usage.values() for kid, n in counts.items() if n}


def _prefix(value):
    # Literal positions, so PostgreSQL sees the same expression in SELECT and GROUP BY.
    return func.substr(value, literal_column("1"), literal_column(str(PREFIX_CHARS)))


def _primary_key(table: Table) -> Column:
    keys = list(table.primary_key.columns)
    if len(keys) != 1:
        raise ValueError(f"{table.name}: re-encryption walks a table by its one-column "
                         "primary key")
    return keys[0]


def _require_every_tenant(what: str) -> None:
    if current_crossing() is None or current_tenant_id() is not None:
        raise TenantNotSet(f"{what} covers every tenant: run it inside a named crossing "
                           "(lhpn.tenancy.crossing_tenants) with no tenant set")
