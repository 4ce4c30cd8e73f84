"""Authenticated encryption of sensitive personal data at rest: AES-256-GCM (``cryptography``).

A model column holding such data is declared ``mapped_column(EncryptedText())``: Python sees
``str | None``, the database stores text, base64 of

    version (1 byte) | key id (5 bytes) | nonce (12 random bytes) | ciphertext and GCM tag

The first six bytes are exactly the first eight base64 characters, so SQL can tell which key a
value is under without decrypting it (``key_prefix``; rotate-key and ``privacy status`` use
it). The associated data binds each value to its table and column (and to its header): a value
copied into another column, or altered, fails authentication instead of reading as something
else. It does not bind a value to its row; a rename of the table or column needs the values
re-encrypted. None stays NULL.

An encrypted column cannot be searched, compared or sorted by value in SQL (each value has its
own random nonce): comparing one raises ``TypeError`` rather than silently finding nothing.
Decryption failures raise ``DecryptionError``, which names the column and the key id, never the
value or the key.
"""

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Column, Table, Text, event
from sqlalchemy.sql import operators
from sqlalchemy.types import TypeDecorator

from lhpn.privacy.keys import KEY_ID_BYTES, KeyRing, data_keys

VERSION = 1
NONCE_BYTES = 12
TAG_BYTES = 16
HEADER_BYTES = 1 + KEY_ID_BYTES
PREFIX_CHARS = HEADER_BYTES * 4 // 3  # 6 bytes are 8 base64 characters, no padding


class DecryptionError(RuntimeError):
    """A stored value that cannot be read: altered, moved from another column, or under a key
    the ring does not hold. Says which column and key id, never the value or a key."""


class UnknownDataKey(DecryptionError):
    """The value is under a key that is neither current nor retired in the ring in force."""


def _header(kid: str) -> bytes:
    return bytes([VERSION]) + bytes.fromhex(kid)


def _associated(header: bytes, place: str) -> bytes:
    return header + b"\x00" + place.encode("utf-8")


def key_prefix(kid: str) -> str:
    """The first characters of every value stored under key ``kid``."""
    return base64.b64encode(_header(kid)).decode("ascii")


def stored_key_id(prefix: str) -> str | None:
    """The key id in a stored value's first ``PREFIX_CHARS`` characters (None: not ours)."""
    try:
        header = base64.b64decode(prefix[:PREFIX_CHARS], validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(header) != HEADER_BYTES or header[0] != VERSION:
        return None
    return header[1:].hex()


def encrypt(plaintext: str, place: str, ring: KeyRing) -> str:
    """``plaintext`` sealed under the ring's current key for column ``place`` ("table.column")."""
    header = _header(ring.current)
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(ring.current_key).encrypt(nonce, plaintext.encode("utf-8"),
                                              _associated(header, place))
    return base64.b64encode(header + nonce + sealed).decode("ascii")


def decrypt(stored: str, place: str, ring: KeyRing) -> str:
    try:
        blob = base64.b64decode(stored, validate=True)
    except (binascii.Error, ValueError):
        raise DecryptionError(f"{place}: a stored value is not in the encrypted format") from None
    if len(blob) < HEADER_BYTES + NONCE_BYTES + TAG_BYTES or blob[0] != VERSION:
        raise DecryptionError(f"{place}: a stored value is not in encrypted format {VERSION}")
    header, nonce, sealed = (blob[:HEADER_BYTES], blob[HEADER_BYTES:HEADER_BYTES + NONCE_BYTES],
                             blob[HEADER_BYTES + NONCE_BYTES:])
    kid = header[1:].hex()
    key = ring.key(kid)
    if key is None:
        source = ("LHPN_DATA_KEY / LHPN_DATA_KEYS_RETIRED" if ring.source == "env"
                  else "the instance key file")
        raise UnknownDataKey(f"{place}: a stored value is under data key {kid}, which is not in "
                             f"the key ring ({source}); restore that key to read it")
    try:
        plaintext = AESGCM(key).decrypt(nonce, sealed, _associated(header, place))
    except InvalidTag:
        raise DecryptionError(f"{place}: a stored value under data key {kid} failed "
                              "authentication (altered, or copied from another column)") from None
    return plaintext.decode("utf-8")


# Operators that would compare an encrypted value with another: always false or meaningless,
# since every value is sealed with its own nonce.
_REFUSED = {operators.eq, operators.ne, operators.lt, operators.le, operators.gt, operators.ge,
            operators.in_op, operators.not_in_op, operators.like_op, operators.not_like_op,
            operators.ilike_op, operators.not_ilike_op, operators.contains_op,
            operators.startswith_op, operators.endswith_op, operators.between_op,
            operators.regexp_match_op}


class EncryptedText(TypeDecorator):
    """Text encrypted at rest (see the module). One instance per column: the column it is
    attached to is part of what every value is bound to."""

    impl = Text
    cache_ok = True

    class comparator_factory(Text.Comparator):  # the attribute SQLAlchemy looks up
        def operate(self, op, *other, **kwargs):
            if op in _REFUSED and not (op in (operators.eq, operators.ne) and other == (None,)):
                raise TypeError(f"{self.expr} is encrypted: it cannot be compared or searched "
                                "in SQL; IS NULL and IS NOT NULL are all it answers")
            return super().operate(op, *other, **kwargs)

    def __init__(self) -> None:
        super().__init__()
        self.place: str | None = None  # "table.column", set when the column joins its table
        self._column: Column | None = None

    def _where(self) -> str:
        if self.place is None:
            raise RuntimeError("EncryptedText outside a table column: its values are bound to "
                               "their table and column")
        return self.place

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, str):
            raise TypeError(f"{self._where()} holds text, not {type(value).__name__}")
        return encrypt(value, self._where(), data_keys())

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return decrypt(value, self._where(), data_keys())


@event.listens_for(Column, "after_parent_attach")
def _bind_to_its_column(column: Column, table) -> None:
    """An EncryptedText learns its table and column when the column joins the table. A copy of
    the column (a mixin's, ``Table.to_metadata``) has a copy of the type and learns its own;
    one instance shared by two columns would bind both to the second, and is refused."""
    kind = column.type
    if not isinstance(kind, EncryptedText) or not isinstance(table, Table):
        return
    earlier = kind._column
    if earlier is not None and earlier is not column and earlier.type is kind:
        raise ValueError(f"{kind.place} and {table.name}.{column.name} share one EncryptedText: "
                         "give each column its own EncryptedText()")
    kind.place, kind._column = f"{table.name}.{column.name}", column
