"""The GSV-Cities layout (the paper's data).

::

    Dataframes/<city>.csv   place_id,year,month,northdeg,city_id,lat,lon,panoid
    Images/<city>/{city_id}_{place_id:07d}_{year:04d}_{month:02d}_{northdeg:03d}_{lat}_{lon}_{panoid}.jpg

Files are matched to rows by ``(place_id, year, month, northdeg, panoid)`` rather
than by rebuilding the name, whose ``lat``/``lon`` text depends on how the CSV was
written. Images of one ``place_id`` are one group: they show the same spot.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from worldnet_core.manifest import ImageRecord, ImageSetError, Manifest, Problem, parse_coordinate
from worldnet_core.readers.sources import check_image

COLUMNS = ("place_id", "year", "month", "northdeg", "city_id", "lat", "lon", "panoid")
_NAME = re.compile(
    r"^(?P<city_id>.+?)_(?P<place_id>\d{7})_(?P<year>\d{4})_(?P<month>\d{2})_(?P<northdeg>\d{3})_"
    r"(?P<lat>-?[\d.]+)_(?P<lon>-?[\d.]+)_(?P<panoid>.+)\.(?:jpg|JPG|jpeg|JPEG)$"
)


def is_gsv_cities(root: Path) -> bool:
    return (root / "Dataframes").is_dir() and (root / "Images").is_dir()


def _key(place_id: str, year: str, month: str, northdeg: str, panoid: str) -> tuple[int, int, int, int, str]:
    return int(place_id), int(year), int(month), int(float(northdeg)), panoid


def read_gsv_cities(root: Path) -> Manifest:
    root = Path(root)
    frames = sorted((root / "Dataframes").glob("*.csv"))
    if not frames:
        raise ImageSetError([Problem("Dataframes", "holds no <city>.csv files")])
    records, problems = [], []
    for frame in frames:
        city = frame.stem
        label = f"Dataframes/{frame.name}"
        images = {}
        for image in sorted((root / "Images" / city).glob("*")):
            match = _NAME.match(image.name)
            if match:
                images[_key(*match.group("place_id", "year", "month", "northdeg", "panoid"))] = image
        with frame.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in COLUMNS if c not in [f.strip() for f in reader.fieldnames or []]]
            if missing:
                problems.append(Problem(label, f"missing column(s) {', '.join(missing)}", row=1))
                continue
            for row_number, row in enumerate(reader, start=2):
                try:
                    lat = parse_coordinate(row["lat"], "latitude")
                    lon = parse_coordinate(row["lon"], "longitude")
                    key = _key(row["place_id"], row["year"], row["month"], row["northdeg"], row["panoid"].strip())
                except ValueError as error:
                    problems.append(Problem(label, str(error), row=row_number))
                    continue
                image = images.get(key)
                if image is None:
                    expected = f"{row['city_id']}_{key[0]:07d}_{key[1]:04d}_{key[2]:02d}_{key[3]:03d}_{row['lat']}_{row['lon']}_{key[4]}.jpg"
                    problems.append(Problem(label, f"image Images/{city}/{expected} is listed but missing", row=row_number))
                    continue
                unreadable = check_image(image)
                if unreadable:
                    problems.append(Problem(label, unreadable, row=row_number))
                    continue
                records.append(
                    ImageRecord(
                        path=image.relative_to(root).as_posix(),
                        lat=lat,
                        lon=lon,
                        place=row["city_id"].strip() or city,
                        group=f"{city}/{key[0]}",
                    )
                )
    if problems:
        raise ImageSetError(problems)
    return Manifest(root, records)
