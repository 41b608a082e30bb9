"""The one format of an image set: a CSV of ``path,lat,lon[,place,country,group,author,licence,source]``, and its records.

This module holds what every reader makes and every caller takes: ``ImageRecord``,
``Manifest``, and the ``Problem``\\ s of an ``ImageSetError``. The readers (``worldnet_core.readers``)
import it, never the other way round: reading a manifest CSV is ``readers.read_manifest``.

``path`` is relative to the folder holding the CSV. ``place`` is a city or other
cluster label, ``country`` a country name or code, ``group`` a photographer or
panorama id: images of one group never straddle a train/test split. ``author``,
``licence`` and ``source`` are the photo's credit (who took it, under which licence,
the http(s) page it comes from): plain text the site shows players after their guess.

>>> from pathlib import Path
>>> m = Manifest(Path("."), [ImageRecord("a.jpg", 48.85, 2.35, place="Paris")])
>>> m.places().tolist()
['Paris']
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

MANIFEST_COLUMNS = ("path", "lat", "lon", "place", "country", "group")
#: A photo's credit: written after ``MANIFEST_COLUMNS`` when any record has one.
CREDIT_COLUMNS = ("author", "licence", "source")
REQUIRED_COLUMNS = ("path", "lat", "lon")
MAX_PROBLEMS_LISTED = 50


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located precisely enough to fix it."""

    file: str
    message: str
    row: int | None = None  # the line in the file, header = 1, as a spreadsheet shows it

    def __str__(self) -> str:
        where = self.file if self.row is None else f"{self.file}, row {self.row}"
        return f"{where}: {self.message}"


class ImageSetError(ValueError):
    """An image set that cannot be imported; ``problems`` lists every reason found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = [str(p) for p in problems[:MAX_PROBLEMS_LISTED]]
        if len(problems) > MAX_PROBLEMS_LISTED:
            shown.append(f"... and {len(problems) - MAX_PROBLEMS_LISTED} more problems")
        super().__init__("\n".join(shown))


@dataclass(frozen=True)
class ImageRecord:
    path: str
    lat: float
    lon: float
    place: str = ""
    country: str = ""
    group: str = ""
    author: str = ""
    licence: str = ""
    source: str = ""


@dataclass
class Manifest:
    """Records of one image set, with the folder their paths are relative to."""

    root: Path
    records: list[ImageRecord] = field(default_factory=list)
    #: What readers or de-biasing left out, for the user to see (not an error).
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[ImageRecord]:
        return iter(self.records)

    def lats(self) -> NDArray[np.float64]:
        return np.array([r.lat for r in self.records], dtype=np.float64)

    def lons(self) -> NDArray[np.float64]:
        return np.array([r.lon for r in self.records], dtype=np.float64)

    def places(self) -> NDArray[np.str_]:
        return np.array([r.place for r in self.records], dtype=str)

    def groups(self) -> NDArray[np.str_]:
        """Each record's group, or a group of its own when it has none."""
        return np.array([r.group or f"\0{r.path}" for r in self.records], dtype=str)

    def absolute_path(self, record: ImageRecord) -> Path:
        return self.root / record.path

    def subset(self, indices: Iterable[int]) -> Manifest:
        return Manifest(self.root, [self.records[i] for i in indices], list(self.notes))


def parse_coordinate(value: str | float | None, kind: str) -> float:
    """A latitude or longitude from a cell or a number; ``ValueError`` says why not.

    Booleans are refused although Python counts them as numbers: ``True`` is no latitude.
    """
    limit = 90.0 if kind == "latitude" else 180.0
    if value is None or isinstance(value, bool):
        raise ValueError(f"{kind} is missing" if value is None else f"{kind} {value!r} is not a number")
    if isinstance(value, (int, float)):
        number = float(value) if not isinstance(value, int) or abs(value) < 10**300 else math.inf
    else:
        text = str(value).strip()
        if not text:
            raise ValueError(f"{kind} is missing")
        try:
            number = float(text.replace("\u2212", "-"))  # a typographic minus, as spreadsheets may write
        except ValueError:
            raise ValueError(f"{kind} {text[:40]!r} is not a number") from None
    if not math.isfinite(number) or not -limit <= number <= limit:
        raise ValueError(f"{kind} {number:g} is outside [-{limit:g}, {limit:g}]")
    return number


def write_manifest(manifest: Manifest, path: Path) -> None:
    """Writes ``manifest`` as CSV; its paths are written relative to ``manifest.root``.

    The credit columns are written only when a record has a credit, so a set without any keeps
    the six columns it always had.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    credited = any(r.author or r.licence or r.source for r in manifest.records)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(MANIFEST_COLUMNS + (CREDIT_COLUMNS if credited else ()))
        for r in manifest.records:
            credit = [r.author, r.licence, r.source] if credited else []
            writer.writerow([r.path, f"{r.lat:.7f}", f"{r.lon:.7f}", r.place, r.country, r.group, *credit])
