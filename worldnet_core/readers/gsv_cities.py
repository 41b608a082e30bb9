"""The GSV-Cities layout (the paper's data).

::

    Dataframes/<city>.csv   place_id,year,month,northdeg,city_id,lat,lon,panoid
    Images/<city>/{city_id}_{place_id:07d}_{year:04d}_{month:02d}_{northdeg:03d}_{lat}_{lon}_{panoid}.jpg

Files are matched to rows by ``(place_id, year, month, northdeg, panoid)`` rather
than by rebuilding the name, whose ``lat``/``lon`` text depends on how the CSV was
written. Images of one ``place_id`` are one group: they show the same spot. A frame may add
the photo's credit in columns of the labels reader's names (``csvfile.CREDIT_ALIASES``).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from worldnet_core.manifest import ImageSetError, Manifest, Problem
from worldnet_core.readers.csvfile import read_table
from worldnet_core.readers.validation import Candidate, Limits, validate

COLUMNS = ("place_id", "year", "month", "northdeg", "city_id", "lat", "lon", "panoid")
_NAME = re.compile(
    r"^(?P<city_id>.+?)_(?P<place_id>\d{7})_(?P<year>\d{4})_(?P<month>\d{2})_(?P<northdeg>\d{3})_"
    r"(?P<lat>-?[\d.]+)_(?P<lon>-?[\d.]+)_(?P<panoid>.+)\.(?:jpg|JPG|jpeg|JPEG)$"
)
Key = tuple[int, int, int, int, str]


def is_gsv_cities(root: Path) -> bool:
    return (root / "Dataframes").is_dir() and (root / "Images").is_dir()


def _whole(text: str, column: str) -> int:
    """A whole number from a cell (``90`` or ``90.0``); ``ValueError`` naming the column otherwise."""
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{column} {text[:40]!r} is not a number") from None
    if not math.isfinite(number) or number != int(number):
        raise ValueError(f"{column} {text[:40]!r} is not a whole number")
    return int(number)


def _key(place_id: str, year: str, month: str, northdeg: str, panoid: str) -> Key:
    if not panoid:
        raise ValueError("panoid is missing")
    return _whole(place_id, "place_id"), _whole(year, "year"), _whole(month, "month"), _whole(northdeg, "northdeg"), panoid


def _images_by_key(folder: Path) -> dict[Key, str]:
    images: dict[Key, str] = {}
    for image in sorted(folder.glob("*")) if folder.is_dir() else []:
        match = _NAME.match(image.name)
        if match:
            images[_key(*match.group("place_id", "year", "month", "northdeg", "panoid"))] = image.name
    return images


def read_gsv_cities(root: Path, *, limits: Limits | None = None) -> Manifest:
    root = Path(root)
    frames = sorted((root / "Dataframes").glob("*.csv"))
    if not frames:
        raise ImageSetError([Problem("Dataframes", "holds no <city>.csv files")])
    candidates: list[Candidate] = []
    problems: list[Problem] = []
    notes: list[str] = []
    for frame in frames:
        city = frame.stem
        label = f"Dataframes/{frame.name}"
        try:
            table = read_table(frame, label=label)
        except ImageSetError as error:
            problems += error.problems
            continue
        notes += table.notes
        missing = [c for c in COLUMNS if c not in table.fieldnames]
        if missing:
            problems.append(Problem(label, f"missing column(s) {', '.join(missing)}", row=1))
            continue
        images = _images_by_key(root / "Images" / city)
        credits = table.credit_columns()
        for number, row in table.rows:
            cells = {c: (row.get(c) or "").strip() for c in COLUMNS}
            try:
                key = _key(cells["place_id"], cells["year"], cells["month"], cells["northdeg"], cells["panoid"])
            except ValueError as error:
                candidates.append(Candidate(label, number, "", None, None, problem=str(error)))
                continue
            name = images.get(key)
            if name is None:
                expected = (
                    f"{cells['city_id']}_{key[0]:07d}_{key[1]:04d}_{key[2]:02d}_{key[3]:03d}_{cells['lat']}_{cells['lon']}_{key[4]}.jpg"
                )
                candidates.append(
                    Candidate(label, number, "", None, None, problem=f"image Images/{city}/{expected[:200]} is listed but missing")
                )
                continue
            candidates.append(
                Candidate(
                    label,
                    number,
                    f"Images/{city}/{name}",
                    cells["lat"],
                    cells["lon"],
                    place=cells["city_id"] or city,
                    group=f"{city}/{key[0]}",
                    **{ours: row.get(theirs, "") for ours, theirs in credits.items()},
                )
            )
    try:
        manifest = validate(root, candidates, limits=limits, notes=notes)
    except ImageSetError as error:
        raise ImageSetError(problems + error.problems) from None
    if problems:
        raise ImageSetError(problems)
    return manifest
