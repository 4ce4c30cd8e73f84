"""Deadlines are Vietnamese calendar dates, so "today" and "sent on" are read on Vietnam's
calendar (UTC+7), never on UTC's, which is a day behind from 17:00 UTC to midnight."""

from datetime import date, datetime
from types import SimpleNamespace

from lhpn import clock
from lhpn.api import reports as report_api
from lhpn.reports import views as report_views

# 18:00 UTC on 3 December is 01:00 on 4 December in Vietnam.
EVENING_UTC = datetime(2026, 12, 3, 18, 0)
DUE = date(2026, 12, 3)


def test_a_report_due_yesterday_in_vietnam_is_late_though_utc_says_today(monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: EVENING_UTC)
    assert clock.local_today() == date(2026, 12, 4)
    assert report_views.is_late(None, DUE)
    assert not report_views.is_late(None, date(2026, 12, 4))
    draft = SimpleNamespace(due_date=DUE, submitted_at=None, editable=True)
    assert report_api._late(draft)


def test_a_report_sent_after_midnight_in_vietnam_was_sent_late():
    after_midnight = SimpleNamespace(due_date=DUE, submitted_at=EVENING_UTC, editable=False)
    before_midnight = SimpleNamespace(due_date=DUE, submitted_at=datetime(2026, 12, 3, 16, 59),
                                      editable=False)
    assert report_views._sent_late(after_midnight) and report_api._late(after_midnight)
    assert not report_views._sent_late(before_midnight)
    assert not report_api._late(before_midnight)
