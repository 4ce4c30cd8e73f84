from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC, as stored in the database (portable between SQLite and PostgreSQL)."""
    return datetime.now(UTC).replace(tzinfo=None)
