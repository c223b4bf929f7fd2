"""Bad rows injected into a bundle, one fault per row, and the list of them
(``expected_errors.csv``: file, line, field, kind) that an import must report.

Every bad row is an *extra* row: the good rows are those of the clean bundle, so an import of
the faulty bundle must end like the clean one plus a report naming exactly these rows. A bad
row never makes another row bad (a rejected person is referenced by nothing), and a duplicate
comes after the row it repeats: the first row with a key stands, the later one is rejected.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from pathlib import Path

from core.validators import format_snils, make_inn10, make_ogrn

from .output import BundleWriter

# (kind, field) of every fault, per file.
KINDS: dict[str, list[tuple[str, str]]] = {
    "schools.csv": [
        ("bad_ogrn", "ogrn"),
        ("bad_inn", "inn"),
        ("bad_kpp", "kpp"),
        ("empty_required", "full_name"),
        ("duplicate_key", "ogrn"),
    ],
    "people.csv": [
        ("bad_snils", "snils"),
        ("bad_date", "birth_date"),
        ("future_date", "birth_date"),
        ("date_before_1900", "birth_date"),
        ("not_cyrillic", "surname"),
        ("empty_required", "name"),
        ("missing_key", "person_id"),
        ("duplicate_key", "person_id"),
        ("duplicate_snils", "snils"),
        ("bad_sex", "sex"),
        ("bad_email", "email"),
        ("bad_phone", "phone"),
    ],
    "memberships.csv": [
        ("unknown_person", "person_id"),
        ("unknown_school", "school_ogrn"),
        ("missing_class", "class"),
        ("bad_class", "class"),
        ("bad_role", "role"),
        ("bad_date", "date_from"),
        ("date_range", "date_to"),
        ("duplicate_key", "class"),
        ("empty_required", "school_ogrn"),
    ],
    "guardians.csv": [
        ("unknown_person", "parent_id"),
        ("unknown_person", "child_id"),
        ("bad_relation", "relation"),
        ("self_link", "child_id"),
        ("empty_required", "parent_id"),
    ],
}


class ErrorInjector:
    def __init__(
        self,
        writer: BundleWriter,
        *,
        percent: float,
        seed: int,
        region: str,
        snils_for: Callable[[int], str],
        known_ogrn: set[str],
    ) -> None:
        self.writer = writer
        self.p = percent / 100.0
        self.rng = random.Random(seed)
        self.region = region
        self.snils_for = snils_for
        self.known_ogrn = known_ogrn
        self.expected: list[tuple[str, int, str, str]] = []
        self.turn = {name: self.rng.randrange(len(kinds)) for name, kinds in KINDS.items()}
        self.done: dict[str, set[int]] = {name: set() for name in KINDS}
        self.fresh = 0
        # What the bad rows refer to: the latest good rows of each sort.
        self.school: list[str] | None = None
        self.person: list[str] | None = None  # with a person_id
        self.person_snils: str = ""
        self.parent_id: str = ""
        self.student: list[str] | None = None
        self.link: list[str] | None = None
        writer.hook = self.after

    def after(self, name: str, row: list[str], tag: str) -> None:
        if name == "schools.csv":
            self.school = row
        elif name == "people.csv":
            if row[0]:
                self.person = row
                if tag == "parent":
                    self.parent_id = row[0]
            if row[1]:
                self.person_snils = row[1]
        elif name == "memberships.csv":
            if tag == "student" and row[0]:
                self.student = row
        elif name == "guardians.csv":
            self.link = row
        else:
            return
        if self.rng.random() < self.p:
            kinds = KINDS[name]
            # The next kind in turn whose context exists (a membership error needs a parent…).
            for _ in range(len(kinds)):
                index = self.turn[name]
                self.turn[name] = (index + 1) % len(kinds)
                if self._inject(name, index):
                    break

    def finish(self) -> None:
        """Every kind at least once, even in a small bundle."""
        for name, kinds in KINDS.items():
            for index in range(len(kinds)):
                if index not in self.done[name]:
                    self._inject(name, index)

    def _inject(self, name: str, index: int) -> bool:
        kind, field = KINDS[name][index]
        row = self._make(name, kind, field)
        if row is None:
            return False
        line = self.writer.write_raw(name, row)
        self.expected.append((name, line, field, kind))
        self.done[name].add(index)
        return True

    def write_expected(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as fh:
            out = csv.writer(fh, lineterminator="\n")
            out.writerow(["file", "line", "field", "kind"])
            out.writerows(sorted(self.expected))

    # --- the bad rows -------------------------------------------------------------------------

    def _next(self) -> int:
        self.fresh += 1
        return self.fresh

    def _fresh_ogrn(self) -> str:
        while True:
            ogrn = make_ogrn(
                int(f"1{self.rng.randrange(2, 16):02d}{self.region}{self.rng.randrange(10**7):07d}")
            )
            if ogrn not in self.known_ogrn:
                self.known_ogrn.add(ogrn)
                return ogrn

    def _fresh_inn(self) -> str:
        return make_inn10(int(f"{self.region}{self.rng.randrange(10**7):07d}"))

    def _make(self, name: str, kind: str, field: str) -> list[str] | None:
        return getattr(self, "_" + name.removesuffix(".csv"))(kind, field)

    def _schools(self, kind: str, field: str) -> list[str] | None:
        k = self._next()
        row = [
            self._fresh_ogrn(),
            self._fresh_inn(),
            f"{self.region}0101001",
            f"Муниципальное бюджетное общеобразовательное учреждение «Школа-ошибка № {k}»",
            f"МБОУ «Школа-ошибка № {k}»",
            "",
            "",
            "СОШ",
        ]
        if kind == "bad_ogrn":
            row[0] = row[0][:-1] + str((int(row[0][-1]) + 1) % 10)
        elif kind == "bad_inn":
            row[1] = row[1][:-1] + str((int(row[1][-1]) + 1) % 10)
        elif kind == "bad_kpp":
            row[2] = f"{self.region}AB"
        elif kind == "empty_required":
            row[3] = ""
        elif kind == "duplicate_key":
            if self.school is None:
                return None
            row[0] = self.school[0]
        return row

    def _people(self, kind: str, field: str) -> list[str] | None:
        k = self._next()
        snils = self.snils_for(k)
        row = [
            f"{self.region}-E{k:08d}",
            format_snils(snils),
            "Петрова",
            "Анна",
            "Сергеевна",
            "12.03.1985",
            "Ж",
            "",
            "",
        ]
        if kind == "bad_snils":
            body, check = snils[:9], int(snils[9:])
            row[1] = format_snils(body + f"{(check + 1) % 100:02d}")
        elif kind == "bad_date":
            row[5] = "31.02.2012"
        elif kind == "future_date":
            row[5] = "15.06.2091"
        elif kind == "date_before_1900":
            row[5] = "12.12.1899"
        elif kind == "not_cyrillic":
            row[2] = "Petrova"
        elif kind == "empty_required":
            row[3] = ""
        elif kind == "missing_key":
            row[0] = row[1] = ""
        elif kind == "duplicate_key":
            if self.person is None:
                return None
            row[0], row[1] = self.person[0], ""
        elif kind == "duplicate_snils":
            if not self.person_snils:
                return None
            row[1] = self.person_snils
        elif kind == "bad_sex":
            row[6] = "X"
        elif kind == "bad_email":
            row[7] = "petrova@@mail"
        elif kind == "bad_phone":
            row[8] = "нет телефона"
        return row

    def _memberships(self, kind: str, field: str) -> list[str] | None:
        # A parent has no membership in a good bundle: a bad one about a parent breaks nothing.
        if not self.parent_id or self.school is None:
            return None
        row = [self.parent_id, "", self.school[0], "staff", "", "2024-09-01", ""]
        if kind == "unknown_person":
            row[0] = f"{self.region}-X{self._next():08d}"
        elif kind == "unknown_school":
            row[2] = self._fresh_ogrn()
        elif kind == "missing_class":
            row[3] = "student"
        elif kind == "bad_class":
            row[3], row[4] = "student", "12Я"
        elif kind == "bad_role":
            row[3] = "директор"
        elif kind == "bad_date":
            row[5] = "2020-02-30"
        elif kind == "date_range":
            row[6] = "2023-06-30"
        elif kind == "duplicate_key":
            if self.student is None:
                return None
            # The same pupil in a second current class of the same school.
            row = list(self.student)
            row[4] = row[4][:-1] + ("Я" if row[4][-1] != "Я" else "Ю")
        elif kind == "empty_required":
            row[2] = ""
        return row

    def _guardians(self, kind: str, field: str) -> list[str] | None:
        if self.link is None:
            return None
        row = list(self.link)
        if field == "parent_id" and kind == "unknown_person":
            row[0], row[1] = f"{self.region}-X{self._next():08d}", ""
        elif kind == "unknown_person":
            row[2], row[3] = f"{self.region}-X{self._next():08d}", ""
        elif kind == "bad_relation":
            row[4] = "сосед"
        elif kind == "self_link":
            row[0], row[1] = row[2], row[3]
        elif kind == "empty_required":
            row[0] = row[1] = ""
        return row
