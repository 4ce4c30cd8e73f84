"""Numbers as the app shows them, and as people type them back.

Vietnamese writes "." between thousands and "," before the decimals: 1.500 is one thousand
five hundred, 12.500,5 is twelve thousand five hundred and a half. ``format_number`` shows
numbers that way (the English interface: 1,500 and 12,500.5), and ``parse_number`` reads every
numeric input of the pages with the same two symbols, so whatever the app shows reads back as
the same number. The rules, written for Vietnamese (English swaps "." and ","):

- Plain digits: ``1500``, ``007`` (7).
- "." groups thousands, only in groups of exactly three digits after a first group of one to
  three that does not start with 0: ``1.500``, ``12.500.000``. Spaces (or the no-break spaces
  Word and Excel paste) may group them instead, by the same rule: ``1 500 000``; the two are
  not mixed.
- "," starts the decimal part: ``12,5``, ``12.500,5``, ``0,25``.
- A leading "-" (or "−") for a negative number, where the field takes one.
- Nothing else: no "+", no exponent, no digits of other scripts, no letters, units or
  currency signs. (Babel's own ``parse_decimal`` accepts ``1e5``, ``NaN``, ``1_000`` and
  Arabic-Indic digits and answers in English, so it is not used for reading.)

Refused, with a message that shows how the text was read (it never reaches the database):

- ``1.5``, ``1.50``, ``12.50.000``: a "." that does not group three digits could be a decimal
  point or a thousands separator; the message shows both readings (1,5 or 15).
- ``1,500``, ``2,000``, ``10,250``: one to three digits, "," and three digits ending in 0.
  Read the Vietnamese way that is 1,5; typed with the English habit it is 1.500. The app never
  shows a number that way (it drops trailing zeros of the decimals), so both readings are
  shown and nothing is guessed. ``1,234`` is read as 1,234: that is how the app shows that
  number, and what it shows must read back.
- A decimal part where the field holds whole numbers (counts, a rate's parts, days): ``2,5``
  is read as 2,5, and a count cannot be 2,5. (``2,0`` is 2.)
- More decimals than the field keeps (4 for report values, 2 for plan targets): rounding would
  change what was typed.
- A negative number where the field takes none, or a number beyond the field's maximum.

JSON numbers (the API) are unambiguous: they are checked by the same rules of the field
(whole, decimals kept, sign, maximum) but never need reading. The API does not take numbers
written as strings; the pages send strings only.
"""

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale
from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol
from flask_babel import get_locale
from flask_babel import gettext as _

from lhpn.errors import DomainError

# A plain space, the no-break space and the narrow no-break space may group thousands.
SPACES = " \u00a0\u202f"
MINUS = "-\u2212"
PLACES = 4  # report values are NUMERIC(18, 4)


def _locale(locale: Locale | str | None) -> Locale:
    if locale is None:
        locale = get_locale() or "vi"
    return locale if isinstance(locale, Locale) else Locale.parse(locale)


def symbols(locale: Locale | str | None = None) -> tuple[str, str]:
    """The (thousands, decimal) symbols of the interface: (".", ",") in Vietnamese."""
    found = _locale(locale)
    return get_group_symbol(locale=found), get_decimal_symbol(locale=found)


def format_number(value: Decimal | float | str | None, locale: Locale | str | None = None,
                  places: int = PLACES) -> str:
    """The one way the app writes a number: 12.500,5 (English: 12,500.5), up to ``places``
    decimals, no trailing zeros; "" for no value."""
    if value is None:
        return ""
    return format_decimal(value, format="#,##0." + "#" * places, locale=_locale(locale))


@lru_cache(maxsize=8)
def _grammar(group: str, decimal: str) -> re.Pattern:
    lead = "[1-9][0-9]{0,2}"
    integer = (f"(?:[0-9]+|{lead}(?:{re.escape(group)}[0-9]{{3}})+"
               f"|{lead}(?:[{SPACES}][0-9]{{3}})+)")
    return re.compile(f"(?P<sign>[{MINUS}])?(?P<int>{integer})"
                      f"(?:{re.escape(decimal)}(?P<frac>[0-9]+))?")


def _read(text: str, group: str, decimal: str) -> Decimal | None:
    """``text`` by the grammar of these symbols, or None."""
    found = _grammar(group, decimal).fullmatch(text)
    if found is None:
        return None
    digits = re.sub(rf"[{re.escape(group)}{SPACES}]", "", found["int"])
    number = Decimal(digits + ("." + found["frac"] if found["frac"] else ""))
    return -number if found["sign"] else number


def _readings(text: str, group: str, decimal: str) -> list[Decimal]:
    """What a text that breaks the rules may have meant: its "." taken as thousands whatever
    the grouping, or the whole text written the other way round (1.5 → 1,5; 1,500.5 →
    1.500,5)."""
    out = []
    if decimal not in text or text.rfind(group) < text.find(decimal):
        dropped = _read(text.replace(group, ""), group, decimal)
        if dropped is not None:
            out.append(dropped)
    swapped = _read(text, decimal, group)
    if swapped is not None and swapped not in out:
        out.append(swapped)
    return out


def _decimals(number: Decimal) -> int:
    """How many decimals ``number`` has once trailing zeros are dropped (negative for tens,
    hundreds…); finite numbers only, which is all that parse_number lets through."""
    exponent = number.normalize().as_tuple().exponent
    if not isinstance(exponent, int):  # "n", "N" or "F": NaN or infinity
        raise ValueError(f"not a finite number: {number}")
    return -exponent


def _thousands_shape(text: str, decimal: str) -> re.Match | None:
    """One to three digits, the decimal sign and three digits: "1,500" in Vietnamese, which
    someone with the other habit (English) writes for one thousand five hundred."""
    return re.fullmatch(f"[{MINUS}]?([1-9][0-9]{{0,2}}){re.escape(decimal)}([0-9]{{3}})", text)


def parse_number(value: object, *, label: str, field: str | None = None, whole: bool = False,
                 places: int = PLACES, negative: bool = False,
                 maximum: Decimal | int | None = None,
                 locale: Locale | str | None = None) -> Decimal:
    """The number typed in ``value`` (a string from a page, or a JSON number), by the rules
    above; a DomainError on ``field`` whose message starts with ``label`` and shows how the
    input was read."""
    where = _locale(locale)
    group, decimal = symbols(where)

    def show(number: Decimal | int | float) -> str:
        # Every digit typed is shown: the message says how the input was read, not rounded.
        digits = _decimals(Decimal(str(number)))
        return format_number(number, where, places=max(digits, PLACES))

    def refuse(message: str) -> DomainError:
        return DomainError(f"{label}: {message}", field)

    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise refuse(_("hãy nhập một số."))
    if isinstance(value, str):
        typed = value.strip()
        if not typed:
            raise refuse(_("hãy nhập một số."))
        number = _read(typed, group, decimal)
        ambiguous = _thousands_shape(typed, decimal)
        if number is not None and ambiguous is not None and typed.endswith("0"):
            large = Decimal(ambiguous[1] + ambiguous[2]) * (-1 if typed[0] in MINUS else 1)
            raise refuse(_("“%(typed)s” có thể đọc là %(small)s hoặc %(large)s. Hãy viết "
                           "%(small)s, hoặc %(large)s (hay %(plain)s), cho rõ.", typed=typed,
                           small=show(number), large=show(large), plain=str(large)))
        if number is None:
            readings = _readings(typed, group, decimal)
            if readings:
                raise refuse(_(
                    "“%(typed)s” không đúng cách viết số, có thể là %(readings)s. Dấu "
                    "“%(group)s” tách hàng nghìn theo từng nhóm ba chữ số (%(thousands)s), dấu "
                    "“%(decimal)s” đứng trước phần thập phân (%(fraction)s); hãy viết lại cho "
                    "rõ.", typed=typed, readings=_(" hoặc ").join(show(r) for r in readings),
                    group=group, decimal=decimal, thousands=show(1500), fraction=show(12.5)))
            raise refuse(_("“%(typed)s” không phải là một số. Hãy viết bằng chữ số, ví dụ "
                           "%(example)s.", typed=typed,
                           example=show(1500) if whole else _("%(a)s hoặc %(b)s",
                                                              a=show(1500), b=show(12.5))))
    else:
        typed = str(value)
        try:
            number = Decimal(typed)
        except InvalidOperation:  # pragma: no cover - str() of a number is a number
            raise refuse(_("hãy nhập một số.")) from None
        if not number.is_finite():
            raise refuse(_("“%(typed)s” không phải là một số.", typed=typed))
    if whole and number != number.to_integral_value():
        hint = ""
        thousands = _thousands_shape(typed, decimal) if isinstance(value, str) else None
        if thousands is not None:
            large = Decimal(thousands[1] + thousands[2])
            hint = " " + _("Nếu ý bạn là %(large)s, hãy viết %(large)s hoặc %(plain)s.",
                           large=show(large), plain=str(large))
        raise refuse(_("“%(typed)s” được đọc là %(read)s; ô này chỉ nhận số nguyên.",
                       typed=typed, read=show(number)) + hint)
    if not whole and _decimals(number) > places:
        raise refuse(_("“%(typed)s” có quá %(n)d chữ số thập phân; ô này chỉ ghi %(n)d chữ số "
                       "sau dấu “%(decimal)s”, làm tròn sẽ đổi số bạn nhập.", typed=typed,
                       n=places, decimal=decimal))
    if number < 0 and not negative:
        raise refuse(_("“%(typed)s” là số âm; ô này không nhận số âm.", typed=typed))
    if maximum is not None and abs(number) > maximum:
        raise refuse(_("“%(typed)s” được đọc là %(read)s, lớn hơn mức tối đa %(max)s.",
                       typed=typed, read=show(number), max=show(maximum)))
    return number.to_integral_value() if whole else number
