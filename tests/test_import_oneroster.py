"""OneRoster 1.2 CSV mapped onto the registry model (docs/registry-oneroster.md)."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context

from core.validators import format_snils
from regions.people.models import GuardianLink, Membership, Person
from regions.schools.models import School
from tests.importing import OGRN_1, OGRN_2, Bundle, account, class_of, counts, run_import, snils

pytestmark = pytest.mark.django_db


def write_zip(path: Path, files: dict[str, list[list[str]]], *, modes: dict[str, str] | None = None) -> Path:
    modes = modes or {}
    manifest = [["propertyName", "value"], ["manifest.version", "1.0"], ["oneroster.version", "1.2"]]
    for name in (
        "academicSessions",
        "classes",
        "courses",
        "demographics",
        "enrollments",
        "orgs",
        "roles",
        "users",
    ):
        mode = modes.get(name, "bulk") if f"{name}.csv" in files else "absent"
        manifest.append([f"file.{name}", mode])
    manifest.append(["source.systemName", "ГИС «Контингент»"])
    with zipfile.ZipFile(path, "w") as z:
        for name, rows in {"manifest.csv": manifest, **files}.items():
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\r\n").writerows(rows)
            z.writestr(name, buffer.getvalue())
    return path


ORGS = [
    [
        "sourcedId",
        "status",
        "dateLastModified",
        "name",
        "type",
        "identifier",
        "parentSourcedId",
        "metadata.inn",
        "metadata.kpp",
        "metadata.shortName",
    ],
    ["rf-05", "", "", "Республика Дагестан", "state", "05", "", "", "", ""],
    ["mo-1", "", "", "г. Махачкала", "district", "", "rf-05", "", "", ""],
    ["org-1", "", "", "МБОУ «Лицей №1»", "school", OGRN_1, "mo-1", "0500000009", "054101001", "Лицей №1"],
    ["org-2", "", "", "МБОУ «Гимназия №2»", "school", OGRN_2, "mo-1", "0500000016", "", ""],
]
USERS = [
    [
        "sourcedId",
        "status",
        "dateLastModified",
        "enabledUser",
        "username",
        "userIds",
        "givenName",
        "familyName",
        "middleName",
        "identifier",
        "email",
        "sms",
        "phone",
        "agentSourcedIds",
        "grades",
        "password",
    ],
    [
        "u-s1",
        "",
        "",
        "true",
        "s1",
        "{SNILS:" + format_snils(snils(1)) + "}",
        "Алёна",
        "Фёдорова",
        "Сергеевна",
        "",
        "",
        "",
        "",
        "u-p1",
        "05",
        "",
    ],
    ["u-s2", "", "", "true", "s2", "", "Пётр", "Фёдоров", "", "", "", "", "", "u-p1", "07", ""],
    [
        "u-t1",
        "",
        "",
        "true",
        "t1",
        "{SNILS:" + snils(3) + "},{LDAP:zarema}",
        "Зарема",
        "Семёнова",
        "",
        "",
        "t1@school.ru",
        "",
        "+7 928 000-00-01",
        "",
        "",
        "secret",
    ],
    ["u-p1", "", "", "true", "p1", "", "Сергей", "Фёдоров", "Петрович", "", "", "", "", "u-s1,u-s2", "", ""],
    ["u-bad", "", "", "true", "b", "{SNILS:11223300100}", "John", "Smith", "", "", "", "", "", "", "", ""],
]
ROLES = [
    [
        "sourcedId",
        "status",
        "dateLastModified",
        "userSourcedId",
        "roleType",
        "role",
        "beginDate",
        "endDate",
        "orgSourcedId",
        "userProfileSourcedId",
    ],
    ["r1", "", "", "u-s1", "primary", "student", "2023-09-01", "", "org-1", ""],
    ["r2", "", "", "u-s2", "primary", "student", "", "", "org-2", ""],
    ["r3", "", "", "u-t1", "primary", "teacher", "", "", "org-1", ""],
    ["r4", "", "", "u-t1", "secondary", "principal", "", "", "org-2", ""],
    ["r5", "", "", "u-p1", "primary", "parent", "", "", "mo-1", ""],
    ["r6", "", "", "u-t1", "secondary", "districtAdministrator", "", "", "mo-1", ""],
]
CLASSES = [
    [
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "grades",
        "courseSourcedId",
        "classCode",
        "classType",
        "location",
        "schoolSourcedId",
        "termSourcedIds",
        "subjects",
        "subjectCodes",
        "periods",
    ],
    ["c-5a", "", "", "5А", "05", "", "", "homeroom", "", "org-1", "", "", "", ""],
    ["c-7b", "", "", "7 Б", "07", "", "", "homeroom", "", "org-2", "", "", "", ""],
    ["c-math", "", "", "Алгебра 7", "07", "crs-1", "", "scheduled", "", "org-2", "", "", "", ""],
]
ENROLLMENTS = [
    [
        "sourcedId",
        "status",
        "dateLastModified",
        "classSourcedId",
        "schoolSourcedId",
        "userSourcedId",
        "role",
        "primary",
        "beginDate",
        "endDate",
    ],
    ["e1", "", "", "c-5a", "org-1", "u-s1", "student", "", "", ""],
    ["e2", "", "", "c-7b", "org-2", "u-s2", "student", "", "", ""],
    ["e3", "", "", "c-math", "org-2", "u-s2", "student", "", "", ""],
    ["e4", "", "", "c-5a", "org-1", "u-t1", "teacher", "true", "", ""],
]
DEMOGRAPHICS = [
    ["sourcedId", "status", "dateLastModified", "birthDate", "sex"],
    ["u-s1", "", "", "2012-05-17", "female"],
    ["u-s2", "", "", "2010-01-02", "male"],
    ["u-ghost", "", "", "2010-01-02", "male"],
]
COURSES = [
    [
        "sourcedId",
        "status",
        "dateLastModified",
        "schoolYearSourcedId",
        "title",
        "courseCode",
        "grades",
        "orgSourcedId",
        "subjects",
        "subjectCodes",
    ]
]


def full_zip(tmp_path) -> Path:
    return write_zip(
        tmp_path / "oneroster.zip",
        {
            "orgs.csv": ORGS,
            "users.csv": USERS,
            "roles.csv": ROLES,
            "classes.csv": CLASSES,
            "enrollments.csv": ENROLLMENTS,
            "demographics.csv": DEMOGRAPHICS,
            "courses.csv": COURSES,
        },
    )


def test_oneroster_maps_onto_the_registry_model(region_a, tmp_path):
    job = run_import(full_zip(tmp_path), fmt="oneroster")
    assert job.status == "succeeded", job.error
    assert job.mode == "full"
    assert counts(job, "schools")["created"] == 2
    assert counts(job, "people")["created"] == 4
    rejected = {(r.file, r.line, r.field) for r in job.rejections.all()}
    assert rejected == {
        ("users.csv", 6, "userIds"),  # bad SNILS check number
        ("roles.csv", 7, "role"),  # a district administrator is not the registry's to give
        ("demographics.csv", 4, "sourcedId"),  # no such user
    }
    with tenant_context(region_a):
        lyceum = School.objects.get(ogrn=OGRN_1)
        assert (lyceum.inn, lyceum.kpp, lyceum.short_name, lyceum.municipality) == (
            "0500000009",
            "054101001",
            "Лицей №1",
            "г. Махачкала",
        )
        assert School.objects.get(ogrn=OGRN_2).short_name == "МБОУ «Гимназия №2»"
        alena = Person.objects.get(registry_id="u-s1")
        assert (alena.snils, alena.patronymic, str(alena.birth_date), alena.sex) == (
            snils(1),
            "Сергеевна",
            "2012-05-17",
            "F",
        )
        teacher = Person.objects.get(registry_id="u-t1")
        assert (teacher.email, teacher.phone, teacher.snils) == ("t1@school.ru", "+7 928 000-00-01", snils(3))
        assert sorted(account(teacher).roles) == ["school_admin", "teacher"]
        assert class_of(Membership.objects.get(person=alena)) == "5А"
        assert class_of(Membership.objects.get(person__registry_id="u-s2")) == "7Б"
        parent = Person.objects.get(registry_id="u-p1")
        assert set(
            GuardianLink.objects.filter(parent=parent).values_list("child__registry_id", flat=True)
        ) == {"u-s1", "u-s2"}
        assert account(parent).roles == ["parent"]
        assert not Membership.objects.filter(person=parent).exists()


def test_oneroster_reimport_is_unchanged(region_a, tmp_path):
    path = full_zip(tmp_path)
    run_import(path, fmt="oneroster")
    job = run_import(path, fmt="oneroster")
    for entity, c in job.counts.items():
        assert c["created"] == c["updated"] == c["deactivated"] == 0, entity


def test_oneroster_keeps_the_relation_it_does_not_carry(region_a, tmp_path):
    """OneRoster has no «мать»/«отец»/«опекун»: a relation the region got from a registry
    bundle stays (as birth dates stay without demographics.csv)."""
    path = full_zip(tmp_path)
    run_import(path, fmt="oneroster")
    with tenant_context(region_a):
        links = GuardianLink.objects.filter(parent__registry_id="u-p1")
        assert set(links.values_list("relation", flat=True)) == {""}
        links.update(relation="отец")
    job = run_import(path, fmt="oneroster", full_compare=True)
    assert job.counts["guardian_links"]["updated"] == 0
    assert job.counts["guardian_links"]["unchanged"] == 2
    with tenant_context(region_a):
        assert set(links.values_list("relation", flat=True)) == {"отец"}


def test_oneroster_delta_ends_a_role_and_keeps_birth_dates(region_a, tmp_path):
    run_import(full_zip(tmp_path), fmt="oneroster")
    delta = write_zip(
        tmp_path / "delta.zip",
        {
            "orgs.csv": ORGS,
            "users.csv": [USERS[0], USERS[3]],
            "roles.csv": [
                ROLES[0],
                ["r3", "tobedeleted", "2026-01-10", "u-t1", "primary", "teacher", "", "", "org-1", ""],
            ],
        },
        modes={"users": "delta", "roles": "delta"},
    )
    job = run_import(delta, fmt="oneroster")
    assert job.status == "succeeded", job.error
    assert job.mode == "delta"
    with tenant_context(region_a):
        ended = Membership.objects.get(person__registry_id="u-t1", role="teacher")
        assert not ended.is_active and ended.date_to is not None
        assert Membership.objects.get(person__registry_id="u-t1", role="school_admin").is_active
        assert Person.objects.get(registry_id="u-s1").birth_date is not None  # no demographics.csv: kept
        assert class_of(Membership.objects.get(person__registry_id="u-s1")) == "5А"
        assert Person.objects.filter(is_active=True).count() == 4


def test_oneroster_manifest_problems_refuse_the_archive(region_a, tmp_path):
    no_users = write_zip(tmp_path / "a.zip", {"orgs.csv": ORGS})
    job = run_import(no_users, fmt="oneroster")
    assert job.status == "failed" and "users.csv" in job.error
    wrong_region = [row[:] for row in ORGS]
    wrong_region[1][5] = "16"
    job = run_import(
        write_zip(tmp_path / "b.zip", {"orgs.csv": wrong_region, "users.csv": USERS, "roles.csv": ROLES}),
        fmt="oneroster",
    )
    assert job.status == "failed" and "16" in job.error


def test_the_wrong_format_is_named(region_a, tmp_path):
    job = run_import(full_zip(tmp_path))  # a OneRoster archive read as a bundle
    assert job.status == "failed" and "выберите формат oneroster" in job.error
    job = run_import(Bundle.sample().write(tmp_path / "b"), fmt="oneroster")
    assert job.status == "failed" and "выберите формат bundle" in job.error


def test_progress_counts_lines_not_records(region_a, tmp_path):
    """A user row gives a record per agent link too: progress counted records and reached
    100 % half-way through a real export. It counts the lines read, as its total does."""
    from tenants.imports.services import import_job_create, import_job_run

    job = import_job_create(region_code="05", source=full_zip(tmp_path), fmt="oneroster")
    seen: list[tuple[str, int, int]] = []
    job = import_job_run(job_id=job.pk, on_progress=lambda *state: seen.append(state))
    assert job.status == "succeeded", job.error
    at_start = {stage: done for stage, done, _total in seen if stage.startswith("read:")}
    # lines of the files read before: orgs.csv 4 (the last school on line 5), users.csv 5
    assert at_start["read:users.csv"] == 4
    assert at_start["read:demographics.csv"] == 4 + 5
    assert all(done <= total for _stage, done, total in seen)


def test_an_unknown_role_is_named_as_unknown(region_a, tmp_path):
    roles = [*ROLES, ["r7", "", "", "u-t1", "secondary", "librarian", "", "", "org-1", ""]]
    job = run_import(
        write_zip(tmp_path / "r.zip", {"orgs.csv": ORGS, "users.csv": USERS, "roles.csv": roles}),
        fmt="oneroster",
    )
    reasons = {r.line: r.reason for r in job.rejections.filter(file="roles.csv")}
    assert "назначаются на платформе" in reasons[7]  # districtAdministrator
    assert reasons[8].startswith("неизвестная роль «librarian»")
