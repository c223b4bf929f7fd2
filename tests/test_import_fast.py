"""The batch reader of the bundle's big files (tenants/imports/fast.py) must change nothing but
the speed: the same bundle imported with it and without it gives the same people, memberships,
guardian links, accounts, counts and rejections (file, line, field, reason) — including bundles
with injected errors, in Windows-1251 with semicolons and CRLF, zipped with a BOM, and files it
has to give up on half-way (a blank line, a row with an extra field)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context

from regions.people.models import GuardianLink, Membership, Person
from tenants.imports.models import ImportRejection, ImportStatus
from tenants.registry_gen import Dialect, Options, generate
from tests.importing import run_import

pytestmark = pytest.mark.django_db

SIZE = {"schools": 8, "students": 1500, "teachers": 150}
VOLATILE = {"id", "user_id", "created_at", "updated_at", "deactivated_at"}


def _bundle(tmp_path: Path, name: str, *, zipped: bool = False, **dialect) -> Path:
    out = tmp_path / (f"{name}.zip" if zipped else name)
    generate(Options(**SIZE, seed=4, region="05", errors=6, dialect=Dialect(**dialect)), out)
    return out


def _as_region(bundle: Path, tmp_path: Path, code: str) -> Path:
    """The same files for another region: only the manifest's region differs."""
    copy = tmp_path / f"{bundle.name}-{code}"
    shutil.copytree(bundle, copy)
    manifest = copy / "manifest.csv"
    manifest.write_bytes(
        manifest.read_bytes().replace(b"region,05", b"region,16").replace(b"region;05", b"region;16")
    )
    return copy


def _outcome(region, job) -> dict[str, object]:
    with tenant_context(region):
        # every column but the row's own id, its account's and its timestamps
        people = sorted(
            ({k: v for k, v in row.items() if k not in VOLATILE} for row in Person.objects.values()), key=repr
        )
        memberships = sorted(
            Membership.objects.values_list(
                "person__registry_id",
                "person__snils",
                "school__ogrn",
                "role",
                "school_class__name",
                "date_from",
                "date_to",
                "is_active",
            ),
            key=repr,
        )
        links = sorted(
            GuardianLink.objects.values_list(
                "parent__registry_id", "parent__snils", "child__registry_id", "child__snils", "relation"
            ),
            key=repr,
        )
        accounts = sorted(
            Person.objects.filter(user__isnull=False).values_list(
                "registry_id",
                "snils",
                "user__roles",
                "user__first_name",
                "user__last_name",
                "user__is_active",
            ),
            key=repr,
        )
    rejections = list(
        ImportRejection.objects.filter(job=job)
        .order_by("file", "line", "field")
        .values_list("entity", "file", "line", "field", "reason")
    )
    return {
        "people": people,
        "memberships": memberships,
        "links": links,
        "accounts": accounts,
        "rejections": rejections,
        "counts": job.counts,
    }


def _both_ways(bundle: Path, tmp_path: Path, settings, caplog, region_a, region_b) -> dict[str, bool]:
    """Imports ``bundle`` into region A with the batch reader and into region B without it;
    returns, per file, whether the batch reader kept it."""
    settings.IMPORT_FAST_READ_MIN_ROWS = 0
    with caplog.at_level(logging.INFO, logger="tenants.imports.fast"):
        fast_job = run_import(bundle, region="05")
    settings.IMPORT_FAST_READ_MIN_ROWS = 10**9
    slow_job = run_import(_as_region(bundle, tmp_path, "16") if bundle.is_dir() else bundle, region="16")
    assert fast_job.status == ImportStatus.SUCCEEDED, fast_job.error
    assert slow_job.status == ImportStatus.SUCCEEDED, slow_job.error
    fast, slow = _outcome(region_a, fast_job), _outcome(region_b, slow_job)
    for part in fast:
        assert fast[part] == slow[part], part
    assert fast["rejections"], "the bundle has injected errors: some rows must be rejected"
    return {
        name: any(
            r.getMessage().startswith(f"{name}: ") and "in batches" in r.getMessage() for r in caplog.records
        )
        for name in ("people.csv", "memberships.csv", "guardians.csv")
    }


def test_same_outcome_with_and_without_the_batch_reader(tmp_path, settings, caplog, region_a, region_b):
    used = _both_ways(_bundle(tmp_path, "utf8"), tmp_path, settings, caplog, region_a, region_b)
    assert used == {"people.csv": True, "memberships.csv": True, "guardians.csv": True}


def test_same_outcome_for_windows_1251_semicolons_and_crlf(tmp_path, settings, caplog, region_a, region_b):
    bundle = _bundle(tmp_path, "cp1251", encoding="cp1251", delimiter=";", crlf=True)
    used = _both_ways(bundle, tmp_path, settings, caplog, region_a, region_b)
    assert all(used.values())


def test_same_outcome_when_the_reader_gives_up_half_way(tmp_path, settings, caplog, region_a, region_b):
    bundle = _bundle(tmp_path, "ragged")
    people = bundle / "people.csv"
    lines = people.read_bytes().split(b"\n")
    lines.insert(len(lines) // 2, b"")  # a blank line half-way: line numbers would shift
    people.write_bytes(b"\n".join(lines))
    memberships = bundle / "memberships.csv"
    lines = memberships.read_bytes().split(b"\n")
    lines[len(lines) // 2] += b",extra"  # one field too many
    memberships.write_bytes(b"\n".join(lines))
    used = _both_ways(bundle, tmp_path, settings, caplog, region_a, region_b)
    assert used == {"people.csv": False, "memberships.csv": False, "guardians.csv": True}
    assert "people.csv: " in caplog.text and "read row by row" in caplog.text


def test_a_file_with_quotes_is_read_row_by_row(tmp_path, settings, caplog, region_a, region_b):
    bundle = _bundle(tmp_path, "quoted")
    guardians = bundle / "guardians.csv"
    lines = guardians.read_text(encoding="utf-8").split("\n")
    lines[5] = ",".join(f'"{v}"' for v in lines[5].split(","))
    guardians.write_text("\n".join(lines), encoding="utf-8")
    used = _both_ways(bundle, tmp_path, settings, caplog, region_a, region_b)
    assert used == {"people.csv": True, "memberships.csv": True, "guardians.csv": False}


def test_same_outcome_for_values_only_the_row_loop_may_accept_or_change(
    tmp_path, settings, caplog, region_a, region_b
):
    """Values in a form the validators accept but rewrite, or refuse: the batch checks must
    leave every one of them to the row loop."""
    from tests.importing import OGRN_1, Bundle, member, person, snils

    nbsp = "\u00a0"
    odd_people = [
        person("X-1", 11, f"Иванов{nbsp}"),  # strip() removes it
        person("X-2", 12, "Ивaнов"),  # a Latin «a»
        person("X-3", 13, "Иванова  Петрова"),  # a double space
        person(" X-4", 14),  # a space before the id
        person("X" * 65, 15),  # an id too long
        person("X-6", 16, snils=snils(16).replace("-", " ")),
        person("X-7", 17, snils="123-456-789 00"),  # a wrong check number
        person("X-8", 18, birth_date="29.02.2011"),  # no such day
        person("X-9", 19, birth_date="01.01.1899"),
        person("X-10", 20, birth_date="01.01.2099"),
        person("X-11", 21, birth_date="1.9.2012"),
        person("X-12", 22, sex="м"),
        person("X-13", 23, sex="Мужской"),
        person("X-14", 24, sex=" Ж"),
        person("X-15", 25, email="A.B@Mail.RU"),
        person("X-16", 26, email="а@б.рф"),
        person("X-17", 27, phone="+7 (900) 123-45-67"),
        person("X-18", 28, phone="12-34"),
        person("X-19", 29, phone="8 900 123 45 67 "),
        person("X-20", 30, patronymic=" "),
        person("X-21", 32, phone="(1234)"),  # four digits
        person("X-22", 33, phone="+-1234)"),
        person("X-23", 34, phone="1-2-3-4-5"),
        person("X-24", 35, phone="-12345"),  # the row loop takes it, the batches leave it
        person("X-25", 36, phone="+7 (12) 3\u0663"),  # an Arabic-Indic digit: \d, not [0-9]
        person("", 31),  # known by SNILS only
        person("", 0, snils=""),  # neither
    ]
    odd_members = [
        member("X-1", OGRN_1, "student", "5а"),
        member("X-2", OGRN_1, "student", "5A"),
        member("X-3", OGRN_1, "student", "12А"),
        member("X-6", OGRN_1, "student", "05Б"),
        member("X-8", OGRN_1, "Student", "7В"),
        member("X-9", OGRN_1, "student", ""),
        member("X-10", OGRN_1, "учитель", "5А"),
        member("X-11", OGRN_1, "teacher", "", date_from="2023-9-01"),
        member("X-12", OGRN_1, "student", "11Я", date_from="2024-09-01", date_to="2023-09-01"),
        member("X-13", OGRN_1, "student", "1Ё", date_from="31.08.2024"),
        member("", OGRN_1, "student", "3Г", snils=snils(31)),
    ]
    odd_links = [
        {"parent_id": "X-15", "child_id": "X-1", "relation": "Мать"},
        {"parent_id": "X-16", "child_id": "X-2", "relation": " отец"},
        {"parent_id": "X-17", "child_id": "X-13", "relation": "опекун"},
        {"parent_id": "X-17", "child_id": "X-17", "relation": ""},
    ]
    written = {}
    for code in ("05", "16"):
        bundle = Bundle.sample()
        bundle.region = code
        bundle.people += odd_people
        bundle.memberships += odd_members
        bundle.guardians += odd_links
        written[code] = bundle.write(tmp_path / code)
    for name in ("people.csv", "memberships.csv", "guardians.csv"):
        assert b'"' not in (written["05"] / name).read_bytes(), name  # else not for the batch reader
    settings.IMPORT_FAST_READ_MIN_ROWS = 0
    with caplog.at_level(logging.INFO, logger="tenants.imports.fast"):
        fast_job = run_import(written["05"], region="05")
    settings.IMPORT_FAST_READ_MIN_ROWS = 10**9
    slow_job = run_import(written["16"], region="16")
    fast, slow = _outcome(region_a, fast_job), _outcome(region_b, slow_job)
    for part in fast:
        assert fast[part] == slow[part], part
    assert "people.csv: " in caplog.text and "in batches" in caplog.text
    rejections = fast["rejections"]
    assert isinstance(rejections, list) and len(rejections) >= 15
