"""Encryption at rest of sensitive personal data (lhpn/privacy): a real column on the real
database (SQLite, or PostgreSQL with LHPN_TEST_DATABASE_URL), the keys of both set-ups, and
``rotate-key``, interrupted and run again.

No product table holds encrypted columns yet, so the tests declare their own on a metadata of
their own (the app's stays as the migrations build it), create the tables on the test database
and drop them afterwards.
"""

import base64
import os
import re
import stat
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lhpn.config import load_config
from lhpn.extensions import db
from lhpn.privacy import cli as privacy_cli
from lhpn.privacy.crypto import DecryptionError, EncryptedText, UnknownDataKey, key_prefix
from lhpn.privacy.keys import (
    DataKeyError,
    KeyFile,
    data_keys,
    encode_key,
    key_id,
    new_key,
    ring_from_settings,
)
from lhpn.privacy.registry import encrypted_columns
from lhpn.privacy.rotation import key_usage

NAME, PHONE = "Nguyễn Thị Hoa", "0912 345 678"


class NoteBase(DeclarativeBase):
    metadata = MetaData()


class Note(NoteBase):
    __tablename__ = "privacy_test_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    victim_name: Mapped[str | None] = mapped_column(EncryptedText())
    victim_phone: Mapped[str | None] = mapped_column(EncryptedText())
    label: Mapped[str] = mapped_column(String(50), default="")


class Case(NoteBase):
    __tablename__ = "privacy_test_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    victim_name: Mapped[str | None] = mapped_column(EncryptedText())


@pytest.fixture
def key_file(app, tmp_path, monkeypatch):
    """The embedded set-up, on a key file of this test's own."""
    path = tmp_path / "instance" / "data_keys"
    monkeypatch.setitem(app.config, "LHPN_DATA_KEY", "")
    monkeypatch.setitem(app.config, "LHPN_DATA_KEYS_RETIRED", "")
    monkeypatch.setitem(app.config, "LHPN_DATA_KEY_FILE", str(path))
    return path


@pytest.fixture
def notes(app, key_file):
    with app.app_context():
        NoteBase.metadata.create_all(db.engine)
    yield
    with app.app_context():
        db.session.remove()
        NoteBase.metadata.drop_all(db.engine)


def _add_notes(count: int) -> dict[int, tuple]:
    written = {}
    for n in range(count):
        note = Note(victim_name=f"{NAME} {n}", victim_phone=None if n % 3 == 0 else f"09{n:08d}",
                    label=f"n{n}")
        db.session.add(note)
        db.session.flush()
        written[note.id] = (note.victim_name, note.victim_phone)
    db.session.commit()
    return written


def _read_back() -> dict[int, tuple]:
    db.session.expunge_all()
    return {note.id: (note.victim_name, note.victim_phone)
            for note in db.session.scalars(select(Note))}


def _raw(column: str = "victim_name", table: str = "privacy_test_notes") -> list:
    return db.session.execute(text(f"SELECT {column} FROM {table} ORDER BY id")).scalars().all()  # noqa: S608


def _usage() -> dict[str, int]:
    totals: dict[str, int] = {}
    for counts in key_usage(NoteBase.metadata).values():
        for kid, n in counts.items():
            totals[kid] = totals.get(kid, 0) + n
    return totals


# ---- the column ---------------------------------------------------------------------------------


def test_a_value_round_trips_through_a_model_column(app, notes):
    with app.app_context():
        db.session.add_all([Note(victim_name=NAME, victim_phone=PHONE),
                            Note(victim_name="", victim_phone=None)])
        db.session.commit()
        assert sorted(_read_back().values(), key=str) == sorted([(NAME, PHONE), ("", None)],
                                                               key=str)
        # None stays NULL; the empty string is encrypted like any other value.
        assert _raw("victim_phone")[1] is None and _raw()[1] not in ("", None)


def test_the_stored_value_holds_no_plaintext(app, notes):
    with app.app_context():
        db.session.add_all([Note(victim_name=NAME, victim_phone=PHONE),
                            Note(victim_name=NAME, victim_phone=PHONE)])
        db.session.commit()
        stored = _raw() + _raw("victim_phone")
        current = data_keys().current
        for value in stored:
            assert "Hoa" not in value and "0912" not in value and "345" not in value
            blob = base64.b64decode(value, validate=True)
            assert NAME.encode() not in blob and PHONE.encode() not in blob
            # version 1, the key's id, a 12-byte nonce, then the ciphertext and its 16-byte tag
            assert blob[0] == 1 and blob[1:6].hex() == current
            assert len(blob) > 6 + 12 + 16
            assert value.startswith(key_prefix(current))
        # A random nonce per value: the same name is stored differently each time.
        assert stored[0] != stored[1]


def test_an_altered_value_fails_authentication(app, notes):
    with app.app_context():
        db.session.add(Note(victim_name=NAME))
        db.session.commit()
        blob = bytearray(base64.b64decode(_raw()[0]))
        blob[-20] ^= 0x01
        db.session.execute(text("UPDATE privacy_test_notes SET victim_name = :v"),
                           {"v": base64.b64encode(bytes(blob)).decode()})
        db.session.commit()
        db.session.expunge_all()
        with pytest.raises(DecryptionError) as raised:
            db.session.scalars(select(Note)).all()
        _assert_tells_nothing(str(raised.value), "privacy_test_notes.victim_name")
        assert "failed authentication" in str(raised.value)


@pytest.mark.parametrize("target", ["another column", "another table"])
def test_a_value_moved_to_another_column_fails(app, notes, target):
    with app.app_context():
        note = Note(victim_name=NAME, victim_phone=PHONE)
        db.session.add_all([note, Case(victim_name="Trần Thị Lan")])
        db.session.commit()
        if target == "another column":
            db.session.execute(text("UPDATE privacy_test_notes SET victim_phone = victim_name"))
            read, place = select(Note.victim_phone), "privacy_test_notes.victim_phone"
        else:
            db.session.execute(text("UPDATE privacy_test_cases SET victim_name = :v"),
                               {"v": _raw()[0]})
            read, place = select(Case.victim_name), "privacy_test_cases.victim_name"
        db.session.commit()
        with pytest.raises(DecryptionError) as raised:
            db.session.scalars(read).all()
        _assert_tells_nothing(str(raised.value), place)


def test_a_value_under_a_missing_key_gives_a_clear_error(app, notes, key_file, tmp_path,
                                                         monkeypatch):
    with app.app_context():
        db.session.add(Note(victim_name=NAME))
        db.session.commit()
        lost = data_keys()
        monkeypatch.setitem(app.config, "LHPN_DATA_KEY_FILE", str(tmp_path / "other_keys"))
        db.session.expunge_all()
        with pytest.raises(UnknownDataKey) as raised:
            db.session.scalars(select(Note)).all()
        message = str(raised.value)
        _assert_tells_nothing(message, "privacy_test_notes.victim_name")
        assert encode_key(lost.current_key) not in message
        assert f"data key {lost.current}," in message and "not in the key ring" in message


def test_an_encrypted_column_refuses_comparisons():
    """Every value has its own nonce: a WHERE on the value would silently find nothing."""
    for compare in (lambda: Note.victim_name == NAME, lambda: Note.victim_phone.in_([PHONE]),
                    lambda: Note.victim_name.like("Nguyễn%")):
        with pytest.raises(TypeError, match="encrypted"):
            compare()
    Note.victim_name.is_(None)
    Note.victim_name.is_not(None)
    Note.victim_name == None  # noqa: B015, E711 (IS NULL, allowed)


def test_one_encrypted_text_per_column():
    shared = EncryptedText()
    with pytest.raises(ValueError, match="share one EncryptedText"):
        Table("privacy_test_shared", MetaData(), Column("id", Integer, primary_key=True),
              Column("a", shared), Column("b", shared))


def test_the_registry_finds_every_encrypted_column():
    assert sorted(str(c) for c in encrypted_columns(NoteBase.metadata)) == [
        "privacy_test_cases.victim_name", "privacy_test_notes.victim_name",
        "privacy_test_notes.victim_phone"]
    assert all(isinstance(c.type, EncryptedText) for c in encrypted_columns())
    assert {c.type.place for c in encrypted_columns(NoteBase.metadata)} == {
        str(c) for c in encrypted_columns(NoteBase.metadata)}


# ---- the keys -----------------------------------------------------------------------------------


def test_the_instance_key_file_is_private_and_beside_the_secret_key(app, key_file):
    with app.app_context():
        ring = data_keys()
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert ring.source == "file" and list(ring.keys) == [ring.current]
    default = Path(load_config(Path(app.instance_path))["LHPN_DATA_KEY_FILE"])
    assert default.parent == Path(app.instance_path) and default.name == "data_keys"


def test_another_process_sees_a_rotated_key_file(tmp_path):
    """A worker's ring follows the file that rotate-key rewrites in another process."""
    path = tmp_path / "data_keys"
    worker, operator = KeyFile(path), KeyFile(path)
    first = worker.ring()
    operator.replace(operator.ring().with_current(new_key()))
    assert worker.ring().current != first.current
    assert worker.ring().retired == [first.current]


def test_a_key_has_the_same_id_in_both_set_ups(app, notes, key_file, monkeypatch):
    """Moving from the key file to LHPN_DATA_KEY is copying the file's key."""
    with app.app_context():
        db.session.add(Note(victim_name=NAME))
        db.session.commit()
        ring = data_keys()
        monkeypatch.setitem(app.config, "LHPN_DATA_KEY", encode_key(ring.current_key))
        monkeypatch.setitem(app.config, "LHPN_DATA_KEY_FILE", str(key_file) + ".unused")
        assert data_keys().source == "env" and data_keys().current == ring.current
        assert list(_read_back().values()) == [(NAME, None)]


@pytest.mark.parametrize("current, retired, message", [
    ("not base64!", "", "LHPN_DATA_KEY: not a base64 key"),
    (base64.b64encode(b"short").decode(), "", "a key of 5 bytes, not 32"),
    ("", encode_key(b"k" * 32), "LHPN_DATA_KEYS_RETIRED is set without LHPN_DATA_KEY"),
    (encode_key(b"k" * 32), "x" + encode_key(b"o" * 32), "LHPN_DATA_KEYS_RETIRED (key 1)"),
])
def test_an_unusable_key_stops_the_app_at_start(current, retired, message):
    from lhpn import create_app

    with pytest.raises(DataKeyError) as raised:
        create_app({"TESTING": True, "LHPN_DATA_KEY": current,
                    "LHPN_DATA_KEYS_RETIRED": retired})
    assert message in str(raised.value)
    assert encode_key(b"k" * 32) not in str(raised.value)


def test_a_key_ring_never_shows_its_keys(app, key_file):
    with app.app_context():
        ring = data_keys()
    assert encode_key(ring.current_key) not in repr(ring)
    assert ring.current_key.hex() not in repr(ring) and ring.current in repr(ring)


# ---- rotation -----------------------------------------------------------------------------------


def test_rotation_reencrypts_every_value_and_retires_the_old_key(app, notes, key_file, capsys):
    with app.app_context():
        written = _add_notes(7)
        old = data_keys().current
        before = _raw() + _raw("victim_phone")
        assert privacy_cli.rotate(metadata=NoteBase.metadata, batch_size=3)
        new = data_keys().current
        assert new != old and list(data_keys().keys) == [new]  # the old key left the file
        assert _usage() == {new: 7 + 4}  # 7 names, 4 phones (every third one is empty)
        assert _read_back() == written
        after = _raw() + _raw("victim_phone")
        assert all(a != b for a, b in zip(before, after, strict=True) if a is not None)
    out = capsys.readouterr().out
    assert f"Đã thêm khóa mới {new}" in out and f"Đã gỡ khóa cũ {old}" in out


class Interrupted(Exception):
    pass


def test_an_interrupted_rotation_loses_nothing_and_a_rerun_finishes_it(app, notes, key_file,
                                                                       monkeypatch, capsys):
    real = privacy_cli.reencrypt

    def stops_after_two_batches(*args, **kwargs):
        for n, batch in enumerate(real(*args, **kwargs), 1):
            yield batch
            if n == 2:  # the caller has committed both batches
                raise Interrupted

    with app.app_context():
        written = _add_notes(7)
        old = data_keys().current
        monkeypatch.setattr(privacy_cli, "reencrypt", stops_after_two_batches)
        with pytest.raises(Interrupted):
            privacy_cli.rotate(metadata=NoteBase.metadata, batch_size=2)
        db.session.rollback()
        new = data_keys().current
        assert data_keys().retired == [old]  # still readable: the rotation is not done
        # Rows 1-4 moved (4 names, 2 phones), rows 5-7 not yet (3 names, 2 phones).
        assert _usage() == {new: 4 + 2, old: 3 + 2}
        assert _read_back() == written

        monkeypatch.setattr(privacy_cli, "reencrypt", real)
        assert privacy_cli.rotate(metadata=NoteBase.metadata, batch_size=2)
        assert data_keys().current == new and list(data_keys().keys) == [new]
        assert _usage() == {new: 7 + 4}
        assert _read_back() == written
    out = capsys.readouterr().out
    assert f"Tiếp tục lần thay khóa chưa xong: khóa hiện hành {new}, khóa cũ {old}" in out
    assert out.count("Đã thêm khóa mới") == 1


def test_rotation_stops_on_a_value_it_cannot_read_and_keeps_the_rest(app, notes, key_file,
                                                                     capsys):
    with app.app_context():
        written = _add_notes(4)
        db.session.execute(text("UPDATE privacy_test_notes SET victim_name = :v WHERE id = 3"),
                           {"v": _raw()[0]})  # row 1's name, now under row 3: same column
        db.session.commit()
        # Same table and column: the copy still decrypts (values are bound to the column,
        # not to the row), so break one for real.
        blob = bytearray(base64.b64decode(_raw()[3]))
        blob[-1] ^= 0x01
        db.session.execute(text("UPDATE privacy_test_notes SET victim_name = :v WHERE id = 4"),
                           {"v": base64.b64encode(bytes(blob)).decode()})
        db.session.commit()
        old = data_keys().current
        assert not privacy_cli.rotate(metadata=NoteBase.metadata, batch_size=1)
        new = data_keys().current
        assert data_keys().retired == [old]  # not retired: row 4 still needs it
        assert _usage() == {new: 3 + 2, old: 1}  # rows 1-3 moved; row 4's phone is empty
        assert _read_back_one(1) == written[1] and _read_back_one(3)[0] == written[1][0]
    assert "Lỗi: không giải mã được một giá trị" in capsys.readouterr().err


def _read_back_one(note_id: int) -> tuple:
    db.session.expunge_all()
    note = db.session.get(Note, note_id)
    return note.victim_name, note.victim_phone


def test_one_rotation_at_a_time(app, notes, key_file, capsys):
    """Two runs at once would each add a key, and the second write of the file would drop the
    first one's key with the values already under it."""
    with app.app_context():
        written = _add_notes(2)
        ring = data_keys()
        with KeyFile(key_file).rotating():  # another rotate-key, in another process
            assert not privacy_cli.rotate(metadata=NoteBase.metadata)
        assert data_keys() == ring and _read_back() == written
        assert privacy_cli.rotate(metadata=NoteBase.metadata)
    assert "một lệnh privacy rotate-key khác đang chạy" in capsys.readouterr().err


def test_rotation_with_the_environment_keys(app, notes, monkeypatch, capsys):
    old_key, new_key_ = new_key(), new_key()
    monkeypatch.setitem(app.config, "LHPN_DATA_KEY", encode_key(old_key))
    with app.app_context():
        written = _add_notes(5)
        assert _usage() == {key_id(old_key): 5 + 3}
        # The operator's steps: the new key in LHPN_DATA_KEY, the old one retired.
        monkeypatch.setitem(app.config, "LHPN_DATA_KEY", encode_key(new_key_))
        monkeypatch.setitem(app.config, "LHPN_DATA_KEYS_RETIRED", encode_key(old_key))
        assert _read_back() == written
        assert privacy_cli.rotate(metadata=NoteBase.metadata, batch_size=2)
        assert _usage() == {key_id(new_key_): 5 + 3}
        monkeypatch.setitem(app.config, "LHPN_DATA_KEYS_RETIRED", "")
        assert _read_back() == written
    out = capsys.readouterr().out
    assert f"Bây giờ hãy xóa LHPN_DATA_KEYS_RETIRED (khóa {key_id(old_key)})" in out
    assert encode_key(old_key) not in out and encode_key(new_key_) not in out


def test_ring_from_settings_reads_retired_keys():
    current, old = new_key(), new_key()
    ring = ring_from_settings(encode_key(current), f" {encode_key(old)} ,")
    assert ring.current == key_id(current) and ring.retired == [key_id(old)]


# ---- the commands, on the app's own metadata ----------------------------------------------------


def test_rotate_key_and_status_from_the_command_line(app, key_file):
    runner = app.test_cli_runner()
    with app.app_context():
        old = data_keys().current
    result = runner.invoke(args=["privacy", "rotate-key"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        ring = data_keys()
    assert ring.current != old and list(ring.keys) == [ring.current]
    if not encrypted_columns():
        assert "Không có cột nào được mã hóa: không có gì để mã hóa lại." in result.output
    assert f"Đã gỡ khóa cũ {old}" in result.output
    result = runner.invoke(args=["privacy", "status"])
    assert result.exit_code == 0, result.output
    assert f"Khóa hiện hành: {ring.current} (tệp khóa {key_file})" in result.output


def test_the_environment_set_up_explains_how_to_rotate(app, monkeypatch):
    key = new_key()
    monkeypatch.setitem(app.config, "LHPN_DATA_KEY", encode_key(key))
    monkeypatch.setitem(app.config, "LHPN_DATA_KEYS_RETIRED", "")
    result = app.test_cli_runner().invoke(args=["privacy", "rotate-key"])
    assert result.exit_code == 0, result.output
    assert f"Khóa hiện hành là {key_id(key)}; không có khóa cũ nào." in result.output
    assert "đặt khóa mới vào LHPN_DATA_KEY và khóa đang dùng vào LHPN_DATA_KEYS_RETIRED" in (
        result.output)
    assert encode_key(key) not in result.output


def test_status_counts_values_per_key_without_showing_them(app, notes, key_file):
    with app.app_context():
        _add_notes(3)
        current = data_keys().current
        assert key_usage(NoteBase.metadata) == {
            "privacy_test_notes.victim_name": {current: 3},
            "privacy_test_notes.victim_phone": {current: 2},
            "privacy_test_cases.victim_name": {},
        }


def _assert_tells_nothing(message: str, place: str) -> None:
    """A decryption error names the column and the key id, never the value or a key."""
    assert place in message
    assert not re.search(r"Hoa|Lan|0912|345", message)
    with_keys = [encode_key(k) for k in data_keys().keys.values()]
    assert not any(k in message for k in with_keys)
