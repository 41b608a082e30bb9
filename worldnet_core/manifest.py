"""The one format of an image set: a CSV of ``path,lat,lon[,place,country,group]``.

``path`` is relative to the folder holding the CSV. ``place`` is a city or other
cluster label, ``country`` a country name or code, ``group`` a photographer or
panorama id: images of one group never straddle a train/test split.

>>> from pathlib import Path
>>> m = Manifest(Path("."), [ImageRecord("a.jpg", 48.85, 2.35, place="Paris")])
>>> m.places().tolist()
['Paris']
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
from numpy.typing import NDArray

MANIFEST_COLUMNS = ("path", "lat", "lon", "place", "country", "group")
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

    def subset(self, indices: Iterable[int]) -> "Manifest":
        return Manifest(self.root, [self.records[i] for i in indices], list(self.notes))



def parse_coordinate(text: str, kind: str) -> float:
    """A latitude or longitude from text, checked for range; raises ``ValueError`` saying why."""
    try:
        value = float(str(text).strip())
    except ValueError:
        raise ValueError(f"{kind} {text!r} is not a number") from None
    limit = 90.0 if kind == "latitude" else 180.0
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise ValueError(f"{kind} {value:g} is outside [-{limit:g}, {limit:g}]")
    return value


def write_manifest(manifest: Manifest, path: Path) -> None:
    """Writes ``manifest`` as CSV; its paths are written relative to ``manifest.root``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(MANIFEST_COLUMNS)
        for r in manifest.records:
            writer.writerow([r.path, f"{r.lat:.7f}", f"{r.lon:.7f}", r.place, r.country, r.group])


def read_manifest(path: Path, *, check_files: bool = True) -> Manifest:
    """Reads a manifest CSV, checking every row (and, by default, that its images exist).

    Raises ``ImageSetError`` listing every bad row.
    """
    path = Path(path)
    problems: list[Problem] = []
    records: list[ImageRecord] = []
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as error:
        raise ImageSetError([Problem(str(path), f"cannot be read: {error.strerror}")]) from None
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ImageSetError([Problem(path.name, f"missing column(s) {', '.join(missing)}; a manifest has {','.join(MANIFEST_COLUMNS)}", row=1)])
        for row_number, row in enumerate(reader, start=2):
            try:
                record = ImageRecord(
                    path=_safe_relative_path(row["path"]),
                    lat=parse_coordinate(row["lat"], "latitude"),
                    lon=parse_coordinate(row["lon"], "longitude"),
                    place=(row.get("place") or "").strip(),
                    country=(row.get("country") or "").strip(),
                    group=(row.get("group") or "").strip(),
                )
            except ValueError as error:
                problems.append(Problem(path.name, str(error), row=row_number))
                continue
            if check_files and not (path.parent / record.path).is_file():
                problems.append(Problem(path.name, f"image {record.path!r} is listed but missing", row=row_number))
                continue
            records.append(record)
    if problems:
        raise ImageSetError(problems)
    if not records:
        raise ImageSetError([Problem(path.name, "lists no images")])
    return Manifest(path.parent, records)


def _safe_relative_path(text: str) -> str:
    """A manifest path must stay inside the manifest's folder."""
    relative = Path(str(text).strip())
    if not str(text).strip():
        raise ValueError("empty path")
    if relative.is_absolute() or ".." in relative.parts:
        raise ValueError(f"path {text!r} leaves the image set's folder")
    return relative.as_posix()
