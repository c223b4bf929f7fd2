"""Writes the bundle's CSV files (``docs/registry-bundle.md``) as real registries export them:
UTF-8 or Windows-1251, with or without BOM, comma or semicolon, LF or CRLF; a folder or a ZIP.

The files are written side by side as rows stream in; a ZIP is packed from them at the end
with fixed timestamps, so the same arguments give byte-identical archives.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

COLUMNS = {
    "manifest.csv": ["key", "value"],
    "schools.csv": ["ogrn", "inn", "kpp", "full_name", "short_name", "municipality", "address", "kind"],
    "people.csv": [
        "person_id",
        "snils",
        "surname",
        "name",
        "patronymic",
        "birth_date",
        "sex",
        "email",
        "phone",
    ],
    "memberships.csv": ["person_id", "snils", "school_ogrn", "role", "class", "date_from", "date_to"],
    "guardians.csv": ["parent_id", "parent_snils", "child_id", "child_snils", "relation"],
}
FILES = list(COLUMNS)
ZIP_TIME = (2025, 10, 1, 0, 0, 0)


@dataclass(frozen=True)
class Dialect:
    encoding: str = "utf-8"  # or "cp1251"
    delimiter: str = ","
    crlf: bool = False
    bom: bool = False

    def __post_init__(self) -> None:
        if self.encoding not in ("utf-8", "cp1251"):
            raise ValueError("кодировка: utf-8 или cp1251")
        if self.delimiter not in (",", ";"):
            raise ValueError("разделитель: запятая или точка с запятой")
        if self.bom and self.encoding != "utf-8":
            raise ValueError("BOM бывает только у UTF-8")


# After a row is written: (file name, the row, a tag saying what the row is) → maybe more rows.
RowHook = Callable[[str, list[str], str], None]


class BundleWriter:
    """``write(file, row)`` appends a row and counts lines (the header is line 1)."""

    def __init__(self, out: Path, dialect: Dialect) -> None:
        self.out = out
        self.dialect = dialect
        self.is_zip = out.suffix.lower() == ".zip"
        if self.is_zip:
            out.parent.mkdir(parents=True, exist_ok=True)
            self.folder = Path(tempfile.mkdtemp(prefix=".make_registry-", dir=out.parent))
        else:
            out.mkdir(parents=True, exist_ok=True)
            for name in FILES:  # a previous bundle's file must not survive into this one
                (out / name).unlink(missing_ok=True)
            self.folder = out
        encoding = "utf-8-sig" if dialect.bom else dialect.encoding
        self._handles: dict[str, IO[str]] = {}
        self._writers: dict[str, object] = {}
        self.lines: dict[str, int] = {}
        self.hook: RowHook | None = None
        for name, columns in COLUMNS.items():
            fh = (self.folder / name).open("w", encoding=encoding, newline="", buffering=1 << 20)
            writer = csv.writer(
                fh, delimiter=dialect.delimiter, lineterminator="\r\n" if dialect.crlf else "\n"
            )
            writer.writerow(columns)
            self._handles[name] = fh
            self._writers[name] = writer.writerow
            self.lines[name] = 1

    def write(self, name: str, row: list[str], tag: str = "") -> None:
        self._writers[name](row)  # type: ignore[operator]
        self.lines[name] += 1
        if self.hook is not None:
            self.hook(name, row, tag)

    def write_raw(self, name: str, row: list[str]) -> int:
        """A row that no hook sees (an injected error); returns its line number."""
        self._writers[name](row)  # type: ignore[operator]
        self.lines[name] += 1
        return self.lines[name]

    def rows(self) -> dict[str, int]:
        return {name: lines - 1 for name, lines in self.lines.items()}

    def close(self) -> None:
        for fh in self._handles.values():
            fh.close()
        if self.is_zip:
            tmp = self.out.with_name(self.out.name + ".part")
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
                for name in FILES:
                    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = 0o644 << 16
                    with (self.folder / name).open("rb") as src, zf.open(info, "w", force_zip64=True) as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
            tmp.replace(self.out)
            shutil.rmtree(self.folder)

    def abort(self) -> None:
        for fh in self._handles.values():
            fh.close()
        if self.is_zip:
            shutil.rmtree(self.folder, ignore_errors=True)
