"""Reading CSV files as registries really export them.

UTF-8 (with or without BOM) or Windows-1251, detected per file; comma or semicolon, detected
from the header line; CRLF or LF; quoted fields with delimiters, quotes and line breaks inside.
Rows are streamed (``csv`` over a decoding text stream): memory does not grow with the file.

A file that cannot be read at all (an encoding that is neither, binary content, a missing
required column) raises :class:`BundleRefused`; the import then changes nothing.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.utils.translation import gettext as _

from core.validators import echo

_CHUNK = 1 << 20

# The standard library's default (128 KiB) is too small for a quoted address with line breaks
# in a generous export, and no real field comes near this.
csv.field_size_limit(10 * 1024 * 1024)


class BundleRefused(Exception):
    """The input as a whole cannot be imported; the message names the file and the problem."""


class BundleSource:
    """The files of a bundle: a folder, or a ZIP archive (files at its root or in one folder).

    File names are matched case-insensitively (``People.csv`` is ``people.csv``)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._zip: zipfile.ZipFile | None = None
        self._names: dict[str, str] = {}
        if self.path.is_dir():
            for child in self.path.iterdir():
                if child.is_file():
                    self._names[child.name.lower()] = child.name
        elif self.path.is_file():
            if not zipfile.is_zipfile(self.path):
                raise BundleRefused(
                    _("%(name)s: не ZIP-архив и не папка с CSV-файлами") % {"name": self.path.name}
                )
            try:
                self._zip = zipfile.ZipFile(self.path)
            except (zipfile.BadZipFile, OSError) as exc:
                raise BundleRefused(
                    _("%(name)s: повреждённый ZIP-архив (%(error)s)") % {"name": self.path.name, "error": exc}
                ) from exc
            for info in self._zip.infolist():
                if info.is_dir():
                    continue
                base = info.filename.rsplit("/", 1)[-1].lower()
                if base.startswith(".") or info.filename.startswith("__MACOSX/"):
                    continue
                if base in self._names:
                    raise BundleRefused(
                        _("%(name)s: файл %(file)s встречается в архиве дважды")
                        % {"name": self.path.name, "file": base}
                    )
                self._names[base] = info.filename
        else:
            raise BundleRefused(_("%(name)s: нет такого файла или папки") % {"name": self.path.name})

    def has(self, name: str) -> bool:
        return name.lower() in self._names

    def names(self) -> list[str]:
        return sorted(self._names)

    def open(self, name: str) -> IO[bytes]:
        real = self._names[name.lower()]
        if self._zip is not None:
            try:
                return self._zip.open(real)
            except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
                raise BundleRefused(
                    _("%(name)s: не удалось извлечь из архива (%(error)s)") % {"name": name, "error": exc}
                ) from exc
        return (self.path / real).open("rb")

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


@dataclass(frozen=True)
class Scanned:
    """What one pass over a file's bytes tells (see :func:`_scan`)."""

    newlines: int
    sha256: str
    has_quotes: bool  # any '"': a field may hold a delimiter or a line break
    ends_with_newline: bool


def _scan(source: BundleSource, name: str, encoding: str) -> Scanned | int:
    """Decode the whole file as ``encoding``: its line breaks, SHA-256, whether it has quotes;
    or the line of the first byte that does not decode. Runs in C over 1 MiB chunks (~1 GB/s):
    a small price for refusing a file up front rather than half-way through, and the digest
    tells an unchanged input."""
    decoder = codecs.getincrementaldecoder(encoding)()
    digest = hashlib.sha256()
    newlines = 0
    quotes = False
    last = b""
    with source.open(name) as raw:
        while chunk := raw.read(_CHUNK):
            if b"\x00" in chunk:
                raise BundleRefused(
                    _("%(name)s: двоичный файл (нулевые байты) — ожидается CSV в UTF-8 или Windows-1251")
                    % {"name": name}
                )
            held = len(decoder.getstate()[0])  # bytes of the previous chunk not yet decoded
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return newlines + chunk.count(b"\n", 0, max(exc.start - held, 0)) + 1
            newlines += chunk.count(b"\n")
            quotes = quotes or b'"' in chunk
            last = chunk[-1:]
            digest.update(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return newlines + 1
    return Scanned(newlines, digest.hexdigest(), quotes, last == b"\n")


def detect_encoding(source: BundleSource, name: str) -> tuple[str, Scanned]:
    """(codec, what the scan found). UTF-8 first: Windows-1251 decodes almost any bytes, so it
    can only be the fallback; a file that is neither is refused."""
    bad_line = 0
    for encoding, codec in (("utf-8", "utf-8-sig"), ("cp1251", "cp1251")):
        scanned = _scan(source, name, encoding)
        if not isinstance(scanned, int):
            return codec, scanned
        bad_line = bad_line or scanned
    raise BundleRefused(
        _(
            "%(name)s, строка %(line)s: не удалось прочитать файл — байты не в кодировке UTF-8 "
            "и не в Windows-1251 (сохраните файл в UTF-8)"
        )
        % {"name": name, "line": bad_line}
    )


def _sniff_delimiter(header_line: str) -> str:
    # Outside quotes only: a quoted column name could hold the other character.
    commas = semicolons = 0
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted:
            if ch == ",":
                commas += 1
            elif ch == ";":
                semicolons += 1
    return ";" if semicolons > commas else ","


def normalize_header(name: str) -> str:
    return name.strip().strip("\ufeff").strip().lower()


def input_digest(files: Iterable[CsvFile], *, version: str) -> str:
    """One digest of every file an import reads (names and bytes) and of the import's own rules
    (``version``): equal digests mean the same input read the same way."""
    digest = hashlib.sha256(version.encode())
    for file in sorted(files, key=lambda f: f.name.lower()):
        digest.update(f"\n{file.name.lower()}:{file.sha256}".encode())
    return digest.hexdigest()


class CsvFile:
    """One CSV file of a bundle: its header mapped to column positions, its rows streamed.

    ``line`` of a row is the physical line where the row starts (a quoted field may span
    several lines), counting the header as line 1 — what a person sees in an editor."""

    def __init__(
        self,
        source: BundleSource,
        name: str,
        *,
        required: Iterable[str],
        optional: Iterable[str] = (),
        any_of: Iterable[tuple[str, ...]] = (),
    ) -> None:
        self.source = source
        self.name = name
        self.encoding, self.scanned = detect_encoding(source, name)
        self.sha256 = self.scanned.sha256
        self.rows_estimate = max(self.scanned.newlines - 1, 0)
        with self._text() as text:
            header_line = text.readline()
        if not header_line.strip():
            raise BundleRefused(_("%(name)s: файл пуст — нет строки заголовка") % {"name": name})
        self.delimiter = _sniff_delimiter(header_line)
        header = next(csv.reader([header_line], delimiter=self.delimiter))
        self.columns: dict[str, int] = {}
        duplicates = []
        for i, col in enumerate(header):
            key = normalize_header(col)
            if not key:
                continue
            if key in self.columns:
                duplicates.append(key)
            self.columns[key] = i
        if duplicates:
            raise BundleRefused(
                _("%(name)s: столбец %(columns)s указан дважды")
                % {"name": name, "columns": ", ".join(sorted(set(duplicates)))}
            )
        required = [c.lower() for c in required]
        missing = [c for c in required if c not in self.columns]
        for group in any_of:
            if not any(c.lower() in self.columns for c in group):
                missing.append(_(" или ").join(group))
        known = {*required, *(c.lower() for c in optional), *(c.lower() for g in any_of for c in g)}
        if missing and not known & self.columns.keys():
            # A file exported without its header line: the "columns" are the first person's
            # data (a SNILS, a name) and must not be quoted back into the job's error.
            raise BundleRefused(
                _(
                    "%(name)s: первая строка — не заголовок: в ней нет ни одного из столбцов "
                    "%(columns)s. Файл выгружен без строки заголовка?"
                )
                % {"name": name, "columns": ", ".join(sorted(known))}
            )
        if missing:
            raise BundleRefused(
                _("%(name)s: нет обязательного столбца %(missing)s (найдены: %(found)s)")
                % {
                    "name": name,
                    "missing": ", ".join(missing),
                    "found": ", ".join(echo(c, 40) for c in self.columns) or _("ни одного"),
                }
            )
        self.unknown_columns = [echo(c, 40) for c in self.columns if c not in known]
        self.width = len(header)

    def _text(self) -> io.TextIOWrapper:
        return io.TextIOWrapper(self.source.open(self.name), encoding=self.encoding, newline="")

    def index(self, column: str) -> int | None:
        return self.columns.get(column.lower())

    def position(self, column: str) -> int:
        """Where ``column`` is in a row from :meth:`rows`; a column the file lacks points at the
        empty field every row ends with, so the hot loops index rows without a check."""
        return self.columns.get(column.lower(), self.width)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(line, fields): fields padded to the header's width plus one empty field (see
        :meth:`position`). Empty lines are skipped, and so are lines of delimiters only
        (``;;;;;``: what a spreadsheet writes for the empty rows below a table)."""
        width = self.width
        pad = [""]
        with self._text() as text:
            reader = csv.reader(text, delimiter=self.delimiter, strict=False)
            try:
                next(reader)
                last = reader.line_num
                for row in reader:
                    line = last + 1
                    last = reader.line_num
                    if not row or (not row[0].strip() and not "".join(row).strip()):
                        continue
                    n = len(row)
                    if n < width:
                        row.extend([""] * (width - n))
                    row += pad
                    yield line, row
            except UnicodeDecodeError as exc:  # the file changed since it was scanned
                raise BundleRefused(
                    _("%(name)s: не удалось прочитать в кодировке %(encoding)s")
                    % {"name": self.name, "encoding": self.encoding}
                ) from exc
            except csv.Error as exc:
                raise BundleRefused(
                    _("%(name)s, строка %(line)s: ошибка формата CSV (%(error)s)")
                    % {"name": self.name, "line": reader.line_num, "error": exc}
                ) from exc
