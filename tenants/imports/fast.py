"""The bundle's three big files read in batches instead of row by row.

People, memberships and guardian links are 99.9 % of a registry's rows, and per-row Python
(``csv``, a validator call per field, a COPY row) was most of an import's time. Here pyarrow's
streaming CSV reader cuts a file into batches of ~10,000 rows, its compute kernels (RE2
expressions, arithmetic check digits, ``strptime``) find the rows already in the form the
validators would return, and those go to the staging table as CSV written in C, with no Python
step per row. Every other row goes through the bundle adapter's own row loop
(``BundleAdapter._people`` …) and :mod:`core.validators`, so every rejection and every
normalisation that changes a value stays in one implementation.

The checks here are *conservative*: a row passes only if the row loop would accept it and
return exactly these values (tests import the same bundles both ways and compare every staging
row and rejection). Anything else — a lower-case class letter, a SNILS with spaces, a date
«1.9.2025», a name with a double space — simply takes the row loop.

A file is read this way only if it has no quote character (so a line is a row and the line
number of every row is known) and it is large enough to be worth it; the file is read inside a
savepoint, and if the rows pyarrow saw do not account for every line (blank lines, a row with
more or fewer fields), the savepoint is rolled back and the file is read row by row instead.
"""

from __future__ import annotations

import datetime
import io
import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction

from core.validators import NAME_MAX_LENGTH
from tenants.imports.apply import COPY_COLUMNS
from tenants.imports.bundle import REGISTRY_ID_MAX, RELATIONS, ROLES
from tenants.imports.reading import CsvFile
from tenants.imports.records import Record, Rejection

if TYPE_CHECKING:
    import pyarrow as pa

    from tenants.imports.bundle import BundleAdapter

logger = logging.getLogger(__name__)

# RE2 (pyarrow): \d is [0-9]; the character classes below are explicit so that nothing they
# accept is whitespace Python's str.strip() would remove.
_NAME = r"^[А-ЯЁа-яё]+(?:[ \-'’][А-ЯЁа-яё]+)*$"  # core.validators._NAME, no spaces around
_ID = rf"^[0-9A-Za-z_.:/\-]{{1,{REGISTRY_ID_MAX}}}$"
_SNILS = r"^\d{3}-\d{3}-\d{3} \d{2}$|^\d{11}$"
_OGRN13 = r"^\d{13}$"
_RU_DATE = r"^\d{2}\.\d{2}\.\d{4}$"
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
_EMAIL = r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z0-9\-]+$"
# core.validators._PHONE (first [0-9+(], then [0-9+() -]*, last [0-9)]) with its "at least 5
# digits" folded in: what comes before the first digit, the digits with what separates them,
# what follows the last one (counting the digits separately cost as much as every other check
# of a people row together)
_PHONE = r"^(?:[+(][+() \-]*)?[0-9](?:[+() \-]*[0-9]){4,}(?:[+() \-]*\))?$"
_CLASS = r"^(?:[1-9]|1[01])[А-ЯЁ]$"
_SEX_IN = ["", "М", "M", "м", "m", "Ж", "F", "ж", "f"]
_SEX_OUT = ["", "M", "M", "M", "M", "F", "F", "F", "F"]
_BLOCK = 1 << 20
_CHECK_THREADS = 2  # the machines run the import worker beside PostgreSQL on 2+ cores


def enabled_for(file: CsvFile) -> bool:
    return not file.scanned.has_quotes and file.rows_estimate >= settings.IMPORT_FAST_READ_MIN_ROWS


# --- column helpers --------------------------------------------------------------------------


class _Batch:
    """One batch's columns by the bundle's column names (a column the file lacks reads as "")."""

    def __init__(self, pc: Any, pa_: Any, file: CsvFile, batch: pa.RecordBatch) -> None:
        self.pc, self.pa, self.file, self.batch = pc, pa_, file, batch
        self.n = batch.num_rows

    def col(self, name: str) -> Any:
        i = self.file.index(name)
        if i is None:
            return self.pa.array([""] * self.n, self.pa.string())
        return self.batch.column(i)

    def matches(self, values: Any, pattern: str) -> Any:
        return self.pc.match_substring_regex(values, pattern)

    def empty(self, values: Any) -> Any:
        return self.pc.equal(values, "")

    def as_null(self, values: Any) -> Any:
        """ "" → null (an absent id or SNILS is NULL in staging, as the row loop writes None)."""
        return self.pc.if_else(self.empty(values), self.pa.scalar(None, self.pa.string()), values)

    def registry_id(self, values: Any) -> tuple[Any, Any]:
        """(ok, value): ``registry_id()`` of the bundle, where it returns the value unchanged."""
        return self.pc.or_kleene(self.empty(values), self.matches(values, _ID)), self.as_null(values)

    def snils(self, values: Any) -> tuple[Any, Any]:
        """(ok, digits or null): ``normalize_snils`` where it accepts the value (check number
        included); "" → null."""
        pc, pa_ = self.pc, self.pa
        shaped = self.matches(values, _SNILS)
        printed = pc.if_else(shaped, values, "00000000000")
        # the separators of «123-456-789 01» as two literal replacements (a regex: 5× slower)
        digits = pc.replace_substring(pc.replace_substring(printed, "-", ""), " ", "")
        body = pc.cast(pc.utf8_slice_codeunits(digits, 0, 9), pa_.int64())
        check = pc.cast(pc.utf8_slice_codeunits(digits, 9, 11), pa_.int64())
        total = None
        for position, weight in enumerate((9, 8, 7, 6, 5, 4, 3, 2, 1)):
            digit = _mod(pc, pc.divide(body, 10 ** (8 - position)), 10)
            term = pc.multiply(digit, weight)
            total = term if total is None else pc.add(total, term)
        rest = _mod(pc, total, 101)
        expected = pc.if_else(
            pc.less(total, 100),
            total,
            pc.if_else(pc.or_kleene(pc.less_equal(total, 101), pc.equal(rest, 100)), 0, rest),
        )
        valid = pc.and_kleene(shaped, pc.or_kleene(pc.less_equal(body, 1001998), pc.equal(expected, check)))
        ok = pc.or_kleene(self.empty(values), valid)
        return ok, pc.if_else(self.empty(values), pa_.scalar(None, pa_.string()), digits)

    def person(self, id_column: str, snils_column: str) -> tuple[Any, Any, Any]:
        """(ok, registry id, SNILS) of a reference to a person: by id, by SNILS, or both, as
        the row loop reads it (one of the two is required)."""
        id_ok, registry_id = self.registry_id(self.col(id_column))
        snils_ok, snils = self.snils(self.col(snils_column))
        named = self.pc.or_kleene(self.pc.is_valid(registry_id), self.pc.is_valid(snils))
        return _all(self.pc, (id_ok, snils_ok, named)), registry_id, snils

    def name(self, values: Any, *, optional: bool = False) -> Any:
        pc = self.pc
        ok = pc.and_kleene(
            self.matches(values, _NAME), pc.less_equal(pc.utf8_length(values), NAME_MAX_LENGTH)
        )
        return pc.or_kleene(self.empty(values), ok) if optional else ok

    def date(self, values: Any, *, iso_too: bool) -> tuple[Any, Any]:
        """(ok, date or null): ``parse_date`` of DD.MM.YYYY (and YYYY-MM-DD) for days that
        exist; "" → null; any other form → the row loop."""
        pc, pa_ = self.pc, self.pa
        null_date = pa_.scalar(None, pa_.date32())

        def parsed(pattern: str, fmt: str, day_at: int, month_at: int) -> Any:
            shaped = self.matches(values, pattern)
            candidates = pc.if_else(shaped, values, pa_.scalar(None, pa_.string()))
            when = pc.strptime(candidates, format=fmt, unit="s", error_is_null=True)

            # strptime rolls «31.02.2012» over to 2 March: a day that exists keeps the day and
            # month it was written with (compared as numbers: printing the date back with
            # strftime cost five times as much)
            def written(at: int) -> Any:
                return pc.cast(pc.utf8_slice_codeunits(candidates, at, at + 2), pa_.int64())

            exists = pc.and_kleene(
                pc.equal(pc.day(when), written(day_at)), pc.equal(pc.month(when), written(month_at))
            )
            return pc.if_else(exists, pc.cast(when, pa_.date32()), pa_.scalar(None, pa_.date32()))

        value = parsed(_RU_DATE, "%d.%m.%Y", 0, 3)
        if iso_too:
            value = pc.coalesce(value, parsed(_ISO_DATE, "%Y-%m-%d", 8, 5))
        ok = pc.or_kleene(self.empty(values), pc.is_valid(value))
        return pc.fill_null(ok, False), pc.if_else(self.empty(values), null_date, value)


def _mod(pc: Any, values: Any, m: int) -> Any:
    return pc.subtract(values, pc.multiply(pc.divide(values, m), m))


def _all(pc: Any, masks: Iterable[Any]) -> Any:
    result = None
    for mask in masks:
        mask = pc.fill_null(mask, False)
        result = mask if result is None else pc.and_kleene(result, mask)
    return result


# --- the three files -------------------------------------------------------------------------


def _people(b: _Batch, today: datetime.date) -> tuple[Any, dict[str, Any]]:
    pc, pa_ = b.pc, b.pa
    person_ok, pid, snils = b.person("person_id", "snils")
    birth_ok, birth = b.date(b.col("birth_date"), iso_too=False)
    in_range = pc.and_kleene(
        pc.greater_equal(birth, pa_.scalar(datetime.date(1900, 1, 1))),
        pc.less_equal(birth, pa_.scalar(today)),
    )
    sex_index = pc.index_in(b.col("sex"), value_set=pa_.array(_SEX_IN))
    email, phone = b.col("email"), b.col("phone")
    email_ok = pc.or_kleene(
        b.empty(email), pc.and_kleene(b.matches(email, _EMAIL), pc.less_equal(pc.utf8_length(email), 254))
    )
    phone_ok = pc.or_kleene(
        b.empty(phone),
        _all(
            pc,
            (
                b.matches(phone, _PHONE),
                pc.less_equal(pc.utf8_length(phone), 32),
            ),
        ),
    )
    ok = _all(
        pc,
        (
            person_ok,
            b.name(b.col("surname")),
            b.name(b.col("name")),
            b.name(b.col("patronymic"), optional=True),
            birth_ok,
            pc.or_kleene(pc.is_null(birth), in_range),
            pc.is_valid(sex_index),
            email_ok,
            phone_ok,
        ),
    )
    sex = pc.take(pa_.array(_SEX_OUT), pc.fill_null(sex_index, 0))
    columns = {
        "registry_id": pid,
        "snils": snils,
        "surname": b.col("surname"),
        "name": b.col("name"),
        "patronymic": b.col("patronymic"),
        "birth_date": birth,
        "sex": sex,
        "email": email,
        "phone": phone,
    }
    return ok, columns


def _memberships(b: _Batch, today: datetime.date) -> tuple[Any, dict[str, Any]]:
    pc, pa_ = b.pc, b.pa
    person_ok, pid, snils = b.person("person_id", "snils")
    ogrn = b.col("school_ogrn")
    ogrn_shaped = b.matches(ogrn, _OGRN13)
    safe = pc.if_else(ogrn_shaped, ogrn, "0000000000000")
    body = pc.cast(pc.utf8_slice_codeunits(safe, 0, 12), pa_.int64())
    last = pc.cast(pc.utf8_slice_codeunits(safe, 12, 13), pa_.int64())
    ogrn_ok = pc.and_kleene(ogrn_shaped, pc.equal(_mod(pc, _mod(pc, body, 11), 10), last))
    role_index = pc.index_in(b.col("role"), value_set=pa_.array(list(ROLES)))
    role = pc.take(pa_.array(list(ROLES.values())), pc.fill_null(role_index, 0))
    student = pc.equal(role, "student")
    klass = b.col("class")
    shaped = b.matches(klass, _CLASS)
    class_ok = pc.or_kleene(pc.invert(student), shaped)
    # «5А», «11Б» exactly: parse_class_name returns them as they are (parallel, letter, name)
    parts = pc.extract_regex(
        pc.if_else(pc.and_kleene(student, shaped), klass, pa_.scalar(None, pa_.string())),
        r"^(?P<p>[0-9]+)(?P<l>.)$",
    )
    class_name = pc.if_else(student, klass, pa_.scalar(None, pa_.string()))
    parallel = pc.cast(pc.struct_field(parts, "p"), pa_.int16())
    letter = pc.struct_field(parts, "l")
    from_ok, date_from = b.date(b.col("date_from"), iso_too=True)
    to_ok, date_to = b.date(b.col("date_to"), iso_too=True)
    order_ok = pc.fill_null(pc.greater_equal(date_to, date_from), True)
    ok = _all(
        pc,
        (
            person_ok,
            ogrn_ok,
            pc.is_valid(role_index),
            class_ok,
            from_ok,
            to_ok,
            order_ok,
        ),
    )
    columns = {
        "registry_id": pid,
        "snils": snils,
        "school_ogrn": ogrn,
        "role": role,
        "class_name": class_name,
        "parallel": parallel,
        "letter": letter,
        "date_from": date_from,
        "date_to": date_to,
    }
    return ok, columns


def _guardians(b: _Batch, today: datetime.date) -> tuple[Any, dict[str, Any]]:
    pc, pa_ = b.pc, b.pa
    parent_ok, parent, parent_snils = b.person("parent_id", "parent_snils")
    child_ok, child, child_snils = b.person("child_id", "child_snils")
    relation = b.col("relation")
    relation_ok = pc.is_in(relation, value_set=pa_.array(["", *sorted(RELATIONS)]))
    ok = _all(pc, (parent_ok, child_ok, relation_ok))
    columns = {
        "parent_id": parent,
        "parent_snils": parent_snils,
        "child_id": child,
        "child_snils": child_snils,
        "relation": relation,
    }
    return ok, columns


# file → (staging table, batch checks, the adapter's row loop for the other rows)
_FILES: dict[str, tuple[str, Callable[..., tuple[Any, dict[str, Any]]], str]] = {
    "people.csv": ("st_person", _people, "_people"),
    "memberships.csv": ("st_membership", _memberships, "_memberships"),
    "guardians.csv": ("st_guardian", _guardians, "_guardians"),
}


def copy_file(
    adapter: BundleAdapter,
    file_name: str,
    cursor: Any,
    *,
    write_records: Callable[[Iterator[Record | Rejection]], None],
    on_line: Callable[[int], None],
) -> bool:
    """Stage ``file_name`` batch by batch (see the module docstring). Returns False, having
    changed nothing, when the file is not for this reader or turns out not to be; the caller
    then reads it row by row. ``write_records`` stages what the row loop makes of the rows the
    batch checks leave to it."""
    file = adapter.files.get(file_name)
    if file is None or file_name not in _FILES or not enabled_for(file):
        return False
    import pyarrow as pa_

    savepoint = transaction.savepoint()
    try:
        with file.source.open(file.name) as raw:
            done = _stage(raw, adapter, file, cursor, write_records, on_line)
    except pa_.ArrowException as exc:  # a row with more or fewer fields than the header…
        logger.info("%s: read row by row (%s)", file_name, type(exc).__name__)
        done = False
    except BaseException:
        transaction.savepoint_rollback(savepoint)
        raise
    if done:
        transaction.savepoint_commit(savepoint)
    else:
        transaction.savepoint_rollback(savepoint)
    return done


def _lean_memory_pool(pa_: Any) -> None:
    """pyarrow's allocator: jemalloc where the wheel has it. The default, mimalloc, keeps what
    the checking threads freed: a Dagestan-size import peaked at 303 MB with it, 212 MB with
    jemalloc (the system allocator: 246 MB), at the same speed."""
    try:
        pool = pa_.jemalloc_memory_pool()
    except NotImplementedError:  # a build without jemalloc
        pool = pa_.system_memory_pool()
    if pa_.default_memory_pool().backend_name != pool.backend_name:
        pa_.set_memory_pool(pool)


def _stage(
    raw: Any,
    adapter: BundleAdapter,
    file: CsvFile,
    cursor: Any,
    write_records: Callable[[Iterator[Record | Rejection]], None],
    on_line: Callable[[int], None],
) -> bool:
    """One COPY of the rows that pass per batch, then the batch's other rows through the row
    loop: nothing is held beyond a batch, whatever share of the file the row loop gets."""
    import pyarrow as pa_
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    _lean_memory_pool(pa_)
    table, checks, row_loop_name = _FILES[file.name.lower()]
    row_loop = getattr(adapter, row_loop_name)
    names = [f"c{i}" for i in range(file.width)]
    reader = pcsv.open_csv(
        raw,
        read_options=pcsv.ReadOptions(
            column_names=names,
            skip_rows=1,
            block_size=_BLOCK,
            use_threads=False,
            encoding="utf8" if file.encoding == "utf-8-sig" else file.encoding,
        ),
        parse_options=pcsv.ParseOptions(delimiter=file.delimiter, quote_char=False, newlines_in_values=False),
        convert_options=pcsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa_.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    copy_sql = f"COPY {table} ({COPY_COLUMNS[table]}) FROM STDIN (FORMAT csv)"

    def check(batch: pa.RecordBatch, line: int) -> tuple[int, bytes, list[int]]:
        """The batch's rows that pass as staging CSV, and the indices of the others (not blank)."""
        b = _Batch(pc, pa_, file, batch)
        ok, columns = checks(b, adapter.today)
        blank = _all(pc, (pc.equal(batch.column(i), "") for i in range(file.width)))
        good = pc.and_kleene(ok, pc.invert(blank))
        out = pa_.table(
            {
                "file": pa_.array([file.name] * b.n, pa_.string()),
                "line": pa_.array(range(line, line + b.n), pa_.int32()),
                **columns,
            }
        ).filter(good)
        buffer = io.BytesIO()
        if out.num_rows:
            pcsv.write_csv(out, buffer, pcsv.WriteOptions(include_header=False))
        return (
            out.num_rows,
            buffer.getvalue(),
            pc.indices_nonzero(pc.invert(pc.or_kleene(good, blank))).to_pylist(),
        )

    rows_seen = by_rows = 0
    line = 2  # the header is line 1; with no quotes and no blank lines, row k is on line k + 2
    # pyarrow's kernels release the GIL: the checks of the next batches run in other threads
    # while this one sends a batch to PostgreSQL and runs the row loop (same order, same output).
    with ThreadPoolExecutor(max_workers=_CHECK_THREADS, thread_name_prefix="import-check") as pool:
        pending: deque[tuple[pa.RecordBatch, int, Future]] = deque()
        batches = iter(reader)
        while True:
            while len(pending) < _CHECK_THREADS + 1 and (batch := next(batches, None)) is not None:
                pending.append((batch, line, pool.submit(check, batch, line)))
                line += batch.num_rows
            if not pending:
                break
            batch, first, future = pending.popleft()
            passed, data, rest = future.result()
            if passed:
                with cursor.copy(copy_sql) as copy:
                    copy.write(data)
            if rest:
                texts = [batch.column(i).take(rest).to_pylist() for i in range(file.width)]
                rows = ((first + k, [column[j] for column in texts] + [""]) for j, k in enumerate(rest))
                # the row loop's own skip rule (fields of whitespace only), then its checks
                write_records(row_loop((n, row) for n, row in rows if row[0].strip() or "".join(row).strip()))
                by_rows += len(rest)
            rows_seen += batch.num_rows
            on_line(first + batch.num_rows - 1)
    lines_in_file = file.scanned.newlines + (0 if file.scanned.ends_with_newline else 1)
    if rows_seen + 1 != lines_in_file:
        logger.info("%s: %s rows for %s lines, read row by row", file.name, rows_seen, lines_in_file)
        return False
    logger.info("%s: %s rows in batches, %s row by row", file.name, rows_seen - by_rows, by_rows)
    return True
