"""CSV files as people save them: read whole, as text, with every failure a ``Problem``.

- Encodings: UTF-8 with or without a byte-order mark; UTF-16 with one (Excel's "Unicode
  text"). A file that is not UTF-8 is read as Windows-1252, the encoding Excel on Windows
  saves "CSV" in, and the manifest's notes say so. Bytes that are neither are refused,
  naming the line.
- Delimiters: comma, semicolon (Excel in locales with a decimal comma) or tab, chosen
  from the header line.
- Sizes: the file, and each cell, within limits; a cell past Python's csv field limit is
  a problem on its row, not a crash.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from worldnet_core.manifest import ImageSetError, Problem

#: A labels CSV of a million photos is about 100 MB.
MAX_CSV_BYTES = 200 * 1024 * 1024
#: No cell we store is longer than a path; this is far past any honest one.
MAX_CELL_CHARS = 64 * 1024
#: The optional credit columns every reader of a CSV takes (``CsvTable.credit_columns``), by the names
#: people give them: the photo's author, its licence, and the http(s) page it comes from.
CREDIT_ALIASES = {
    "author": ("author", "artist", "photographer", "creator", "credit", "attribution"),
    "licence": ("licence", "license", "licence_name", "license_name", "rights", "copyright"),
    "source": ("source", "source_url", "url", "link", "page", "page_url", "permalink"),
}


def column_key(name: str) -> str:
    """A column's name as matched: any case, spaces, underscores and hyphens ignored (``Source URL`` is ``source_url``).

    >>> column_key(" Source-URL "), column_key("IMG_ID")
    ('sourceurl', 'imgid')
    """
    return "".join(ch for ch in name.lower() if ch not in " _-")


@dataclass
class CsvTable:
    """A CSV's header and rows; ``rows`` pairs each with its spreadsheet row number (header = 1)."""

    name: str
    fieldnames: list[str]
    rows: list[tuple[int, dict[str, str]]]
    notes: list[str] = field(default_factory=list)

    def column(self, *aliases: str) -> str | None:
        """The file's column matching the first alias present (``column_key``: any case, spaces ignored)."""
        by_key = {column_key(name): name for name in reversed(self.fieldnames)}  # the first of equal keys wins
        for alias in aliases:
            if column_key(alias) in by_key:
                return by_key[column_key(alias)]
        return None

    def credit_columns(self) -> dict[str, str]:
        """The file's credit columns (``CREDIT_ALIASES``), by ours: ``{"author": "Photographer", ...}``."""
        matched = {ours: self.column(*aliases) for ours, aliases in CREDIT_ALIASES.items()}
        return {ours: theirs for ours, theirs in matched.items() if theirs is not None}


def decode_text(data: bytes, name: str) -> tuple[str, list[str]]:
    """The text of a CSV's bytes and any note on how it was decoded."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError as error:
            raise ImageSetError([Problem(name, f"starts as UTF-16 but is not ({error.reason})")]) from None
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            line = data[: utf8_error.start].count(b"\n") + 1
            raise ImageSetError(
                [Problem(name, f"is not UTF-8 text (byte 0x{data[utf8_error.start]:02x}); save it as 'CSV UTF-8'", row=line)]
            ) from None
        return text, [
            f"{name} is not UTF-8; it was read as Windows-1252 (how Excel saves 'CSV'). Save it as 'CSV UTF-8' to be sure of accents."
        ]


def header_of(path: Path) -> list[str]:
    """A CSV's column names, stripped; empty when it cannot be read as a CSV."""
    try:
        return read_table(path).fieldnames
    except ImageSetError:
        return []


def read_table(path: Path, *, label: str | None = None) -> CsvTable:
    """Reads ``path`` whole; raises ``ImageSetError`` (with the row) for anything it cannot take."""
    name = label or path.name
    try:
        size = path.stat().st_size
        if size > MAX_CSV_BYTES:
            raise ImageSetError(
                [Problem(name, f"is {size / 1024**2:.0f} MB; a labels file may be at most {MAX_CSV_BYTES / 1024**2:.0f} MB")]
            )
        data = path.read_bytes()
    except OSError as error:
        raise ImageSetError([Problem(name, f"cannot be read ({error.strerror or type(error).__name__})")]) from None
    text, notes = decode_text(data, name)
    if "\0" in text:
        line = text[: text.index("\0")].count("\n") + 1
        raise ImageSetError([Problem(name, "holds a NUL byte: it is not a text file", row=line)])
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count) if first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, dict[str, str]]] = []
    problems: list[Problem] = []
    row_number = 1
    # Python's own cell limit (128 KiB) stays as it is: it is process-wide, and imports may run
    # side by side. Cells between our limit and it are refused below, longer ones by the reader.
    try:
        header = [cell.strip() for cell in next(reader, [])]
    except csv.Error as error:
        raise ImageSetError([Problem(name, f"has a header that is not CSV ({error})", row=1)]) from None
    while True:
        row_number += 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(Problem(name, _csv_error(error), row=row_number))
            break  # the reader cannot find the next row reliably after this
        if any(len(cell) > MAX_CELL_CHARS for cell in cells):
            problems.append(Problem(name, _csv_error(csv.Error("field larger than field limit")), row=row_number))
            continue
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, as spreadsheets leave at the end
        if len(cells) > len(header):
            extra = [c for c in cells[len(header) :] if c.strip()]
            if extra:
                problems.append(Problem(name, f"has {len(cells)} cells but the header names {len(header)} columns", row=row_number))
                continue
        rows.append((row_number, {column: (cells[i] if i < len(cells) else "") for i, column in enumerate(header)}))
    if problems:
        raise ImageSetError(problems)
    return CsvTable(name, header, rows, notes)


def _csv_error(error: csv.Error) -> str:
    if "field larger than field limit" in str(error):
        return f"has a cell longer than {MAX_CELL_CHARS:,} characters"
    return f"cannot be read as CSV ({error})"
