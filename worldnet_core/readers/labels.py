"""Images plus a labels CSV, with lenient column names; and im2gps-style CSVs.

Accepted column names (any case, surrounding spaces ignored):

- image: ``path``, ``filename``, ``file``, ``image``, ``id``, ``img_id``
  (an id without an extension matches ``<id>.jpg``, ``.jpeg``, ``.png`` or ``.webp``)
- latitude: ``lat``, ``latitude``; longitude: ``lon``, ``lng``, ``long``, ``longitude``
- optional: ``place``/``city``; ``country``; ``group``/``sequence``/``panoid``/``author``
- optional, the photo's credit (``csvfile.CREDIT_ALIASES``): ``author``/``artist``/``photographer``/
  ``creator``/``credit``/``attribution``; ``licence``/``license``/``rights``/``copyright``;
  ``source``/``source_url``/``url``/``link``/``page``/``permalink`` (an http(s) URL)

Names match in any case, with spaces, underscores and hyphens ignored (``Source URL``). An
``author`` column is the credit and, without a group column, the group as well (im2gps's way: a
photographer's shots of one spot stay on one side of a split).

Images are looked up beside the CSV, then in an ``images/`` folder beside it.
"""

from __future__ import annotations

from pathlib import Path

from worldnet_core.manifest import ImageSetError, Manifest, Problem
from worldnet_core.readers.csvfile import CREDIT_ALIASES, CsvTable, column_key, header_of, read_table
from worldnet_core.readers.validation import IMAGE_SUFFIXES, Candidate, Limits, validate

COLUMN_ALIASES = {
    "path": ("path", "filename", "file", "image", "id", "img_id"),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "lng", "long", "longitude"),
    "place": ("place", "city"),
    "country": ("country",),
    "group": ("group", "sequence", "panoid", "author"),
    **CREDIT_ALIASES,
}
IM2GPS_COLUMNS = ("IMG_ID", "LAT", "LON")


def match_columns(table: CsvTable) -> dict[str, str]:
    """Maps our column names to the file's, using the first alias present."""
    matched = {ours: table.column(*aliases) for ours, aliases in COLUMN_ALIASES.items()}
    return {ours: theirs for ours, theirs in matched.items() if theirs is not None}


def has_label_columns(csv_path: Path) -> bool:
    """Whether a CSV's header names an image, a latitude and a longitude column."""
    header = {column_key(h) for h in header_of(csv_path)}
    return all(any(column_key(alias) in header for alias in COLUMN_ALIASES[ours]) for ours in ("path", "lat", "lon"))


def is_im2gps_csv(csv_path: Path) -> bool:
    header = header_of(csv_path)
    return all(column in header for column in IM2GPS_COLUMNS)


def find_image(root: Path, name: str) -> Path | None:
    """The file a labels row names: beside the CSV or in ``images/``; an id may leave out the suffix."""
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


def read_labels_csv(csv_path: Path, *, required: tuple[str, ...] | None = None, limits: Limits | None = None) -> Manifest:
    """Reads images listed in ``csv_path``; every bad row is reported, nothing is dropped.

    ``required`` names columns that must appear verbatim (the im2gps reader's), on
    top of the lenient matching.
    """
    csv_path = Path(csv_path)
    table = read_table(csv_path)
    columns = match_columns(table)
    missing = [c for c in (required or ()) if c not in table.fieldnames]
    missing += [
        f"{ours} (one of {', '.join(COLUMN_ALIASES[ours])})" for ours in ("path", "lat", "lon") if ours not in columns and not required
    ]
    if missing:
        raise ImageSetError([Problem(table.name, f"missing coordinate or image column: {'; '.join(missing)}", row=1)])
    if not table.rows:
        raise ImageSetError([Problem(table.name, "lists no images")])

    def cell(row: dict[str, str], ours: str) -> str:
        return row.get(columns[ours], "") if ours in columns else ""

    candidates = (
        Candidate(
            table.name,
            number,
            cell(row, "path"),
            cell(row, "lat"),
            cell(row, "lon"),
            cell(row, "place"),
            cell(row, "country"),
            cell(row, "group"),
            cell(row, "author"),
            cell(row, "licence"),
            cell(row, "source"),
        )
        for number, row in table.rows
    )
    return validate(csv_path.parent, candidates, limits=limits, locate=find_image, notes=table.notes)


def read_im2gps_csv(csv_path: Path, *, limits: Limits | None = None) -> Manifest:
    """An im2gps-style CSV (``IMG_ID,...,LAT,LON``; ``AUTHOR`` becomes the group)."""
    return read_labels_csv(csv_path, required=IM2GPS_COLUMNS, limits=limits)
