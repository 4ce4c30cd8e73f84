"""Every encrypted column, read from the metadata: whatever is declared ``EncryptedText`` is
found by the tools (rotate-key, ``privacy status``) without being listed anywhere else."""

from sqlalchemy import Column, MetaData, Table

from lhpn.privacy.crypto import EncryptedText


def encrypted_columns(metadata: MetaData | None = None) -> list[Column]:
    """The encrypted columns of ``metadata`` (default: the app's), table by table."""
    return [column for columns in encrypted_tables(metadata).values() for column in columns]


def encrypted_tables(metadata: MetaData | None = None) -> dict[Table, list[Column]]:
    if metadata is None:
        from lhpn.extensions import db

        metadata = db.metadata
    found = {}
    for table in metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, EncryptedText)]
        if columns:
            found[table] = columns
    return found
