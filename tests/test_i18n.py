"""The English catalogue: complete, consistent with the sources, and actually used.

Source strings are Vietnamese; lhpn/translations/en holds English. scripts/i18n.sh extracts and
compiles; these tests keep a page added without translations from slipping through.
"""

import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from tests.conftest import csrf_token, login

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "lhpn" / "translations"
EN_PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"

# The code only uses named slots: %(name)s for gettext, {name} for strings that page scripts
# fill in. (A bare "%" is literal text unless the string is formatted; see _format_error.)
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|\{\w*\}")


def _read(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)


def _placeholders(text: str) -> Counter:
    return Counter(m.group(0) for m in PLACEHOLDER.finditer(text))


def _format_error(message) -> str | None:
    """Fill the msgstr the way the app will: Python code formats strings given variables,
    templates (Jinja's newstyle gettext) format every string, so a lone "%" must be "%%"."""
    formatted = message.python_format or any(
        path.endswith(".html") for path, _line in message.locations
    )
    if not formatted:
        return None
    values = {name: 1 for name in PLACEHOLDER.findall(message.id) if name}
    try:
        message.string % values
    except (KeyError, TypeError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _messages(catalog: Catalog) -> list:
    return [m for m in catalog if m.id]


def test_every_entry_is_translated_with_the_same_placeholders():
    catalog = _read(EN_PO)
    messages = _messages(catalog)
    assert messages, "empty catalogue"
    untranslated = [m.id for m in messages if not m.string or m.fuzzy]
    assert not untranslated, f"untranslated or fuzzy: {untranslated}"
    mismatched = [
        (m.id, m.string) for m in messages if _placeholders(m.id) != _placeholders(m.string)
    ]
    assert not mismatched, f"placeholders differ: {mismatched}"
    broken = [(m.id, error) for m in messages if (error := _format_error(m))]
    assert not broken, f"msgstr cannot be formatted: {broken}"
    # The checks pybabel compile runs (it fails the build on any of these).
    assert not [(m.id, errors) for m, errors in catalog.check()]


def test_every_source_string_is_in_the_catalogue(tmp_path):
    """Extract the sources now, the way scripts/i18n.sh does, and compare with the .po."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f, "babel.cfg")
    pot = Catalog(project="LHPN")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        pot.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    pot_path = tmp_path / "messages.pot"
    with pot_path.open("wb") as f:
        write_po(f, pot)

    extracted = {m.id for m in _messages(_read(pot_path))}
    # lazy_gettext (_l) strings only: proves babel.cfg's keywords are honoured.
    assert {"Quản trị hệ thống tỉnh", "Tên đăng nhập", "Chi hội"} <= extracted
    in_po = {m.id for m in _messages(_read(EN_PO))}
    missing = sorted(extracted - in_po, key=str)
    assert not missing, (
        f"{len(missing)} source strings have no English translation; run "
        f"`bash scripts/i18n.sh extract` and translate them: {missing}"
    )


def test_pages_are_vietnamese_by_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="vi">' in html
    for label in ("<h1>Đăng nhập</h1>", "Tên đăng nhập", "Mật khẩu", ">English<"):
        assert label in html


def test_switching_to_english_translates_pages_and_messages(client, world):
    token = csrf_token(client, "/login")
    response = client.post("/lang/en", data={"csrf_token": token, "next": "/login"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")

    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html
    for label in ("<h1>Log in</h1>", "Username", "Password", ">Tiếng Việt<"):
        assert label in html
    assert "Đăng nhập" not in html

    failed = login(client, "tenant_admin.tb", "wrong-password").get_data(as_text=True)
    assert "Incorrect username or password." in failed

    assert login(client, "tenant_admin.tb").status_code == 302
    html = client.get("/").get_data(as_text=True)
    # the role label is a lazy string too
    for label in ("Units", "Users", "Log out", "Province system administrator"):
        assert label in html, label

    token = csrf_token(client, "/")
    client.post("/lang/vi", data={"csrf_token": token, "next": "/"})
    assert "Đăng xuất" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("en", "Please log in."),
        ("en-GB,en;q=0.9", "Please log in."),
        (None, "Bạn cần đăng nhập."),
        ("vi-VN,vi;q=0.9,en;q=0.5", "Bạn cần đăng nhập."),
    ],
)
def test_api_errors_follow_accept_language(client, header, message):
    headers = {"Accept-Language": header} if header else {}
    response = client.get("/api/v1/units", headers=headers)
    assert response.status_code == 401
    assert response.get_json() == {"error": {"code": "unauthorized", "message": message}}
