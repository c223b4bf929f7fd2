"""Helpers of the registry import tests: small bundles written as registries export them, and a
one-call import through the same service every entry point uses."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from django_tenants.utils import tenant_context

from core.validators import make_inn10, make_ogrn, make_snils
from tenants.imports.models import ImportJob
from tenants.imports.services import import_job_create, import_job_run

SCHOOL_COLUMNS = ["ogrn", "inn", "kpp", "full_name", "short_name", "municipality", "address", "kind"]
PEOPLE_COLUMNS = [
    "person_id",
    "snils",
    "surname",
    "name",
    "patronymic",
    "birth_date",
    "sex",
    "email",
    "phone",
]
MEMBERSHIP_COLUMNS = ["person_id", "snils", "school_ogrn", "role", "class", "date_from", "date_to"]
GUARDIAN_COLUMNS = ["parent_id", "child_id", "relation"]

OGRN_1 = make_ogrn(102050000001)
OGRN_2 = make_ogrn(102050000002)
OGRN_3 = make_ogrn(102050000003)


def snils(n: int) -> str:
    return make_snils(112233000 + n)


def school(ogrn: str, n: int, **over: str) -> dict[str, str]:
    row = {
        "ogrn": ogrn,
        "inn": make_inn10(50000000 + n),
        "kpp": "054101001",
        "full_name": f"Муниципальное бюджетное общеобразовательное учреждение «Школа №{n}»",
        "short_name": f"МБОУ «Школа №{n}»",
        "municipality": "г. Махачкала",
        "address": f"ул. Ленина, д. {n}",
        "kind": "СОШ",
    }
    row.update(over)
    return row


def person(pid: str, n: int, surname: str = "Алиев", name: str = "Руслан", **over: str) -> dict[str, str]:
    row = {
        "person_id": pid,
        "snils": snils(n),
        "surname": surname,
        "name": name,
        "patronymic": "Магомедович",
        "birth_date": "17.05.2012",
        "sex": "М",
        "email": "",
        "phone": "",
    }
    row.update(over)
    return row


def member(pid: str, ogrn: str, role: str = "student", klass: str = "", **over: str) -> dict[str, str]:
    row = {
        "person_id": pid,
        "snils": "",
        "school_ogrn": ogrn,
        "role": role,
        "class": klass,
        "date_from": "",
        "date_to": "",
    }
    row.update(over)
    return row


@dataclass
class Bundle:
    """A small region: two schools, two students (one in each), a teacher, an admin, a parent of
    both students, plus whatever a test adds or changes."""

    region: str = "05"
    mode: str = "full"
    schools: list[dict[str, str]] = field(default_factory=list)
    people: list[dict[str, str]] = field(default_factory=list)
    memberships: list[dict[str, str]] = field(default_factory=list)
    guardians: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def sample(cls) -> Bundle:
        return cls(
            schools=[school(OGRN_1, 1), school(OGRN_2, 2)],
            people=[
                person("S-1", 1, "Фёдорова", "Алёна", patronymic="Сергеевна", sex="Ж"),
                person("S-2", 2, "Фёдоров", "Пётр", patronymic="Сергеевич"),
                person(
                    "T-1", 3, "Семёнова", "Зарема", patronymic="Ильинична", sex="Ж", birth_date="01.02.1980"
                ),
                person("A-1", 4, "Магомедов", "Шамиль", birth_date="1975-03-04"),
                person("P-1", 5, "Фёдоров", "Сергей", patronymic="Петрович", birth_date="05.06.1985"),
            ],
            memberships=[
                member("S-1", OGRN_1, "student", "5А"),
                member("S-2", OGRN_2, "student", "7 Б"),
                member("T-1", OGRN_1, "teacher"),
                member("A-1", OGRN_1, "school_admin"),
            ],
            guardians=[
                {"parent_id": "P-1", "child_id": "S-1", "relation": "отец"},
                {"parent_id": "P-1", "child_id": "S-2", "relation": "отец"},
            ],
        )

    def write(
        self,
        directory: Path,
        *,
        encoding: str = "utf-8",
        delimiter: str = ",",
        bom: bool = False,
        newline: str = "\n",
        drop_columns: dict[str, list[str]] | None = None,
    ) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        drop = drop_columns or {}
        files = {
            "manifest.csv": (
                ["key", "value"],
                [
                    {"key": "format", "value": "msh-registry-1"},
                    {"key": "region", "value": self.region},
                    {"key": "mode", "value": self.mode},
                ],
            ),
            "schools.csv": (SCHOOL_COLUMNS, self.schools),
            "people.csv": (PEOPLE_COLUMNS, self.people),
            "memberships.csv": (MEMBERSHIP_COLUMNS, self.memberships),
            "guardians.csv": (GUARDIAN_COLUMNS, self.guardians),
        }
        for name, (columns, rows) in files.items():
            columns = [c for c in columns if c not in drop.get(name, [])]
            buffer = io.StringIO()
            writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
            writer.writerow(columns)
            for row in rows:
                writer.writerow([row.get(c, "") for c in columns])
            data = buffer.getvalue().encode(encoding)
            if bom:
                data = b"\xef\xbb\xbf" + data
            (directory / name).write_bytes(data)
        return directory


def run_import(
    path: Path,
    *,
    region: str = "05",
    dry_run: bool = False,
    mode: str | None = None,
    fmt: str = "bundle",
    full_compare: bool = False,
) -> ImportJob:
    job = import_job_create(
        region_code=region,
        source=path,
        fmt=fmt,
        dry_run=dry_run,
        mode=mode,
        full_compare=full_compare,
        actor_label="test",
    )
    return import_job_run(job_id=job.pk)


def account(person):
    """The person's platform account (the import gives one to everyone with a role)."""
    assert person.user is not None, f"{person.registry_id} has no account"
    return person.user


def class_of(membership) -> str:
    assert membership.school_class is not None
    return membership.school_class.name


def counts(job: ImportJob, entity: str) -> dict[str, int]:
    return job.counts[entity]


def region_state(region) -> dict[str, list[tuple]]:
    """Every registry-owned row of the region, with its timestamps: equal before and after
    means nothing was written."""
    from core.models import User
    from regions.people.models import GuardianLink, Membership, Person
    from regions.schools.models import School, SchoolClass

    with tenant_context(region):
        return {
            "schools": list(School.objects.order_by("id").values_list()),
            "classes": list(SchoolClass.objects.order_by("id").values_list()),
            "people": list(Person.objects.order_by("id").values_list()),
            "memberships": list(Membership.objects.order_by("id").values_list()),
            "guardians": list(GuardianLink.objects.order_by("id").values_list()),
            "users": list(User.objects.order_by("id").values_list()),
        }
