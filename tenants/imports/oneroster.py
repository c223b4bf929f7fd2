"""OneRoster 1.2 CSV (a ZIP with ``manifest.csv``) mapped onto the registry model.

The mapping, and what is ignored and why, is documented in docs/registry-oneroster.md. In
short: ``orgs.csv`` schools (OGRN in ``identifier``, INN/KPP in ``metadata.*`` columns) →
schools; ``users.csv`` (SNILS in ``userIds`` as ``{SNILS:…}``) → people; ``demographics.csv``
→ birth date and sex; ``roles.csv`` → memberships and parent roles; homeroom ``classes.csv`` +
``enrollments.csv`` → a student's class; ``agentSourcedIds`` → parent → child links.

Only what is bounded by the number of schools is held in memory (orgs, homeroom classes);
everything per person is streamed and joined in SQL.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.validators import (
    echo,
    normalize_email,
    normalize_inn,
    normalize_kpp,
    normalize_ogrn,
    normalize_person_name,
    normalize_phone,
    normalize_snils,
    parse_class_name,
    parse_date,
)
from tenants.imports.bundle import (
    L_ADDRESS,
    L_BIRTH_DATE,
    L_DATE_FROM,
    L_DATE_TO,
    L_KIND,
    L_NAME,
    L_PATRONYMIC,
    L_SHORT_NAME,
    L_SURNAME,
    Column,
    _text,
    registry_id,
)
from tenants.imports.reading import BundleRefused, BundleSource, CsvFile, input_digest
from tenants.imports.records import (
    RULES_VERSION,
    AgentRecord,
    ClassAssignmentRecord,
    MembershipRecord,
    ParentRoleRecord,
    PersonDetailRecord,
    PersonRecord,
    Record,
    Rejection,
    SchoolRecord,
)

MEMBERSHIP_ROLES = {
    "student": "student",
    "teacher": "teacher",
    "principal": "school_admin",
    "siteadministrator": "school_admin",
    "aide": "staff",
    "counselor": "staff",
    "proctor": "staff",
}
PARENT_ROLES = {"parent", "guardian", "relative"}
ADMIN_ROLES = {"districtadministrator", "systemadministrator"}
SEX = {"male": "M", "female": "F", "other": "", "unspecified": ""}
_USER_ID = re.compile(r"\{\s*([^:{}]+?)\s*:\s*([^{}]*?)\s*\}")
DATA_FILES = (
    "orgs.csv",
    "users.csv",
    "roles.csv",
    "demographics.csv",
    "classes.csv",
    "enrollments.csv",
    "courses.csv",
    "academicSessions.csv",
    "userProfiles.csv",
)


def _or_date(value: str, what: str) -> datetime.date | None:
    v = value.strip()
    if not v:
        return None
    # OneRoster dates are ISO; a dateTime's time part says nothing here.
    return parse_date(v[:10], what)


class OneRosterAdapter:
    format = "oneroster"

    def __init__(self, path: str | Path, *, today: datetime.date) -> None:
        self.path = Path(path)
        self.today = today
        self.region_code = ""
        self.mode = ""
        self.rows_total = 0
        self.unknown_columns: dict[str, list[str]] = {}
        self.has_person_details = False
        self.input_digest = ""
        self.source: BundleSource | None = None
        self.files: dict[str, CsvFile] = {}
        self.file_modes: dict[str, str] = {}
        self.orgs: dict[str, tuple[str, str, str]] = {}  # sourcedId → (type, name, OGRN or "")
        self.homerooms: dict[str, tuple[str, int, str, str]] = {}  # class → (OGRN, parallel, letter, name)

    def open(self) -> None:
        self.source = source = BundleSource(self.path)
        if source.has("schools.csv") and source.has("people.csv") and not source.has("users.csv"):
            raise BundleRefused(
                _(
                    "Это пакет msh-registry-1 (schools.csv, people.csv), а не выгрузка OneRoster: выберите формат bundle"
                )
            )
        if not source.has("manifest.csv"):
            raise BundleRefused(_("В архиве OneRoster нет manifest.csv"))
        manifest = CsvFile(source, "manifest.csv", required=["propertyName", "value"])
        props: dict[str, str] = {}
        key, value = Column(manifest, "propertyName"), Column(manifest, "value")
        for _line, row in manifest.rows():
            props[key(row).strip().lower()] = value(row).strip()
        version = props.get("oneroster.version", "")
        if not version.startswith("1.2"):
            raise BundleRefused(
                _("manifest.csv: версия OneRoster «%(version)s» не поддерживается, ожидается 1.2")
                % {"version": echo(version, 20)}
            )
        for name in DATA_FILES:
            mode = props.get(f"file.{name.removesuffix('.csv').lower()}", "absent").lower()
            if mode not in ("bulk", "delta", "absent"):
                raise BundleRefused(
                    _("manifest.csv: file.%(name)s = «%(mode)s», ожидается bulk, delta или absent")
                    % {"name": name.removesuffix(".csv"), "mode": echo(mode, 20)}
                )
            if mode != "absent":
                if not source.has(name):
                    raise BundleRefused(
                        _("manifest.csv объявляет %(name)s (%(mode)s), но в архиве его нет")
                        % {"name": name, "mode": mode}
                    )
                self.file_modes[name] = mode
        for name in ("orgs.csv", "users.csv"):
            if name not in self.file_modes:
                raise BundleRefused(
                    _("manifest.csv: %(name)s обязателен (file.%(key)s = bulk или delta)")
                    % {"name": name, "key": name[:-4]}
                )
        # One mode per import: deactivating what is absent is only right when every file that
        # carries people and memberships is a full (bulk) export.
        self.mode = "full" if all(m == "bulk" for m in self.file_modes.values()) else "delta"
        spec: dict[str, dict] = {
            "orgs.csv": dict(
                required=["sourcedId", "name", "type"],
                optional=[
                    "status",
                    "dateLastModified",
                    "identifier",
                    "parentSourcedId",
                    "metadata.inn",
                    "metadata.kpp",
                    "metadata.shortName",
                    "metadata.address",
                    "metadata.kind",
                ],
            ),
            "users.csv": dict(
                required=["sourcedId", "givenName", "familyName"],
                optional=[
                    "status",
                    "dateLastModified",
                    "enabledUser",
                    "username",
                    "userIds",
                    "middleName",
                    "identifier",
                    "email",
                    "sms",
                    "phone",
                    "agentSourcedIds",
                    "grades",
                    "password",
                    "userMasterIdentifier",
                    "resourceSourcedIds",
                    "preferredGivenName",
                    "preferredMiddleName",
                    "preferredFamilyName",
                    "primaryOrgSourcedId",
                    "pronouns",
                    "orgSourcedIds",
                    "role",
                ],
            ),
            "roles.csv": dict(
                required=["userSourcedId", "role", "orgSourcedId"],
                optional=[
                    "sourcedId",
                    "status",
                    "dateLastModified",
                    "roleType",
                    "beginDate",
                    "endDate",
                    "userProfileSourcedId",
                ],
            ),
            "demographics.csv": dict(
                required=["sourcedId"], optional=["status", "dateLastModified", "birthDate", "sex"]
            ),
            "classes.csv": dict(
                required=["sourcedId", "title", "schoolSourcedId"],
                optional=[
                    "status",
                    "dateLastModified",
                    "grades",
                    "courseSourcedId",
                    "classCode",
                    "classType",
                    "location",
                    "termSourcedIds",
                    "subjects",
                    "subjectCodes",
                    "periods",
                ],
            ),
            "enrollments.csv": dict(
                required=["classSourcedId", "userSourcedId", "role"],
                optional=[
                    "sourcedId",
                    "status",
                    "dateLastModified",
                    "schoolSourcedId",
                    "primary",
                    "beginDate",
                    "endDate",
                ],
            ),
        }
        for name in self.file_modes:
            if name not in spec:
                continue  # courses, academic sessions, user profiles: not the registry's (see docs)
            file = CsvFile(source, name, **spec[name])
            self.files[name] = file
            self.rows_total += file.rows_estimate
            if file.unknown_columns:
                self.unknown_columns[name] = [
                    c for c in file.unknown_columns if not c.startswith("metadata.")
                ]
        if "roles.csv" not in self.files and "role" not in self.files["users.csv"].columns:
            raise BundleRefused(
                _("Нет roles.csv и в users.csv нет столбца role: не из чего взять роли людей")
            )
        self.has_person_details = "demographics.csv" in self.files
        self.input_digest = input_digest(
            [manifest, *self.files.values()], version=f"oneroster/{RULES_VERSION}"
        )
        self._read_orgs()
        self._read_homerooms()

    def _read_orgs(self) -> None:
        f = self.files["orgs.csv"]
        sid, name, kind, ident = (
            Column(f, "sourcedId"),
            Column(f, "name"),
            Column(f, "type"),
            Column(f, "identifier"),
        )
        state = ""
        for _line, row in f.rows():
            t = kind(row).strip().lower()
            ogrn = ""
            if t == "school":
                try:
                    ogrn = normalize_ogrn(ident(row).strip())
                except ValueError:
                    ogrn = ""  # the row is rejected with its reason when schools are read
            elif t == "state":
                state = ident(row).strip()
            self.orgs[sid(row).strip()] = (t, name(row).strip(), ogrn)
        region = state
        if len(region) == 1 and region.isdigit():
            region = f"0{region}"
        if not region:
            raise BundleRefused(
                _(
                    "orgs.csv: нет организации типа state с кодом региона в identifier — "
                    "неизвестно, для какого региона выгрузка"
                )
            )
        self.region_code = region

    def _read_homerooms(self) -> None:
        f = self.files.get("classes.csv")
        if f is None:
            return
        sid, title, school, ctype = (
            Column(f, "sourcedId"),
            Column(f, "title"),
            Column(f, "schoolSourcedId"),
            Column(f, "classType"),
        )
        for _line, row in f.rows():
            if ctype(row).strip().lower() != "homeroom":
                continue
            org = self.orgs.get(school(row).strip())
            try:
                parallel, letter, class_name = parse_class_name(title(row))
            except ValueError:
                continue  # reported when enrollments into it are read
            if org and org[2]:
                self.homerooms[sid(row).strip()] = (org[2], parallel, letter, class_name)

    def close(self) -> None:
        if self.source is not None:
            self.source.close()

    def streams(self) -> Iterator[tuple[str, Iterator[Record | Rejection]]]:
        yield "orgs.csv", self._schools()
        yield "users.csv", self._users()
        if "demographics.csv" in self.files:
            yield "demographics.csv", self._demographics()
        if "roles.csv" in self.files:
            yield "roles.csv", self._roles()
        if "enrollments.csv" in self.files:
            yield "enrollments.csv", self._enrollments()

    def _tobedeleted(self, status: Column, row: list[str]) -> bool:
        return status(row).strip().lower() == "tobedeleted"

    def _schools(self) -> Iterator[SchoolRecord | Rejection]:
        f = self.files["orgs.csv"]
        fname = f.name
        kind, ident, name, parent, status = (
            Column(f, "type"),
            Column(f, "identifier"),
            Column(f, "name"),
            Column(f, "parentSourcedId"),
            Column(f, "status"),
        )
        inn, kpp, short, address, skind = (
            Column(f, "metadata.inn"),
            Column(f, "metadata.kpp"),
            Column(f, "metadata.shortName"),
            Column(f, "metadata.address"),
            Column(f, "metadata.kind"),
        )
        for line, row in f.rows():
            if kind(row).strip().lower() != "school":
                continue
            field = "status"
            try:
                if self._tobedeleted(status, row):
                    raise ValueError(
                        _(
                            "удаление школы через delta не поддерживается: школа пропадает только из "
                            "полной (bulk) выгрузки"
                        )
                    )
                field = "identifier"
                r_ogrn = normalize_ogrn(ident(row).strip())
                field = "metadata.inn"
                r_inn = normalize_inn(inn(row).strip())
                field = "metadata.kpp"
                v = kpp(row).strip()
                r_kpp = normalize_kpp(v) if v else ""
                field = "name"
                r_full = _text(name(row), gettext_noop("Наименование"), 1000, required=True)
                field = "metadata.shortName"
                r_short = _text(short(row), L_SHORT_NAME, 300) or r_full[:300]
                field = "metadata.address"
                r_addr = _text(address(row), L_ADDRESS, 1000)
                field = "metadata.kind"
                r_kind = _text(skind(row), L_KIND, 100)
            except ValueError as exc:
                yield Rejection("schools", fname, line, field, str(exc))
                continue
            parent_org = self.orgs.get(parent(row).strip())
            municipality = (
                parent_org[1][:300] if parent_org and parent_org[0] in ("district", "local") else ""
            )
            yield SchoolRecord(
                fname, line, r_ogrn, r_inn, r_kpp, r_full, r_short, municipality, r_addr, r_kind
            )

    def _school_ogrn(self, sourced_id: str) -> str:
        org = self.orgs.get(sourced_id.strip())
        if org is None:
            raise ValueError(_("нет такой организации в orgs.csv"))
        if org[0] != "school" or not org[2]:
            raise ValueError(_("организация не школа (type=school) или её ОГРН отклонён"))
        return org[2]

    def _users(self) -> Iterator[Record | Rejection]:
        f = self.files["users.csv"]
        fname = f.name
        sid, ids, given, family, middle = (
            Column(f, "sourcedId"),
            Column(f, "userIds"),
            Column(f, "givenName"),
            Column(f, "familyName"),
            Column(f, "middleName"),
        )
        email, phone, sms, agents, status = (
            Column(f, "email"),
            Column(f, "phone"),
            Column(f, "sms"),
            Column(f, "agentSourcedIds"),
            Column(f, "status"),
        )
        role, orgs = Column(f, "role"), Column(f, "orgSourcedIds")
        legacy_roles = "roles.csv" not in self.files
        for line, row in f.rows():
            field = "sourcedId"
            try:
                if self._tobedeleted(status, row):
                    field = "status"
                    raise ValueError(
                        _(
                            "удаление человека через delta не поддерживается: человек пропадает только "
                            "из полной (bulk) выгрузки"
                        )
                    )
                r_pid = registry_id(sid(row))
                if r_pid is None:
                    raise ValueError(_("пустой sourcedId"))
                field = "userIds"
                r_snils = None
                for id_type, id_value in _USER_ID.findall(ids(row)):
                    if id_type.strip().upper() in ("SNILS", "СНИЛС"):
                        r_snils = normalize_snils(id_value)
                field = "familyName"
                r_surname = normalize_person_name(family(row), L_SURNAME)
                field = "givenName"
                r_name = normalize_person_name(given(row), L_NAME)
                field = "middleName"
                v = middle(row)
                r_patronymic = normalize_person_name(v, L_PATRONYMIC) if v.strip() else ""
                field = "email"
                v = email(row)
                r_email = normalize_email(v) if v.strip() else ""
                field = "phone"
                v = phone(row).strip() or sms(row).strip()
                r_phone = normalize_phone(v) if v else ""
            except ValueError as exc:
                yield Rejection("people", fname, line, field, str(exc))
                continue
            yield PersonRecord(
                fname, line, r_pid, r_snils, r_surname, r_name, r_patronymic, None, "", r_email, r_phone
            )
            for agent in agents(row).split(","):
                agent = agent.strip()
                if agent:
                    yield AgentRecord(fname, line, r_pid, agent)
            if legacy_roles:
                yield from self._membership_rows(
                    fname, line, r_pid, role(row), orgs(row).split(","), None, None, "role"
                )

    def _membership_rows(
        self, fname, line, pid, role_value, org_ids, begin, end, role_field
    ) -> Iterator[Record | Rejection]:
        v = role_value.strip().lower()
        if v in PARENT_ROLES:
            yield ParentRoleRecord(fname, line, pid)
            return
        role = MEMBERSHIP_ROLES.get(v)
        if role is None:
            if v in ADMIN_ROLES:
                reason = _(
                    "роль «%(role)s» не переносится из реестра (роли районного и системного "
                    "администратора назначаются на платформе)"
                )
            else:
                reason = _(
                    "неизвестная роль «%(role)s»: ожидается student, teacher, principal, siteAdministrator, "
                    "aide, counselor, proctor, parent, guardian или relative"
                )
            yield Rejection(
                "memberships", fname, line, role_field, reason % {"role": echo(role_value.strip(), 30)}
            )
            return
        for org_id in org_ids:
            if not org_id.strip():
                continue
            try:
                ogrn = self._school_ogrn(org_id)
            except ValueError as exc:
                yield Rejection("memberships", fname, line, "orgSourcedId", str(exc))
                continue
            yield MembershipRecord(fname, line, pid, None, ogrn, role, None, None, None, begin, end)

    def _roles(self) -> Iterator[Record | Rejection]:
        f = self.files["roles.csv"]
        fname = f.name
        user, role, org, begin, end, status = (
            Column(f, "userSourcedId"),
            Column(f, "role"),
            Column(f, "orgSourcedId"),
            Column(f, "beginDate"),
            Column(f, "endDate"),
            Column(f, "status"),
        )
        yesterday = self.today - datetime.timedelta(days=1)
        for line, row in f.rows():
            field = "userSourcedId"
            try:
                r_pid = registry_id(user(row))
                if r_pid is None:
                    raise ValueError(_("пустой userSourcedId"))
                field = "beginDate"
                r_begin = _or_date(begin(row), L_DATE_FROM)
                field = "endDate"
                r_end = _or_date(end(row), L_DATE_TO)
                if r_begin and r_end and r_end < r_begin:
                    raise ValueError(_("Дата окончания раньше даты начала"))
            except ValueError as exc:
                yield Rejection("memberships", fname, line, field, str(exc))
                continue
            if self._tobedeleted(status, row):
                # A role ended in a delta export: the membership becomes inactive (history stays).
                r_end = yesterday
                if r_begin and r_begin > r_end:
                    r_begin = r_end
            yield from self._membership_rows(
                fname, line, r_pid, role(row), [org(row)], r_begin, r_end, "role"
            )

    def _demographics(self) -> Iterator[PersonDetailRecord | Rejection]:
        f = self.files["demographics.csv"]
        fname = f.name
        sid, birth, sex = Column(f, "sourcedId"), Column(f, "birthDate"), Column(f, "sex")
        for line, row in f.rows():
            field = "sourcedId"
            try:
                r_pid = registry_id(sid(row))
                if r_pid is None:
                    raise ValueError(_("пустой sourcedId"))
                field = "birthDate"
                r_birth = _or_date(birth(row), L_BIRTH_DATE)
                if r_birth and (r_birth > self.today or r_birth.year < 1900):
                    raise ValueError(_("Дата рождения: в будущем или раньше 1900 года"))
                field = "sex"
                v = sex(row).strip().lower()
                if v and v not in SEX:
                    raise ValueError(_("Пол: ожидается male, female, other или unspecified"))
            except ValueError as exc:
                yield Rejection("people", fname, line, field, str(exc))
                continue
            yield PersonDetailRecord(fname, line, r_pid, r_birth, SEX.get(v, ""))

    def _enrollments(self) -> Iterator[ClassAssignmentRecord | Rejection]:
        f = self.files["enrollments.csv"]
        fname = f.name
        klass, user, role, status = (
            Column(f, "classSourcedId"),
            Column(f, "userSourcedId"),
            Column(f, "role"),
            Column(f, "status"),
        )
        for line, row in f.rows():
            # Teachers' enrollments (and the primary teacher of a homeroom) are the school's
            # configuration — teacher load, class teacher — not the registry's.
            if role(row).strip().lower() != "student" or self._tobedeleted(status, row):
                continue
            homeroom = self.homerooms.get(klass(row).strip())
            if homeroom is None:
                continue  # a scheduled (subject) class: the school's timetable, not a class list
            r_pid = user(row).strip()
            if not r_pid:
                yield Rejection("memberships", fname, line, "userSourcedId", _("пустой userSourcedId"))
                continue
            ogrn, parallel, letter, class_name = homeroom
            yield ClassAssignmentRecord(fname, line, r_pid, ogrn, class_name, parallel, letter)
