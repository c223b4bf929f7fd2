"""Streams a synthetic registry of any size, school by school, into a bundle.

Shape of the work (memory stays bounded by the largest school, not by the region):
1. the plan of all schools (a few thousand small objects);
2. for each school: its pupils (grouped into families; a few families keep a child in the
   next school of the municipality), then the version's changes step by step, then the rows of
   pupils, staff and the parents of the families that are complete.

Versions: the base registry is version 1. Version K+1 applies K change steps, each to about
``changes`` % of the people. Every part draws from its own random stream (``derive``), so
version K+1 shares every unchanged row of version K byte for byte.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from core.validators import format_snils, make_snils

from . import data
from .errors import ErrorInjector
from .output import BundleWriter, Dialect
from .plan import SchoolPlan, build_plan, derive

REF_YEAR = 2025  # the 2025/26 school year
BASE_EXPORT = date(2025, 10, 1)
VERSION_DAYS = 30
SNILS_SPACE = 998_000_000  # 9-digit bodies above 001-001-998, where the check number applies
SNILS_FLOOR = 1_002_000
NEW_PEOPLE_BASE = 50_000_000  # numbers of people added by change step t: 50M + (t-1)·5M + k
NEW_PEOPLE_STEP = 5_000_000
ERROR_PEOPLE_BASE = 990_000_000

_EPOCH = date(1900, 1, 1).toordinal()
_DATE_TEXT: list[str] = []
_ISO_TEXT: list[str] = []


def _date_tables() -> None:
    if _DATE_TEXT:
        return
    day = date(1900, 1, 1)
    end = date(2040, 1, 1)
    one = timedelta(days=1)
    while day < end:
        _DATE_TEXT.append(f"{day.day:02d}.{day.month:02d}.{day.year}")
        _ISO_TEXT.append(day.isoformat())
        day += one


def ru_date(ordinal: int) -> str:
    return _DATE_TEXT[ordinal - _EPOCH]


def iso_date(ordinal: int) -> str:
    return _ISO_TEXT[ordinal - _EPOCH]


@dataclass(frozen=True)
class Options:
    schools: int
    students: int
    teachers: int
    seed: int = 1
    region: str = "05"
    parents_per_student: float = 1.7
    version: int = 1  # the version written; version K+1 is K change steps
    changes: float = 0.0  # % of people changed by each step
    errors: float = 0.0  # % of bad rows injected into every file
    dialect: Dialect = field(default_factory=Dialect)

    def __post_init__(self) -> None:
        if self.schools < 1:
            raise ValueError("нужна хотя бы одна школа")
        if self.students < 0 or self.teachers < 0:
            raise ValueError("число учеников и учителей не может быть отрицательным")
        if self.version < 1:
            raise ValueError("версия начинается с 1")
        if self.version > 1 and self.changes <= 0:
            raise ValueError("для версии больше 1 нужен процент изменений (--changes)")
        if not 0 <= self.changes <= 100 or not 0 <= self.errors <= 100:
            raise ValueError("проценты — от 0 до 100")
        if not 0 <= self.parents_per_student <= 2:
            raise ValueError("родителей на ученика — от 0 до 2")
        if self.version - 1 > 80:
            raise ValueError("не больше 81 версии")

    @property
    def steps(self) -> int:
        return self.version - 1

    @property
    def export_date(self) -> date:
        return BASE_EXPORT + timedelta(days=VERSION_DAYS * (self.version - 1))


class Person:
    __slots__ = (
        "added",
        "birth",
        "date_from",
        "email",
        "family",
        "left",
        "letter",
        "moved_on",
        "name",
        "parallel",
        "patronymic",
        "phone",
        "pid",
        "prev_class",
        "prev_from",
        "prev_school",
        "relation",
        "roles",
        "school",
        "second_school",
        "sex",
        "snils",
        "snils_text",
        "surname",
        "yo_surname",
    )

    pid: str
    snils: str
    snils_text: str
    surname: str
    name: str
    patronymic: str
    birth: int  # date ordinal
    sex: str
    yo_surname: bool
    family: Family
    school: int
    date_from: int
    prev_class: str
    prev_from: int
    moved_on: int

    def __init__(self) -> None:
        self.added = 0  # change step that added the person (0: the base registry)
        self.left = 0  # change step after which the person is absent (0: present)
        self.email = ""
        self.phone = ""
        self.prev_school = -1
        self.second_school = -1
        self.roles: tuple[str, ...] = ()
        self.letter = ""
        self.parallel = 0
        self.relation = ""

    def present_after(self, step: int) -> bool:
        return self.added <= step and (self.left == 0 or self.left > step)

    def ref(self) -> tuple[str, str]:
        """(person_id, snils) as another file refers to the person: by id, else by SNILS."""
        return (self.pid, "") if self.pid else ("", self.snils)


class Family:
    __slots__ = ("added", "children", "father", "group", "oldest", "parents", "surname", "yo_plain")

    def __init__(self, group: str, surname: str, father: tuple[str, str, str], yo_plain: bool) -> None:
        self.group = group
        self.surname = surname
        self.father = father
        self.yo_plain = yo_plain  # the registry writes this family's «ё» as «е»
        self.children: list[Person] = []
        self.parents: list[Person] = []
        self.added = 0
        # Birth of the oldest child the family came with: the parents' ages follow from it, and
        # a later correction of a child's birth date must not shift them.
        self.oldest = 1 << 30

    def present_after(self, step: int) -> bool:
        return any(c.present_after(step) for c in self.children)


@dataclass
class Result:
    rows: dict[str, int]
    people: dict[str, int]
    seconds: float
    expected_errors: int
    expected_errors_path: Path | None


class Generator:
    def __init__(self, options: Options) -> None:
        _date_tables()
        self.o = options
        self.p = options.changes / 100.0
        self.steps = options.steps
        self.plan: list[SchoolPlan] = build_plan(
            seed=options.seed,
            region=options.region,
            schools=options.schools,
            students=options.students,
            teachers=options.teachers,
        )
        self.by_muni: dict[int, list[int]] = {}
        for s in self.plan:
            self.by_muni.setdefault(s.municipality_index, []).append(s.index)
        seed = options.seed
        # n → a·n + b (mod SNILS_SPACE) is a bijection when a shares no factor with 2⁷·5⁶·499:
        # every person number gets its own SNILS, and they look random.
        self.snils_a = derive(seed, "snils-a") % SNILS_SPACE | 1
        while self.snils_a % 5 == 0 or self.snils_a % 499 == 0:
            self.snils_a += 2
        self.snils_b = derive(seed, "snils-b") % SNILS_SPACE
        self.base_counter = 0
        self.new_counter = [0] * (self.steps + 1)
        groups = data.REGION_GROUPS.get(options.region, (("ru", 1.0),))
        self.groups = groups
        self.closed_at = self._closures()
        f = options.parents_per_student
        # A family has: no one in the registry (1.5 %), a guardian (1.5 %), else one or two
        # parents; the share of two is what makes the mean equal ``parents_per_student``.
        if f >= 1:
            self.p_none, self.p_guardian = 0.015, 0.015
            self.p_two = min(1.0, max(0.0, (f - 0.985) / 0.97))
        else:
            self.p_none, self.p_guardian, self.p_two = 1.0 - f, 0.0, 0.0
        self.carry: list[Family] = []
        self.counts = {"students": 0, "teachers": 0, "school_admins": 0, "staff": 0, "parents": 0}

    # --- identifiers ------------------------------------------------------------------------

    def snils_for(self, n: int) -> str:
        return make_snils((self.snils_a * n + self.snils_b) % SNILS_SPACE + SNILS_FLOOR)

    def _new_person(self, rng: random.Random, step: int, no_snils: float) -> Person:
        person = Person()
        if step == 0:
            self.base_counter += 1
            n = self.base_counter
        else:
            self.new_counter[step] += 1
            n = NEW_PEOPLE_BASE + (step - 1) * NEW_PEOPLE_STEP + self.new_counter[step]
        person.added = step
        r = rng.random()
        # Real registries: some people are known only by SNILS, some (young children) have none.
        person.pid = "" if r < 0.005 else f"{self.o.region}-{n:09d}"
        if 0.005 <= r < 0.005 + no_snils:
            person.snils = person.snils_text = ""
        else:
            person.snils = self.snils_for(n)
            person.snils_text = format_snils(person.snils) if r < 0.85 else person.snils
        return person

    # --- names ------------------------------------------------------------------------------

    def _group(self, rng: random.Random) -> str:
        r = rng.random()
        for group, share in self.groups:
            r -= share
            if r < 0:
                return group
        return self.groups[-1][0]

    def _family(self, rng: random.Random, step: int = 0) -> Family:
        group = self._group(rng)
        males, _, surnames = data.GROUPS[group]
        surname = surnames[int(rng.random() * len(surnames))]
        father = males[int(rng.random() * len(males))]
        yo_plain = "ё" in surname and rng.random() < 0.15
        family = Family(group, surname, father, yo_plain)
        family.added = step
        return family

    @staticmethod
    def _surname(family_surname: str, female: bool, yo_plain: bool) -> str:
        s = data.female_surname(family_surname) if female else family_surname
        return s.replace("ё", "е") if yo_plain else s

    def _child(self, rng: random.Random, family: Family, parallel: int, step: int) -> Person:
        person = self._new_person(rng, step, no_snils=0.03)
        _, females, _ = data.GROUPS[family.group]
        males = data.GROUPS[family.group][0]
        female = rng.random() < 0.49
        person.sex = "Ж" if female else "М"
        person.name = (
            females[int(rng.random() * len(females))] if female else males[int(rng.random() * len(males))][0]
        )
        # Parents rarely repeat a name. Only the siblings this version's step already has: a
        # child a later step adds (to a family carried to the next school) must not change the
        # draws of an earlier one, or every later person of the base registry would differ.
        if any(c.name == person.name and c.added <= step for c in family.children):
            person.name = (
                females[int(rng.random() * len(females))]
                if female
                else males[int(rng.random() * len(males))][0]
            )
        person.patronymic = family.father[2] if female else family.father[1]
        person.surname = self._surname(family.surname, female, family.yo_plain)
        person.yo_surname = "ё" in family.surname
        person.parallel = parallel
        twin = next((c for c in family.children if c.parallel == parallel and c.added == step), None)
        if twin is not None:
            person.birth = twin.birth
        else:
            # Born between 1 September and 31 August of the year that sends them to grade 1
            # at seven; one in fourteen started a year later.
            first = date(REF_YEAR - 6 - parallel, 9, 1).toordinal()
            if rng.random() < 0.07:
                first -= 365
            person.birth = first + int(rng.random() * 365)
        person.family = family
        family.children.append(person)
        if step == family.added:
            family.oldest = min(family.oldest, person.birth)
        return person

    def _adult(self, rng: random.Random, group: str, female: bool, born: int, step: int) -> Person:
        person = self._new_person(rng, step, no_snils=0.01)
        males, females, surnames = data.GROUPS[group]
        person.sex = "Ж" if female else "М"
        father = males[int(rng.random() * len(males))]
        if female:
            person.name = females[int(rng.random() * len(females))]
            person.patronymic = father[2]
        else:
            person.name = males[int(rng.random() * len(males))][0]
            person.patronymic = father[1]
        person.surname = self._surname(surnames[int(rng.random() * len(surnames))], female, False)
        person.yo_surname = "ё" in person.surname
        person.birth = born
        if rng.random() < 0.92:
            person.phone = self._phone(rng)
        if rng.random() < 0.45:
            person.email = self._email(rng, person)
        return person

    @staticmethod
    def _phone(rng: random.Random) -> str:
        d = f"{rng.randrange(10**9):09d}"
        if rng.random() < 0.8:
            return f"+7 9{d[0:2]} {d[2:5]}-{d[5:7]}-{d[7:9]}"
        return f"8 (9{d[0:2]}) {d[2:5]}-{d[5:9]}"

    @staticmethod
    def _email(rng: random.Random, person: Person) -> str:
        domain = data.EMAIL_DOMAINS[int(rng.random() * len(data.EMAIL_DOMAINS))]
        initial = data.translit(person.name)[:1]
        return f"{data.translit(person.surname)}.{initial}{rng.randrange(10, 1000)}@{domain}"

    # --- versions ---------------------------------------------------------------------------

    def _closures(self) -> dict[int, int]:
        """One small school closes at every change step (its pupils go to a neighbour)."""
        closed: dict[int, int] = {}
        for step in range(1, self.steps + 1):
            open_by_muni: dict[int, list[SchoolPlan]] = {}
            for s in self.plan:
                if s.index not in closed:
                    open_by_muni.setdefault(s.municipality_index, []).append(s)
            candidates = [s for group in open_by_muni.values() if len(group) >= 2 for s in group]
            if len(candidates) < 3:
                continue
            candidates.sort(key=lambda s: (s.students, s.index))
            smallest = candidates[: max(1, len(candidates) // 10)]
            rng = random.Random(derive(self.o.seed, "closure", step))
            closed[smallest[rng.randrange(len(smallest))].index] = step
        return closed

    def _is_open(self, school: int, step: int) -> bool:
        at = self.closed_at.get(school)
        return at is None or at > step

    def _target_school(self, rng: random.Random, person: Person, step: int, need_parallel: int) -> int:
        """Another open school, preferably of the same municipality, that has the parallel."""
        current = self.plan[person.school]
        pools = (self.by_muni[current.municipality_index], range(len(self.plan)))
        for pool, tries in zip(pools, (12, 40), strict=True):
            for _ in range(tries):
                candidate = pool[rng.randrange(len(pool))]
                if (
                    candidate not in (person.school, person.prev_school)
                    and self._is_open(candidate, step)
                    and (need_parallel == 0 or need_parallel in self.plan[candidate].letters)
                ):
                    return candidate
        return -1

    def _move_day(self, rng: random.Random, step: int) -> int:
        export = BASE_EXPORT + timedelta(days=VERSION_DAYS * (step - 1))
        return export.toordinal() + 1 + rng.randrange(VERSION_DAYS - 1)

    def _move_student(self, rng: random.Random, s: Person, step: int) -> bool:
        target = self._target_school(rng, s, step, s.parallel)
        if target < 0:
            return False
        day = self._move_day(rng, step)
        if rng.random() < 0.5:  # half the registries keep the old membership, closed
            s.prev_school, s.prev_class, s.prev_from, s.moved_on = (
                s.school,
                f"{s.parallel}{s.letter}",
                s.date_from,
                day,
            )
        else:
            s.prev_school = -1
        letters = self.plan[target].letters[s.parallel]
        s.school, s.letter, s.date_from = target, letters[rng.randrange(len(letters))], day
        return True

    def _fix_record(self, rng: random.Random, person: Person) -> None:
        """A registry correction: the «ё» a registry had written as «е» restored (sometimes the
        opposite slip), else the birth date."""
        if person.yo_surname:
            if "ё" not in person.surname:
                idx = _yo_index(person)
                if idx >= 0:
                    person.surname = person.surname[:idx] + "ё" + person.surname[idx + 1 :]
                    return
            elif rng.random() < 0.3:
                person.surname = person.surname.replace("ё", "е", 1)
                return
        person.birth += rng.choice((-3, -2, -1, 1, 2, 3))

    def _students_step(
        self, school: SchoolPlan, students: list[Person], families: list[Family], step: int
    ) -> None:
        rng = random.Random(derive(self.o.seed, "students", step, school.index))
        p = self.p * 0.9
        for s in students:
            if not s.present_after(step - 1):
                continue
            if not self._is_open(s.school, step):
                if not self._move_student(rng, s, step):
                    s.left = step
                continue
            if rng.random() >= p:
                continue
            r = rng.random()
            if r < 0.30:
                letters = self.plan[s.school].letters[s.parallel]
                if len(letters) > 1:
                    s.letter = rng.choice([x for x in letters if x != s.letter])
                elif not self._move_student(rng, s, step):
                    s.left = step
            elif r < 0.55:
                if not self._move_student(rng, s, step):
                    s.left = step
            elif r < 0.75:
                s.left = step  # graduated, left after the 9th grade or moved out of the region
            else:
                self._fix_record(rng, s)
        if not self._is_open(school.index, step) or 1 not in school.letters:
            return
        # New first-graders: some are younger siblings of pupils (their parents are already
        # in the registry), the others come with a new family.
        expected = self.p * 0.05 * school.students
        count = int(expected) + (rng.random() < expected - int(expected))
        day = self._move_day(rng, step)
        for _ in range(count):
            present = [f for f in families if f.present_after(step - 1)] if rng.random() < 0.4 else []
            if present:
                family = present[rng.randrange(len(present))]
            else:
                family = self._family(rng, step)
                families.append(family)
            child = self._child(rng, family, 1, step)
            child.school = school.index
            letters = school.letters[1]
            child.letter = letters[rng.randrange(len(letters))]
            child.date_from = day
            students.append(child)

    def _staff_step(self, school: SchoolPlan, staff: list[Person], step: int) -> None:
        rng = random.Random(derive(self.o.seed, "staff", step, school.index))
        p = self.p * 0.9
        for person in staff:
            if not person.present_after(step - 1):
                continue
            if person.second_school >= 0 and not self._is_open(person.second_school, step):
                person.second_school = -1
            if not self._is_open(person.school, step):
                if person.roles == ("teacher",) and rng.random() < 0.5:
                    self._move_teacher(rng, person, step)
                else:
                    person.left = step
                continue
            if rng.random() >= p:
                continue
            r = rng.random()
            if r < 0.30:
                person.left = step
            elif r < 0.45 and "teacher" in person.roles:
                self._move_teacher(rng, person, step)
            elif r < 0.65 and person.sex == "Ж":
                self._marry(rng, person)
            elif r < 0.85:
                person.phone = self._phone(rng)
            else:
                person.email = self._email(rng, person) if not person.email else ""
        if not self._is_open(school.index, step):
            return
        expected = self.p * 0.3 * school.teachers
        count = int(expected) + (rng.random() < expected - int(expected))
        day = self._move_day(rng, step)
        for _ in range(count):
            staff.append(self._teacher(rng, school, step, day))

    def _move_teacher(self, rng: random.Random, person: Person, step: int) -> None:
        target = self._target_school(rng, person, step, 0)
        if target < 0 or target == person.second_school:
            person.left = step
            return
        person.school, person.roles, person.date_from = target, ("teacher",), self._move_day(rng, step)

    def _marry(self, rng: random.Random, person: Person) -> None:
        group = self._group(rng)
        surnames = data.GROUPS[group][2]
        while True:
            surname = data.female_surname(surnames[int(rng.random() * len(surnames))])
            if surname != person.surname:
                break
        person.surname = surname
        person.yo_surname = "ё" in surname

    def _parents_step(self, families: list[Family], school: SchoolPlan, step: int) -> None:
        rng = random.Random(derive(self.o.seed, "parents", step, school.index))
        p = self.p * 0.9
        for family in families:
            if not family.present_after(step):
                continue
            for parent in family.parents:
                if parent.added > step or rng.random() >= p:
                    continue
                r = rng.random()
                if r < 0.30 and parent.sex == "Ж":
                    self._marry(rng, parent)
                elif r < 0.75:
                    parent.phone = self._phone(rng)
                else:
                    parent.email = self._email(rng, parent) if not parent.email else ""

    # --- people of a school ---------------------------------------------------------------

    def _pupils(self, rng: random.Random, school: SchoolPlan) -> tuple[list[Person], list[Family]]:
        slots = [(c.parallel, c.letter) for c in school.classes for _ in range(c.size)]
        rng.shuffle(slots)
        students: list[Person] = []
        families: list[Family] = []
        start_of_year = date(REF_YEAR, 9, 1).toordinal()
        pos = 0
        # Families of the previous school of this municipality with a child here.
        carried = self.carry
        self.carry = []
        for family in carried:
            if pos < len(slots):
                students.append(self._placed(rng, family, slots[pos], school, start_of_year))
                pos += 1
        while pos < len(slots):
            family = self._family(rng)
            families.append(family)
            r = rng.random()
            size = 1 if r < 0.5 else 2 if r < 0.82 else 3 if r < 0.95 else 4
            for slot in slots[pos : pos + size]:
                students.append(self._placed(rng, family, slot, school, start_of_year))
            pos += size
        nxt = school.index + 1
        if nxt < len(self.plan) and self.plan[nxt].municipality_index == school.municipality_index:
            keep = [f for f in families if rng.random() < 0.03]
            self.carry = keep
            kept = set(map(id, keep))
            closing = [*carried, *(f for f in families if id(f) not in kept)]
        else:
            closing = [*carried, *families]
        return students, closing

    def _placed(
        self, rng: random.Random, family: Family, slot: tuple[int, str], school: SchoolPlan, start: int
    ) -> Person:
        parallel, letter = slot
        child = self._child(rng, family, parallel, 0)
        child.school = school.index
        child.letter = letter
        # Most pupils came to this school in grade 1; some later.
        first_day = date(REF_YEAR - parallel + 1, 9, 1).toordinal()
        child.date_from = first_day if rng.random() < 0.85 else rng.randrange(first_day, start + 1)
        return child

    def _parents(self, rng: random.Random, family: Family, step: int) -> None:
        oldest = family.oldest
        r = rng.random()
        if r < self.p_none:
            return
        group = family.group
        if r < self.p_none + self.p_guardian:
            grandmother = self._adult(rng, group, True, oldest - int((45 + rng.random() * 20) * 365.25), step)
            grandmother.surname = self._surname(family.surname, True, family.yo_plain)
            grandmother.yo_surname = "ё" in family.surname
            age = (date(REF_YEAR, 9, 1).toordinal() - oldest) / 365.25
            grandmother.relation = "попечитель" if age >= 14 else "опекун"
            family.parents.append(grandmother)
            return
        two = rng.random() < self.p_two
        mother_first = two or rng.random() < 0.85
        mother_born = oldest - int((20 + rng.random() * 18) * 365.25)
        if mother_first:
            mother = self._adult(rng, group, True, mother_born, step)
            if rng.random() < 0.85:
                mother.surname = self._surname(family.surname, True, family.yo_plain)
                mother.yo_surname = "ё" in family.surname
            mother.relation = "мать"
            family.parents.append(mother)
        if two or not mother_first:
            father = self._adult(rng, group, False, mother_born - int((rng.random() * 10 - 2) * 365.25), step)
            father.name = family.father[0]
            father.surname = self._surname(family.surname, False, family.yo_plain)
            father.yo_surname = "ё" in family.surname
            father.relation = "отец"
            family.parents.append(father)

    def _teacher(self, rng: random.Random, school: SchoolPlan, step: int, day: int | None = None) -> Person:
        female = rng.random() < 0.8
        born = date(1958, 1, 1).toordinal() + int(rng.random() * 42 * 365.25)
        person = self._adult(rng, self._group(rng), female, born, step)
        person.school = school.index
        person.roles = ("teacher",)
        if day is None:
            earliest = max(born + int(22 * 365.25), date(1985, 9, 1).toordinal())
            day = rng.randrange(earliest, date(REF_YEAR, 9, 2).toordinal())
        person.date_from = day
        if not person.email and rng.random() < 0.6:
            person.email = self._email(rng, person)
        return person

    def _staff(self, rng: random.Random, school: SchoolPlan) -> list[Person]:
        staff = [self._teacher(rng, school, 0) for _ in range(school.teachers)]
        deputies = min(3, max(1, school.teachers // 25)) if school.teachers >= 4 else 0
        for person in staff[:deputies]:
            person.roles = ("teacher", "school_admin")
        others = [i for i in self.by_muni[school.municipality_index] if i != school.index]
        if others:
            for person in staff:
                if rng.random() < 0.03:  # teaches part-time in a second school
                    person.second_school = others[rng.randrange(len(others))]
        director = self._teacher(rng, school, 0)
        director.roles = ("school_admin",)
        staff.append(director)
        for _ in range(max(1, round(school.students / 250))):
            member = self._teacher(rng, school, 0)
            member.roles = ("staff",)
            staff.append(member)
        return staff

    # --- rows -------------------------------------------------------------------------------

    def _person_row(self, p: Person) -> list[str]:
        return [
            p.pid,
            p.snils_text,
            p.surname,
            p.name,
            p.patronymic,
            ru_date(p.birth),
            p.sex,
            p.email,
            p.phone,
        ]

    def _write_student(self, w: BundleWriter, s: Person) -> None:
        pid, snils = s.ref()
        w.write("people.csv", self._person_row(s), "student")
        if s.prev_school >= 0:
            w.write(
                "memberships.csv",
                [
                    pid,
                    snils,
                    self.plan[s.prev_school].ogrn,
                    "student",
                    s.prev_class,
                    iso_date(s.prev_from),
                    iso_date(s.moved_on),
                ],
                "history",
            )
        w.write(
            "memberships.csv",
            [
                pid,
                snils,
                self.plan[s.school].ogrn,
                "student",
                f"{s.parallel}{s.letter}",
                iso_date(s.date_from),
                "",
            ],
            "student",
        )
        self.counts["students"] += 1

    def _write_staff(self, w: BundleWriter, p: Person) -> None:
        pid, snils = p.ref()
        w.write("people.csv", self._person_row(p), "staff")
        ogrn = self.plan[p.school].ogrn
        for role in p.roles:
            w.write("memberships.csv", [pid, snils, ogrn, role, "", iso_date(p.date_from), ""], role)
            key = {"teacher": "teachers", "school_admin": "school_admins", "staff": "staff"}[role]
            self.counts[key] += 1
        if p.second_school >= 0:
            w.write(
                "memberships.csv",
                [pid, snils, self.plan[p.second_school].ogrn, "teacher", "", iso_date(p.date_from), ""],
                "teacher",
            )

    def _write_family(self, w: BundleWriter, family: Family) -> None:
        final = self.steps
        children = [c for c in family.children if c.present_after(final)]
        if not children:
            return
        for parent in family.parents:
            if parent.added > final:
                continue
            w.write("people.csv", self._person_row(parent), "parent")
            self.counts["parents"] += 1
            parent_ref = parent.ref()
            for child in children:
                w.write("guardians.csv", [*parent_ref, *child.ref(), parent.relation], "guardian")

    def run(self, out: Path, expected_errors_path: Path | None = None) -> Result:
        started = time.perf_counter()
        o = self.o
        writer = BundleWriter(out, o.dialect)
        injector = None
        try:
            if o.errors > 0:
                injector = ErrorInjector(
                    writer,
                    percent=o.errors,
                    seed=derive(o.seed, "errors", o.version),
                    region=o.region,
                    snils_for=lambda k: self.snils_for(ERROR_PEOPLE_BASE + k),
                    known_ogrn={s.ogrn for s in self.plan},
                )
            exported = o.export_date
            source = f"Синтетический реестр make_registry: seed {o.seed}, версия {o.version}"
            for key, value in (
                ("format", "msh-registry-1"),
                ("region", o.region),
                ("mode", "full"),
                ("exported_at", f"{exported.day:02d}.{exported.month:02d}.{exported.year} 10:00"),
                ("source", source),
            ):
                writer.write("manifest.csv", [key, value])
            for school in self.plan:
                if self._is_open(school.index, self.steps):
                    writer.write("schools.csv", school.row(), "school")
            for school in self.plan:
                self._school(writer, school)
            if injector is not None:
                injector.finish()
        except BaseException:
            writer.abort()
            raise
        writer.close()
        path = None
        if injector is not None:
            path = expected_errors_path or out.parent / "expected_errors.csv"
            injector.write_expected(path)
        return Result(
            rows=writer.rows(),
            people=dict(self.counts),
            seconds=time.perf_counter() - started,
            expected_errors=len(injector.expected) if injector else 0,
            expected_errors_path=path,
        )

    def _school(self, w: BundleWriter, school: SchoolPlan) -> None:
        rng = random.Random(derive(self.o.seed, "school", school.index))
        students, closing = self._pupils(rng, school)
        for family in closing:
            self._parents(rng, family, 0)
        staff = self._staff(rng, school)
        for step in range(1, self.steps + 1):
            families = closing + self.carry
            self._students_step(school, students, families, step)
            new_families = [f for f in families if f.added == step]
            closing.extend(f for f in new_families if f not in closing)
            for k, family in enumerate(new_families):
                self._parents(
                    random.Random(derive(self.o.seed, "family", step, school.index, k)), family, step
                )
            self._staff_step(school, staff, step)
            self._parents_step(closing, school, step)
        final = self.steps
        for s in students:
            if s.present_after(final):
                self._write_student(w, s)
        for person in staff:
            if person.present_after(final):
                self._write_staff(w, person)
        for family in closing:
            self._write_family(w, family)


def _yo_index(person: Person) -> int:
    """Where the «ё» of a surname written with «е» belongs (its first «е» that was «ё»)."""
    for group in data.GROUPS.values():
        for base in group[2]:
            if "ё" not in base:
                continue
            for form in (base, data.female_surname(base)):
                if form.replace("ё", "е") == person.surname:
                    return form.index("ё")
    return -1


def generate(options: Options, out: Path, expected_errors_path: Path | None = None) -> Result:
    return Generator(options).run(out, expected_errors_path)
