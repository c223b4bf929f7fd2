"""Check digits of Russian identifiers: SNILS, OGRN/OGRNIP, INN, KPP.

Every function returns the normalised value or raises ``ValueError`` with a message that
names the problem. Messages never echo a SNILS back (it is personal data).
"""

from __future__ import annotations

import datetime
import operator
import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

_NON_DIGITS = re.compile(r"[\s\-]")


def _digits(value: str, what: str, lengths: tuple[int, ...]) -> str:
    """``what``: the identifier's name as an untranslated msgid (``gettext_noop``), translated
    only when the value fails — a catalog lookup costs more than the whole check of a good one."""
    if value and len(value) in lengths and value.isascii() and value.isdigit():
        return value  # the common case, without a regex
    cleaned = _NON_DIGITS.sub("", value or "")
    if not cleaned:
        raise ValueError(_("%(what)s: пустое значение") % {"what": _(what)})
    if not cleaned.isdigit():
        raise ValueError(_("%(what)s: допускаются только цифры") % {"what": _(what)})
    if len(cleaned) not in lengths:
        expected = _(" или ").join(str(n) for n in lengths)
        raise ValueError(
            _("%(what)s: должно быть %(expected)s цифр, получено %(cleaned_count)s")
            % {"what": _(what), "expected": expected, "cleaned_count": len(cleaned)}
        )
    return cleaned


L_SNILS = gettext_noop("СНИЛС")
L_OGRN = gettext_noop("ОГРН")
L_INN = gettext_noop("ИНН")


def snils_checksum(first9: str) -> int:
    # digit × weight over the ASCII codes: the codes' offset (48 × the weights' sum, 45) is
    # taken off once instead of converting each digit (a fifth of the time of map(int, …)).
    c = first9.encode("ascii")
    total = (
        9 * c[0] + 8 * c[1] + 7 * c[2] + 6 * c[3] + 5 * c[4] + 4 * c[5] + 3 * c[6] + 2 * c[7] + c[8] - 2160
    )
    if total < 100:
        return total
    if total in (100, 101):
        return 0
    rest = total % 101
    return 0 if rest == 100 else rest


def normalize_snils(value: str) -> str:
    """``123-456-789 64`` → ``12345678964``. The check number applies to numbers above 001-001-998."""
    if len(value) == 14 and value[3] == "-" and value[7] == "-" and value[11] == " ":
        # as registries print it: no regex
        digits = value[0:3] + value[4:7] + value[8:11] + value[12:14]
        if not (digits.isascii() and digits.isdigit()):
            digits = _digits(value, L_SNILS, (11,))
    else:
        digits = _digits(value, L_SNILS, (11,))
    body, check = digits[:9], int(digits[9:])
    if int(body) > 1001998 and snils_checksum(body) != check:
        raise ValueError(_("СНИЛС: неверное контрольное число"))
    return digits


def format_snils(digits: str) -> str:
    return f"{digits[0:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:11]}"


def mask_snils(digits: str | None) -> str:
    """What most viewers see: only the last three digits of the number and the check."""
    if not digits:
        return ""
    return f"***-***-*{digits[7:9]} {digits[9:11]}"


def normalize_ogrn(value: str) -> str:
    digits = _digits(value, L_OGRN, (13, 15))
    if len(digits) == 13:  # noqa: SIM108 - the two formulas read better apart
        expected = int(digits[:12]) % 11 % 10
    else:  # ОГРНИП
        expected = int(digits[:14]) % 13 % 10
    if expected != int(digits[-1]):
        raise ValueError(_("ОГРН: неверная контрольная цифра"))
    return digits


_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _inn_digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(map(operator.mul, map(int, digits), weights)) % 11 % 10


def normalize_inn(value: str) -> str:
    digits = _digits(value, L_INN, (10, 12))
    if len(digits) == 10:
        ok = _inn_digit(digits, _INN10) == int(digits[9])
    else:
        ok = _inn_digit(digits, _INN12_1) == int(digits[10]) and _inn_digit(digits, _INN12_2) == int(
            digits[11]
        )
    if not ok:
        raise ValueError(_("ИНН: неверная контрольная цифра"))
    return digits


_KPP = re.compile(r"^\d{4}[\dA-Z]{2}\d{3}$")


def normalize_kpp(value: str) -> str:
    cleaned = (value or "").strip().upper()
    if not _KPP.match(cleaned):
        raise ValueError(_("КПП: ожидается 9 знаков (4 цифры, 2 цифры или латинские буквы, 3 цифры)"))
    return cleaned


# Generators for the synthetic registry and tests: a valid identifier from a body.
def make_snils(body9: int) -> str:
    body = f"{body9:09d}"
    return body + f"{snils_checksum(body):02d}"


def make_ogrn(body12: int) -> str:
    body = f"{body12:012d}"
    return body + str(int(body) % 11 % 10)


def make_inn10(body9: int) -> str:
    body = f"{body9:09d}"
    return body + str(_inn_digit(body, _INN10))


# --- Registry rows: names, dates, contacts, classes -------------------------------------------
# Shared by the registry import (tenants/imports) and the services that edit the same fields by
# hand. They are called once per row of a 600,000-person registry, hence the fast paths.

_NAME = re.compile(r"[А-ЯЁа-яё]+(?:(?:[ \-']|’)[А-ЯЁа-яё]+)*")
_SPACES = re.compile(r"\s+")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
_CYRILLIC_LETTER = re.compile(r"[А-ЯЁа-яё]")
NAME_MAX_LENGTH = 100


def _label(what: str | None, default: str) -> str:
    """The field's name in an error message. Bulk callers (the registry import) pass the Russian
    msgid untranslated — ``gettext_noop`` — so that 600,000 good rows cost no catalog lookup."""
    return _(what) if what else default


def normalize_person_name(value: str, what: str | None = None) -> str:
    """A surname, name or patronymic: Cyrillic letters (``ё`` too), hyphen, space, apostrophe."""
    cleaned = value.strip()
    if "  " in cleaned or "\t" in cleaned:
        cleaned = _SPACES.sub(" ", cleaned)
    if not cleaned:
        raise ValueError(_("%(what)s: пустое значение") % {"what": _label(what, _("Имя"))})
    if len(cleaned) > NAME_MAX_LENGTH:
        raise ValueError(
            _("%(what)s: длиннее %(name_max_length)s символов")
            % {"what": _label(what, _("Имя")), "name_max_length": NAME_MAX_LENGTH}
        )
    if not _NAME.fullmatch(cleaned):
        latin = _LATIN_LETTER.search(cleaned)
        if latin and _CYRILLIC_LETTER.search(cleaned):
            # «Ивaнов» with a Latin «a» looks right: say which character is wrong
            raise ValueError(
                _(
                    "%(what)s: латинская буква «%(char)s» (знак %(position)s) среди русских — замените её русской"
                )
                % {"what": _label(what, _("Имя")), "char": latin.group(), "position": latin.start() + 1}
            )
        raise ValueError(
            _("%(what)s: допускаются только русские буквы, дефис, пробел и апостроф")
            % {"what": _label(what, _("Имя"))}
        )
    return cleaned


_MIN_DATE = datetime.date(1900, 1, 1)
_LONG_NUMBER = re.compile(r"\d[\d\s\-]{7,}\d")
# Shaped like a date (``2020-02-30``, ``31.02.2012``): 8 digits, never a SNILS (11) or an OGRN,
# INN or KPP; quoted back so that the user sees which date is wrong.
_DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{2}\.\d{2}\.\d{4}")


def echo(value: str, limit: int = 20) -> str:
    """A bad value quoted back in an error message — unless it looks like an identifier such
    as a SNILS that landed in the wrong column (personal data never goes into messages)."""
    if _DATE_SHAPE.fullmatch(value.strip()):
        return value.strip()
    return "…" if _LONG_NUMBER.search(value) else value[:limit]


# What spreadsheets and database exports make of a date: «1.9.2025», «01.09.2025 0:00:00»,
# «2025-09-01T00:00:00» — the date is the part before the time.
_LOOSE_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})|(\d{4})-(\d{2})-(\d{2})")
_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")


def parse_date(value: str, what: str | None = None) -> datetime.date:
    """``DD.MM.YYYY`` (as registries export them) or ISO ``YYYY-MM-DD``; also ``D.M.YYYY`` and
    either followed by a time of day."""
    v = value.strip()
    try:
        if len(v) == 10 and v[2] == "." and v[5] == ".":
            return datetime.date(int(v[6:10]), int(v[3:5]), int(v[0:2]))
        if len(v) == 10 and v[4] == "-" and v[7] == "-":
            return datetime.date(int(v[0:4]), int(v[5:7]), int(v[8:10]))
        match = _LOOSE_DATE.match(v)
        if match and (match.end() == len(v) or _TIME_SUFFIX.fullmatch(v, match.end())):
            d, m, y, iy, im, iday = match.groups()
            if d:
                return datetime.date(int(y), int(m), int(d))
            return datetime.date(int(iy), int(im), int(iday))
    except ValueError:
        raise ValueError(
            _("%(what)s: такой даты нет (%(v)s)") % {"what": _label(what, _("Дата")), "v": echo(v)}
        ) from None
    raise ValueError(
        _("%(what)s: ожидается ДД.ММ.ГГГГ или ГГГГ-ММ-ДД, получено «%(v)s»")
        % {"what": _label(what, _("Дата")), "v": echo(v)}
    )


def check_birth_date(value: datetime.date, today: datetime.date) -> datetime.date:
    if value > today:
        raise ValueError(_("Дата рождения: в будущем"))
    if value < _MIN_DATE:
        raise ValueError(_("Дата рождения: раньше 01.01.1900"))
    return value


_SEX = {"М": "M", "M": "M", "м": "M", "m": "M", "Ж": "F", "F": "F", "ж": "F", "f": "F"}
# as exports and spreadsheets also write it: «Мужской», «жен.»
_SEX_WORDS = {"муж": "M", "мужской": "M", "жен": "F", "женский": "F"}


def normalize_sex(value: str) -> str:
    """``М``/``Ж`` (also Latin ``M``/``F``, ``муж``/``жен``, ``мужской``/``женский``) →
    ``M``/``F``; empty stays empty."""
    v = value.strip()
    if not v:
        return ""
    try:
        return _SEX[v]
    except KeyError:
        word = _SEX_WORDS.get(v.lower().rstrip("."))
        if word:
            return word
        raise ValueError(_("Пол: ожидается М или Ж, получено «%(v)s»") % {"v": echo(v, 10)}) from None


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"[\d+\s()\-]+")


def normalize_email(value: str) -> str:
    v = value.strip()
    if len(v) > 254 or not _EMAIL.fullmatch(v):
        raise ValueError(_("E-mail: некорректный адрес"))
    return v


def normalize_phone(value: str) -> str:
    v = value.strip()
    if len(v) > 32 or not _PHONE.fullmatch(v) or sum(map(str.isdigit, v)) < 5:
        raise ValueError(_("Телефон: допускаются цифры, +, пробелы, скобки и дефисы (не меньше 5 цифр)"))
    return v


_CLASS = re.compile(r"\s*(\d{1,2})\s*[-\s]?\s*[\"«'“„]?([А-ЯЁа-яё]{1,8})[\"»'”“]?\s*")
# Latin letters that look like Cyrillic ones: «5A» typed on a Latin keyboard is the class 5А (the
# message «ожидается 5А, получено 5A» would show the user two identical strings). Lower-case
# only where the shapes match (a → а, not b → в).
_LATIN_LOOKALIKES = str.maketrans("ABCEHKMOPTXYaceopxy", "АВСЕНКМОРТХУАСЕОРХУ")
_LATIN = re.compile(r"[A-Za-z]")


def parse_class_name(value: str) -> tuple[int, str, str]:
    """``5А``, ``11 Б``, ``1-В``, ``10а``, ``7 «Б»``, ``5A`` (Latin) → (parallel, letter,
    normalised name ``5А``)."""
    match = _CLASS.fullmatch(value.translate(_LATIN_LOOKALIKES))
    if match is None:
        if _LATIN.search(value):
            raise ValueError(
                _("Класс: буква класса должна быть русской, получено «%(value)s»") % {"value": echo(value)}
            )
        raise ValueError(
            _("Класс: ожидается параллель 1–11 и буква, например 5А, получено «%(value)s»")
            % {"value": echo(value)}
        )
    parallel = int(match.group(1))
    if not 1 <= parallel <= 11:
        raise ValueError(_("Класс: параллель %(parallel)s вне диапазона 1–11") % {"parallel": parallel})
    letter = match.group(2).upper()
    return parallel, letter, f"{parallel}{letter}"
