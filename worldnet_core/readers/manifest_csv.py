"""Our own format: a manifest CSV of ``path,lat,lon[,place,country,group,author,licence,source]`` (see
``worldnet_core.manifest``); the credit columns are matched by the labels reader's names too (``csvfile.CREDIT_ALIASES``)."""

from __future__ import annotations

from pathlib import Path

from worldnet_core.manifest import MANIFEST_COLUMNS, REQUIRED_COLUMNS, ImageSetError, Manifest, Problem
from worldnet_core.readers.csvfile import read_table
from worldnet_core.readers.validation import Candidate, Limits, validate


def read_manifest(path: Path, *, limits: Limits | None = None) -> Manifest:
    """Reads a manifest CSV through the readers' one row check (images decoded included).

    Raises ``ImageSetError`` listing every bad row.
    """
    path = Path(path)
    table = read_table(path)
    missing = [c for c in REQUIRED_COLUMNS if c not in table.fieldnames]
    if missing:
        raise ImageSetError(
            [Problem(table.name, f"missing column(s) {', '.join(missing)}; a manifest has {','.join(MANIFEST_COLUMNS)}", row=1)]
        )
    if not table.rows:
        raise ImageSetError([Problem(table.name, "lists no images")])
    credits = table.credit_columns()
    candidates = (
        Candidate(
            table.name,
            number,
            row["path"],
            row["lat"],
            row["lon"],
            row.get("place", ""),
            row.get("country", ""),
            row.get("group", ""),
            **{ours: row.get(theirs, "") for ours, theirs in credits.items()},
        )
        for number, row in table.rows
    )
    return validate(path.parent, candidates, limits=limits, notes=table.notes)
