"""The region's schools, fixed before any person is made: municipality, kind, identifiers,
how many pupils in which classes, how many teachers. A few thousand objects at most, so it
is computed whole; people are streamed from it."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

from core.federal_subjects import get_federal_subject
from core.validators import make_inn10, make_ogrn

from . import data

LETTERS = "АБВГДЕЖЗИКЛМНОПРСТУФ"
# Pupils by parallel relative to the first; many leave after the 9th grade.
PARALLEL_WEIGHTS = (1.1, 1.08, 1.06, 1.04, 1.02, 1.0, 0.98, 0.96, 0.94, 0.55, 0.5)
TOP_PARALLEL = {"НОШ": 4, "ООШ": 9}

KIND_LONG = {
    "СОШ": "Средняя общеобразовательная школа",
    "ООШ": "Основная общеобразовательная школа",
    "НОШ": "Начальная общеобразовательная школа",
    "гимназия": "Гимназия",
    "лицей": "Лицей",
}
# (kind, share) for a city and for a rural district, and the typical number of pupils.
CITY_KINDS = (("СОШ", 0.70), ("гимназия", 0.12), ("лицей", 0.11), ("ООШ", 0.04), ("НОШ", 0.03))
RURAL_KINDS = (("СОШ", 0.68), ("ООШ", 0.21), ("НОШ", 0.07), ("гимназия", 0.025), ("лицей", 0.015))
CITY_SIZE = {"СОШ": 1000, "гимназия": 1150, "лицей": 1100, "ООШ": 320, "НОШ": 160}
RURAL_SIZE = {"СОШ": 260, "гимназия": 420, "лицей": 400, "ООШ": 90, "НОШ": 35}


def derive(seed: int, *parts: object) -> int:
    """A 64-bit seed for one part of the registry: parts never share a random stream, so
    changing one (a version's changes) never shifts another (the base registry)."""
    text = ":".join(str(p) for p in (seed, *parts)).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def apportion(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder), each at
    least ``minimum`` when the total allows it."""
    n = len(weights)
    if n == 0:
        return []
    floor = minimum if total >= minimum * n else 0
    rest = total - floor * n
    wsum = sum(weights) or 1.0
    exact = [rest * w / wsum for w in weights]
    counts = [int(x) for x in exact]
    left = rest - sum(counts)
    order = sorted(range(n), key=lambda i: (counts[i] - exact[i], i))
    for i in order[:left]:
        counts[i] += 1
    return [c + floor for c in counts]


@dataclass
class SchoolClassPlan:
    parallel: int
    letter: str
    size: int

    @property
    def name(self) -> str:
        return f"{self.parallel}{self.letter}"


@dataclass
class SchoolPlan:
    index: int
    municipality: str
    municipality_index: int
    is_city: bool
    kind: str
    ogrn: str
    inn: str
    kpp: str
    full_name: str
    short_name: str
    address: str
    students: int = 0
    teachers: int = 0
    classes: list[SchoolClassPlan] = field(default_factory=list)
    letters: dict[int, str] = field(default_factory=dict)  # parallel → its letters

    def row(self) -> list[str]:
        return [
            self.ogrn,
            self.inn,
            self.kpp,
            self.full_name,
            self.short_name,
            self.municipality,
            self.address,
            self.kind,
        ]


def _municipalities(region: str) -> list[tuple[str, bool, float]]:
    return data.MUNICIPALITIES.get(region, data.GENERIC_MUNICIPALITIES)


def _pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    r = rng.random()
    for value, share in table:
        r -= share
        if r < 0:
            return value
    return table[-1][0]


def build_plan(*, seed: int, region: str, schools: int, students: int, teachers: int) -> list[SchoolPlan]:
    rng = random.Random(derive(seed, "plan"))
    munis = _municipalities(region)
    # Rural districts have many small schools: more schools per pupil than cities.
    per_muni = apportion(schools, [w * (0.55 if city else 1.5) for _, city, w in munis], minimum=1)
    region_name = _region_name(region)
    localities = data.LOCALITIES.get(region, data.GENERIC_LOCALITIES)
    streets = data.STREETS + data.REGION_STREETS.get(region, [])
    post_lo, post_hi = data.POSTCODES.get(region, (100000, 199999))
    used_ogrn: set[str] = set()
    used_inn: set[str] = set()
    plans: list[SchoolPlan] = []
    for m_index, ((muni, is_city, _), count) in enumerate(zip(munis, per_muni, strict=True)):
        numbers: dict[str, int] = {}
        for _ in range(count):
            kind = _pick(rng, CITY_KINDS if is_city else RURAL_KINDS)
            numbers[kind] = numbers.get(kind, 0) + 1
            number = numbers[kind]
            insp = rng.randrange(1, 99)
            while True:
                year = rng.randrange(2, 16)
                ogrn = make_ogrn(int(f"1{year:02d}{region}{insp:02d}{rng.randrange(100000):05d}"))
                if ogrn not in used_ogrn:
                    break
            while True:
                inn = make_inn10(int(f"{region}{insp:02d}{rng.randrange(100000):05d}"))
                if inn not in used_inn:
                    break
            used_ogrn.add(ogrn)
            used_inn.add(inn)
            street = streets[rng.randrange(len(streets))]
            house = rng.randrange(1, 120)
            postcode = rng.randrange(post_lo, post_hi + 1)
            long_kind = KIND_LONG[kind]
            if is_city:
                title = f"{long_kind} № {number}"
                short_title = f"{_kind_short(kind)} № {number}"
                address = f"{postcode}, {region_name}, {muni}, ул. {street}, д. {house}"
                legal, legal_short = "Муниципальное бюджетное", "МБОУ"
            else:
                village = localities[rng.randrange(len(localities))]
                place = f"с. {village}"
                title = f"{long_kind} {place}"
                short_title = f"{_kind_short(kind)} {place}"
                if number > 1:
                    title += f" № {number}"
                    short_title += f" № {number}"
                address = f"{postcode}, {region_name}, {muni}, {place}, ул. {street}, д. {house}"
                legal, legal_short = "Муниципальное казённое", "МКОУ"
            # Both quoting habits of real registries: «ёлочки» and "straight quotes" (which a
            # CSV writer must double).
            if rng.random() < 0.5:
                full_name = f"{legal} общеобразовательное учреждение «{title}»"
                short_name = f"{legal_short} «{short_title}»"
            else:
                full_name = f'{legal} общеобразовательное учреждение "{title}"'
                short_name = f'{legal_short} "{short_title}"'
            plans.append(
                SchoolPlan(
                    index=len(plans),
                    municipality=muni,
                    municipality_index=m_index,
                    is_city=is_city,
                    kind=kind,
                    ogrn=ogrn,
                    inn=inn,
                    kpp=f"{region}{insp:02d}01001",
                    full_name=full_name,
                    short_name=short_name,
                    address=address,
                )
            )
    sizes = []
    for plan in plans:
        typical = (CITY_SIZE if plan.is_city else RURAL_SIZE)[plan.kind]
        sizes.append(typical * rng.lognormvariate(0.0, 0.35))
    for plan, count in zip(plans, apportion(students, sizes, minimum=1), strict=True):
        plan.students = count
        _classes(plan)
    # Small schools need a core of teachers whatever their size: weight = pupils + 40.
    for plan, count in zip(
        plans, apportion(teachers, [p.students + 40.0 for p in plans], minimum=1), strict=True
    ):
        plan.teachers = count
    return plans


def _kind_short(kind: str) -> str:
    return kind if kind in ("СОШ", "ООШ", "НОШ") else kind.capitalize()


def _classes(plan: SchoolPlan) -> None:
    top = TOP_PARALLEL.get(plan.kind, 11)
    per_parallel = apportion(plan.students, list(PARALLEL_WEIGHTS[:top]))
    for parallel, count in enumerate(per_parallel, start=1):
        if count == 0:
            continue
        # Classes of 20–30 pupils; a small school has one small class per parallel.
        n = max(1, round(count / 26))
        if count / n > 31:
            n += 1
        n = min(n, len(LETTERS))
        letters = LETTERS[:n]
        plan.letters[parallel] = letters
        for letter, size in zip(letters, apportion(count, [1.0] * n), strict=True):
            plan.classes.append(SchoolClassPlan(parallel, letter, size))


def _region_name(region: str) -> str:
    subject = get_federal_subject(region)
    if subject is None:
        raise ValueError(f"регион {region!r} не входит в перечень субъектов РФ")
    return subject.name
