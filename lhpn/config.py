"""Configuration from LHPN_* environment variables, with safe embedded defaults."""

import os
import secrets
from pathlib import Path


def _env(name: str, default: str = "") -> str:
    """LHPN_<name>, else ``default`` ("" for a setting with no default: unset and empty alike
    mean not set)."""
    return os.environ.get(f"LHPN_{name}", default)


def _secret_key(instance_path: Path) -> str:
    """LHPN_SECRET_KEY, else a key kept in the instance folder (created on first run)."""
    key = _env("SECRET_KEY")
    if key:
        return key
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _rate_limit_storage(redis_url: str | None) -> dict:
    """Flask-Limiter's storage: Redis when LHPN_REDIS_URL is set (counters shared by every
    worker), else this process's memory."""
    storage = {"RATELIMIT_STRATEGY": "fixed-window", "RATELIMIT_HEADERS_ENABLED": False,
               "RATELIMIT_KEY_PREFIX": "lhpn"}
    if not redis_url:
        return storage | {"RATELIMIT_STORAGE_URI": "memory://"}
    # A Redis that does not answer fails the request quickly instead of hanging it.
    return storage | {"RATELIMIT_STORAGE_URI": redis_url, "RATELIMIT_STORAGE_OPTIONS": {
        "key_prefix": "lhpn-limits", "socket_timeout": 2, "socket_connect_timeout": 2}}


def load_config(instance_path: Path) -> dict:
    default_db = f"sqlite:///{instance_path / 'lhpn.sqlite3'}"
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": _env("DATABASE_URL", default_db),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "MAX_CONTENT_LENGTH": int(_env("MAX_UPLOAD_MB", "10")) * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env("SECURE_COOKIES", "0") == "1",
        "SESSION_COOKIE_NAME": "lhpn_session",
        "PERMANENT_SESSION_LIFETIME": int(_env("SESSION_ABSOLUTE_MINUTES", "720")) * 60,
        "LHPN_SESSION_IDLE_MINUTES": int(_env("SESSION_IDLE_MINUTES", "30")),
        "LHPN_SESSION_ABSOLUTE_MINUTES": int(_env("SESSION_ABSOLUTE_MINUTES", "720")),
        "LHPN_TOKEN_HOURS": int(_env("TOKEN_HOURS", "12")),
        # Failed log-ins allowed per window (limits' notation, windows separated by ";"):
        # per account from one address, per address across accounts, and per account from
        # anywhere (a much higher ceiling, so one address cannot lock the owner out).
        "LHPN_LOGIN_LIMIT_ACCOUNT_ADDRESS": _env("LOGIN_LIMIT_ACCOUNT_ADDRESS",
                                                 "5/minute;20/hour;100/day"),
        "LHPN_LOGIN_LIMIT_ADDRESS": _env("LOGIN_LIMIT_ADDRESS", "30/minute;200/hour;1000/day"),
        "LHPN_LOGIN_LIMIT_ACCOUNT": _env("LOGIN_LIMIT_ACCOUNT", "200/hour;1000/day"),
        # Costly reads per user: .xlsx/.docx exports, consolidations over a range of periods.
        "LHPN_EXPORT_LIMIT": _env("EXPORT_LIMIT", "10/minute;100/hour"),
        "LHPN_RANGE_LIMIT": _env("RANGE_LIMIT", "20/minute;200/hour"),
        # How many reverse proxies in front of the app set X-Forwarded-For (0: trust none).
        "LHPN_TRUSTED_PROXIES": int(_env("TRUSTED_PROXIES", "0")),
        **_rate_limit_storage(_env("REDIS_URL", "")),
        # How long a form posted after the session ended is kept for its author to log in again.
        "LHPN_UNSAVED_INPUT_HOURS": int(_env("UNSAVED_INPUT_HOURS", "24")),
        "LHPN_PASSWORD_MIN_LENGTH": int(_env("PASSWORD_MIN_LENGTH", "8")),
        # Argon2id parameters; tests lower them (hashing cost is not what they test).
        "LHPN_ARGON2_TIME_COST": int(_env("ARGON2_TIME_COST", "3")),
        "LHPN_ARGON2_MEMORY_KIB": int(_env("ARGON2_MEMORY_KIB", "65536")),
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "LHPN_LOCALES": ["vi", "en"],
        "WTF_CSRF_TIME_LIMIT": None,
        # Report attachments live outside the web root, under random names.
        "LHPN_UPLOAD_DIR": _env("UPLOAD_DIR", str(instance_path / "uploads")),
        "LHPN_MAX_ATTACHMENT_MB": int(_env("MAX_ATTACHMENT_MB", "10")),
        # E-mail notifications are sent only when an SMTP host is set.
        "LHPN_SMTP_HOST": _env("SMTP_HOST", ""),
        "LHPN_SMTP_PORT": int(_env("SMTP_PORT", "25")),
        "LHPN_SMTP_USER": _env("SMTP_USER", ""),
        "LHPN_SMTP_PASSWORD": _env("SMTP_PASSWORD", ""),
        "LHPN_SMTP_STARTTLS": _env("SMTP_STARTTLS", "0") == "1",
        "LHPN_MAIL_FROM": _env("MAIL_FROM", "lhpn@localhost"),
        "LHPN_BASE_URL": _env("BASE_URL", ""),
        # Encryption of sensitive personal data at rest (lhpn/privacy/keys.py): the current key
        # and the retired ones still read during a rotation (base64 of 32 bytes each), else a
        # key ring generated in the instance folder beside the secret key.
        "LHPN_DATA_KEY": _env("DATA_KEY", ""),
        "LHPN_DATA_KEYS_RETIRED": _env("DATA_KEYS_RETIRED", ""),
        "LHPN_DATA_KEY_FILE": str(instance_path / "data_keys"),
        # Rendered consolidation fragments, keyed by the tenant's figures version (never stale).
        # In-process by default (nothing to install); "NullCache" turns caching off.
        "CACHE_TYPE": _env("CACHE_TYPE", "SimpleCache"),
        "CACHE_DEFAULT_TIMEOUT": int(_env("CACHE_SECONDS", "900")),
        "CACHE_THRESHOLD": int(_env("CACHE_ENTRIES", "500")),
        # A request that ends with writes it did not commit: logged and rolled back; the test
        # suite turns this on so such a request raises (lhpn.web, one commit point).
        "LHPN_FAIL_ON_UNCOMMITTED": False,
    }
