"""Vietnamese text helpers: NFC storage and diacritic-free search keys."""

import unicodedata
from functools import lru_cache


def nfc(value: str | None) -> str:
    return unicodedata.normalize("NFC", (value or "").strip())


@lru_cache(maxsize=65536)
def search_key(value: str | None) -> str:
    """Lower case without diacritics, so "hung ha" finds "Hưng Hà". Memoized: unit names are
    sorted by it thousands at a time (a province's branches)."""
    text = unicodedata.normalize("NFD", nfc(value).lower()).replace("đ", "d")
    return "".join(ch for ch in text if not unicodedata.combining(ch))
