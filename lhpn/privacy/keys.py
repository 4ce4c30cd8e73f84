"""The data keys that encrypt sensitive personal data at rest (lhpn/privacy/crypto.py).

Two set-ups, one behaviour:

- ``LHPN_DATA_KEY`` (base64 of 32 random bytes) is the current key, and
  ``LHPN_DATA_KEYS_RETIRED`` (comma-separated) the older ones, still read while a rotation
  re-encrypts the rows. Every worker and machine gets them from its environment, as it gets
  the database URL.
- Without it (the embedded set-up), a key ring generated in the instance folder beside the
  secret key (``data_keys``, mode 0600): every key and which one is current. ``flask privacy
  rotate-key`` adds and retires keys there, and every process re-reads the file when it
  changes, so running workers write under the new key at once.

A key's id is derived from the key (SHA-256), so one key has one id in both set-ups: moving
from the file to the environment is copying the file's current key into ``LHPN_DATA_KEY``.
Every stored value carries the id of its key. The keys themselves never leave these objects:
no message, log line or ``repr`` shows one.
"""

import base64
import binascii
import fcntl
import hashlib
import json
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, current_app

KEY_BYTES = 32  # AES-256
KEY_ID_BYTES = 5
FILE_FORMAT = 1


class DataKeyError(RuntimeError):
    """A data key that cannot be used: not base64, the wrong length, a damaged key file. The
    message names the setting or file, never the key."""


class RotationRunning(DataKeyError):
    """Another rotate-key holds the key file: two at once would each add a key and the second
    write would drop the first one's, with the values already re-encrypted under it."""


def key_id(key: bytes) -> str:
    """The id stored with every value encrypted under ``key`` (hex, 10 characters)."""
    return hashlib.sha256(b"lhpn-data-key\x00" + key).digest()[:KEY_ID_BYTES].hex()


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def encode_key(key: bytes) -> str:
    return base64.b64encode(key).decode("ascii")


def decode_key(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise DataKeyError(f"{where}: not a base64 key") from None
    if len(key) != KEY_BYTES:
        raise DataKeyError(f"{where}: a key of {len(key)} bytes, not {KEY_BYTES} "
                           "(openssl rand -base64 32 makes one)")
    return key


@dataclass(frozen=True)
class KeyRing:
    """The keys values may be read with, by id, and the one new values are written under."""

    current: str
    keys: dict[str, bytes] = field(repr=False)
    source: str  # "env" (LHPN_DATA_KEY) or "file" (the instance key file)

    @property
    def current_key(self) -> bytes:
        return self.keys[self.current]

    def key(self, kid: str) -> bytes | None:
        return self.keys.get(kid)

    @property
    def retired(self) -> list[str]:
        return sorted(kid for kid in self.keys if kid != self.current)

    def with_current(self, key: bytes) -> "KeyRing":
        """The ring with ``key`` added and made current; the others stay, for reading."""
        return KeyRing(key_id(key), {**self.keys, key_id(key): key}, self.source)

    def without(self, kids) -> "KeyRing":
        gone = set(kids)
        if self.current in gone:
            raise ValueError("the current data key cannot be retired")
        return KeyRing(self.current, {k: v for k, v in self.keys.items() if k not in gone},
                       self.source)


def ring_from_settings(current: str, retired: str) -> KeyRing:
    """The ring of the environment set-up (LHPN_DATA_KEY, LHPN_DATA_KEYS_RETIRED)."""
    key = decode_key(current, "LHPN_DATA_KEY")
    keys = {key_id(key): key}
    for n, text in enumerate((t for t in retired.split(",") if t.strip()), 1):
        old = decode_key(text, f"LHPN_DATA_KEYS_RETIRED (key {n})")
        keys.setdefault(key_id(old), old)
    return KeyRing(key_id(key), keys, "env")


class KeyFile:
    """The instance key ring: JSON ``{"format": 1, "current": id, "keys": {id: base64}}``.

    Written whole to a private temporary file and moved into place, so a reader never sees half
    a file; re-read whenever the file changes, since ``rotate-key`` rewrites it while workers
    run."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None
        self._ring: KeyRing | None = None

    def ring(self) -> KeyRing:
        with self._lock:
            try:
                stat = self.path.stat()
            except FileNotFoundError:
                self._create()
                stat = self.path.stat()
            seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
            if self._ring is None or seen != self._seen:
                self._ring, self._seen = self._read(), seen
            return self._ring

    @contextmanager
    def rotating(self) -> Iterator[None]:
        """Hold the key file for one rotate-key at a time (a lock file beside it)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path.with_name(f"{self.path.name}.lock"), os.O_RDWR | os.O_CREAT,
                     0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RotationRunning(f"{self.path}: another rotate-key is running") from None
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def replace(self, ring: KeyRing) -> None:
        """Write ``ring`` over the file (rotate-key: a new key, retired keys)."""
        with self._lock:
            os.replace(self._written(ring), self.path)
            self._ring = self._seen = None

    def _create(self) -> None:
        """A first key. Two processes starting at once keep whichever file came first: the
        hard link fails when the name exists."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        key = new_key()
        temporary = self._written(KeyRing(key_id(key), {key_id(key): key}, "file"))
        try:
            os.link(temporary, self.path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()

    def _written(self, ring: KeyRing) -> Path:
        body = json.dumps({"format": FILE_FORMAT, "current": ring.current,
                           "keys": {kid: encode_key(k) for kid, k in ring.keys.items()}},
                          indent=1, sort_keys=True)
        temporary = self.path.with_name(f".{self.path.name}.{secrets.token_hex(6)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, body.encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        return temporary

    def _read(self) -> KeyRing:
        where = str(self.path)
        try:
            data = json.loads(self.path.read_text(encoding="ascii"))
            current, entries = data["current"], data["keys"]
            if data.get("format") != FILE_FORMAT or not isinstance(entries, dict):
                raise DataKeyError(f"{where}: not a key ring of format {FILE_FORMAT}")
        except (ValueError, KeyError, TypeError, AttributeError):
            raise DataKeyError(f"{where}: not a readable key ring") from None
        keys = {}
        for kid, text in entries.items():
            key = decode_key(str(text), f"{where}, key {kid}")
            if key_id(key) != kid:
                raise DataKeyError(f"{where}: the entry {kid} holds another key")
            keys[kid] = key
        if current not in keys:
            raise DataKeyError(f"{where}: the current key {current} is not in the file")
        return KeyRing(current, keys, "file")


class _FixedRing:
    def __init__(self, ring: KeyRing) -> None:
        self._fixed = ring

    def ring(self) -> KeyRing:
        return self._fixed


def key_source(app: Flask | None = None) -> KeyFile | _FixedRing:
    """Where ``app``'s keys come from, from its configuration (lhpn/config.py). Kept per
    setting, so a test that changes the configuration gets its own ring."""
    config = (app or current_app).config
    setting = (config["LHPN_DATA_KEY"] or "", config["LHPN_DATA_KEYS_RETIRED"] or "",
               config["LHPN_DATA_KEY_FILE"])
    sources = (app or current_app).extensions.setdefault("lhpn_data_keys", {})
    source = sources.get(setting)
    if source is None:
        current, retired, path = setting
        if current:
            source = _FixedRing(ring_from_settings(current, retired))
        elif retired.strip():
            raise DataKeyError("LHPN_DATA_KEYS_RETIRED is set without LHPN_DATA_KEY")
        else:
            source = KeyFile(path)
        sources[setting] = source
    return source


def data_keys(app: Flask | None = None) -> KeyRing:
    """The key ring in force (the current key and the retired ones)."""
    return key_source(app).ring()


def check_settings(app: Flask) -> None:
    """Refuse to start with a data key that cannot be used; create the instance key file on
    the first start of the embedded set-up, as the secret key is."""
    data_keys(app)
