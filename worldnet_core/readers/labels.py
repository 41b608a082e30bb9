"""Images plus a labels CSV, with lenient column names; and im2gps-style CSVs.

Accepted column names (any case, surrounding spaces ignored):

- image: ``path``, ``filename``, ``file``, ``image``, ``id``, ``img_id``
  (an id without an extension matches ``<id>.jpg``, ``.jpeg``, ``.png`` or ``.webp``)
- latitude: ``lat``, ``latitude``; longitude: ``lon``, ``lng``, ``long``, ``longitude``
- optional: ``place``/``city``; ``country``; ``group``/``sequence``/``panoid``/``author``

Images are looked up beside the CSV, then in an ``images/`` folder beside it.
"""

from __future__ import annotations

import csv
from pathlib import Path

from worldnet_core.manifest import ImageRecord, ImageSetError, Manifest, Problem, parse_coordinate
from worldnet_core.readers.sources import IMAGE_SUFFIXES, check_image

COLUMN_ALIASES = {
    "path": ("path", "filename", "file", "image", "id", "img_id"),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "lng", "long", "longitude"),
    "place": ("place", "city"),
    "country": ("country",),
    "group": ("group", "sequence", "panoid", "author"),
}
IM2GPS_COLUMNS = ("IMG_ID", "LAT", "LON")


def match_columns(fieldnames: list[str]) -> dict[str, str]:
    """Maps our column names to the file's, using the first alias present."""
    by_lower = {name.strip().lower(): name for name in fieldnames}
    matched = {}
    for ours, aliases in COLUMN_ALIASES.items():
        for alias in aliases:
            if alias in by_lower:
                matched[ours] = by_lower[alias]
                break
    return matched


def _header(csv_path: Path) -> list[str]:
    """A CSV's column names, stripped; empty when it cannot be read as text."""
    try:
        with csv_path.open(newline="", encoding="utf-8-sig") as handle:
            return [h.strip() for h in next(csv.reader(handle), [])]
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


def has_label_columns(csv_path: Path) -> bool:
    """Whether a CSV's header names an image, a latitude and a longitude column."""
    return {"path", "lat", "lon"} <= match_columns(_header(csv_path)).keys()


def is_im2gps_csv(csv_path: Path) -> bool:
    header = _header(csv_path)
    return all(column in header for column in IM2GPS_COLUMNS)


def _find_image(root: Path, name: str) -> Path | None:
    for folder in (root, root / "images"):
        candidate = folder / name
        if candidate.is_file():
            return candidate
        if not Path(name).suffix:
            for suffix in sorted(IMAGE_SUFFIXES):
                for variant in (suffix, suffix.upper()):
                    if (folder / f"{name}{variant}").is_file():
                        return folder / f"{name}{variant}"
    return None


def read_labels_csv(csv_path: Path, *, required: tuple[str, ...] | None = None) -> Manifest:
    """Reads images listed in ``csv_path``; every bad row is reported, nothing is dropped.

    ``required`` names columns that must appear verbatim (the im2gps reader's), on
    top of the lenient matching.
    """
    csv_path = Path(csv_path)
    root = csv_path.parent
    name = csv_path.name
    problems: list[Problem] = []
    records: list[ImageRecord] = []
    try:
        handle = csv_path.open(newline="", encoding="utf-8-sig")
    except OSError as error:
        raise ImageSetError([Problem(name, f"cannot be read: {error.strerror}")]) from None
    with handle:
        reader = csv.DictReader(handle)
        fieldnames = [f.strip() for f in reader.fieldnames or []]
        columns = match_columns(reader.fieldnames or [])
        missing = [c for c in (required or ()) if c not in fieldnames]
        missing += [
            f"{ours} (one of {', '.join(COLUMN_ALIASES[ours])})" for ours in ("path", "lat", "lon") if ours not in columns and not required
        ]
        if missing:
            raise ImageSetError([Problem(name, f"missing coordinate or image column: {'; '.join(missing)}", row=1)])
        seen: dict[str, int] = {}
        try:
            for row_number, row in enumerate(reader, start=2):
                record, problem = _read_row(row, columns, root, name, row_number)
                if problem:
                    problems.append(problem)
                    continue
                if record.path in seen:
                    problems.append(Problem(name, f"image {record.path!r} is listed twice (also row {seen[record.path]})", row=row_number))
                    continue
                seen[record.path] = row_number
                records.append(record)
        except (csv.Error, UnicodeDecodeError) as error:
            problems.append(Problem(name, f"is not a readable CSV file ({error})", row=reader.line_num or None))
    if problems:
        raise ImageSetError(problems)
    if not records:
        raise ImageSetError([Problem(name, "lists no images")])
    return Manifest(root, records)


def _read_row(row: dict, columns: dict[str, str], root: Path, name: str, row_number: int) -> tuple[ImageRecord, None] | tuple[None, Problem]:
    def cell(ours: str) -> str:
        return (row.get(columns[ours]) or "").strip() if ours in columns else ""

    try:
        lat = parse_coordinate(cell("lat"), "latitude")
        lon = parse_coordinate(cell("lon"), "longitude")
    except ValueError as error:
        return None, Problem(name, str(error), row=row_number)
    image_name = cell("path")
    if not image_name:
        return None, Problem(name, "no image named", row=row_number)
    if Path(image_name).is_absolute() or ".." in Path(image_name).parts:
        return None, Problem(name, f"image {image_name!r} leaves the image set's folder", row=row_number)
    image = _find_image(root, image_name)
    if image is None:
        return None, Problem(name, f"image {image_name!r} is listed but missing", row=row_number)
    unreadable = check_image(image)
    if unreadable:
        return None, Problem(name, unreadable, row=row_number)
    record = ImageRecord(
        path=image.relative_to(root).as_posix(),
        lat=lat,
        lon=lon,
        place=cell("place"),
        country=cell("country"),
        group=cell("group"),
    )
    return record, None


def read_im2gps_csv(csv_path: Path) -> Manifest:
    """An im2gps-style CSV (``IMG_ID,...,LAT,LON``; ``AUTHOR`` becomes the group)."""
    return read_labels_csv(csv_path, required=IM2GPS_COLUMNS)
