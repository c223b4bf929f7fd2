"""What an adapter hands the import: validated, typed rows per entity, each with its source file
and line, and rejections. The bundle and OneRoster adapters implement :class:`RegistryAdapter`;
an HTTP registry source can follow by yielding the same records.

Records are NamedTuples whose field order is the order of the staging table's columns, so the
import COPYs them as they are (no per-row dict or object).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import NamedTuple, Protocol

# Part of every input digest: bump it when validation or apply rules change, so that an input
# imported under the old rules is compared row by row again (see services._unchanged_since).
RULES_VERSION = "2"


class SchoolRecord(NamedTuple):
    file: str
    line: int
    ogrn: str
    inn: str
    kpp: str
    full_name: str
    short_name: str
    municipality: str
    address: str
    kind: str


class PersonRecord(NamedTuple):
    file: str
    line: int
    registry_id: str | None
    snils: str | None
    surname: str
    name: str
    patronymic: str
    birth_date: datetime.date | None
    sex: str
    email: str
    phone: str


class PersonDetailRecord(NamedTuple):
    """Birth date and sex that arrive apart from the person (OneRoster ``demographics.csv``)."""

    file: str
    line: int
    registry_id: str
    birth_date: datetime.date | None
    sex: str


class MembershipRecord(NamedTuple):
    file: str
    line: int
    registry_id: str | None
    snils: str | None
    school_ogrn: str
    role: str
    class_name: str | None
    parallel: int | None
    letter: str | None
    date_from: datetime.date | None
    date_to: datetime.date | None


class ClassAssignmentRecord(NamedTuple):
    """A student's class that arrives apart from the membership (OneRoster enrollments in a
    homeroom class)."""

    file: str
    line: int
    registry_id: str
    school_ogrn: str
    class_name: str
    parallel: int
    letter: str


class GuardianRecord(NamedTuple):
    file: str
    line: int
    parent_id: str | None
    parent_snils: str | None
    child_id: str | None
    child_snils: str | None
    relation: str


class AgentRecord(NamedTuple):
    """An undirected "related person" pair (OneRoster ``agentSourcedIds``): which one is the
    parent is decided in SQL from the parent roles (:class:`ParentRoleRecord`)."""

    file: str
    line: int
    user_id: str
    agent_id: str


class ParentRoleRecord(NamedTuple):
    file: str
    line: int
    registry_id: str


class Rejection(NamedTuple):
    entity: str
    file: str
    line: int
    field: str
    reason: str


Record = (
    SchoolRecord
    | PersonRecord
    | PersonDetailRecord
    | MembershipRecord
    | ClassAssignmentRecord
    | GuardianRecord
    | AgentRecord
    | ParentRoleRecord
)

# Staging table per record type (see tenants/imports/apply.py).
STAGING_TABLE: dict[type, str] = {
    SchoolRecord: "st_school",
    PersonRecord: "st_person",
    PersonDetailRecord: "st_person_detail",
    MembershipRecord: "st_membership",
    ClassAssignmentRecord: "st_class_assignment",
    GuardianRecord: "st_guardian",
    AgentRecord: "st_agent",
    ParentRoleRecord: "st_parent_role",
}

# Report entity of each staging table's rows.
ENTITY_OF_TABLE = {
    "st_school": "schools",
    "st_person": "people",
    "st_person_detail": "people",
    "st_membership": "memberships",
    "st_class_assignment": "memberships",
    "st_guardian": "guardian_links",
    "st_agent": "guardian_links",
    "st_parent_role": "memberships",
}


class RegistryAdapter(Protocol):
    """A source of one region's registry. ``open()`` reads everything that decides whether the
    input can be imported at all (manifest, headers, encodings) and raises
    :class:`~tenants.imports.reading.BundleRefused` if not; ``streams()`` then yields, per
    staging table, an iterator of records and rejections. Memory must not grow with the input."""

    format: str
    region_code: str
    mode: str  # "full" or "delta"
    rows_total: int
    unknown_columns: dict[str, list[str]]
    # False when birth dates and sex are not in the input at all: stored ones then stay.
    has_person_details: bool
    # SHA-256 of every file read and of RULES_VERSION, set by open()
    input_digest: str

    def open(self) -> None: ...

    def streams(self) -> Iterator[tuple[str, Iterator[Record | Rejection]]]: ...

    def close(self) -> None: ...
