"""Readers that turn what users have into a ``Manifest``.

``read_imageset(path)`` takes a folder or a zip and recognises, in this order:

1. the GSV-Cities layout (``Dataframes/`` and ``Images/``);
2. a manifest (``manifest.csv`` with ``path,lat,lon``);
3. an im2gps-style CSV (``IMG_ID,...,LAT,LON``);
4. images plus a labels CSV (lenient column names, see ``labels``);
5. photos with EXIF GPS tags.

Every reader checks all of its input and raises one ``ImageSetError`` listing each
problem with its file and row: an image set is accepted whole or not at all.
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from worldnet_core.manifest import ImageSetError, Manifest, Problem
from worldnet_core.readers.exif import read_exif_folder
from worldnet_core.readers.gsv_cities import is_gsv_cities, read_gsv_cities
from worldnet_core.readers.labels import has_label_columns, is_im2gps_csv, read_im2gps_csv, read_labels_csv
from worldnet_core.readers.manifest_csv import read_manifest
from worldnet_core.readers.sources import ArchiveLimits, dataset_root, unpack_zip
from worldnet_core.readers.validation import Limits

KINDS = ("auto", "gsv-cities", "manifest", "im2gps", "labels", "exif")


def read_imageset(
    source: Path, *, dest: Path | None = None, kind: str = "auto", limits: Limits | None = None, archive_limits: ArchiveLimits | None = None
) -> Manifest:
    """Reads a folder or zip as an image set; every row passes ``validation.validate``.

    A zip is unpacked into ``dest`` (a new temporary folder when None), after every
    entry was checked; the manifest's paths are relative to where the images lie.
    """
    source = Path(source)
    if kind not in KINDS:
        raise ValueError(f"unknown image set kind {kind!r}; one of {', '.join(KINDS)}")
    if not source.exists():
        raise ImageSetError([Problem(str(source), "does not exist")])  # the path as the user gave it
    if source.is_file() and zipfile.is_zipfile(source):
        root = unpack_zip(source, Path(dest) if dest else Path(tempfile.mkdtemp(prefix="imageset-")), limits=archive_limits)
    elif source.is_dir():
        root = dataset_root(source)
    elif source.suffix.lower() == ".csv":
        return _read_csv(source, kind, limits)
    else:
        raise ImageSetError([Problem(source.name, "is neither a folder, a zip file nor a CSV")])
    return _read_folder(root, kind, limits)


def _read_csv(path: Path, kind: str, limits: Limits | None) -> Manifest:
    if kind == "manifest" or (kind == "auto" and path.name == "manifest.csv"):
        return read_manifest(path, limits=limits)
    if kind == "im2gps" or (kind == "auto" and is_im2gps_csv(path)):
        return read_im2gps_csv(path, limits=limits)
    return read_labels_csv(path, limits=limits)


def _read_folder(root: Path, kind: str, limits: Limits | None) -> Manifest:
    if kind == "gsv-cities" or (kind == "auto" and is_gsv_cities(root)):
        return read_gsv_cities(root, limits=limits)
    if kind == "exif":
        return read_exif_folder(root, limits=limits)
    csvs = sorted(p for p in root.glob("*.csv") if not p.name.startswith("."))
    if kind in ("manifest", "im2gps", "labels"):
        if not csvs:
            raise ImageSetError([Problem(root.name, f"holds no CSV file for the {kind} reader")])
        preferred = [p for p in csvs if p.name in ("manifest.csv", "labels.csv")]
        return _read_csv((preferred or csvs)[0], kind, limits)
    if (root / "manifest.csv").is_file():
        return read_manifest(root / "manifest.csv", limits=limits)
    labelled = [p for p in csvs if is_im2gps_csv(p) or has_label_columns(p)]
    if len(labelled) > 1:
        names = ", ".join(p.name for p in labelled)
        raise ImageSetError([Problem(root.name, f"holds several labels CSVs ({names}); keep one")])
    if labelled:
        return _read_csv(labelled[0], "auto", limits)
    if csvs:
        # A CSV that is there but names no coordinates is most likely a labels file
        # with the wrong columns: say so rather than fall back to EXIF silently.
        return read_labels_csv(csvs[0], limits=limits)
    return read_exif_folder(root, limits=limits)


__all__ = [
    "KINDS",
    "ArchiveLimits",
    "Limits",
    "read_exif_folder",
    "read_gsv_cities",
    "read_im2gps_csv",
    "read_imageset",
    "read_labels_csv",
    "read_manifest",
    "unpack_zip",
]
