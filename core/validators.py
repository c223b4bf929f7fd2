"""Check digits of Russian identifiers: SNILS, OGRN/OGRNIP, INN, KPP.

Every function returns the normalised value or raises ``ValueError`` with a message that
names the problem. Messages never echo a SNILS back (it is personal data).
"""

from __future__ import annotations

import re

_NON_DIGITS = re.compile(r"[\s\-]")


def _digits(value: str, what: str, lengths: tuple[int, ...]) -> str:
    cleaned = _NON_DIGITS.sub("", value or "")
    if not cleaned:
        raise ValueError(f"{what}: пустое значение")
    if not cleaned.isdigit():
        raise ValueError(f"{what}: допускаются только цифры")
    if len(cleaned) not in lengths:
        expected = " или ".join(str(n) for n in lengths)
        raise ValueError(f"{what}: должно быть {expected} цифр, получено {len(cleaned)}")
    return cleaned


def snils_checksum(first9: str) -> int:
    total = sum(int(d) * w for d, w in zip(first9, range(9, 0, -1), strict=True))
    if total < 100:
        return total
    if total in (100, 101):
        return 0
    rest = total % 101
    return 0 if rest == 100 else rest


def normalize_snils(value: str) -> str:
    """``123-456-789 64`` → ``12345678964``. The check number applies to numbers above 001-001-998."""
    digits = _digits(value, "СНИЛС", (11,))
    body, check = digits[:9], int(digits[9:])
    if int(body) > 1001998 and snils_checksum(body) != check:
        raise ValueError("СНИЛС: неверное контрольное число")
    return digits


def format_snils(digits: str) -> str:
    return f"{digits[0:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:11]}"


def mask_snils(digits: str | None) -> str:
    """What most viewers see: only the last three digits of the number and the check."""
    if not digits:
        return ""
    return f"***-***-*{digits[7:9]} {digits[9:11]}"


def normalize_ogrn(value: str) -> str:
    digits = _digits(value, "ОГРН", (13, 15))
    if len(digits) == 13:  # noqa: SIM108 - the two formulas read better apart
        expected = int(digits[:12]) % 11 % 10
    else:  # ОГРНИП
        expected = int(digits[:14]) % 13 % 10
    if expected != int(digits[-1]):
        raise ValueError("ОГРН: неверная контрольная цифра")
    return digits


_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _inn_digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def normalize_inn(value: str) -> str:
    digits = _digits(value, "ИНН", (10, 12))
    if len(digits) == 10:
        ok = _inn_digit(digits, _INN10) == int(digits[9])
    else:
        ok = _inn_digit(digits, _INN12_1) == int(digits[10]) and _inn_digit(digits, _INN12_2) == int(
            digits[11]
        )
    if not ok:
        raise ValueError("ИНН: неверная контрольная цифра")
    return digits


_KPP = re.compile(r"^\d{4}[\dA-Z]{2}\d{3}$")


def normalize_kpp(value: str) -> str:
    cleaned = (value or "").strip().upper()
    if not _KPP.match(cleaned):
        raise ValueError("КПП: ожидается 9 знаков (4 цифры, 2 цифры или латинские буквы, 3 цифры)")
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
