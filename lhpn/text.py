"""Vietnamese text helpers: NFC storage, diacritic-free search keys, and the one rule for which
characters a stored name or text may hold.

Names and other one-line fields (``clean_line``) hold no control character at all; multi-line
text (``clean_text``) holds tabs and line breaks (CR LF and CR become LF) and no other control
character. Control characters are refused, not dropped, so the user sees what was wrong;
documents built from older data strip what XML cannot hold (``xml_safe``).
"""

import re
import unicodedata
from functools import lru_cache

from flask_babel import gettext as _

from lhpn.errors import DomainError

# C0 controls and DEL. Tab and LF are allowed in multi-line text only.
_CONTROL = re.compile("[\x00-\x1f\x7f]")
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
# What XML 1.0 (hence Word and Excel files) cannot hold: other C0 controls, lone surrogates,
# U+FFFE and U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def nfc(value: str | None) -> str:
    return unicodedata.normalize("NFC", (value or "").strip())


@lru_cache(maxsize=65536)
def search_key(value: str | None) -> str:
    """Lower case without diacritics, so "hung ha" finds "Hưng Hà". Memoized: unit names are
    sorted by it thousands at a time (a province's branches)."""
    text = unicodedata.normalize("NFD", nfc(value).lower()).replace("đ", "d")
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _refuse(found: re.Match, label: str, field: str | None) -> DomainError:
    return DomainError(_("%(f)s chứa ký tự điều khiển không hợp lệ (U+%(c)s). Hãy xóa ký tự đó "
                         "rồi gửi lại.", f=_capital(label), c=f"{ord(found.group()):04X}"),
                       field)


def _capital(label: str) -> str:
    return label[:1].upper() + label[1:]


def _storable(value: str, label: str, field: str | None) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (from a "\ud800" escape)
        raise DomainError(_("%(f)s chứa ký tự không hợp lệ.", f=_capital(label)), field) from None


def clean_line(value: str | None, label: str, field: str | None = None) -> str:
    """A one-line value to store (a name, a title, a code): NFC, without surrounding spaces;
    a control character anywhere in it (tab and line breaks included) is refused with a message
    naming the field (``label``, for the user; ``field``, for API clients)."""
    value = value or ""
    _storable(value, label, field)
    found = _CONTROL.search(value.strip(" "))
    if found:
        raise _refuse(found, label, field)
    return nfc(value)


def clean_text(value: str | None, label: str, field: str | None = None) -> str:
    """Multi-line text to store: NFC, line breaks as LF, tabs kept; any other control character
    is refused with a message naming the field."""
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    _storable(value, label, field)
    found = _CONTROL_IN_TEXT.search(value)
    if found:
        raise _refuse(found, label, field)
    return nfc(value)


def has_control(value: str | None, *, multiline: bool = False) -> bool:
    """Whether ``clean_line`` (or ``clean_text``) would refuse ``value``."""
    pattern = _CONTROL_IN_TEXT if multiline else _CONTROL
    text = (value or "").replace("\r", "\n") if multiline else (value or "").strip(" ")
    return pattern.search(text) is not None


def xml_safe(value: str | None) -> str:
    """``value`` without the characters an XML 1.0 document cannot hold (Word and Excel files
    are XML): exports of data stored before the rule above never fail on them."""
    return _NOT_XML.sub("", value or "")


def one_line(value: object) -> str:
    """A cell or a package's name on one line: NFC, inner runs of spaces as one space."""
    return " ".join(nfc(str(value or "")).split())


def same_name(name: str) -> str:
    """Comparison key for unit names: spacing and case do not make two units different."""
    return one_line(name).casefold()
