"""The log of reads of sensitive personal data (lhpn/privacy/access_log.py): written in the
read's own transaction, refused by the database itself when anything tries to change or remove
an entry (SQLite and PostgreSQL), validated with messages for the user, and scoped to its
tenant."""

import contextvars

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError

from lhpn.accounts.models import User
from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.privacy.access_log import PURPOSES, reads_of, record_read
from lhpn.privacy.models import PURPOSE_CODES, SensitiveRead
from lhpn.tenancy import TenantNotSet, acting_for


def _read(world, username="staff.d1", tenant="TB", **overrides):
    actor = db.session.get(User, world.users[username])
    arguments = {"object_type": "incident", "object_id": 42, "tenant_id": world.tenants[tenant],
                 "fields": ["victim_name", "victim_phone"], "purpose": "handling",
                 "purpose_note": "", "channel": "page"} | overrides
    return record_read(actor, **arguments)


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(SensitiveRead))


def test_a_read_is_logged_in_the_callers_transaction(app, world):
    with app.app_context():
        entry = _read(world)
        assert entry.id is not None  # flushed at once: a read that cannot be logged fails here
        db.session.rollback()
        assert _count() == 0  # the read's transaction rolled back, its entry with it

        entry = _read(world, purpose="other", purpose_note="Đối chiếu hồ sơ với Công an xã",
                      channel="docx")
        db.session.commit()
        db.session.expunge_all()
        stored = db.session.scalars(select(SensitiveRead)).one()
        assert (stored.user_id, stored.tenant_id, stored.object_type, stored.object_id) == (
            world.users["staff.d1"], world.tenants["TB"], "incident", 42)
        assert stored.field_names == ["victim_name", "victim_phone"]
        assert (stored.purpose, stored.purpose_note, stored.channel) == (
            "other", "Đối chiếu hồ sơ với Công an xã", "docx")
        assert stored.at is not None


def _entry(app, world) -> int:
    with app.app_context():
        entry = _read(world)
        db.session.commit()
        return entry.id


TAMPERING = {
    "update": "UPDATE sensitive_reads SET purpose = 'support'",
    "update one column": "UPDATE sensitive_reads SET purpose_note = 'sửa' WHERE id = :id",
    "delete": "DELETE FROM sensitive_reads WHERE id = :id",
    "delete all": "DELETE FROM sensitive_reads",
}


@pytest.mark.parametrize("statement", list(TAMPERING))
def test_the_database_refuses_to_change_or_remove_an_entry(app, world, statement):
    entry_id = _entry(app, world)
    with app.app_context():
        with pytest.raises(DBAPIError, match="sensitive_reads is append-only"):
            db.session.execute(text(TAMPERING[statement]), {"id": entry_id})
        db.session.rollback()
        assert db.session.scalars(select(SensitiveRead.purpose)).all() == ["handling"]


def test_the_orm_cannot_change_or_remove_an_entry_either(app, world):
    entry_id = _entry(app, world)
    with app.app_context():
        entry = db.session.get(SensitiveRead, entry_id)
        entry.purpose = "support"
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.get(SensitiveRead, entry_id))
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.commit()
        db.session.rollback()
        assert _count() == 1


def test_postgresql_refuses_truncate(app, world):
    entry_id = _entry(app, world)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite has no TRUNCATE")
        with pytest.raises(DBAPIError, match="append-only: TRUNCATE refused"):
            db.session.execute(text("TRUNCATE sensitive_reads"))
        db.session.rollback()
        assert db.session.scalars(select(SensitiveRead.id)).all() == [entry_id]


@pytest.mark.parametrize("values", [
    {"purpose": "curiosity"},
    {"channel": "email"},
    {"purpose": "other", "purpose_note": ""},
], ids=["unknown purpose", "unknown channel", "other without a note"])
def test_the_database_checks_purpose_and_channel_too(app, world, values):
    """Whatever writes the table (a later importer, a hand-written statement), not only
    record_read."""
    row = {"tenant_id": world.tenants["TB"], "user_id": world.users["staff.d1"],
           "at": func.now(), "object_type": "incident", "object_id": 1, "fields": "victim_name",
           "purpose": "handling", "purpose_note": "", "channel": "page"} | values
    with app.app_context():
        with pytest.raises(DBAPIError):
            db.session.execute(insert(SensitiveRead.__table__).values(**row))
        db.session.rollback()


@pytest.mark.parametrize("overrides, field, message", [
    ({"purpose": "curiosity"}, "purpose", "Hãy chọn mục đích truy cập trong danh sách."),
    ({"purpose": None}, "purpose", "Hãy chọn mục đích truy cập trong danh sách."),
    ({"purpose": "other", "purpose_note": "  "}, "purpose_note",
     "Chọn “Mục đích khác” thì hãy ghi rõ mục đích."),
    ({"purpose": "other", "purpose_note": None}, "purpose_note",
     "Chọn “Mục đích khác” thì hãy ghi rõ mục đích."),
    ({"purpose_note": "kiểm tra\x07"}, "purpose_note",
     "Ghi chú mục đích chứa ký tự điều khiển không hợp lệ (U+0007)."),
    ({"purpose_note": "x" * 501}, "purpose_note", "Ghi chú mục đích dài quá 500 ký tự."),
    ({"purpose_note": 7}, "purpose_note", "Ghi chú mục đích phải là văn bản."),
], ids=["unknown purpose", "no purpose", "other, blank note", "other, no note",
        "control character", "long note", "note not text"])
def test_a_bad_purpose_is_refused_with_a_message(app, world, overrides, field, message):
    with app.app_context():
        with pytest.raises(DomainError) as raised:
            _read(world, **overrides)
        assert raised.value.field == field
        assert raised.value.message.startswith(message)
        assert _count() == 0


def test_a_note_keeps_its_line_breaks_and_any_purpose_may_have_one(app, world):
    with app.app_context():
        entry = _read(world, purpose="referral", purpose_note="Chuyển Công an huyện\r\nsố 12")
        assert entry.purpose_note == "Chuyển Công an huyện\nsố 12"


@pytest.mark.parametrize("overrides", [
    {"channel": "email"}, {"fields": []}, {"fields": "victim name"}, {"fields": "Victim"},
    {"object_type": "Incident"}, {"object_id": 0}, {"object_id": "7 "},
    {"tenant": "HY"},
], ids=["channel", "no fields", "field with a space", "capital", "object type", "object id 0",
        "object id text", "another tenant"])
def test_a_wrong_call_is_a_bug_not_a_message(app, world, overrides):
    """Object, fields and channel come from the code, not the user: a wrong one is a bug."""
    with app.app_context():
        with pytest.raises(ValueError):
            _read(world, **overrides)


def test_fields_are_listed_once_in_the_order_given(app, world):
    with app.app_context():
        entry = _read(world, fields="victim_phone, victim_name,victim_phone")
        assert entry.fields == "victim_phone,victim_name"


def test_another_tenants_reads_are_invisible_through_the_scoped_session(app, world):
    with app.app_context():
        tb = _read(world)
        hy = _read(world, username="staff.hy", tenant="HY", object_id=42)
        db.session.commit()
        tb_id, hy_id = tb.id, hy.id
        db.session.expunge_all()
        with acting_for(world.tenants["TB"]):
            assert db.session.scalars(reads_of("incident", 42)).all() == [
                db.session.get(SensitiveRead, tb_id)]
            assert db.session.scalar(select(func.count()).select_from(SensitiveRead)) == 1
            assert db.session.get(SensitiveRead, hy_id) is None
        with acting_for(world.tenants["HY"]):
            assert [r.id for r in db.session.scalars(reads_of("incident", 42))] == [hy_id]


def test_reading_the_log_with_no_tenant_set_fails_closed(app, world):
    def outside_every_crossing():
        with app.app_context():
            try:
                return db.session.scalars(select(SensitiveRead)).all()
            finally:
                db.session.rollback()

    with pytest.raises(TenantNotSet):
        contextvars.Context().run(outside_every_crossing)


def test_the_purposes_have_labels_and_match_the_database_check(app):
    assert tuple(PURPOSES) == PURPOSE_CODES
    with app.test_request_context():
        assert str(PURPOSES["referral"]) == "Chuyển gửi cơ quan chức năng"
