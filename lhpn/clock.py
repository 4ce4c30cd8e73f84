from datetime import UTC, date, datetime, time, timedelta


def utcnow() -> datetime:
    """Naive UTC, as stored in the database (portable between SQLite and PostgreSQL)."""
    return datetime.now(UTC).replace(tzinfo=None)


# Vietnam keeps UTC+7 all year (no daylight saving), so local dates are a fixed offset away.
VIETNAM_OFFSET = timedelta(hours=7)


def local_date(moment: datetime) -> date:
    """The calendar date in Vietnam of a naive-UTC moment."""
    return (moment + VIETNAM_OFFSET).date()


def local_today() -> date:
    return local_date(utcnow())


def local_day_start(day: date) -> datetime:
    """The naive-UTC moment a calendar day begins in Vietnam (its midnight)."""
    return datetime.combine(day, time()) - VIETNAM_OFFSET
