"""Every reader on good input (real photos where ../shared has them) and on each kind of bad input."""

from __future__ import annotations

import csv
import shutil
import zipfile
from pathlib import Path

import pytest

from tests.support.images import jpeg_bytes, write_jpeg
from worldnet_core.manifest import ImageSetError, write_manifest
from worldnet_core.readers import read_imageset, read_manifest
from worldnet_core.readers.exif import gps_of


def write_csv(path: Path, rows: list[list]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def zip_folder(folder: Path, archive: Path, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(archive, "w") as zf:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                zf.write(file, file.relative_to(folder.parent).as_posix())
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return archive


def labels_set(root: Path, header=("Filename", "Latitude", "Longitude", "City"), rows=None) -> Path:
    for name in ("a.jpg", "b.jpg"):
        write_jpeg(root / "images" / name)
    rows = rows or [["a.jpg", "48.85", "2.35", "Paris"], ["b.jpg", "-33.9", "151.2", "Sydney"]]
    write_csv(root / "labels.csv", [list(header), *rows])
    return root


def gsv_set(root: Path, rows=None) -> Path:
    header = ["place_id", "year", "month", "northdeg", "city_id", "lat", "lon", "panoid"]
    rows = rows or [
        ["12", "2017", "6", "90", "London", "51.50", "-0.12", "panoA"],
        ["12", "2019", "7", "270", "London", "51.50", "-0.12", "panoB"],
        ["13", "2018", "5", "0", "London", "51.52", "-0.10", "panoC"],
    ]
    for place_id, year, month, northdeg, city, lat, lon, pano in rows:
        name = f"{city}_{int(place_id):07d}_{int(year):04d}_{int(month):02d}_{int(northdeg):03d}_{lat}_{lon}_{pano}.JPG"
        write_jpeg(root / "Images" / "London" / name)
    write_csv(root / "Dataframes" / "London.csv", [header, *rows])
    return root


def exif_set(root: Path) -> Path:
    (root / "Oslo").mkdir(parents=True)
    (root / "Oslo" / "one.jpg").write_bytes(jpeg_bytes(gps=(59.9139, 10.7522)))
    (root / "lima.jpg").write_bytes(jpeg_bytes(gps=(-12.0464, -77.0428)))
    return root


def problems_of(error: pytest.ExceptionInfo) -> str:
    return str(error.value)


# --- good input -----------------------------------------------------------------------


def test_it_reads_the_real_osv5m_sample(osv5m_sample):
    manifest = read_imageset(osv5m_sample)
    assert len(manifest) == 71
    first = manifest.records[0]
    assert first.path == "images/546314506564628.jpg"
    assert (first.lat, first.lon, first.place, first.country) == (
        pytest.approx(39.55910238557),
        pytest.approx(8.8888751944543),
        "Sanluri",
        "IT",
    )
    assert all(manifest.absolute_path(r).is_file() for r in manifest)


def test_it_reads_the_real_sample_from_a_zip(osv5m_sample, tmp_path):
    archive = tmp_path / "sample.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(osv5m_sample / "labels.csv", "osv/labels.csv")
        for image in sorted((osv5m_sample / "images").iterdir()):
            zf.write(image, f"osv/images/{image.name}")
    manifest = read_imageset(archive, dest=tmp_path / "unpacked")
    assert len(manifest) == 71
    assert manifest.root == tmp_path / "unpacked" / "osv"


def test_it_matches_label_columns_leniently(tmp_path):
    root = labels_set(tmp_path, header=(" ID ", "LAT", "lng", "city"), rows=[["a", "1.5", "2.5", "X"], ["b", "3", "4", "Y"]])
    manifest = read_imageset(root)
    assert [(r.path, r.lat, r.lon, r.place) for r in manifest] == [("images/a.jpg", 1.5, 2.5, "X"), ("images/b.jpg", 3.0, 4.0, "Y")]


def test_it_reads_an_im2gps_csv_with_authors_as_groups(tmp_path):
    for name in ("1001.jpg", "1002.jpg"):
        write_jpeg(tmp_path / name)
    write_csv(
        tmp_path / "im2gps3k.csv",
        [["IMG_ID", "AUTHOR", "LAT", "LON", "S3_Label"], ["1001.jpg", "ann", "10", "20", "3"], ["1002.jpg", "bob", "-5", "7", "1"]],
    )
    manifest = read_imageset(tmp_path)
    assert [(r.path, r.lat, r.lon, r.group) for r in manifest] == [("1001.jpg", 10.0, 20.0, "ann"), ("1002.jpg", -5.0, 7.0, "bob")]


def test_it_reads_exif_gps(tmp_path):
    manifest = read_imageset(exif_set(tmp_path))
    by_path = {r.path: r for r in manifest}
    assert by_path["Oslo/one.jpg"].lat == pytest.approx(59.9139, abs=1e-4)
    assert by_path["Oslo/one.jpg"].place == "Oslo"
    assert by_path["lima.jpg"].lon == pytest.approx(-77.0428, abs=1e-4)


def test_it_reads_the_gsv_cities_layout_with_places_as_groups(tmp_path):
    manifest = read_imageset(gsv_set(tmp_path))
    assert len(manifest) == 3
    assert {r.place for r in manifest} == {"London"}
    assert [r.group for r in manifest].count("London/12") == 2


def test_it_round_trips_a_manifest(tmp_path):
    manifest = read_imageset(labels_set(tmp_path))
    write_manifest(manifest, tmp_path / "manifest.csv")
    again = read_manifest(tmp_path / "manifest.csv")
    assert again.records == manifest.records
    assert read_imageset(tmp_path).records == manifest.records  # manifest.csv wins over labels


# --- bad input: every reader says which file and row ------------------------------------


def test_it_rejects_a_labels_csv_without_a_coordinate_column(tmp_path):
    root = labels_set(tmp_path, header=("filename", "latitude", "city"), rows=[["a.jpg", "1", "X"]])
    with pytest.raises(ImageSetError) as error:
        read_imageset(root)
    assert "labels.csv, row 1: missing coordinate or image column: lon" in problems_of(error)


def test_it_rejects_a_latitude_out_of_range(tmp_path):
    root = labels_set(tmp_path, rows=[["a.jpg", "48.85", "2.35", "P"], ["b.jpg", "123.4", "2", "Q"]])
    with pytest.raises(ImageSetError) as error:
        read_imageset(root)
    assert problems_of(error) == "labels.csv, row 3: latitude 123.4 is outside [-90, 90]"


def test_it_rejects_an_image_listed_but_missing(tmp_path):
    root = labels_set(tmp_path, rows=[["a.jpg", "1", "2", "P"], ["ghost.jpg", "1", "2", "P"]])
    with pytest.raises(ImageSetError) as error:
        read_imageset(root)
    assert problems_of(error) == "labels.csv, row 3: image 'ghost.jpg' is listed but missing"


def test_it_rejects_an_unreadable_image(tmp_path):
    root = labels_set(tmp_path)
    (root / "images" / "b.jpg").write_bytes(b"this is not a JPEG")
    with pytest.raises(ImageSetError) as error:
        read_imageset(root)
    assert problems_of(error).startswith("labels.csv, row 3: image 'b.jpg' cannot be read")


def test_it_lists_every_problem_at_once(tmp_path):
    root = labels_set(tmp_path, rows=[["a.jpg", "x", "2", "P"], ["b.jpg", "1", "-181", "Q"], ["c.jpg", "1", "2", "R"]])
    with pytest.raises(ImageSetError) as error:
        read_imageset(root)
    assert [str(p) for p in error.value.problems] == [
        "labels.csv, row 2: latitude 'x' is not a number",
        "labels.csv, row 3: longitude -181 is outside [-180, 180]",
        "labels.csv, row 4: image 'c.jpg' is listed but missing",
    ]


def test_it_rejects_a_zip_entry_escaping_its_folder_and_writes_nothing(tmp_path):
    folder = labels_set(tmp_path / "set")
    archive = zip_folder(folder, tmp_path / "evil.zip", extra={"set/../../escaped.txt": b"owned"})
    dest = tmp_path / "unpacked"
    with pytest.raises(ImageSetError) as error:
        read_imageset(archive, dest=dest)
    assert problems_of(error) == "evil.zip: entry 'set/../../escaped.txt' escapes its folder"
    assert not dest.exists()
    assert not (tmp_path / "escaped.txt").exists()


def test_it_rejects_an_absolute_zip_entry(tmp_path):
    archive = tmp_path / "abs.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("/etc/evil", b"x")
    with pytest.raises(ImageSetError, match=r"abs\.zip: entry '/etc/evil' escapes its folder"):
        read_imageset(archive, dest=tmp_path / "out")


def test_it_rejects_a_file_that_is_not_a_zip(tmp_path):
    bogus = tmp_path / "set.zip"
    bogus.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ImageSetError, match=r"set\.zip: is neither a folder, a zip file nor a CSV"):
        read_imageset(bogus)


def test_it_lists_photos_without_gps_instead_of_dropping_them(tmp_path):
    root = exif_set(tmp_path)
    write_jpeg(root / "nogps.jpg")
    (root / "broken.jpg").write_bytes(b"\xff\xd8 garbage")
    with pytest.raises(ImageSetError) as error:
        read_imageset(root)
    messages = [str(p) for p in error.value.problems]
    assert "nogps.jpg: has no GPS position in its EXIF" in messages
    assert any(m.startswith("broken.jpg: cannot be read") for m in messages)


def test_it_reads_gps_from_exif_exactly_enough():
    import io
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".jpg") as handle:
        handle.write(jpeg_bytes(gps=(-33.8688, 151.2093)))
        handle.flush()
        lat, lon = gps_of(Path(handle.name))
    assert (lat, lon) == (pytest.approx(-33.8688, abs=1e-4), pytest.approx(151.2093, abs=1e-4))
    del io


def test_it_rejects_gsv_cities_rows_with_bad_coordinates_or_missing_images(tmp_path):
    root = gsv_set(tmp_path)
    frame = root / "Dataframes" / "London.csv"
    rows = list(csv.reader(frame.open()))
    rows[2][5] = "95.0"  # latitude out of range
    rows.append(["14", "2020", "1", "180", "London", "51.4", "-0.2", "panoZ"])  # no image
    write_csv(frame, rows)
    with pytest.raises(ImageSetError) as error:
        read_imageset(root)
    assert [str(p) for p in error.value.problems] == [
        "Dataframes/London.csv, row 3: latitude 95 is outside [-90, 90]",
        "Dataframes/London.csv, row 5: image Images/London/London_0000014_2020_01_180_51.4_-0.2_panoZ.jpg is listed but missing",
    ]


def test_it_rejects_gsv_cities_frames_without_coordinates(tmp_path):
    root = gsv_set(tmp_path)
    write_csv(root / "Dataframes" / "London.csv", [["place_id", "year", "month", "northdeg", "city_id", "panoid"]])
    with pytest.raises(ImageSetError, match=r"Dataframes/London.csv, row 1: missing column\(s\) lat, lon"):
        read_imageset(root)


def test_it_rejects_an_unreadable_gsv_cities_image(tmp_path):
    root = gsv_set(tmp_path)
    victim = sorted((root / "Images" / "London").iterdir())[0]
    victim.write_bytes(b"nope")
    with pytest.raises(ImageSetError, match=r"Dataframes/London.csv, row \d: image '.*' cannot be read"):
        read_imageset(root)


def test_it_rejects_im2gps_rows_out_of_range_and_missing(tmp_path):
    write_jpeg(tmp_path / "1.jpg")
    write_csv(tmp_path / "im2gps.csv", [["IMG_ID", "LAT", "LON"], ["1.jpg", "-91", "0"], ["2.jpg", "0", "0"]])
    with pytest.raises(ImageSetError) as error:
        read_imageset(tmp_path)
    assert [str(p) for p in error.value.problems] == [
        "im2gps.csv, row 2: latitude -91 is outside [-90, 90]",
        "im2gps.csv, row 3: image '2.jpg' is listed but missing",
    ]


def test_it_rejects_an_im2gps_csv_missing_its_columns(tmp_path):
    write_jpeg(tmp_path / "1.jpg")
    write_csv(tmp_path / "im2gps.csv", [["IMG_ID", "LAT", "LONG"], ["1.jpg", "0", "0"]])
    from worldnet_core.readers import read_im2gps_csv

    with pytest.raises(ImageSetError, match=r"im2gps\.csv, row 1: missing coordinate or image column: LON"):
        read_im2gps_csv(tmp_path / "im2gps.csv")


def test_it_rejects_a_manifest_path_leaving_its_folder(tmp_path):
    write_csv(tmp_path / "manifest.csv", [["path", "lat", "lon"], ["../outside.jpg", "0", "0"]])
    with pytest.raises(ImageSetError, match=r"manifest.csv, row 2: image '../outside.jpg' leaves the image set's folder"):
        read_manifest(tmp_path / "manifest.csv")


def test_it_rejects_a_labels_path_leaving_its_folder(tmp_path):
    root = labels_set(tmp_path / "set", rows=[["../secret.jpg", "0", "0", "P"]])
    write_jpeg(tmp_path / "secret.jpg")
    with pytest.raises(ImageSetError, match=r"labels.csv, row 2: image '../secret.jpg' leaves the image set's folder"):
        read_imageset(root)


def test_it_names_the_problem_with_an_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ImageSetError, match="empty: holds no images"):
        read_imageset(tmp_path / "empty")


def test_it_unwraps_a_single_top_level_folder(tmp_path):
    shutil.copytree(labels_set(tmp_path / "a"), tmp_path / "outer" / "inner")
    assert len(read_imageset(tmp_path / "outer")) == 2
