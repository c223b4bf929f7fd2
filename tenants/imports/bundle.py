"""The platform's own registry bundle (``msh-registry-1``, docs/registry-bundle.md).

Per-row rules only (check digits, names, dates, enumerations): everything that needs other rows
(duplicates, references between files, what exists in the region) is decided in SQL against
the staging tables (tenants/imports/apply.py), so memory stays flat whatever the size.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.validators import (
    check_birth_date,
    echo,
    normalize_email,
    normalize_inn,
    normalize_kpp,
    normalize_ogrn,
    normalize_person_name,
    normalize_phone,
    normalize_sex,
    normalize_snils,
    parse_class_name,
    parse_date,
)
from tenants.imports.reading import BundleRefused, BundleSource, CsvFile, input_digest
from tenants.imports.records import (
    RULES_VERSION,
    GuardianRecord,
    MembershipRecord,
    PersonRecord,
    Record,
    Rejection,
    SchoolRecord,
)

FORMAT = "msh-registry-1"

ROLES = {
    "student": "student",
    "teacher": "teacher",
    "school_admin": "school_admin",
    "staff": "staff",
    "ученик": "student",
    "учитель": "teacher",
    "администратор": "school_admin",
    "сотрудник": "staff",
}
RELATIONS = {"мать", "отец", "опекун", "попечитель", "иной законный представитель"}
# data values, as the registry writes them: quoted, never translated
RELATIONS_TEXT = "мать, отец, опекун, попечитель, иной законный представитель"
REGISTRY_ID_MAX = 64
# Field names in messages: msgids translated only when a row fails (no lookup per good row).
L_FULL_NAME = gettext_noop("Полное наименование")
L_SHORT_NAME = gettext_noop("Краткое наименование")
L_MUNICIPALITY = gettext_noop("Муниципалитет")
L_ADDRESS = gettext_noop("Адрес")
L_KIND = gettext_noop("Тип")
L_SURNAME = gettext_noop("Фамилия")
L_NAME = gettext_noop("Имя")
L_PATRONYMIC = gettext_noop("Отчество")
L_BIRTH_DATE = gettext_noop("Дата рождения")
L_DATE_FROM = gettext_noop("Дата начала")
L_DATE_TO = gettext_noop("Дата окончания")


def _text(value: str, what: str, limit: int, *, required: bool = False) -> str:
    """``what``: the field's name as an untranslated msgid (``gettext_noop``), translated only
    on failure."""
    v = value.strip()
    if required and not v:
        raise ValueError(_("%(what)s: пустое значение") % {"what": _(what)})
    if len(v) > limit:
        raise ValueError(_("%(what)s: длиннее %(limit)s символов") % {"what": _(what), "limit": limit})
    return v


def registry_id(value: str) -> str | None:
    v = value.strip()
    if not v:
        return None
    if len(v) > REGISTRY_ID_MAX:
        raise ValueError(_("ID в реестре: длиннее %(limit)s символов") % {"limit": REGISTRY_ID_MAX})
    return v


def optional_date(value: str, what: str) -> datetime.date | None:
    return parse_date(value, what) if value.strip() else None


class Column:
    """Reads one column of a row by position; a column the file lacks reads as empty."""

    __slots__ = ("i",)

    def __init__(self, file: CsvFile, name: str) -> None:
        self.i = file.index(name)

    def __call__(self, row: list[str]) -> str:
        return row[self.i] if self.i is not None else ""


class BundleAdapter:
    format = "bundle"

    def __init__(self, path: str | Path, *, today: datetime.date) -> None:
        self.path = Path(path)
        self.today = today
        self.region_code = ""
        self.mode = ""
        self.rows_total = 0
        self.unknown_columns: dict[str, list[str]] = {}
        self.has_person_details = True  # birth date and sex are columns of people.csv
        self.input_digest = ""
        self.source: BundleSource | None = None
        self.files: dict[str, CsvFile] = {}

    # --- the whole input ------------------------------------------------------------------------
    def open(self) -> None:
        self.source = source = BundleSource(self.path)
        if source.has("orgs.csv") and source.has("users.csv") and not source.has("schools.csv"):
            raise BundleRefused(
                _(
                    "Это выгрузка OneRoster (orgs.csv, users.csv), а не пакет msh-registry-1: выберите формат oneroster"
                )
            )
        for name in ("manifest.csv", "schools.csv", "people.csv", "memberships.csv"):
            if not source.has(name):
                raise BundleRefused(
                    _("В пакете нет обязательного файла %(name)s (есть: %(names)s)")
                    % {"name": name, "names": ", ".join(source.names()) or _("ни одного")}
                )
        manifest = CsvFile(source, "manifest.csv", required=["key", "value"])
        self._read_manifest(manifest)
        spec = {
            "schools.csv": dict(
                required=["ogrn", "inn", "full_name", "short_name"],
                optional=["kpp", "municipality", "address", "kind"],
            ),
            "people.csv": dict(
                required=["surname", "name"],
                optional=["patronymic", "birth_date", "sex", "email", "phone"],
                any_of=[("person_id", "snils")],
            ),
            "memberships.csv": dict(
                required=["school_ogrn", "role"],
                optional=["class", "date_from", "date_to"],
                any_of=[("person_id", "snils")],
            ),
            "guardians.csv": dict(
                required=[],
                optional=["relation"],
                any_of=[("parent_id", "parent_snils"), ("child_id", "child_snils")],
            ),
        }
        for name, rules in spec.items():
            if not source.has(name):
                continue  # only guardians.csv may be missing: checked above
            file = CsvFile(source, name, **rules)  # type: ignore[arg-type]
            self.files[name] = file
            self.rows_total += file.rows_estimate
            if file.unknown_columns:
                self.unknown_columns[name] = file.unknown_columns
        self.input_digest = input_digest([manifest, *self.files.values()], version=f"bundle/{RULES_VERSION}")

    def _read_manifest(self, file: CsvFile) -> None:
        values: dict[str, str] = {}
        key, value = Column(file, "key"), Column(file, "value")
        for _line, row in file.rows():
            values[key(row).strip().lower()] = value(row).strip()
        if values.get("format") != FORMAT:
            raise BundleRefused(
                _("manifest.csv: формат «%(format)s» не поддерживается, ожидается %(expected)s")
                % {"format": echo(values.get("format", ""), 40), "expected": FORMAT}
            )
        region = values.get("region", "")
        if len(region) == 1 and region.isdigit():
            region = f"0{region}"
        if not region:
            raise BundleRefused(_("manifest.csv: не указан регион (ключ region)"))
        mode = values.get("mode", "").lower()
        if mode not in ("full", "delta"):
            raise BundleRefused(_("manifest.csv: режим (ключ mode) должен быть full или delta"))
        self.region_code, self.mode = region, mode

    def close(self) -> None:
        if self.source is not None:
            self.source.close()

    def streams(self) -> Iterator[tuple[str, Iterator[Record | Rejection]]]:
        yield "schools.csv", self._schools()
        yield "people.csv", self._people()
        yield "memberships.csv", self._memberships()
        if "guardians.csv" in self.files:
            yield "guardians.csv", self._guardians()

    # --- rows ---------------------------------------------------------------------------------
    def _schools(self) -> Iterator[SchoolRecord | Rejection]:
        f = self.files["schools.csv"]
        name = f.name
        ogrn, inn, kpp = Column(f, "ogrn"), Column(f, "inn"), Column(f, "kpp")
        full, short, mun, addr, kind = (
            Column(f, "full_name"),
            Column(f, "short_name"),
            Column(f, "municipality"),
            Column(f, "address"),
            Column(f, "kind"),
        )
        for line, row in f.rows():
            field = "ogrn"
            try:
                r_ogrn = normalize_ogrn(ogrn(row).strip())
                field = "inn"
                r_inn = normalize_inn(inn(row).strip())
                field = "kpp"
                v = kpp(row).strip()
                r_kpp = normalize_kpp(v) if v else ""
                field = "full_name"
                r_full = _text(full(row), L_FULL_NAME, 1000, required=True)
                field = "short_name"
                r_short = _text(short(row), L_SHORT_NAME, 300, required=True)
                field = "municipality"
                r_mun = _text(mun(row), L_MUNICIPALITY, 300)
                field = "address"
                r_addr = _text(addr(row), L_ADDRESS, 1000)
                field = "kind"
                r_kind = _text(kind(row), L_KIND, 100)
            except ValueError as exc:
                yield Rejection("schools", name, line, field, str(exc))
                continue
            yield SchoolRecord(name, line, r_ogrn, r_inn, r_kpp, r_full, r_short, r_mun, r_addr, r_kind)

    def _people(
        self, rows: Iterable[tuple[int, list[str]]] | None = None
    ) -> Iterator[PersonRecord | Rejection]:
        # The hottest loop of the import (600,000 rows): positions instead of helpers.
        f = self.files["people.csv"]
        name, today = f.name, self.today
        i_pid, i_snils, i_surname, i_name, i_patronymic, i_birth, i_sex, i_email, i_phone = (
            f.position(c)
            for c in (
                "person_id",
                "snils",
                "surname",
                "name",
                "patronymic",
                "birth_date",
                "sex",
                "email",
                "phone",
            )
        )
        for line, row in f.rows() if rows is None else rows:
            field = "person_id"
            try:
                v = row[i_pid]
                r_pid = registry_id(v) if v else None
                field = "snils"
                v = row[i_snils].strip()
                r_snils = normalize_snils(v) if v else None
                if r_pid is None and r_snils is None:
                    field = "person_id"
                    raise ValueError(_("нужен person_id или СНИЛС"))
                field = "surname"
                r_surname = normalize_person_name(row[i_surname], L_SURNAME)
                field = "name"
                r_name = normalize_person_name(row[i_name], L_NAME)
                field = "patronymic"
                v = row[i_patronymic]
                r_patronymic = normalize_person_name(v, L_PATRONYMIC) if v and not v.isspace() else ""
                field = "birth_date"
                v = row[i_birth]
                r_birth = (
                    check_birth_date(parse_date(v, L_BIRTH_DATE), today) if v and not v.isspace() else None
                )
                field = "sex"
                r_sex = normalize_sex(row[i_sex])
                field = "email"
                v = row[i_email]
                r_email = normalize_email(v) if v and not v.isspace() else ""
                field = "phone"
                v = row[i_phone]
                r_phone = normalize_phone(v) if v and not v.isspace() else ""
            except ValueError as exc:
                yield Rejection("people", name, line, field, str(exc))
                continue
            yield PersonRecord(
                name, line, r_pid, r_snils, r_surname, r_name, r_patronymic, r_birth, r_sex, r_email, r_phone
            )

    def _memberships(
        self, rows: Iterable[tuple[int, list[str]]] | None = None
    ) -> Iterator[MembershipRecord | Rejection]:
        f = self.files["memberships.csv"]
        name = f.name
        i_pid, i_snils, i_ogrn, i_role, i_class, i_from, i_to = (
            f.position(c)
            for c in ("person_id", "snils", "school_ogrn", "role", "class", "date_from", "date_to")
        )
        parallel: int | None
        letter: str | None
        class_name: str | None
        for line, row in f.rows() if rows is None else rows:
            field = "person_id"
            try:
                v = row[i_pid]
                r_pid = registry_id(v) if v else None
                field = "snils"
                v = row[i_snils].strip()
                r_snils = normalize_snils(v) if v else None
                if r_pid is None and r_snils is None:
                    field = "person_id"
                    raise ValueError(_("нужен person_id или СНИЛС"))
                field = "school_ogrn"
                r_ogrn = normalize_ogrn(row[i_ogrn].strip())
                field = "role"
                v = row[i_role].strip().lower()
                r_role = ROLES.get(v)
                if r_role is None:
                    raise ValueError(
                        _("Роль: ожидается student, teacher, school_admin или staff, получено «%(value)s»")
                        % {"value": echo(v, 30)}
                    )
                field = "class"
                v = row[i_class]
                if r_role == "student":
                    if not v.strip():
                        raise ValueError(_("Класс: обязателен для ученика"))
                    parallel, letter, class_name = parse_class_name(v)
                else:
                    # A class on a teacher's row says nothing the platform keeps: the class
                    # teacher is the school's configuration, not the registry's.
                    parallel = letter = class_name = None
                field = "date_from"
                v = row[i_from]
                r_from = parse_date(v, L_DATE_FROM) if v and not v.isspace() else None
                field = "date_to"
                v = row[i_to]
                r_to = parse_date(v, L_DATE_TO) if v and not v.isspace() else None
                if r_from and r_to and r_to < r_from:
                    raise ValueError(_("Дата окончания раньше даты начала"))
            except ValueError as exc:
                yield Rejection("memberships", name, line, field, str(exc))
                continue
            yield MembershipRecord(
                name, line, r_pid, r_snils, r_ogrn, r_role, class_name, parallel, letter, r_from, r_to
            )

    def _guardians(
        self, rows: Iterable[tuple[int, list[str]]] | None = None
    ) -> Iterator[GuardianRecord | Rejection]:
        f = self.files["guardians.csv"]
        name = f.name
        parent_id, parent_snils = Column(f, "parent_id"), Column(f, "parent_snils")
        child_id, child_snils, relation = (
            Column(f, "child_id"),
            Column(f, "child_snils"),
            Column(f, "relation"),
        )
        for line, row in f.rows() if rows is None else rows:
            field = "parent_id"
            try:
                r_parent = registry_id(parent_id(row))
                field = "parent_snils"
                v = parent_snils(row).strip()
                r_parent_snils = normalize_snils(v) if v else None
                if r_parent is None and r_parent_snils is None:
                    field = "parent_id"
                    raise ValueError(_("нужен parent_id или parent_snils"))
                field = "child_id"
                r_child = registry_id(child_id(row))
                field = "child_snils"
                v = child_snils(row).strip()
                r_child_snils = normalize_snils(v) if v else None
                if r_child is None and r_child_snils is None:
                    field = "child_id"
                    raise ValueError(_("нужен child_id или child_snils"))
                field = "relation"
                r_relation = relation(row).strip().lower()
                if r_relation and r_relation not in RELATIONS:
                    raise ValueError(
                        _("Степень родства: ожидается одно из: %(values)s") % {"values": RELATIONS_TEXT}
                    )
            except ValueError as exc:
                yield Rejection("guardian_links", name, line, field, str(exc))
                continue
            yield GuardianRecord(name, line, r_parent, r_parent_snils, r_child, r_child_snils, r_relation)
