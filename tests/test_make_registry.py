"""``manage.py make_registry``: the synthetic registry is valid against docs/registry-bundle.md,
deterministic, its next version changes about the requested share of people in the documented
ways, and its faulty version lists every bad row it added."""

from __future__ import annotations

import csv
import hashlib
import re
import zipfile
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from core.validators import normalize_inn, normalize_kpp, normalize_ogrn, normalize_snils
from tenants.registry_gen import Dialect, Options, generate
from tenants.registry_gen import data as names
from tenants.registry_gen.errors import KINDS
from tenants.registry_gen.output import COLUMNS, FILES

SIZE = {"schools": 30, "students": 6000, "teachers": 520}
NAME = re.compile(r"^[А-ЯЁа-яё' -]+$")
CLASS = re.compile(r"^(1[01]|[1-9])([А-Я])$")
ROLES = {"student", "teacher", "school_admin", "staff"}
RELATIONS = {"мать", "отец", "опекун", "попечитель", "иной законный представитель"}
START_OF_YEAR = date(2025, 9, 1)


def make(path: Path, **kwargs) -> Path:
    options = {**SIZE, "seed": 1, **kwargs}
    generate(Options(**options), path)
    return path


def read(folder: Path, name: str, encoding: str = "utf-8", delimiter: str = ",") -> list[dict[str, str]]:
    with (folder / name).open(encoding=encoding, newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


def digest(folder: Path) -> dict[str, str]:
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in FILES}


def key(row: dict[str, str], prefix: str = "") -> str:
    """How the bundle names a person: by id, else by SNILS."""
    pid = row[f"{prefix}id" if prefix else "person_id"]
    return pid or normalize_snils(row[f"{prefix}snils" if prefix else "snils"])


def ru(text: str) -> date:
    return datetime.strptime(text, "%d.%m.%Y").date()  # noqa: DTZ007 - a calendar date


@pytest.fixture(scope="module")
def v1(tmp_path_factory) -> Path:
    return make(tmp_path_factory.mktemp("v1") / "bundle")


@pytest.fixture(scope="module")
def v2(tmp_path_factory) -> Path:
    return make(tmp_path_factory.mktemp("v2") / "bundle", version=2, changes=5)


# --- determinism ------------------------------------------------------------------------------


def test_same_arguments_give_byte_identical_files(v1, tmp_path):
    again = make(tmp_path / "again")
    assert digest(again) == digest(v1)
    other_seed = make(tmp_path / "other", seed=2)
    assert digest(other_seed)["people.csv"] != digest(v1)["people.csv"]


def test_zip_is_deterministic_and_holds_the_same_files(v1, tmp_path):
    first, second = make(tmp_path / "a.zip"), make(tmp_path / "b.zip")
    assert hashlib.sha256(first.read_bytes()).digest() == hashlib.sha256(second.read_bytes()).digest()
    with zipfile.ZipFile(first) as zf:
        assert zf.namelist() == FILES
        for name in FILES:
            assert zf.read(name) == (v1 / name).read_bytes()
    assert not list(tmp_path.glob(".make_registry-*")), "the temporary folder of the ZIP is removed"


# --- the bundle is what docs/registry-bundle.md says -------------------------------------------


def test_manifest_and_headers(v1):
    manifest = {r["key"]: r["value"] for r in read(v1, "manifest.csv")}
    assert manifest["format"] == "msh-registry-1"
    assert manifest["region"] == "05"
    assert manifest["mode"] == "full"
    datetime.strptime(manifest["exported_at"], "%d.%m.%Y %H:%M")  # noqa: DTZ007
    for name, columns in COLUMNS.items():
        with (v1 / name).open(encoding="utf-8") as fh:
            assert next(csv.reader(fh)) == columns


def test_schools_have_valid_identifiers(v1):
    schools = read(v1, "schools.csv")
    assert len(schools) == SIZE["schools"]
    assert len({s["ogrn"] for s in schools}) == len(schools)
    for s in schools:
        assert normalize_ogrn(s["ogrn"]) == s["ogrn"]
        assert normalize_inn(s["inn"]) == s["inn"]
        assert normalize_kpp(s["kpp"]) == s["kpp"]
        assert s["ogrn"][3:5] == s["inn"][:2] == "05", "the region's code inside the identifiers"
        assert s["full_name"] and s["short_name"] and s["municipality"] and s["address"]
        assert s["kind"] in {"СОШ", "ООШ", "НОШ", "гимназия", "лицей"}
    assert any('"' in s["full_name"] for s in schools), "straight quotes inside a field (CSV doubles them)"
    assert any("," in s["address"] for s in schools)


def test_people_are_valid_with_russian_names(v1):
    people = read(v1, "people.csv")
    ids = [p["person_id"] for p in people if p["person_id"]]
    snils = [normalize_snils(p["snils"]) for p in people if p["snils"]]
    assert len(ids) == len(set(ids)) and len(snils) == len(set(snils))
    assert any(not p["person_id"] for p in people), "some people are known by SNILS only"
    assert any(not p["snils"] for p in people), "some have no SNILS"
    assert any(re.fullmatch(r"\d{11}", p["snils"]) for p in people), "SNILS as plain digits"
    assert any(re.fullmatch(r"\d{3}-\d{3}-\d{3} \d{2}", p["snils"]) for p in people), "and formatted"
    today = date.today()  # noqa: DTZ011 - a calendar date
    for p in people:
        assert p["person_id"] or p["snils"]
        for field in ("surname", "name", "patronymic"):
            assert NAME.match(p[field]), (field, p[field])
        born = ru(p["birth_date"])
        assert date(1900, 1, 1) <= born <= today
        assert p["sex"] in {"М", "Ж"}
        if p["email"]:
            assert re.fullmatch(r"[a-z\-]+\.[a-z]?\d+@[a-z]+\.(ru|com)", p["email"]), p["email"]
        if p["phone"]:
            assert re.fullmatch(r"[\d+() -]+", p["phone"])
    text = "".join(p["surname"] + p["name"] + p["patronymic"] for p in people)
    for word in ("Фёдор", "Королёв", "Семёнов", "Алёна", "Артём"):
        assert word in text, word


def test_gender_agreement(v1):
    people = read(v1, "people.csv")
    for p in people:
        if p["sex"] == "Ж":
            assert p["patronymic"].endswith(("овна", "евна", "ична")), p["patronymic"]
            assert not p["surname"].endswith(("ов", "ев", "ёв", "ин", "ский")), p["surname"]
        else:
            assert p["patronymic"].endswith(("ович", "евич", "ич")), p["patronymic"]
            assert not p["surname"].endswith(("ова", "ева", "ёва", "ина", "ская")), p["surname"]
    patronymics = {p["patronymic"] for p in people}
    assert {"Магомедович", "Магомедовна"} <= patronymics


def test_the_regions_own_names(v1, tmp_path):
    def share(folder: Path, surnames: list[str]) -> float:
        forms = {s for base in surnames for s in (base, names.female_surname(base))}
        people = read(folder, "people.csv")
        return sum(p["surname"] in forms for p in people) / len(people)

    assert share(v1, names.DAGESTAN_SURNAMES) > 0.6
    tatarstan = make(tmp_path / "16", region="16")
    assert 0.3 < share(tatarstan, names.TATAR_SURNAMES) < 0.75
    assert {"Хайруллина", "Галиева"} & {p["surname"] for p in read(tatarstan, "people.csv")}
    municipalities = {s["municipality"] for s in read(tatarstan, "schools.csv")}
    assert "г. Казань" in municipalities
    assert all(s["ogrn"][3:5] == "16" for s in read(tatarstan, "schools.csv"))


def test_memberships_classes_and_staff(v1):
    people = {key(p): p for p in read(v1, "people.csv")}
    schools = {s["ogrn"] for s in read(v1, "schools.csv")}
    roles: dict[str, Counter[str]] = defaultdict(Counter)
    classes: Counter[tuple[str, str]] = Counter()
    current: Counter[tuple[str, str]] = Counter()
    for m in read(v1, "memberships.csv"):
        person = key(m)
        assert person in people, "every membership names a person of people.csv"
        assert m["school_ogrn"] in schools
        assert m["role"] in ROLES
        roles[m["role"]][person] += 1
        date.fromisoformat(m["date_from"])
        if m["role"] == "student":
            match = CLASS.match(m["class"])
            assert match, m["class"]
            if not m["date_to"]:
                current[(person, m["school_ogrn"])] += 1
                classes[(m["school_ogrn"], m["class"])] += 1
                parallel = int(match.group(1))
                age = (START_OF_YEAR - ru(people[person]["birth_date"])).days / 365.25
                assert parallel + 5 <= age <= parallel + 8, (parallel, age)
        else:
            assert m["class"] == ""
    assert len(roles["student"]) == SIZE["students"]
    assert len(roles["teacher"]) == SIZE["teachers"]
    assert len(roles["school_admin"]) >= SIZE["schools"]
    assert roles["staff"]
    assert max(current.values()) == 1, "at most one current class per school"
    big = [n for (ogrn, name), n in classes.items()]
    assert max(big) <= 32
    assert any(name.endswith("В") for (_, name) in classes), "bigger schools have more letters"
    assert any(n > 1 for n in roles["teacher"].values()), "some teachers work in two schools"
    assert set(roles["teacher"]) & set(roles["school_admin"]), "deputies teach too"


def test_parents_and_families(v1):
    people = {key(p): p for p in read(v1, "people.csv")}
    school_of = {key(m): m["school_ogrn"] for m in read(v1, "memberships.csv") if m["role"] == "student"}
    children: dict[str, set[str]] = defaultdict(set)
    links = read(v1, "guardians.csv")
    for g in links:
        parent, child = key(g, "parent_"), key(g, "child_")
        assert parent in people and child in people
        assert child in school_of, "a parent is linked to a student"
        assert parent != child
        assert g["relation"] in RELATIONS
        children[parent].add(child)
        if g["relation"] == "мать":
            assert people[parent]["sex"] == "Ж"
        if g["relation"] == "отец":
            assert people[parent]["sex"] == "М"
            # The child's patronymic is made from the father's name.
            patronymic = people[child]["patronymic"]
            assert any(
                patronymic in (m[1], m[2]) and m[0] == people[parent]["name"]
                for group in names.GROUPS.values()
                for m in group[0]
            ), (people[parent]["name"], patronymic)
    assert not set(children) & set(school_of), "parents here are adults, not pupils"
    per_student = len(links) / len(school_of)
    assert 1.5 < per_student < 1.9
    assert any(len(kids) >= 2 for kids in children.values()), "siblings share parents"
    assert any(len({school_of[c] for c in kids}) == 2 for kids in children.values()), (
        "a parent with children in two schools"
    )


def test_parents_per_student_option(tmp_path):
    folder = make(tmp_path / "one", parents_per_student=1.0)
    students = sum(1 for m in read(folder, "memberships.csv") if m["role"] == "student")
    assert 0.9 < len(read(folder, "guardians.csv")) / students < 1.1


# --- dialects -----------------------------------------------------------------------------------


def test_cp1251_semicolon_crlf(v1, tmp_path):
    folder = make(tmp_path / "win", dialect=Dialect(encoding="cp1251", delimiter=";", crlf=True))
    raw = (folder / "people.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert "ё".encode("cp1251") in raw
    raw.decode("cp1251")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.split(b"\r\n")[0] == ";".join(COLUMNS["people.csv"]).encode()
    assert raw.count(b"\r\n") == raw.count(b"\n")
    for name in FILES:
        assert read(folder, name, "cp1251", ";") == read(v1, name), name


def test_utf8_bom(v1, tmp_path):
    folder = make(tmp_path / "bom", dialect=Dialect(bom=True))
    for name in FILES:
        raw = (folder / name).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        assert raw[3:] == (v1 / name).read_bytes()
        assert b"\r\n" not in raw


def test_impossible_dialect_is_refused():
    with pytest.raises(ValueError, match="BOM"):
        Dialect(encoding="cp1251", bom=True)


# --- next versions ------------------------------------------------------------------------------


def _state(folder: Path) -> tuple[dict, dict]:
    people = {key(p): p for p in read(folder, "people.csv")}
    memberships: dict[str, set] = defaultdict(set)
    for m in read(folder, "memberships.csv"):
        memberships[key(m)].add((m["school_ogrn"], m["role"], m["class"], m["date_to"]))
    return people, memberships


def test_next_version_changes_about_the_requested_share(v1, v2):
    p1, m1 = _state(v1)
    p2, m2 = _state(v2)
    everyone = set(p1) | set(p2)
    changed = {k for k in everyone if p1.get(k) != p2.get(k) or m1.get(k) != m2.get(k)}
    share = len(changed) / len(p1)
    assert 0.035 < share < 0.075, share
    manifest = {r["key"]: r["value"] for r in read(v2, "manifest.csv")}
    assert manifest["exported_at"].startswith("31.10.2025")


def test_next_version_changes_in_the_documented_ways(v1, v2):
    p1, m1 = _state(v1)
    p2, m2 = _state(v2)
    students1 = {k: ms for k, ms in m1.items() if any(r == "student" for _, r, _, _ in ms)}

    def current(ms):
        return {(school, cls) for school, role, cls, to in ms if role == "student" and not to}

    moved_class = moved_school = 0
    for k in students1:
        if k in m2 and current(m1[k]) != current(m2[k]):
            (s1, c1), (s2, c2) = next(iter(current(m1[k]))), next(iter(current(m2[k])))
            if s1 == s2:
                moved_class += 1
                assert c1[:-1] == c2[:-1], "another class of the same parallel"
            else:
                moved_school += 1
    assert moved_class > 10 and moved_school > 10
    assert any(any(to for *_, to in m2[k]) for k in students1 if k in m2), "a closed old membership"
    left = set(students1) - set(p2)
    assert left, "pupils left (graduates among them)"
    assert any(any(r == "student" and c.startswith("11") for _, r, c, _ in m1[k]) for k in left), (
        "a graduate left"
    )
    new = set(p2) - set(p1)
    first_graders = [k for k in new if any(c.startswith("1") and len(c) == 2 for _, _, c, _ in m2[k])]
    assert first_graders, "new first-graders"
    teachers1 = {k for k, ms in m1.items() if any(r == "teacher" for _, r, _, _ in ms)}
    assert teachers1 - set(p2), "teachers left: absent from a full bundle"
    assert any(k in m2 and any(r == "teacher" for _, r, _, _ in m2[k]) for k in new), "new teachers"
    married = [
        k
        for k in set(p1) & set(p2)
        if p1[k]["sex"] == "Ж" and p1[k]["surname"] != p2[k]["surname"] and k not in students1
    ]
    assert married, "surnames changed by marriage"
    closed = {s["ogrn"] for s in read(v1, "schools.csv")} - {s["ogrn"] for s in read(v2, "schools.csv")}
    assert len(closed) == 1, "one school closed"
    for ms in m2.values():
        assert not any(s in closed and not to for s, _, _, to in ms), "nobody is current in a closed school"
    links2 = read(v2, "guardians.csv")
    for g in links2:
        assert key(g, "parent_") in p2 and key(g, "child_") in p2


def test_corrections_restore_yo(tmp_path):
    # Kaluga region: mostly Russian surnames, where «ё» is common enough to see corrections.
    p1, _ = _state(make(tmp_path / "a", region="40"))
    p2, _ = _state(make(tmp_path / "b", region="40", version=2, changes=20))
    fixed = [
        k
        for k in set(p1) & set(p2)
        if p1[k]["surname"] != p2[k]["surname"]
        and p1[k]["surname"].replace("ё", "е") == p2[k]["surname"].replace("ё", "е")
    ]
    assert fixed, "ё restored (or lost) by a correction of the registry"
    assert any("ё" in p2[k]["surname"] for k in fixed)


def test_version_after_next_builds_on_it(v2, tmp_path):
    v3 = make(tmp_path / "v3", version=3, changes=5)
    p2, m2 = _state(v2)
    p3, m3 = _state(v3)
    changed = {k for k in set(p2) | set(p3) if p2.get(k) != p3.get(k) or m2.get(k) != m3.get(k)}
    assert 0.035 < len(changed) / len(p2) < 0.075
    # Unchanged people keep their row byte for byte.
    lines2 = set((v2 / "people.csv").read_text(encoding="utf-8").splitlines())
    lines3 = (v3 / "people.csv").read_text(encoding="utf-8").splitlines()
    assert sum(line in lines2 for line in lines3) / len(lines3) > 0.93


# --- injected errors ----------------------------------------------------------------------------


def test_errors_are_extra_rows_listed_in_expected_errors(v1, tmp_path):
    bundle = tmp_path / "bad"
    result = generate(Options(schools=30, students=6000, teachers=520, seed=1, errors=2), bundle)
    assert result.expected_errors_path == tmp_path / "expected_errors.csv"
    expected = read(tmp_path, "expected_errors.csv")
    assert len(expected) == result.expected_errors
    by_file: dict[str, dict[int, tuple[str, str]]] = defaultdict(dict)
    for e in expected:
        by_file[e["file"]][int(e["line"])] = (e["field"], e["kind"])
    assert {(f, k, fl) for f in by_file for fl, k in by_file[f].values()} == {
        (f, k, fl) for f, kinds in KINDS.items() for k, fl in kinds
    }, "every kind of fault, in every file"
    good_lines = 0
    for name in FILES:
        lines = (bundle / name).read_text(encoding="utf-8").splitlines()
        kept = [line for n, line in enumerate(lines, start=1) if n not in by_file.get(name, {})]
        assert kept == (v1 / name).read_text(encoding="utf-8").splitlines(), (
            f"{name}: without the listed lines the bundle is the clean one"
        )
        good_lines += len(kept) - 1
    share = len(expected) / good_lines
    assert 0.01 < share < 0.04, share


def test_every_listed_row_breaks_its_rule(tmp_path):
    bundle = tmp_path / "bad"
    generate(Options(schools=30, students=6000, teachers=520, seed=3, errors=3), bundle)
    expected = read(tmp_path, "expected_errors.csv")
    rows = {name: list(csv.reader((bundle / name).open(encoding="utf-8"))) for name in FILES}
    bad = {(e["file"], int(e["line"])) for e in expected}

    def good(name):
        header = rows[name][0]
        return [
            dict(zip(header, r, strict=True))
            for n, r in enumerate(rows[name][1:], start=2)
            if (name, n) not in bad
        ]

    people_ids = {p["person_id"] for p in good("people.csv")} - {""}
    people_snils = {normalize_snils(p["snils"]) for p in good("people.csv") if p["snils"]}
    ogrns = {s["ogrn"] for s in good("schools.csv")}
    memberships = good("memberships.csv")
    for e in expected:
        header = rows[e["file"]][0]
        row = dict(zip(header, rows[e["file"]][int(e["line"]) - 1], strict=True))
        value, kind = row[e["field"]], e["kind"]
        if kind in ("bad_ogrn", "bad_inn", "bad_kpp", "bad_snils"):
            validator = {
                "bad_ogrn": normalize_ogrn,
                "bad_inn": normalize_inn,
                "bad_kpp": normalize_kpp,
                "bad_snils": normalize_snils,
            }[kind]
            with pytest.raises(ValueError):
                validator(value)
        elif kind in ("empty_required", "missing_key"):
            assert value == ""
        elif kind == "not_cyrillic":
            assert re.fullmatch(r"[A-Za-z]+", value)
        elif kind == "bad_date":
            with pytest.raises(ValueError):
                (date.fromisoformat if "-" in value else ru)(value)
        elif kind == "future_date":
            assert ru(value) > date.today()  # noqa: DTZ011
        elif kind == "date_before_1900":
            assert ru(value) < date(1900, 1, 1)
        elif kind == "duplicate_key" and e["file"] == "schools.csv":
            assert value in ogrns
        elif kind == "duplicate_key" and e["file"] == "people.csv":
            assert value in people_ids
        elif kind == "duplicate_snils":
            assert normalize_snils(value) in people_snils
        elif kind == "unknown_person":
            assert value not in people_ids and value
        elif kind == "unknown_school":
            assert value not in ogrns
            normalize_ogrn(value)
        elif kind == "missing_class":
            assert row["role"] == "student" and value == ""
        elif kind == "bad_class":
            assert not CLASS.match(value)
        elif kind == "bad_role":
            assert value not in ROLES
        elif kind == "date_range":
            assert row["date_to"] < row["date_from"]
        elif kind == "duplicate_key":  # a pupil in a second current class of the same school
            assert any(
                m["person_id"] == row["person_id"]
                and m["school_ogrn"] == row["school_ogrn"]
                and m["class"] != value
                for m in memberships
            )
        elif kind == "self_link":
            assert row["parent_id"] == row["child_id"] and row["parent_snils"] == row["child_snils"]
        elif kind == "bad_relation":
            assert value not in RELATIONS
        elif kind == "bad_sex":
            assert value not in {"М", "Ж", "M", "F"}
        elif kind == "bad_email":
            assert not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value)
        elif kind == "bad_phone":
            assert not re.fullmatch(r"[\d+() -]+", value)
        else:
            pytest.fail(f"kind not checked: {kind}")


# --- the command --------------------------------------------------------------------------------


def test_command_writes_versions_and_says_what_it_did(v2, tmp_path, capsys):
    call_command(
        "make_registry",
        "--schools", "30", "--students", "6000", "--teachers", "520",
        "--from-seed", "1", "--changes", "5",
        str(tmp_path / "v2"),
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "Версия 2" in out and "строк/с" in out and "пик памяти" in out
    assert digest(tmp_path / "v2") == digest(v2)
    call_command(
        "make_registry", "--schools", "30", "--students", "6000", "--teachers", "520",
        "--encoding", "cp1251", "--delimiter", ";", "--crlf", "--errors", "1",
        "--expected-errors", str(tmp_path / "errs.csv"), str(tmp_path / "bad.zip"),
    )  # fmt: skip
    assert zipfile.is_zipfile(tmp_path / "bad.zip")
    assert (tmp_path / "errs.csv").read_text(encoding="utf-8").startswith("file,line,field,kind")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--version", "2"], "--changes"),
        (["--encoding", "cp1251", "--bom"], "BOM"),
        (["--region", "99"], "перечень"),
        (["--changes", "150"], "процент"),
    ],
)
def test_command_refuses_bad_arguments(tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        call_command(
            "make_registry",
            "--schools",
            "2",
            "--students",
            "50",
            "--teachers",
            "5",
            *args,
            str(tmp_path / "x"),
        )


def test_a_sibling_a_later_step_adds_does_not_change_an_earlier_draw():
    """A person keeps their id and data from one version to the next: a child that a change
    step adds to a family (a new first-grader in a family whose other pupils move on to the
    next school) must not change the draws made for that family's base-registry children.
    Before the fix, a step child named like the next draw forced a second draw, and every
    later person of a Dagestan-size version 2 (from ~43 % of the file on) got another person's
    data under the same id."""
    import random

    from tenants.registry_gen.generator import Generator

    generator = Generator(Options(schools=30, students=6000, teachers=520, seed=1, version=2, changes=5))
    family = generator._family(random.Random(7))
    first = generator._child(random.Random(11), family, 3, 0)
    family.children.remove(first)
    later = generator._child(random.Random(99), family, 1, 1)  # added by step 1
    later.name = first.name
    again = generator._child(random.Random(11), family, 3, 0)
    assert (again.name, again.sex, again.birth) == (first.name, first.sex, first.birth)
