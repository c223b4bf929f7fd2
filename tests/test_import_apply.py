"""What an import does to a region: create, update, move, deactivate (never delete), accounts,
idempotency, dry run, delta mode, school configuration untouched, two regions isolated."""

from __future__ import annotations

import datetime

import pytest
from django_tenants.utils import tenant_context

from core.audit import audit_record
from core.models import AuditEvent, User
from regions.people.models import GuardianLink, Membership, Person
from regions.schools.models import School, SchoolClass
from tests.importing import (
    OGRN_1,
    OGRN_2,
    OGRN_3,
    Bundle,
    account,
    class_of,
    counts,
    member,
    person,
    region_state,
    run_import,
    school,
)

pytestmark = pytest.mark.django_db


def rejections(job):
    return {(r.file, r.line, r.field) for r in job.rejections.all()}


def test_first_import_creates_everything(region_a, tmp_path):
    job = run_import(Bundle.sample().write(tmp_path / "b"))
    assert job.status == "succeeded", job.error
    assert counts(job, "schools")["created"] == 2
    assert counts(job, "people")["created"] == 5
    assert counts(job, "classes")["created"] == 2
    assert counts(job, "memberships")["created"] == 4
    assert counts(job, "guardian_links")["created"] == 2
    assert counts(job, "accounts")["created"] == 5
    with tenant_context(region_a):
        alena = Person.objects.get(registry_id="S-1")
        assert (alena.surname, alena.name, alena.sex) == ("Фёдорова", "Алёна", "F")
        assert alena.snils is not None and len(alena.snils) == 11 and alena.snils.isdigit()
        klass = SchoolClass.objects.get(school__ogrn=OGRN_2)
        assert (klass.name, klass.parallel, klass.letter) == ("7Б", 7, "Б")
        assert Membership.objects.get(person__registry_id="S-2").school_class == klass
        assert GuardianLink.objects.get(child=alena).relation == "отец"
        # accounts: p<person id>, names from the person, registry roles, unusable password
        teacher = Person.objects.select_related("user").get(registry_id="T-1")
        assert account(teacher).username == f"p{teacher.pk}"
        assert (account(teacher).first_name, account(teacher).last_name) == ("Зарема", "Семёнова")
        assert account(teacher).roles == ["teacher"]
        assert not account(teacher).has_usable_password()
        assert account(Person.objects.get(registry_id="A-1")).roles == ["school_admin"]
        assert AuditEvent.objects.filter(action="registry_import", entity_id=str(job.pk)).exists()


def test_parent_with_children_in_two_schools_has_one_account(region_a, tmp_path):
    run_import(Bundle.sample().write(tmp_path / "b"))
    with tenant_context(region_a):
        parent = Person.objects.get(registry_id="P-1")
        assert account(parent).roles == ["parent"]
        assert User.objects.filter(username=f"p{parent.pk}").count() == 1
        schools = set(
            Membership.objects.filter(person__guardian_links__parent=parent).values_list(
                "school__ogrn", flat=True
            )
        )
        assert schools == {OGRN_1, OGRN_2}


@pytest.mark.parametrize("full_compare", [True, False], ids=["row-by-row", "known-unchanged"])
def test_same_input_twice_changes_nothing(region_a, tmp_path, full_compare):
    b = Bundle.sample()
    b.people.append(person("X-1", 20, "Smith", "John"))  # one rejection, repeated in the report
    path = b.write(tmp_path / "b")
    first = run_import(path)
    before = region_state(region_a)
    job = run_import(path, full_compare=full_compare)
    assert job.status == "succeeded"
    for entity, c in job.counts.items():
        assert c["created"] == c["updated"] == c["deactivated"] == 0, entity
    assert counts(job, "people")["unchanged"] == 5
    assert counts(job, "people")["rejected"] == 1
    assert counts(job, "accounts")["unchanged"] == 5
    assert counts(job, "memberships")["unchanged"] == 4
    assert list(job.rejections.values_list("file", "line", "field")) == [("people.csv", 7, "surname")]
    assert region_state(region_a) == before  # updated_at and every other column untouched
    assert job.same_as_id == (None if full_compare else first.pk)


def test_a_region_changed_since_the_last_import_is_compared_row_by_row(region_a, tmp_path):
    path = Bundle.sample().write(tmp_path / "b")
    run_import(path)
    with tenant_context(region_a):
        Person.objects.filter(registry_id="S-1").update(surname="Исправленная")  # by hand
    job = run_import(path)
    assert job.same_as_id is None
    assert counts(job, "people")["updated"] == 1
    with tenant_context(region_a):
        assert Person.objects.get(registry_id="S-1").surname == "Фёдорова"  # the registry's again


def test_an_import_on_another_day_is_compared_row_by_row(region_a, tmp_path):
    path = Bundle.sample().write(tmp_path / "b")
    first = run_import(path)
    first.local_date = datetime.date(2000, 1, 1)  # dates decide which memberships are current
    first.save()
    assert run_import(path).same_as_id is None


def test_a_changed_file_is_compared_row_by_row(region_a, tmp_path):
    run_import(Bundle.sample().write(tmp_path / "v1"))
    v2 = Bundle.sample()
    v2.people[0]["email"] = "alena@mail.ru"
    job = run_import(v2.write(tmp_path / "v2"))
    assert job.same_as_id is None
    assert counts(job, "people")["updated"] == 1


def test_changed_input_applies_the_difference(region_a, tmp_path):
    run_import(Bundle.sample().write(tmp_path / "v1"))
    with tenant_context(region_a):
        teacher_user = account(Person.objects.get(registry_id="T-1"))
    v2 = Bundle.sample()
    v2.people[1]["surname"] = "Семёнов"  # S-2 changed surname
    v2.people.append(person("S-3", 6, "Гаджиева", "Патимат", sex="Ж"))  # new person
    v2.memberships.append(member("S-3", OGRN_2, "student", "7Б"))
    v2.memberships[0]["class"] = "5-Б"  # S-1 moved to another class
    v2.memberships = [m for m in v2.memberships if m["person_id"] != "T-1"]  # the teacher left
    job = run_import(v2.write(tmp_path / "v2"))
    assert job.status == "succeeded", job.error
    assert counts(job, "people") == {
        "created": 1,
        "updated": 1,
        "deactivated": 0,
        "unchanged": 4,
        "rejected": 0,
    }
    assert counts(job, "memberships")["deactivated"] == 1
    assert counts(job, "memberships")["updated"] == 1
    assert counts(job, "classes")["created"] == 1
    assert counts(job, "classes")["deactivated"] == 1  # nobody is in 5А any more
    with tenant_context(region_a):
        assert Person.objects.get(registry_id="S-2").surname == "Семёнов"
        assert class_of(Membership.objects.get(person__registry_id="S-1")) == "5Б"
        assert not SchoolClass.objects.get(name="5А").is_active
        left = Membership.objects.get(person__registry_id="T-1")
        assert not left.is_active  # kept, with its history
        teacher_user.refresh_from_db()
        assert teacher_user.roles == [] and not teacher_user.is_active
        assert Person.objects.get(registry_id="T-1").is_active  # still in the registry
        assert account(Person.objects.get(registry_id="S-3")).roles == ["student"]


def test_full_import_deactivates_what_is_absent_and_reactivates_what_returns(region_a, tmp_path):
    run_import(Bundle.sample().write(tmp_path / "v1"))
    v2 = Bundle.sample()
    v2.schools = [s for s in v2.schools if s["ogrn"] != OGRN_2]
    v2.people = [p for p in v2.people if p["person_id"] != "S-2"]
    v2.memberships = [m for m in v2.memberships if m["person_id"] != "S-2"]
    v2.guardians = [g for g in v2.guardians if g["child_id"] != "S-2"]
    job = run_import(v2.write(tmp_path / "v2"))
    assert counts(job, "schools")["deactivated"] == 1
    assert counts(job, "people")["deactivated"] == 1
    assert counts(job, "guardian_links")["deactivated"] == 1
    with tenant_context(region_a):
        gone = School.objects.get(ogrn=OGRN_2)
        assert not gone.is_active and gone.deactivated_at is not None
        s2 = Person.objects.get(registry_id="S-2")
        assert not s2.is_active and s2.deactivated_at is not None
        assert not account(s2).is_active
        assert not Membership.objects.get(person=s2).is_active
        # the parent still has a child in school 1
        assert account(Person.objects.get(registry_id="P-1")).roles == ["parent"]

    job = run_import(Bundle.sample().write(tmp_path / "v3"))
    assert counts(job, "schools")["updated"] == 1
    assert counts(job, "people")["updated"] == 1
    with tenant_context(region_a):
        back = Person.objects.get(registry_id="S-2")
        assert back.is_active and back.deactivated_at is None
        assert account(back).is_active and account(back).roles == ["student"]
        assert School.objects.get(ogrn=OGRN_2).is_active


def test_a_closed_school_keeps_the_history_a_full_bundle_still_lists(region_a, tmp_path):
    """School 2 closes: absent from schools.csv; its pupil moved to school 1 and the registry
    keeps the old membership, ended. That row is history, not an error."""
    run_import(Bundle.sample().write(tmp_path / "v1"))
    v2 = Bundle.sample()
    v2.schools = [s for s in v2.schools if s["ogrn"] != OGRN_2]
    v2.memberships = [m for m in v2.memberships if m["person_id"] != "S-2"] + [
        member("S-2", OGRN_2, "student", "7Б", date_from="01.09.2020", date_to="30.09.2025"),
        member("S-2", OGRN_1, "student", "7А", date_from="01.10.2025"),
        # an ended row naming a class the closed school never had creates no class there
        member("S-1", OGRN_2, "student", "9Я", date_from="01.09.2019", date_to="31.05.2020"),
        # a current row in a school that is not in the bundle is still an error
        member("T-1", OGRN_2, "teacher"),
    ]
    job = run_import(v2.write(tmp_path / "v2"))
    assert job.status == "succeeded", job.error
    assert rejections(job) == {("memberships.csv", 8, "school_ogrn")}
    assert counts(job, "schools")["deactivated"] == 1
    assert counts(job, "classes") == {
        "created": 1,  # 7А of school 1
        "updated": 0,
        "deactivated": 1,  # 7Б of the closed school
        "unchanged": 1,
        "rejected": 0,
    }
    with tenant_context(region_a):
        old = Membership.objects.get(person__registry_id="S-2", school__ogrn=OGRN_2)
        assert not old.is_active and str(old.date_to) == "2025-09-30"
        assert old.school_class is not None and old.school_class.name == "7Б"  # its class kept
        assert not old.school_class.is_active and not old.school.is_active
        older = Membership.objects.get(person__registry_id="S-1", school__ogrn=OGRN_2)
        assert not older.is_active and older.school_class is None
        assert not SchoolClass.objects.filter(name="9Я").exists()
        s2 = Person.objects.get(registry_id="S-2")
        assert account(s2).roles == ["student"]
    again = run_import(v2.write(tmp_path / "v2b"), full_compare=True)
    assert not any(c["created"] + c["updated"] + c["deactivated"] for c in again.counts.values())


def test_delta_mode_deactivates_nothing(region_a, tmp_path):
    run_import(Bundle.sample().write(tmp_path / "v1"))
    delta = Bundle(
        mode="delta", schools=[school(OGRN_3, 3)], people=[person("S-9", 9, "Иванова", "Мария", sex="Ж")]
    )
    delta.memberships = [member("S-9", OGRN_3, "student", "1В"), member("S-2", OGRN_3, "student", "2А")]
    delta.guardians = [{"parent_id": "P-1", "child_id": "S-9", "relation": "отец"}]
    job = run_import(delta.write(tmp_path / "d"))
    assert job.status == "succeeded", job.error
    assert job.mode == "delta"
    for entity, c in job.counts.items():
        assert c["deactivated"] == 0, entity
    assert counts(job, "memberships")["created"] == 2  # S-2 is known to the region: accepted
    with tenant_context(region_a):
        assert Person.objects.filter(is_active=True).count() == 6
        assert School.objects.filter(is_active=True).count() == 3
        assert GuardianLink.objects.filter(parent__registry_id="P-1", is_active=True).count() == 3


def test_mode_override_from_the_command_line(region_a, tmp_path):
    run_import(Bundle.sample().write(tmp_path / "v1"))
    small = Bundle.sample()
    small.people = small.people[:1]
    job = run_import(small.write(tmp_path / "v2"), mode="delta")
    assert job.mode == "delta"
    assert counts(job, "people")["deactivated"] == 0


def test_dry_run_reports_and_changes_nothing(region_a, tmp_path):
    run_import(Bundle.sample().write(tmp_path / "v1"))
    before = region_state(region_a)
    v2 = Bundle.sample()
    v2.people[0]["surname"] = "Иванова"
    v2.people.append(person("S-3", 6, "Гаджиева", "Патимат", sex="Ж", birth_date="31.02.2012"))  # rejected
    job = run_import(v2.write(tmp_path / "v2"), dry_run=True)
    assert job.status == "succeeded", job.error
    assert job.dry_run
    assert counts(job, "people")["updated"] == 1
    assert counts(job, "people")["rejected"] == 1
    assert job.rejections.get().field == "birth_date"
    assert region_state(region_a) == before


def test_reimport_keeps_school_configuration_and_hand_given_roles(region_a, tmp_path):
    path = Bundle.sample().write(tmp_path / "b")
    run_import(path)
    with tenant_context(region_a):
        teacher = Person.objects.get(registry_id="T-1")
        klass = SchoolClass.objects.get(name="5А")
        klass.class_teacher, klass.shift = teacher, 2
        klass.save()
        account(teacher).roles = ["regional_admin", "teacher"]
        account(teacher).save()
    v2 = Bundle.sample()
    v2.memberships = [m for m in v2.memberships if m["person_id"] != "T-1"]
    run_import(v2.write(tmp_path / "v2"))
    with tenant_context(region_a):
        klass.refresh_from_db()
        assert (klass.class_teacher_id, klass.shift) == (teacher.pk, 2)
        account(teacher).refresh_from_db()
        assert account(teacher).roles == ["regional_admin"]  # only the registry's role went
        assert account(teacher).is_active  # a role is left


def test_staff_without_another_role_gets_no_account(region_a, tmp_path):
    b = Bundle.sample()
    b.people.append(person("ST-1", 7, "Абдуллаева", "Марьям", sex="Ж", birth_date="01.01.1970"))
    b.memberships.append(member("ST-1", OGRN_1, "staff"))
    run_import(b.write(tmp_path / "b"))
    with tenant_context(region_a):
        assert Person.objects.get(registry_id="ST-1").user is None


def test_person_matched_by_snils_adopts_the_registry_id(region_a, tmp_path):
    b = Bundle.sample()
    b.people[0]["person_id"] = ""
    b.memberships[0].update(person_id="", snils=b.people[0]["snils"])
    b.guardians[0].update(child_id="")
    b.guardians[0]["child_snils"] = b.people[0]["snils"]
    job = run_import(b.write(tmp_path / "v1"))
    assert job.status == "succeeded", job.error
    with tenant_context(region_a):
        assert Person.objects.filter(registry_id__isnull=True).count() == 1
    job = run_import(Bundle.sample().write(tmp_path / "v2"))
    assert counts(job, "people")["updated"] == 1
    assert counts(job, "people")["created"] == 0
    with tenant_context(region_a):
        assert Person.objects.filter(registry_id="S-1").count() == 1


def test_bundle_of_another_region_is_refused(region_a, tmp_path):
    job = run_import(
        Bundle(region="16", **{k: v for k, v in vars(Bundle.sample()).items() if k != "region"}).write(
            tmp_path / "b"
        )
    )
    assert job.status == "failed"
    assert "16" in job.error and "05" in job.error
    with tenant_context(region_a):
        assert not Person.objects.exists()


def test_two_regions_are_isolated(region_a, region_b, tmp_path):
    run_import(Bundle.sample().write(tmp_path / "a"))
    b = Bundle(region="16", schools=[school(OGRN_3, 3)], people=[person("X-1", 11, "Хабибуллин", "Ильдар")])
    b.memberships = [member("X-1", OGRN_3, "teacher")]
    job = run_import(b.write(tmp_path / "b"), region="16")
    assert job.status == "succeeded", job.error
    assert counts(job, "people")["deactivated"] == 0  # region 16's full import never sees 05's people
    with tenant_context(region_a):
        assert set(Person.objects.values_list("registry_id", flat=True)) == {
            "S-1",
            "S-2",
            "T-1",
            "A-1",
            "P-1",
        }
        assert not User.objects.filter(roles__contains=["teacher"], first_name="Ильдар").exists()
    with tenant_context(region_b):
        assert list(Person.objects.values_list("registry_id", flat=True)) == ["X-1"]
        assert School.objects.get().ogrn == OGRN_3


def test_audit_event_is_written_only_when_applied(region_a, tmp_path):
    path = Bundle.sample().write(tmp_path / "b")
    with tenant_context(region_a):
        audit_record(actor="test", action="noop", entity="x")
    job = run_import(path, dry_run=True)
    with tenant_context(region_a):
        assert not AuditEvent.objects.filter(action="registry_import", entity_id=str(job.pk)).exists()


INDEX_SQL = """
SELECT c.relname, i.relname, pg_get_indexdef(i.oid) FROM pg_index x
  JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'region_05' ORDER BY 1, 2
"""
CONSTRAINT_SQL = """
SELECT conrelid::regclass::text, conname, pg_get_constraintdef(c.oid), condeferrable, condeferred FROM pg_constraint c
  JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'region_05' ORDER BY 1, 2
"""


@pytest.mark.parametrize(
    "threshold", [1, 3, 4, 10**9], ids=["all-bulk", "some-bulk", "other-bulk", "no-bulk"]
)
def test_first_import_in_bulk_mode_rebuilds_every_index_and_constraint(
    region_a, tmp_path, monkeypatch, threshold
):
    """A region filled for the first time drops and rebuilds its tables' secondary indexes and
    constraints; the result — data, indexes, constraints — is the same as row by row."""
    from django.db import connection

    from tenants.imports import apply

    def schema():
        with connection.cursor() as cursor:
            cursor.execute(INDEX_SQL)
            indexes = cursor.fetchall()
            cursor.execute(CONSTRAINT_SQL)
            return indexes, cursor.fetchall()

    before = schema()
    monkeypatch.setattr(apply, "BULK_MIN_ROWS", threshold)
    job = run_import(Bundle.sample().write(tmp_path / "b"))
    assert job.status == "succeeded", job.error
    assert counts(job, "people")["created"] == 5
    assert counts(job, "accounts")["created"] == 5
    assert schema() == before
    with tenant_context(region_a):
        assert Membership.objects.filter(school_class__isnull=False).count() == 2
        assert account(Person.objects.get(registry_id="P-1")).roles == ["parent"]
    # and a second, changed import on top goes the ordinary way
    v2 = Bundle.sample()
    v2.people[0]["surname"] = "Иванова"
    assert counts(run_import(v2.write(tmp_path / "v2")), "people")["updated"] == 1


def test_an_account_name_left_behind_is_linked_not_duplicated(region_a, tmp_path):
    """A region emptied by hand but for its accounts: the first import links the account named
    after the new person instead of failing or making a second one."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value + 1 FROM region_05.people_person_id_seq")
        next_id = cursor.fetchone()[0]
    with tenant_context(region_a):
        User.objects.create(username=f"p{next_id}", roles=["regional_admin"])
    job = run_import(Bundle.sample().write(tmp_path / "b"))
    assert job.status == "succeeded", job.error
    with tenant_context(region_a):
        first = Person.objects.get(pk=next_id)
        assert account(first).username == f"p{next_id}"
        assert account(first).roles[0] == "regional_admin"
        assert User.objects.filter(username__startswith="p").count() == 5
