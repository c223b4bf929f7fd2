"""Data shipped with the platform: the federal list of subjects (ФОП НОО/ООО/СОО) and the
federal model curriculum (5-day week), both as CSV files in ``regions/teaching/data``.

The loaders take the model classes as arguments so that a data migration can pass its
historical models and a service the live ones: every region gets the list when its schema is
created (migration), and regions created earlier get it when they are migrated.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True, slots=True)
class FederalSubjectRow:
    code: str
    name: str
    short_name: str
    position: int
    parallel_from: int
    parallel_to: int


@cache
def federal_subject_rows() -> tuple[FederalSubjectRow, ...]:
    rows = []
    with (DATA / "federal_subjects.csv").open(encoding="utf-8", newline="") as fh:
        for position, row in enumerate(csv.DictReader(fh), start=1):
            low, _, high = row["parallels"].partition("-")
            rows.append(
                FederalSubjectRow(
                    code=row["code"],
                    name=row["name"],
                    short_name=row["short_name"],
                    position=position * 10,
                    parallel_from=int(low),
                    parallel_to=int(high or low),
                )
            )
    return tuple(rows)


@cache
def model_curriculum() -> dict[int, dict[str, Decimal]]:
    """``{parallel: {subject_code: hours_per_week}}`` of the federal model curriculum."""
    plan: dict[int, dict[str, Decimal]] = {p: {} for p in range(1, 12)}
    with (DATA / "model_curriculum.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            for parallel in range(1, 12):
                value = (row.get(str(parallel)) or "").strip()
                if value:
                    plan[parallel][row["subject"]] = Decimal(value)
    return plan


def load_federal_subjects(subject_model: Any) -> int:
    """Insert the federal subjects a region lacks and refresh the names of those it has.
    Idempotent; a region's own subjects and its ``is_active`` choices are left alone.
    Returns how many subjects were created."""
    existing = {
        s.code: s for s in subject_model.objects.filter(code__in=[r.code for r in federal_subject_rows()])
    }
    created, changed = [], []
    for row in federal_subject_rows():
        subject = existing.get(row.code)
        if subject is None:
            created.append(
                subject_model(
                    code=row.code,
                    name=row.name,
                    short_name=row.short_name,
                    position=row.position,
                    is_federal=True,
                )
            )
        elif (subject.name, subject.short_name, subject.position, subject.is_federal) != (
            row.name,
            row.short_name,
            row.position,
            True,
        ):
            subject.name, subject.short_name, subject.position, subject.is_federal = (
                row.name,
                row.short_name,
                row.position,
                True,
            )
            changed.append(subject)
    subject_model.objects.bulk_create(created)
    if changed:
        subject_model.objects.bulk_update(changed, ["name", "short_name", "position", "is_federal"])
    return len(created)
