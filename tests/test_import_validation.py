"""Every validation rule: a bad row is rejected alone, with file, line, field and a reason that
never quotes a SNILS; the good rows are imported."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from core.validators import make_ogrn, parse_class_name
from regions.people.models import Membership, Person
from tenants.imports.selectors import rejections_csv
from tests.importing import (
    OGRN_1,
    OGRN_3,
    Bundle,
    class_of,
    counts,
    member,
    person,
    run_import,
    school,
    snils,
)

pytestmark = pytest.mark.django_db


def rejections(job):
    return {(r.file, r.line, r.field) for r in job.rejections.all()}


def test_bad_identifiers_are_rejected_row_by_row(region_a, tmp_path):
    b = Bundle.sample()
    bad_ogrn = OGRN_3[:-1] + str((int(OGRN_3[-1]) + 1) % 10)
    b.schools.append(school(bad_ogrn, 3))  # line 4
    b.schools.append(school(OGRN_3, 4, inn="0500000000"))  # line 5: INN check digit
    b.schools.append(school(make_ogrn(102050000009), 5, kpp="12"))  # line 6: bad KPP
    good = snils(20)
    b.people.append(person("X-1", 20, snils=good[:-1] + str((int(good[-1]) + 1) % 10)))  # line 7
    job = run_import(b.write(tmp_path / "b"))
    assert job.status == "succeeded", job.error
    found = rejections(job)
    assert ("schools.csv", 4, "ogrn") in found
    assert ("schools.csv", 5, "inn") in found
    assert ("schools.csv", 6, "kpp") in found
    assert ("people.csv", 7, "snils") in found
    assert counts(job, "schools")["created"] == 2
    assert counts(job, "people")["created"] == 5
    reasons = " ".join(r.reason for r in job.rejections.all())
    assert "контрольн" in reasons
    assert good[:9] not in reasons


@pytest.mark.parametrize(
    ("column", "value", "field"),
    [
        ("birth_date", "31.02.2012", "birth_date"),
        ("birth_date", "2012/05/17", "birth_date"),
        ("birth_date", "01.01.2099", "birth_date"),
        ("birth_date", "01.01.1899", "birth_date"),
        ("surname", "Smith", "surname"),
        ("name", "", "name"),
        ("sex", "X", "sex"),
        ("email", "not-an-email", "email"),
        ("phone", "call me", "phone"),
        ("person_id", "x" * 65, "person_id"),
    ],
)
def test_bad_person_fields(region_a, tmp_path, column, value, field):
    b = Bundle.sample()
    b.people.append(person("X-1", 20, **{column: value}))
    job = run_import(b.write(tmp_path / "b"))
    assert rejections(job) == {("people.csv", 7, field)}
    assert counts(job, "people")["created"] == 5


def test_person_needs_a_key(region_a, tmp_path):
    b = Bundle.sample()
    b.people.append(person("", 20, snils=""))
    job = run_import(b.write(tmp_path / "b"))
    assert rejections(job) == {("people.csv", 7, "person_id")}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("5А", (5, "А", "5А")),
        ("11 Б", (11, "Б", "11Б")),
        ("1-В", (1, "В", "1В")),
        ("10а", (10, "А", "10А")),
        (" 7 ё ", (7, "Ё", "7Ё")),
        ("7 «Б»", (7, "Б", "7Б")),
        ('9"В"', (9, "В", "9В")),
        # Latin letters that look Cyrillic, typed on a Latin keyboard
        ("5A", (5, "А", "5А")),
        ("11B", (11, "В", "11В")),
        ("3 k".upper(), (3, "К", "3К")),
        ("6с", (6, "С", "6С")),
    ],
)
def test_class_names(raw, expected):
    assert parse_class_name(raw) == expected


def test_a_latin_letter_that_is_no_cyrillic_twin_is_named():
    with pytest.raises(ValueError, match="буква класса должна быть русской"):
        parse_class_name("5D")


@pytest.mark.parametrize("raw", ["12А", "0Б", "А5", "5", "5D", "5b", "5 кл. А"])
def test_bad_class_names(raw):
    with pytest.raises(ValueError, match="Класс"):
        parse_class_name(raw)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"class": ""}, "class"),
        ({"class": "12Я"}, "class"),
        ({"role": "директор"}, "role"),
        ({"date_from": "01.09.2024", "date_to": "01.09.2023"}, "date_to"),
        ({"date_to": "32.01.2024"}, "date_to"),
        ({"school_ogrn": "123"}, "school_ogrn"),
    ],
)
def test_bad_membership_fields(region_a, tmp_path, change, field):
    b = Bundle.sample()
    b.memberships[1].update(change)  # S-2's row, line 3
    job = run_import(b.write(tmp_path / "b"))
    assert rejections(job) == {("memberships.csv", 3, field)}
    assert counts(job, "memberships")["created"] == 3


def test_unknown_references_are_rejected(region_a, tmp_path):
    b = Bundle.sample()
    b.memberships.append(member("NOBODY", OGRN_1, "teacher"))  # line 6
    b.memberships.append(member("T-1", OGRN_3, "teacher"))  # line 7: school not in the bundle
    b.guardians.append({"parent_id": "NOBODY", "child_id": "S-1", "relation": "мать"})  # line 4
    b.guardians.append({"parent_id": "P-1", "child_id": "GHOST", "relation": ""})  # line 5
    b.guardians.append({"parent_id": "P-1", "child_id": "P-1", "relation": ""})  # line 6
    job = run_import(b.write(tmp_path / "b"))
    assert rejections(job) == {
        ("memberships.csv", 6, "person_id"),
        ("memberships.csv", 7, "school_ogrn"),
        ("guardians.csv", 4, "parent_id"),
        ("guardians.csv", 5, "child_id"),
        ("guardians.csv", 6, "child_id"),
    }
    assert counts(job, "memberships") == {
        "created": 4,
        "updated": 0,
        "deactivated": 0,
        "unchanged": 0,
        "rejected": 2,
    }


def test_references_to_rejected_rows_are_rejected_too(region_a, tmp_path):
    b = Bundle.sample()
    b.people[1]["surname"] = "Fedorov"  # S-2 rejected…
    job = run_import(b.write(tmp_path / "b"))
    found = rejections(job)
    assert ("people.csv", 3, "surname") in found
    assert ("memberships.csv", 3, "person_id") in found  # …so is its membership
    assert ("guardians.csv", 3, "child_id") in found  # …and the link to it
    with tenant_context(region_a):
        assert not Person.objects.filter(registry_id="S-2").exists()


def test_duplicates_keep_the_first_row(region_a, tmp_path):
    b = Bundle.sample()
    b.schools.append(dict(b.schools[0]))  # line 4
    b.people.append(person("S-1", 30, "Другая", "Запись"))  # line 7: same person_id
    b.people.append(person("X-2", 1))  # line 8: SNILS of S-1
    b.memberships.append(member("S-1", OGRN_1, "student", "6А"))  # line 6: a second class in the same school
    b.guardians.append({"parent_id": "P-1", "child_id": "S-1", "relation": ""})  # line 4
    job = run_import(b.write(tmp_path / "b"))
    found = rejections(job)
    assert found == {
        ("schools.csv", 4, "ogrn"),
        ("people.csv", 7, "person_id"),
        ("people.csv", 8, "snils"),
        ("memberships.csv", 6, "person_id"),
        ("guardians.csv", 4, "child_id"),  # P-1 → S-1 again
    }
    assert "строка 2" in job.rejections.get(file="schools.csv").reason
    with tenant_context(region_a):
        assert Person.objects.get(registry_id="S-1").surname == "Фёдорова"
        assert class_of(Membership.objects.get(person__registry_id="S-1")) == "5А"


def test_two_rows_that_find_the_same_person_of_the_region(region_a, tmp_path):
    run_import(Bundle.sample().write(tmp_path / "v1"))
    b = Bundle.sample()
    b.people[0]["snils"] = snils(30)  # line 2: S-1 by its id, with a new SNILS
    b.people.append(person("", 1, "Фёдорова", "Алёна"))  # line 7: S-1 by its old SNILS
    job = run_import(b.write(tmp_path / "v2"))
    assert rejections(job) == {("people.csv", 7, "person_id")}
    assert "строка 2" in job.rejections.get().reason
    with tenant_context(region_a):
        assert Person.objects.get(registry_id="S-1").snils == snils(30)


def test_no_repeats_is_proven_or_the_rows_are_grouped(region_a):
    """The unique-index probe of ``_dedupe``: a repeat makes it answer False and leaves the
    transaction usable; NULL keys and rows outside ``among`` never count as repeats."""
    from django.db import connection, transaction

    from tenants.imports.apply import _no_repeats

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE t_probe (k text, n int, ok boolean) ON COMMIT DROP")
        cursor.execute(
            "INSERT INTO t_probe VALUES ('a', 1, true), (NULL, 1, true), (NULL, 1, true), ('b', 2, false)"
        )
        assert _no_repeats(cursor, "t_probe", "k", "true")
        assert _no_repeats(cursor, "t_probe", "k, n", "true")
        cursor.execute("INSERT INTO t_probe VALUES ('b', 3, true)")
        assert not _no_repeats(cursor, "t_probe", "k", "true")
        assert _no_repeats(cursor, "t_probe", "k", "ok")  # the other 'b' is not among them
        assert _no_repeats(cursor, "t_probe", "k, n", "true")
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 't_probe'")
        assert cursor.fetchone()[0] == 0


def test_a_current_membership_wins_over_an_ended_one(region_a, tmp_path):
    b = Bundle.sample()
    b.memberships.insert(
        0, member("S-1", OGRN_1, "student", "4А", date_from="01.09.2022", date_to="31.05.2023")
    )
    job = run_import(b.write(tmp_path / "b"))
    assert rejections(job) == {("memberships.csv", 2, "person_id")}
    with tenant_context(region_a):
        assert class_of(Membership.objects.get(person__registry_id="S-1")) == "5А"


def test_snils_of_another_person_of_the_region_is_rejected(region_a, tmp_path):
    run_import(Bundle.sample().write(tmp_path / "v1"))
    b = Bundle.sample()
    b.people.append(person("NEW-1", 1, "Новая", "Запись"))  # S-1's SNILS under a new id
    job = run_import(b.write(tmp_path / "v2"))
    assert rejections(job) == {("people.csv", 7, "snils")}


def test_rejections_csv_has_bom_lines_and_no_snils(region_a, tmp_path):
    b = Bundle.sample()
    b.people.append(person("X-1", 20, "Smith", "John"))
    job = run_import(b.write(tmp_path / "b"))
    text = "".join(rejections_csv(job))
    assert text.startswith("\ufeffфайл;строка;поле;причина")
    assert "people.csv;7;surname;" in text
    assert snils(20) not in text


def test_a_snils_in_the_wrong_column_is_not_quoted_back(region_a, tmp_path):
    b = Bundle.sample()
    b.people.append(
        person(
            "X-1",
            20,
            birth_date=snils(20)[:3] + "-" + snils(20)[3:6] + "-" + snils(20)[6:9] + " " + snils(20)[9:],
        )
    )
    b.memberships[1]["class"] = snils(21)
    job = run_import(b.write(tmp_path / "b"))
    assert rejections(job) == {("people.csv", 7, "birth_date"), ("memberships.csv", 3, "class")}
    text = "".join(rejections_csv(job))
    for n in (20, 21):
        assert snils(n)[:9] not in text.replace("-", "").replace(" ", "")


def test_the_report_is_written_in_the_platform_language(region_a, tmp_path, settings):
    """Reasons and job errors are stored texts: Russian by default, and every one of them
    through gettext, so a platform run in English writes its reports in English."""
    settings.LANGUAGE_CODE = "en"
    b = Bundle.sample()
    b.people.append(person("X-1", 20, "Smith", "John"))
    b.memberships.append(member("S-1", OGRN_3, "student", "5А"))
    b.memberships.append(member("S-2", OGRN_1, "student", "5А", date_from="2020-02-30"))
    b.guardians.append({"parent_id": "P-1", "child_id": "P-1", "relation": "сосед"})
    job = run_import(b.write(tmp_path / "b"))
    reasons = {(r.file, r.field): r.reason for r in job.rejections.all()}
    assert reasons[("people.csv", "surname")].startswith("Surname: ")
    assert reasons[("memberships.csv", "school_ogrn")] == (
        "school not found in schools.csv (or its row was rejected)"
    )
    assert reasons[("memberships.csv", "date_from")] == "Start date: no such date (2020-02-30)"
    assert reasons[("guardians.csv", "relation")].startswith("Relation: one of мать, отец")
    refused = Bundle.sample()
    refused.region = "16"
    job = run_import(refused.write(tmp_path / "r"))
    assert job.error == (
        "The bundle was exported for region 16, but the import runs for region 05. Nothing was changed."
    )
