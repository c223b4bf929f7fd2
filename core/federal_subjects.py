"""The official list of the 89 federal subjects of Russia with their two-digit codes.

The codes are the ones the federal tax service and the registries use (``05`` Дагестан,
``77`` Москва, ``90`` Запорожская область …). A region tenant can only be created for a code
on this list.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_DATA = Path(__file__).parent / "data" / "federal_subjects.csv"


@dataclass(frozen=True, slots=True)
class FederalSubject:
    code: str
    name: str
    timezone: str


@cache
def federal_subjects() -> dict[str, FederalSubject]:
    with _DATA.open(encoding="utf-8", newline="") as fh:
        return {row["code"]: FederalSubject(**row) for row in csv.DictReader(fh)}


def get_federal_subject(code: str) -> FederalSubject | None:
    return federal_subjects().get(code)
