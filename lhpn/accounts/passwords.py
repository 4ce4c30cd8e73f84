"""Argon2id password hashing (memory-hard), parameters from the configuration."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["LHPN_ARGON2_TIME_COST"], memory_cost=cfg["LHPN_ARGON2_MEMORY_KIB"]
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verified against when the username is unknown, so both cases take the same time.
_DUMMY: dict[str, str] = {}


def burn_time(password: str) -> None:
    cfg = current_app.config
    key = repr((cfg["LHPN_ARGON2_TIME_COST"], cfg["LHPN_ARGON2_MEMORY_KIB"]))
    if key not in _DUMMY:
        _DUMMY[key] = hash_password("lhpn-dummy-password")
    verify_password(_DUMMY[key], password)
