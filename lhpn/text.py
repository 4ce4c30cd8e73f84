"""Vietnamese text helpers: NFC storage and diacritic-free search keys."""

import unicodedata


def nfc(value: str | None) -> str:
    return unicodedata.normalize("NFC", (value or "").strip())


def search_key(value: str | None) -> str:
    """Lower case without diacritics, so "hung ha" finds "Hưng Hà"."""
    text = unicodedata.normalize("NFD", nfc(value).lower()).replace("đ", "d")
    return "".join(ch for ch in text if not unicodedata.combining(ch))
