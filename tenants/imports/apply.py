"""All bulk SQL of the registry import: staging tables, checks, and the set-based apply.

The import runs on ONE connection inside ONE transaction per region import:

1. ``create_staging`` — TEMP tables (``st_*``) for the parsed rows. TEMP rather than UNLOGGED
   per-job tables: they belong to the session, so a killed worker leaves nothing behind to
   clean up, and two regions importing at once can never see each other's rows.
2. COPY of the validated rows into them (tenants/imports/services.py streams them).
3. ``check`` — everything that needs more than one row, in SQL: duplicates, references between
   files (and, in delta mode, to what already exists in the region), identity conflicts. A
   rejected row goes to ``st_rejection`` with file, line, field and reason; rows that depend on
   it are then rejected in turn. It only reads region tables and writes staging, and it
   resolves every staging row to the id it will have (existing, or a fresh ``nextval``).
4. ``apply`` — writes to the region's tables: UPDATE only the rows whose registry-owned columns
   are DISTINCT, INSERT the new ones, deactivate (never delete) what a full import no longer
   lists, then the accounts. Unchanged rows are not written at all (no ``ON CONFLICT DO
   UPDATE``: it locks, and so writes, every conflicting row).

A dry run rolls back to a savepoint taken between 3 and 4: the counts and rejections are real,
the region is untouched. Columns that schools configure (``SchoolClass.class_teacher``,
``shift``, everything in teaching/academics/timetable) are never written here.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.roles import Role

# Roles the registry decides; any other role of an account (regional_admin given by hand…)
# is kept as it is.
REGISTRY_ROLES = (str(Role.STUDENT), str(Role.TEACHER), str(Role.SCHOOL_ADMIN), str(Role.PARENT))
ENTITIES = ("schools", "people", "classes", "memberships", "guardian_links", "accounts")
COUNT_KINDS = ("created", "updated", "deactivated", "unchanged", "rejected")

STAGING = {
    "st_school": "file text, line int, ogrn text, inn text, kpp text, full_name text, short_name text, "
    "municipality text, address text, kind text",
    "st_person": "file text, line int, registry_id text, snils text, surname text, name text, "
    "patronymic text, birth_date date, sex text, email text, phone text",
    "st_person_detail": "file text, line int, registry_id text, birth_date date, sex text",
    "st_membership": "file text, line int, registry_id text, snils text, school_ogrn text, role text, "
    "class_name text, parallel smallint, letter text, date_from date, date_to date",
    "st_class_assignment": "file text, line int, registry_id text, school_ogrn text, class_name text, "
    "parallel smallint, letter text",
    "st_guardian": "file text, line int, parent_id text, parent_snils text, child_id text, "
    "child_snils text, relation text",
    "st_agent": "file text, line int, user_id text, agent_id text",
    "st_parent_role": "file text, line int, registry_id text",
    "st_rejection": "entity text, file text, line int, field text, reason text",
}
# Columns a record fills, in its field order.
COPY_COLUMNS = {name: ", ".join(c.split()[0] for c in spec.split(", ")) for name, spec in STAGING.items()}
# Derived staging tables (created by ``check`` and ``apply``).
DERIVED = ("st_m", "st_g", "st_c", "st_new_acc", "st_roles", *(f"{t}_new" for t in STAGING))


@dataclass
class Counts:
    data: dict[str, dict[str, int]] = field(
        default_factory=lambda: {e: dict.fromkeys(COUNT_KINDS, 0) for e in ENTITIES}
    )

    def add(self, entity: str, kind: str, n: int) -> None:
        self.data[entity][kind] += max(n, 0)


def create_staging(cursor: Any) -> bool:
    """The staging tables, empty. Returns whether staged people are numbered as they arrive:
    in a region without people every one is new, so ``st_person`` takes its id from the
    sequence as it is copied (a column default) instead of in a rebuild of the table."""
    for name in (*STAGING, *DERIVED):
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")
    numbered = not _exists(cursor, "people_person")
    for name, columns in STAGING.items():
        # Byte-wise collation: the staging keys are only compared for equality and grouped, and
        # "C" hashes and sorts them several times faster than a linguistic collation.
        columns = columns.replace(" text", ' text COLLATE "C"')
        if name == "st_person" and numbered:
            # the three columns ``_check_people`` would add, in its order
            columns += (
                f", pid bigint DEFAULT {_next_id(cursor, 'people_person')}, is_new boolean DEFAULT true"
            )
            columns += ", snils_owner bigint"
        cursor.execute(f"CREATE TEMP TABLE {name} ({columns})")
    return numbered


def _reject(
    cursor: Any, table: str, entity: str, where: str, field_sql: str, reason: str, params=None
) -> int:
    """Move the rows of ``table`` matching ``where`` to ``st_rejection`` with ``reason`` (a text:
    the import runs in the platform's language)."""
    cursor.execute(
        f"""
        WITH gone AS (DELETE FROM {table} t WHERE {where} RETURNING t.*)
        INSERT INTO st_rejection (entity, file, line, field, reason)
        SELECT %(entity)s, t.file, t.line, {field_sql}, %(reason)s FROM gone t
        """,  # noqa: S608 - table, conditions and expressions are constants of this module
        {"entity": entity, "reason": reason, **(params or {})},
    )
    return cursor.rowcount


def _dedupe(
    cursor: Any,
    table: str,
    entity: str,
    key: str,
    field_sql: str,
    reason: str,
    order: str = "",
    among: str = "true",
    index: str = "",
) -> int:
    """Keep the first row of each ``key`` (by ``order``, then file and line), reject the others
    with ``reason`` followed by the kept row's line. Duplicates are rare: a unique index proves
    their absence (``_no_repeats``); else a hash aggregate finds the keys, and only their rows
    are ranked. ``among``: a condition that every row sharing its key with another satisfies
    (the others need not be grouped). ``index``: the name under which the table keeps an index
    on ``key`` afterwards (the probe's own, when there was nothing to dedupe)."""
    if _no_repeats(cursor, table, key, among, keep_as=index):
        return 0
    order_by = f"{order + ', ' if order else ''}file, line"
    if index:
        cursor.execute(f"CREATE INDEX {index} ON {table} ({key})")
    cursor.execute(
        f"""
        WITH dup AS (
            SELECT {key} FROM {table} WHERE ({key}) IS NOT NULL AND {among} GROUP BY {key} HAVING count(*) > 1
        ), ranked AS (
            SELECT ctid AS row_id,
                   row_number() OVER w AS n,
                   first_value(file) OVER w AS kept_file,
                   first_value(line) OVER w AS kept_line
              FROM {table} WHERE ({key}) IN (SELECT * FROM dup)
            WINDOW w AS (PARTITION BY {key} ORDER BY {order_by})
        ), gone AS (
            DELETE FROM {table} t USING ranked r WHERE t.ctid = r.row_id AND r.n > 1
            RETURNING t.*, r.kept_file, r.kept_line
        )
        INSERT INTO st_rejection (entity, file, line, field, reason)
        SELECT %(entity)s, file, line, {field_sql},
               %(reason)s || CASE WHEN kept_file = file THEN '' ELSE kept_file || ', ' END
                          || %(line)s || ' ' || kept_line || ')'
          FROM gone
        """,  # noqa: S608 - constants of this module
        {"entity": entity, "reason": reason + " (", "line": _("строка")},
    )
    return cursor.rowcount


def _no_repeats(cursor: Any, table: str, key: str, among: str, *, keep_as: str = "") -> bool:
    """Whether no two rows (satisfying ``among``) share ``key`` — rows with a NULL in it never
    do, as in ``_dedupe``. A unique index is built by a sort, which stops at the first repeat: for
    970,000 people 0.6–0.7 s, where grouping them all in a hash aggregate took 0.7–1.0 s and the
    dedupe around it 1.3 s. The index is dropped again unless ``keep_as`` names it."""
    try:
        with transaction.atomic():
            cursor.execute(f"CREATE UNIQUE INDEX st_no_repeats ON {table} ({key}) WHERE {among}")
    except IntegrityError:
        return False
    if keep_as:
        cursor.execute(f"ALTER INDEX pg_temp.st_no_repeats RENAME TO {keep_as}")
    else:
        cursor.execute("DROP INDEX pg_temp.st_no_repeats")
    return True


def _analyze(cursor: Any, *tables: str) -> None:
    # Autovacuum never analyzes temporary tables; without statistics the planner would pick
    # nested loops over 600,000-row staging tables. Their plans need row counts and rough
    # distinct counts only: a sample of 3,000 rows (target 10) instead of the default 30,000
    # (0.37 → 0.03 s for 970,000 people). Region tables keep the default (``_refresh_stats``).
    cursor.execute("SET LOCAL default_statistics_target = 10")
    for table in tables:
        cursor.execute(f"ANALYZE {table}")
    cursor.execute("SET LOCAL default_statistics_target TO DEFAULT")


def _refresh_stats(cursor: Any, table: str, changed: int, *, rough: bool = False) -> None:
    """After a large write, statistics of a region table: a first import fills empty tables, and
    a plan made for "0 rows" (nested loops) over 600,000 rows takes minutes instead of seconds.
    ``rough``: the table was mostly filled just now (``_Suspended``): the staging sample serves
    the rest of the import, and autovacuum analyzes the table in full after the commit (more than
    10 % of its rows are new) — 0.35 → 0.03 s for a million accounts."""
    if changed > 1000:
        if rough:
            _analyze(cursor, table)
        else:
            cursor.execute(f"ANALYZE {table}")


BULK_MIN_ROWS = 10_000


class _Suspended:
    """A table's indexes and constraints — primary key included —, dropped while it receives
    more new rows than it has (a region's first import) and rebuilt afterwards, all inside the
    import's transaction. Building an index once from sorted rows and validating a foreign key
    with one join is several times faster than maintaining every index row by row and running
    ~2 million deferred per-row checks at commit; without its primary key an insert writes one
    WAL record per row instead of two (1,000,000 accounts: 3.2 → 2.2 s with the key rebuilt).
    The foreign keys of other tables that point at it go and come back with the key. A failure
    or a kill rolls the DDL back with everything else. The tables are locked (ACCESS EXCLUSIVE)
    until the commit: acceptable for a region being filled for the first time, which is the
    only case this happens in."""

    def __init__(self, cursor: Any, table: str) -> None:
        self.cursor = cursor
        # (owner, name, kind, definition), dropped in this order and added back in the reverse:
        # foreign keys (the other tables' first) before the unique and primary keys they need
        cursor.execute(
            """
            SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) FROM pg_constraint
             WHERE (conrelid = %(t)s::regclass AND contype IN ('p', 'u', 'f'))
                OR (confrelid = %(t)s::regclass AND conrelid <> confrelid AND contype = 'f')
             ORDER BY conrelid = %(t)s::regclass, CASE contype WHEN 'f' THEN 0 WHEN 'u' THEN 1 ELSE 2 END, conname
            """,
            {"t": table},
        )
        self.constraints: list[tuple[str, str, str, str]] = cursor.fetchall()
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
             WHERE i.indrelid = %s::regclass
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = i.indrelid AND c.conindid = i.indexrelid)
            """,
            [table],
        )
        self.indexes: list[tuple[str, str]] = cursor.fetchall()
        for owner, name, _kind, _definition in self.constraints:
            cursor.execute(f'ALTER TABLE {owner} DROP CONSTRAINT "{name}"')
        for name, _definition in self.indexes:
            cursor.execute(f"DROP INDEX {name}")

    def restore(self) -> None:
        for _name, definition in self.indexes:
            self.cursor.execute(definition)
        # A foreign key is validated by one anti-join of the two tables. Their indexes are in
        # place by then (the keys come back last), and a merge join along them beats hashing a
        # million ids: 0.58 → 0.44 s per key of the guardian links, in the import's transaction.
        self.cursor.execute("SET LOCAL enable_hashjoin = off")
        for owner, name, _kind, definition in reversed(self.constraints):
            self.cursor.execute(f'ALTER TABLE {owner} ADD CONSTRAINT "{name}" {definition}')
        self.cursor.execute("SET LOCAL enable_hashjoin TO DEFAULT")


def _suspend_if_mostly_new(cursor: Any, table: str, new_rows: int) -> _Suspended | None:
    if new_rows < BULK_MIN_ROWS:
        return None
    cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT %s) x", [new_rows])  # noqa: S608
    if cursor.fetchone()[0] >= new_rows:
        return None
    return _Suspended(cursor, table)


def _next_id(cursor: Any, table: str) -> str:
    """``nextval('<the table's id sequence>')`` with the sequence resolved once: written as
    ``nextval(pg_get_serial_sequence(…))`` the lookup would run for every one of 600,000 rows."""
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    sequence = cursor.fetchone()[0]
    cursor.execute("SELECT quote_literal(%s)", [sequence])
    return f"nextval({cursor.fetchone()[0]}::regclass)"


def _count(cursor: Any, sql: str, params: dict | None = None) -> int:
    cursor.execute(sql, params or {})
    return int(cursor.fetchone()[0])


def _exists(cursor: Any, table: str, where: str = "true") -> bool:
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {where})")  # noqa: S608 - constants of this module
    return bool(cursor.fetchone()[0])


# --- 3. checks (staging only) --------------------------------------------------------------------


def check(cursor: Any, *, full: bool, today: datetime.date, has_details: bool, numbered: bool) -> None:
    """``numbered``: ``create_staging`` numbered the people (the region has none)."""
    _analyze(cursor, *STAGING)
    _check_schools(cursor)
    _check_people(cursor, has_details=has_details, numbered=numbered)
    _prepare_oneroster_links(cursor)
    _check_memberships(cursor, full=full, today=today)
    _check_guardians(cursor, full=full)


def _check_schools(cursor: Any) -> None:
    _dedupe(cursor, "st_school", "schools", "ogrn", "'ogrn'", _("ОГРН повторяется: школа уже описана выше"))
    _resolve_ids(cursor, "st_school", "schools_school", "school_id", "x.ogrn = t.ogrn")


def _replace(cursor: Any, table: str, select: str, params: dict | None = None) -> None:
    """Rebuild staging ``table`` from ``select`` (one pass: cheaper than UPDATEs that rewrite
    every row of a 600,000-row table)."""
    cursor.execute(f"CREATE TEMP TABLE {table}_new AS {select}", params or {})
    cursor.execute(f"DROP TABLE {table}")
    cursor.execute(f"ALTER TABLE {table}_new RENAME TO {table}")
    _analyze(cursor, table)


def _check_people(cursor: Any, *, has_details: bool, numbered: bool) -> None:
    _dedupe(
        cursor,
        "st_person",
        "people",
        "registry_id",
        "'person_id'",
        _("person_id повторяется: человек уже описан"),
    )
    # Kept: references by SNILS (a few thousand rows) find their person through it instead of
    # a scan of every staged person per reference column (0.3-0.4 s each).
    _dedupe(
        cursor,
        "st_person",
        "people",
        "snils",
        "'snils'",
        _("этот СНИЛС уже указан у другой записи"),
        index="st_person_snils",
    )
    if has_details:
        _dedupe(
            cursor,
            "st_person_detail",
            "people",
            "registry_id",
            "'sourcedId'",
            _("демографические данные человека уже указаны"),
        )
        _reject(
            cursor,
            "st_person_detail",
            "people",
            "NOT EXISTS (SELECT 1 FROM st_person s WHERE s.registry_id = t.registry_id)",
            "'sourcedId'",
            _("нет такого пользователя в users.csv (или он отклонён)"),
        )
    if numbered and not _exists(cursor, "st_person_detail"):
        # Every person is new and has its id, and no separate demographics to merge; no SNILS
        # has an owner in the region, and no two rows can have found the same person.
        return
    details = (
        "COALESCE(d.birth_date, s.birth_date) AS birth_date, COALESCE(d.sex, s.sex) AS sex"
        if has_details
        else "s.birth_date, s.sex"
    )
    detail_join = "LEFT JOIN st_person_detail d ON d.registry_id = s.registry_id" if has_details else ""
    # The person is found by registry id, else by SNILS when the two ids do not contradict each
    # other; a new person gets its id now. ``snils_owner``: who holds this SNILS in the region.
    _replace(
        cursor,
        "st_person",
        f"""
        SELECT s.file, s.line, s.registry_id, s.snils, s.surname, s.name, s.patronymic, {details},
               s.email, s.phone,
               COALESCE(p1.id, p2.id, {"s.pid" if numbered else _next_id(cursor, "people_person")}) AS pid,
               p1.id IS NULL AND p2.id IS NULL AS is_new,
               p3.id AS snils_owner
          FROM st_person s
          LEFT JOIN people_person p1 ON p1.registry_id = s.registry_id
          LEFT JOIN people_person p2
                 ON p1.id IS NULL AND p2.snils = s.snils AND (s.registry_id IS NULL OR p2.registry_id IS NULL)
          LEFT JOIN people_person p3 ON p3.snils = s.snils
          {detail_join}
        """,  # noqa: S608 - constants of this module
    )
    # _replace made a new table: the SNILS index the dedupe left (see above) again
    cursor.execute("CREATE INDEX st_person_snils ON st_person (snils)")
    if not numbered:  # else no SNILS has an owner, and no two rows found the same person
        _reject(
            cursor,
            "st_person",
            "people",
            "t.snils_owner IS NOT NULL AND (t.is_new OR t.snils_owner <> t.pid)",
            "'snils'",
            _("СНИЛС принадлежит другому человеку региона (с другим ID в реестре)"),
        )
        # A new person's id is a fresh nextval: only people found in the region can coincide.
        _dedupe(
            cursor,
            "st_person",
            "people",
            "pid",
            "'person_id'",
            _("тот же человек региона (совпали ID или СНИЛС) уже описан"),
            among="NOT is_new",
        )


def _prepare_oneroster_links(cursor: Any) -> None:
    """OneRoster: undirected agent pairs become parent → child links, the parent being the one
    with a parent role; a student's homeroom class comes from enrollments."""
    if _count(cursor, "SELECT count(*) FROM (SELECT 1 FROM st_agent LIMIT 1) x"):
        _reject(
            cursor,
            "st_agent",
            "guardian_links",
            "(t.user_id IN (SELECT registry_id FROM st_parent_role)) = "
            "(t.agent_id IN (SELECT registry_id FROM st_parent_role))",
            "'agentSourcedIds'",
            _("не понять, кто из двоих родитель: роль parent/guardian должна быть ровно у одного"),
        )
        cursor.execute(
            """
            INSERT INTO st_guardian (file, line, parent_id, child_id, relation)
            SELECT DISTINCT ON (parent_id, child_id) file, line, parent_id, child_id, NULL
              FROM (SELECT file, line,
                           CASE WHEN agent_id IN (SELECT registry_id FROM st_parent_role)
                                THEN agent_id ELSE user_id END AS parent_id,
                           CASE WHEN agent_id IN (SELECT registry_id FROM st_parent_role)
                                THEN user_id ELSE agent_id END AS child_id
                      FROM st_agent) pairs
             ORDER BY parent_id, child_id, file, line
            """
        )
    if _count(cursor, "SELECT count(*) FROM (SELECT 1 FROM st_class_assignment LIMIT 1) x"):
        _dedupe(
            cursor,
            "st_class_assignment",
            "memberships",
            "registry_id, school_ogrn",
            "'classSourcedId'",
            _("у ученика уже есть класс в этой школе"),
        )
        cursor.execute(
            """
            UPDATE st_membership m SET class_name = c.class_name, parallel = c.parallel, letter = c.letter
              FROM st_class_assignment c
             WHERE m.role = 'student' AND m.class_name IS NULL
               AND c.registry_id = m.registry_id AND c.school_ogrn = m.school_ogrn
            """
        )
        _reject(
            cursor,
            "st_class_assignment",
            "memberships",
            "NOT EXISTS (SELECT 1 FROM st_membership m WHERE m.role = 'student' "
            "AND m.registry_id = t.registry_id AND m.school_ogrn = t.school_ogrn)",
            "'userSourcedId'",
            _("ученик не числится в этой школе с ролью student (roles.csv)"),
        )


def _resolve_ids(cursor: Any, table: str, target: str, column: str, match: str) -> None:
    """Give every staging row the id its row has or will have: the existing one, or a fresh
    ``nextval``. The apply then never looks up the table it is inserting into (an anti-join
    against a table growing under the same statement re-scans it for every row)."""
    _replace(
        cursor,
        table,
        f"""
        SELECT t.*, COALESCE(x.id, {_next_id(cursor, target)}) AS {column},
               x.id IS NULL AS is_new
          FROM {table} t LEFT JOIN {target} x ON {match}
        """,  # noqa: S608 - constants of this module
    )


def _person_ref(
    cursor: Any, table: str, row: str, id_col: str, snils_col: str, n: str, *, full: bool
) -> tuple[str, str]:
    """Joins and the expression that resolve a reference of ``table``'s rows (alias ``row``) to
    a person — by registry id, else by SNILS — in the bundle (``st_person``) and, in delta mode,
    in the region. By SNILS only the people some row without an id names: a hash join over all
    of them would build a table of 600,000 people for the few thousand rows that probe it."""
    by_snils = _exists(cursor, table, f"{id_col} IS NULL")
    by_snils_on = f"{row}.{id_col} IS NULL AND {{alias}}.snils = {row}.{snils_col}"
    named = f"snils IN (SELECT {snils_col} FROM {table} WHERE {id_col} IS NULL)"  # noqa: S608 - constants
    joins = [("st_person", f"{n}1", "pid", f"{{alias}}.registry_id = {row}.{id_col}")]
    if by_snils:
        joins.append((f"(SELECT snils, pid FROM st_person WHERE {named})", f"{n}2", "pid", by_snils_on))  # noqa: S608
    if not full:
        joins.append(("people_person", f"{n}3", "id", f"{{alias}}.registry_id = {row}.{id_col}"))
        if by_snils:
            joins.append((f"(SELECT snils, id FROM people_person WHERE {named})", f"{n}4", "id", by_snils_on))  # noqa: S608
    sql = "".join(f"\n LEFT JOIN {t} {a} ON {on.format(alias=a)}" for t, a, _c, on in joins)
    expr = f"COALESCE({', '.join(f'{a}.{c}' for _t, a, c, _on in joins)}, NULL::bigint)"
    return sql, expr


def _check_memberships(cursor: Any, *, full: bool, today: datetime.date) -> None:
    person_joins, person = _person_ref(cursor, "st_membership", "m", "registry_id", "snils", "s", full=full)
    # A full bundle may keep the history of a school it no longer lists (closed: its pupils
    # moved, their old membership ended): an ended membership may point at a school of the region.
    in_region_school = (
        "COALESCE(sc.school_id, CASE WHEN m.date_to < %(today)s THEN x.id END)"
        if full
        else "COALESCE(sc.school_id, x.id)"
    )
    # Person and school resolved, and the membership's own id (existing or new) in one pass.
    cursor.execute(
        f"""
        CREATE TEMP TABLE st_m AS
        SELECT q.*, COALESCE(x.id, {_next_id(cursor, "people_membership")}) AS mid,
               x.id IS NULL AS is_new
          FROM (SELECT m.file, m.line, m.role, m.class_name, m.parallel, m.letter, m.date_from, m.date_to,
                       m.registry_id IS NOT NULL AS by_id,
                       {person} AS pid,
                       {in_region_school} AS school_id, sc.school_id IS NOT NULL AS listed
                  FROM st_membership m {person_joins}
                  LEFT JOIN st_school sc ON sc.ogrn = m.school_ogrn
                  LEFT JOIN schools_school x ON x.ogrn = m.school_ogrn) q
          LEFT JOIN people_membership x ON x.person_id = q.pid AND x.school_id = q.school_id AND x.role = q.role
        """,  # noqa: S608 - constants of this module
        {"today": today},
    )
    _analyze(cursor, "st_m")
    _reject(
        cursor,
        "st_m",
        "memberships",
        "t.pid IS NULL",
        "CASE WHEN t.by_id THEN 'person_id' ELSE 'snils' END",
        _("человек не найден в people.csv (или его строка отклонена)")
        if full
        else _("человек не найден ни в people.csv, ни в регионе (или его строка отклонена)"),
    )
    _reject(
        cursor,
        "st_m",
        "memberships",
        "t.school_id IS NULL",
        "'school_ogrn'",
        _("школа не найдена в schools.csv (или её строка отклонена)")
        if full
        else _("школа не найдена ни в schools.csv, ни в регионе (или её строка отклонена)"),
    )
    if not full:
        # A delta that changes a student's membership without restating the class (OneRoster:
        # a role row without an enrollment) keeps the class the student has.
        cursor.execute(
            """
            UPDATE st_m m SET class_name = c.name, parallel = c.parallel, letter = c.letter
              FROM people_membership x JOIN schools_schoolclass c ON c.id = x.school_class_id
             WHERE m.role = 'student' AND m.class_name IS NULL AND NOT m.is_new AND x.id = m.mid
            """
        )
    _reject(
        cursor,
        "st_m",
        "memberships",
        "t.role = 'student' AND t.class_name IS NULL",
        "'class'",
        _("Класс: обязателен для ученика"),
    )
    # One row per person, school and role: the current one wins, then the latest start.
    _dedupe(
        cursor,
        "st_m",
        "memberships",
        "pid, school_id, role",
        "CASE WHEN by_id THEN 'person_id' ELSE 'snils' END",
        _("повтор: человек уже числится в этой школе с этой ролью"),
        order=f"(date_to IS NULL OR date_to >= DATE '{today.isoformat()}') DESC, date_from DESC NULLS LAST",
    )


def _check_guardians(cursor: Any, *, full: bool) -> None:
    parent_joins, parent = _person_ref(
        cursor, "st_guardian", "g", "parent_id", "parent_snils", "a", full=full
    )
    child_joins, child = _person_ref(cursor, "st_guardian", "g", "child_id", "child_snils", "b", full=full)
    cursor.execute(
        f"""
        CREATE TEMP TABLE st_g AS
        SELECT q.*, COALESCE(x.id, {_next_id(cursor, "people_guardianlink")}) AS gid,
               x.id IS NULL AS is_new
          FROM (SELECT g.file, g.line, g.relation,
                       g.parent_id IS NOT NULL AS parent_by_id, g.child_id IS NOT NULL AS child_by_id,
                       {parent} AS parent_pid, {child} AS child_pid
                  FROM st_guardian g {parent_joins} {child_joins}) q
          LEFT JOIN people_guardianlink x ON x.parent_id = q.parent_pid AND x.child_id = q.child_pid
        """  # noqa: S608 - constants of this module
    )
    _analyze(cursor, "st_g")
    _reject(
        cursor,
        "st_g",
        "guardian_links",
        "t.parent_pid IS NULL",
        "CASE WHEN t.parent_by_id THEN 'parent_id' ELSE 'parent_snils' END",
        _("родитель не найден в people.csv (или его строка отклонена)")
        if full
        else _("родитель не найден ни в people.csv, ни в регионе (или его строка отклонена)"),
    )
    _reject(
        cursor,
        "st_g",
        "guardian_links",
        "t.child_pid IS NULL",
        "CASE WHEN t.child_by_id THEN 'child_id' ELSE 'child_snils' END",
        _("ребёнок не найден в people.csv (или его строка отклонена)")
        if full
        else _("ребёнок не найден ни в people.csv, ни в регионе (или его строка отклонена)"),
    )
    _reject(
        cursor,
        "st_g",
        "guardian_links",
        "t.parent_pid = t.child_pid",
        "'child_id'",
        _("человек указан родителем самого себя"),
    )
    _dedupe(
        cursor,
        "st_g",
        "guardian_links",
        "parent_pid, child_pid",
        "'child_id'",
        _("повтор: эта связь родитель → ребёнок уже указана"),
    )


# --- 4. apply (region tables) --------------------------------------------------------------------


def apply(cursor: Any, *, full: bool, today: datetime.date, has_details: bool, counts: Counts, stage) -> None:
    """Write the difference into the region's tables. ``stage(name)`` reports progress."""
    # Foreign keys are checked at the end of each statement, not at commit: the ids are right by
    # construction, and no check may be pending when a table's constraints are rebuilt.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    stage("apply_schools")
    _apply_schools(cursor, full=full, counts=counts)
    stage("apply_people")
    region_had_people = _exists(cursor, "people_person")
    all_accounts_made = _apply_people(
        cursor, full=full, today=today, has_details=has_details, counts=counts, had_rows=region_had_people
    )
    stage("apply_classes")
    _apply_classes(cursor, full=full, counts=counts)
    stage("apply_memberships")
    _apply_memberships(cursor, full=full, today=today, counts=counts)
    stage("apply_guardians")
    _apply_guardians(cursor, full=full, counts=counts)
    stage("apply_accounts")
    if full and not region_had_people and all_accounts_made:
        # A region's first full import: every account was just made from the staging rows, and
        # there every membership's school and every child is in the bundle and active — the
        # same roles the region-wide pass below would compute. Nothing to reconcile.
        return
    _apply_accounts(cursor, counts=counts)


_USER_COLUMNS = (
    "password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined, roles, "
    "sso_subject, sso_sync_hash"
)
# Django's "unusable password" form ("!" and 40 random characters): login is through the
# identity provider only. One random value per import for the accounts it creates: the random
# part only makes an account's earlier password-reset links invalid (they sign the password
# field), and a new account has none; gen_random_uuid() per row cost 1.2 s per million accounts.
_UNUSABLE_PASSWORD = "%(unusable_password)s"  # noqa: S105 - an SQL parameter, not a password


def _unusable_password() -> dict[str, str]:
    return {"unusable_password": make_password(None)}


# The registry roles of a person as bits (one ``bit_or`` per group in a hash aggregate: four
# ``bool_or`` cost 1.5 s more over a million people) and back as an array in a fixed
# (alphabetical) order; a single role, the common case, without building one.
_ROLE_BIT = "CASE {role} WHEN 'parent' THEN 1 WHEN 'school_admin' THEN 2 WHEN 'student' THEN 4 ELSE 8 END"
_ROLES_FROM_BITS = (
    "(CASE {bits} WHEN 1 THEN '{{parent}}' WHEN 2 THEN '{{school_admin}}' WHEN 4 THEN '{{student}}' "
    "WHEN 8 THEN '{{teacher}}' ELSE array_remove(ARRAY["
    "CASE WHEN {bits} & 1 > 0 THEN 'parent' END, CASE WHEN {bits} & 2 > 0 THEN 'school_admin' END, "
    "CASE WHEN {bits} & 4 > 0 THEN 'student' END, CASE WHEN {bits} & 8 > 0 THEN 'teacher' END], NULL) "
    "END)::varchar(32)[]"
)

_SCHOOL_COLUMNS = ("inn", "kpp", "full_name", "short_name", "municipality", "address", "kind")


def _apply_schools(cursor: Any, *, full: bool, counts: Counts) -> None:
    had_rows = _exists(cursor, "schools_school")  # else nothing to deactivate (a first import)
    cols = _SCHOOL_COLUMNS
    cursor.execute(
        f"""
        UPDATE schools_school x
           SET {", ".join(f"{c} = s.{c}" for c in cols)},
               is_active = true, deactivated_at = NULL, updated_at = now()
          FROM st_school s
         WHERE s.school_id = x.id AND NOT s.is_new
           AND (({", ".join(f"x.{c}" for c in cols)}, x.is_active)
                IS DISTINCT FROM ({", ".join(f"s.{c}" for c in cols)}, true))
        """  # noqa: S608 - constants of this module
    )
    counts.add("schools", "updated", cursor.rowcount)
    cursor.execute(
        f"""
        INSERT INTO schools_school (id, ogrn, {", ".join(cols)}, is_active, deactivated_at, created_at, updated_at)
        SELECT school_id, ogrn, {", ".join(cols)}, true, NULL, now(), now() FROM st_school WHERE is_new
        """  # noqa: S608 - constants of this module
    )
    counts.add("schools", "created", cursor.rowcount)
    _refresh_stats(cursor, "schools_school", cursor.rowcount)
    total = _count(cursor, "SELECT count(*) FROM st_school")
    counts.add(
        "schools", "unchanged", total - counts.data["schools"]["created"] - counts.data["schools"]["updated"]
    )
    if full and had_rows:
        cursor.execute(
            """
            UPDATE schools_school x SET is_active = false, deactivated_at = now(), updated_at = now()
             WHERE x.is_active AND NOT EXISTS (SELECT 1 FROM st_school s WHERE s.school_id = x.id)
            """
        )
        counts.add("schools", "deactivated", cursor.rowcount)


def _apply_people(
    cursor: Any, *, full: bool, today: datetime.date, has_details: bool, counts: Counts, had_rows: bool
) -> bool:
    """Returns whether every new person got an account here (no account name was taken).
    ``had_rows``: the region had people before (else there is nobody to update or deactivate)."""
    # Keys are only ever set, never cleared: an export that omits a SNILS does not unlink it.
    target = {
        "registry_id": "COALESCE(s.registry_id, x.registry_id)",
        "snils": "COALESCE(s.snils, x.snils)",
        "surname": "s.surname",
        "name": "s.name",
        "patronymic": "s.patronymic",
        # Without birth dates and sex in the input (OneRoster without demographics.csv) the
        # stored ones stay.
        "birth_date": "s.birth_date" if has_details else "x.birth_date",
        "sex": "s.sex" if has_details else "x.sex",
        "email": "s.email",
        "phone": "s.phone",
    }
    if had_rows:  # else nobody to update
        cursor.execute(
            f"""
            UPDATE people_person x
               SET {", ".join(f"{c} = {v}" for c, v in target.items())},
                   is_active = true, deactivated_at = NULL, updated_at = now()
              FROM st_person s
             WHERE s.pid = x.id AND NOT s.is_new
               AND (({", ".join(f"x.{c}" for c in target)}, x.is_active)
                    IS DISTINCT FROM ({", ".join(target.values())}, true))
            """  # noqa: S608 - constants of this module
        )
        counts.add("people", "updated", cursor.rowcount)
    # Accounts of new people first, so that each person is inserted already linked: setting
    # user_id afterwards would write every new person row (and all its indexes) twice. The
    # account pass at the end corrects whatever the staging rows alone could not know.
    # st_new_acc: every new person, with the id and roles of its account if it gets one — both
    # inserts read it without another join (a hash join of a million people: 1.5 s).
    cursor.execute(
        f"""
        CREATE TEMP TABLE st_new_acc AS
        SELECT s.pid, s.registry_id, s.snils, s.surname, s.name, s.patronymic, s.birth_date, s.sex, s.email,
               s.phone, CASE WHEN r.bits IS NOT NULL THEN {_next_id(cursor, "core_user")} END AS uid,
               {_ROLES_FROM_BITS.format(bits="r.bits")} AS roles
          FROM st_person s
          LEFT JOIN (SELECT x.pid, bit_or(x.bit) AS bits
                       FROM (SELECT m.pid, {_ROLE_BIT.format(role="m.role")} AS bit FROM st_m m
                              WHERE m.role IN ('student', 'teacher', 'school_admin')
                                AND (m.date_to IS NULL OR m.date_to >= %(today)s)
                             UNION ALL
                             SELECT DISTINCT g.parent_pid, 1 FROM st_g g) x
                      GROUP BY x.pid) r ON r.pid = s.pid
         WHERE s.is_new
        """,  # noqa: S608 - constants of this module
        {"today": today},
    )
    new_people = cursor.rowcount
    _analyze(cursor, "st_new_acc")
    # A user already named p<id> (left behind by hand) is linked by the account pass instead.
    cursor.execute(
        "UPDATE st_new_acc a SET uid = NULL FROM core_user u WHERE a.uid IS NOT NULL AND u.username = 'p' || a.pid"
    )
    names_taken = cursor.rowcount
    # at most one account per new person: enough to decide on bulk mode without counting them
    suspended = _suspend_if_mostly_new(cursor, "core_user", new_people)
    cursor.execute(
        f"""
        INSERT INTO core_user (id, {_USER_COLUMNS})
        SELECT a.uid, {_UNUSABLE_PASSWORD}, false, 'p' || a.pid, left(a.name, 150), left(a.surname, 150), '', false,
               true, now(), a.roles, NULL, ''
          FROM st_new_acc a WHERE a.uid IS NOT NULL
        """,  # noqa: S608 - constants of this module
        _unusable_password(),
    )
    new_accounts = cursor.rowcount
    counts.add("accounts", "created", new_accounts)
    if suspended:
        suspended.restore()
    _refresh_stats(cursor, "core_user", new_accounts, rough=suspended is not None)
    suspended = _suspend_if_mostly_new(cursor, "people_person", new_people)
    cursor.execute(
        """
        INSERT INTO people_person (id, registry_id, snils, surname, name, patronymic, birth_date, sex, email,
                                   phone, user_id, is_active, deactivated_at, created_at, updated_at)
        SELECT a.pid, a.registry_id, a.snils, a.surname, a.name, a.patronymic, a.birth_date, COALESCE(a.sex, ''),
               a.email, a.phone, a.uid, true, NULL, now(), now()
          FROM st_new_acc a
        """
    )
    counts.add("people", "created", cursor.rowcount)
    if suspended:
        suspended.restore()
    _refresh_stats(cursor, "people_person", new_people, rough=suspended is not None)
    # in a region without people every staged person was new
    total = _count(cursor, "SELECT count(*) FROM st_person") if had_rows else new_people
    counts.add(
        "people", "unchanged", total - counts.data["people"]["created"] - counts.data["people"]["updated"]
    )
    if full and had_rows:
        cursor.execute(
            """
            UPDATE people_person x SET is_active = false, deactivated_at = now(), updated_at = now()
             WHERE x.is_active AND NOT EXISTS (SELECT 1 FROM st_person s WHERE s.pid = x.id)
            """
        )
        counts.add("people", "deactivated", cursor.rowcount)
    return names_taken == 0


def _apply_classes(cursor: Any, *, full: bool, counts: Counts) -> None:
    had_rows = _exists(cursor, "schools_schoolclass")  # else nothing to deactivate
    # The history of a school the bundle no longer lists names classes, but it does not keep
    # them alive (or create them): those memberships take the class the school had.
    cursor.execute(
        "CREATE TEMP TABLE st_c AS SELECT DISTINCT school_id, class_name, parallel, letter "
        "FROM st_m WHERE class_name IS NOT NULL" + (" AND listed" if full else "")
    )
    total = cursor.rowcount
    _resolve_ids(
        cursor, "st_c", "schools_schoolclass", "cid", "x.school_id = t.school_id AND x.name = t.class_name"
    )
    # Only the registry's columns: the class teacher and the shift belong to the school.
    cursor.execute(
        """
        UPDATE schools_schoolclass c
           SET parallel = k.parallel, letter = k.letter, is_active = true, updated_at = now()
          FROM st_c k
         WHERE c.id = k.cid AND NOT k.is_new
           AND (c.parallel, c.letter, c.is_active) IS DISTINCT FROM (k.parallel, k.letter, true)
        """
    )
    counts.add("classes", "updated", cursor.rowcount)
    suspended = _suspend_if_mostly_new(
        cursor, "schools_schoolclass", _count(cursor, "SELECT count(*) FROM st_c WHERE is_new")
    )
    cursor.execute(
        """
        INSERT INTO schools_schoolclass (id, school_id, name, parallel, letter, shift, class_teacher_id, is_active,
                                         created_at, updated_at)
        SELECT k.cid, k.school_id, k.class_name, k.parallel, k.letter, 1, NULL, true, now(), now()
          FROM st_c k WHERE k.is_new
        """
    )
    counts.add("classes", "created", cursor.rowcount)
    if suspended:
        suspended.restore()
    _refresh_stats(
        cursor, "schools_schoolclass", counts.data["classes"]["created"], rough=suspended is not None
    )
    counts.add(
        "classes", "unchanged", total - counts.data["classes"]["created"] - counts.data["classes"]["updated"]
    )
    if full and had_rows:
        cursor.execute(
            """
            UPDATE schools_schoolclass c SET is_active = false, updated_at = now()
             WHERE c.is_active AND NOT EXISTS (SELECT 1 FROM st_c k WHERE k.cid = c.id)
            """
        )
        counts.add("classes", "deactivated", cursor.rowcount)


def _apply_memberships(cursor: Any, *, full: bool, today: datetime.date, counts: Counts) -> None:
    had_rows = _exists(cursor, "people_membership")  # else nothing to update or deactivate
    source = """
        SELECT m.mid, m.is_new, m.pid, m.school_id, m.role, COALESCE(c.cid, h.id) AS class_id, m.date_from,
               m.date_to, (m.date_to IS NULL OR m.date_to >= %(today)s) AS active
          FROM st_m m
          LEFT JOIN st_c c ON c.school_id = m.school_id AND c.class_name = m.class_name
          LEFT JOIN schools_schoolclass h ON NOT m.listed AND c.cid IS NULL
                                         AND h.school_id = m.school_id AND h.name = m.class_name
    """
    if had_rows:  # else nothing to update
        cursor.execute(
            f"""
            UPDATE people_membership x
               SET school_class_id = k.class_id, date_from = k.date_from, date_to = k.date_to,
                   is_active = k.active, updated_at = now()
              FROM ({source}) k
             WHERE x.id = k.mid AND NOT k.is_new
               AND (x.school_class_id, x.date_from, x.date_to, x.is_active)
                   IS DISTINCT FROM (k.class_id, k.date_from, k.date_to, k.active)
            """,  # noqa: S608 - constants of this module
            {"today": today},
        )
        counts.add("memberships", "updated", cursor.rowcount)
    suspended = _suspend_if_mostly_new(
        cursor, "people_membership", _count(cursor, "SELECT count(*) FROM st_m WHERE is_new")
    )
    cursor.execute(
        f"""
        INSERT INTO people_membership (id, person_id, school_id, role, school_class_id, date_from, date_to,
                                       is_active, created_at, updated_at)
        SELECT k.mid, k.pid, k.school_id, k.role, k.class_id, k.date_from, k.date_to, k.active, now(), now()
          FROM ({source}) k WHERE k.is_new
        """,  # noqa: S608 - constants of this module
        {"today": today},
    )
    counts.add("memberships", "created", cursor.rowcount)
    if suspended:
        suspended.restore()
    _refresh_stats(
        cursor, "people_membership", counts.data["memberships"]["created"], rough=suspended is not None
    )
    total = _count(cursor, "SELECT count(*) FROM st_m")
    counts.add(
        "memberships",
        "unchanged",
        total - counts.data["memberships"]["created"] - counts.data["memberships"]["updated"],
    )
    if full and had_rows:
        cursor.execute(
            """
            UPDATE people_membership x SET is_active = false, updated_at = now()
             WHERE x.is_active AND NOT EXISTS (SELECT 1 FROM st_m m WHERE m.mid = x.id)
            """
        )
        counts.add("memberships", "deactivated", cursor.rowcount)


def _apply_guardians(cursor: Any, *, full: bool, counts: Counts) -> None:
    had_rows = _exists(cursor, "people_guardianlink")  # else nothing to update or deactivate
    if had_rows:  # else nothing to update
        cursor.execute(
            """
            UPDATE people_guardianlink x SET relation = COALESCE(g.relation, x.relation), is_active = true,
                                             updated_at = now()
              FROM st_g g
             WHERE x.id = g.gid AND NOT g.is_new
               AND (x.relation, x.is_active) IS DISTINCT FROM (COALESCE(g.relation, x.relation), true)
            """
        )
        counts.add("guardian_links", "updated", cursor.rowcount)
    suspended = _suspend_if_mostly_new(
        cursor, "people_guardianlink", _count(cursor, "SELECT count(*) FROM st_g WHERE is_new")
    )
    cursor.execute(
        """
        INSERT INTO people_guardianlink (id, parent_id, child_id, relation, is_active, created_at, updated_at)
        SELECT g.gid, g.parent_pid, g.child_pid, COALESCE(g.relation, ''), true, now(), now()
          FROM st_g g WHERE g.is_new
        """
    )
    counts.add("guardian_links", "created", cursor.rowcount)
    if suspended:
        suspended.restore()
    _refresh_stats(
        cursor, "people_guardianlink", counts.data["guardian_links"]["created"], rough=suspended is not None
    )
    total = _count(cursor, "SELECT count(*) FROM st_g")
    counts.add(
        "guardian_links",
        "unchanged",
        total - counts.data["guardian_links"]["created"] - counts.data["guardian_links"]["updated"],
    )
    if full and had_rows:
        cursor.execute(
            """
            UPDATE people_guardianlink x SET is_active = false, updated_at = now()
             WHERE x.is_active AND NOT EXISTS (SELECT 1 FROM st_g g WHERE g.gid = x.id)
            """
        )
        counts.add("guardian_links", "deactivated", cursor.rowcount)


def _apply_accounts(cursor: Any, *, counts: Counts) -> None:
    """Every active person with a platform role has an account ``p<person id>`` whose registry
    roles are exactly theirs; roles given elsewhere stay. Computed over the whole region (a delta
    import can change anyone's roles), written only where something differs."""
    params = {"registry_roles": list(REGISTRY_ROLES)}
    cursor.execute(
        f"""
        CREATE TEMP TABLE st_roles AS
        SELECT r.person_id, {_ROLES_FROM_BITS.format(bits="bit_or(r.bit)")} AS roles
          FROM (SELECT m.person_id, {_ROLE_BIT.format(role="m.role")} AS bit
                  FROM people_membership m JOIN schools_school s ON s.id = m.school_id AND s.is_active
                 WHERE m.is_active AND m.role IN ('student', 'teacher', 'school_admin')
                UNION ALL
                SELECT g.parent_id, 1  -- not DISTINCT here: the parallel plan it gets takes twice as long
                  FROM people_guardianlink g JOIN people_person c ON c.id = g.child_id AND c.is_active
                 WHERE g.is_active) r
          JOIN people_person p ON p.id = r.person_id AND p.is_active
         GROUP BY r.person_id
        """  # noqa: S608 - constants of this module
    )
    _analyze(cursor, "st_roles")
    # An account named after the person may exist unlinked (the person's link was cleared).
    cursor.execute(
        """
        UPDATE people_person p SET user_id = u.id
          FROM st_roles r, core_user u
         WHERE p.id = r.person_id AND p.user_id IS NULL AND u.username = 'p' || p.id
           AND NOT EXISTS (SELECT 1 FROM people_person o WHERE o.user_id = u.id)
        """
    )
    cursor.execute(
        f"""
        WITH created AS (
            INSERT INTO core_user ({_USER_COLUMNS})
            SELECT {_UNUSABLE_PASSWORD}, false, 'p' || p.id, left(p.name, 150), left(p.surname, 150), '', false,
                   true, now(), r.roles, NULL, ''
              FROM st_roles r JOIN people_person p ON p.id = r.person_id
             WHERE p.user_id IS NULL
            ON CONFLICT (username) DO NOTHING
            RETURNING id, username
        )
        UPDATE people_person p SET user_id = c.id FROM created c WHERE p.id = substr(c.username, 2)::bigint
        """,  # noqa: S608 - constants of this module
        _unusable_password(),
    )
    counts.add("accounts", "created", cursor.rowcount)
    _refresh_stats(cursor, "core_user", cursor.rowcount)
    # Desired state of every linked account: other roles first as they were, then the
    # registry's in a fixed order; active while the person is active and has any role.
    cursor.execute(
        """
        WITH desired AS MATERIALIZED (
            SELECT u.id, u.is_active AS was_active, rr.roles,
                   p.is_active AND cardinality(rr.roles) > 0 AS is_active,
                   left(p.name, 150) AS first_name, left(p.surname, 150) AS last_name,
                   (u.roles, u.is_active, u.first_name, u.last_name)
                     IS DISTINCT FROM (rr.roles, p.is_active AND cardinality(rr.roles) > 0,
                                       left(p.name, 150), left(p.surname, 150)) AS differs
              FROM people_person p
              JOIN core_user u ON u.id = p.user_id
              LEFT JOIN st_roles r ON r.person_id = p.id
             CROSS JOIN LATERAL (
                   SELECT CASE WHEN u.roles <@ %(registry_roles)s::varchar(32)[]
                               THEN COALESCE(r.roles, '{}')
                               ELSE ARRAY(SELECT x FROM unnest(u.roles) x WHERE x <> ALL(%(registry_roles)s))
                                    || COALESCE(r.roles, '{}') END AS roles) rr
        ), changed AS (
            UPDATE core_user u SET roles = d.roles, is_active = d.is_active, first_name = d.first_name,
                                   last_name = d.last_name
              FROM desired d WHERE d.id = u.id AND d.differs
            RETURNING d.was_active AND NOT d.is_active AS deactivated
        )
        SELECT (SELECT count(*) FROM changed WHERE deactivated), (SELECT count(*) FROM changed),
               (SELECT count(*) FROM desired)
        """,
        params,
    )
    deactivated, changed, examined = cursor.fetchone()
    counts.add("accounts", "deactivated", deactivated)
    counts.add("accounts", "updated", changed - deactivated)
    counts.add("accounts", "unchanged", examined - counts.data["accounts"]["created"] - changed)


# What an import reads and writes in a region. Tables only the registry writes: the number of
# rows and the sum of their row versions' transaction ids (xmin) — any insert, update or delete
# changes it, and it costs no hashing. Classes and accounts are also written by others for their
# own columns (class teacher, last login), which must not make an import necessary: there, a
# hash of the import's columns only (hashed as a record: printing 1,000,000 rows as text to hash
# them took 1.2 s, hash_record_extended 0.5 s).
_FINGERPRINT = {
    "schools_school": "t.xmin::text::bigint",
    "people_person": "t.xmin::text::bigint",
    "people_membership": "t.xmin::text::bigint",
    "people_guardianlink": "t.xmin::text::bigint",
    "schools_schoolclass": "hash_record_extended(ROW(t.id, t.school_id, t.name, t.parallel, t.letter, t.is_active), 0)",
    "core_user": "hash_record_extended(ROW(t.id, t.username, t.roles, t.is_active, t.first_name, t.last_name), 0)",
}


def region_fingerprint(cursor: Any) -> str:
    """A digest of the region's registry tables as they are now (see ``_FINGERPRINT``)."""
    import hashlib

    part = "(SELECT count(*) || ':' || COALESCE(sum({value}), 0) FROM {table} t)"
    parts = [part.format(value=value, table=table) for table, value in _FINGERPRINT.items()]
    cursor.execute(f"SELECT concat_ws(';', {', '.join(parts)})")
    return hashlib.sha256(cursor.fetchone()[0].encode()).hexdigest()


def copy_rejections(cursor: Any, *, job_id: int, from_job_id: int) -> None:
    cursor.execute(
        """
        INSERT INTO public.imports_importrejection (job_id, entity, file, line, field, reason)
        SELECT %s, entity, file, line, field, reason FROM public.imports_importrejection
         WHERE job_id = %s ORDER BY id
        """,
        [job_id, from_job_id],
    )


def audit(cursor: Any, *, job_id: int, actor_label: str, counts: Counts, mode: str) -> None:
    """One audit event in the region per applied import: the job is the detailed record."""
    import json

    cursor.execute(
        """
        INSERT INTO core_auditevent (at, actor_id, actor_label, action, entity, entity_id, changes)
        VALUES (now(), NULL, %s, 'registry_import', 'import_job', %s, %s::jsonb)
        """,
        [actor_label or "system", str(job_id), json.dumps({"mode": mode, "counts": counts.data})],
    )


def save_rejections(cursor: Any, *, job_id: int, counts: Counts) -> None:
    cursor.execute("SELECT entity, count(*) FROM st_rejection GROUP BY entity")
    for entity, n in cursor.fetchall():
        if entity in counts.data:
            counts.add(entity, "rejected", n)
    cursor.execute(
        """
        INSERT INTO public.imports_importrejection (job_id, entity, file, line, field, reason)
        SELECT %s, entity, file, line, left(field, 64), left(reason, 500) FROM st_rejection ORDER BY file, line
        """,
        [job_id],
    )
