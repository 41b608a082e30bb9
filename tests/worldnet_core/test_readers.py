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


# --- photo credits: author, licence and source, from the CSV or the photo's EXIF -------------


def credited_set(root: Path, header: tuple, rows: list[list], images: dict[str, bytes] | None = None) -> Path:
    """A labels set whose rows name a.jpg and b.jpg; ``images`` replaces their bytes (EXIF tags, say)."""
    for name in ("a.jpg", "b.jpg"):
        (root / "images").mkdir(parents=True, exist_ok=True)
        (root / "images" / name).write_bytes((images or {}).get(name) or jpeg_bytes())
    write_csv(root / "labels.csv", [list(header), *rows])
    return root


def credits(manifest) -> list[tuple[str, str, str]]:
    return [(r.author, r.licence, r.source) for r in manifest]


def test_it_reads_credit_columns_from_a_labels_csv(tmp_path):
    root = credited_set(
        tmp_path,
        ("filename", "lat", "lon", "author", "licence", "source"),
        [["a.jpg", "1", "2", "Ann Lee", "CC BY-SA 4.0", "https://example.org/a"], ["b.jpg", "3", "4", "", "", ""]],
    )
    assert credits(read_imageset(root)) == [("Ann Lee", "CC BY-SA 4.0", "https://example.org/a"), ("", "", "")]


@pytest.mark.parametrize(
    "header",
    [
        ("Photographer", "License", "Source URL"),
        ("artist", "rights", "url"),
        ("CREATOR", "Licence_Name", "page-url"),
        ("credit", "copyright", "permalink"),
        ("attribution", "license name", "link"),
    ],
)
def test_it_matches_credit_columns_by_their_usual_names(tmp_path, header):
    root = credited_set(
        tmp_path,
        ("filename", "lat", "lon", *header),
        [["a.jpg", "1", "2", "Ann", "CC0", "http://example.org/a"], ["b.jpg", "3", "4", "Bob", "CC BY 4.0", ""]],
    )
    assert credits(read_imageset(root)) == [("Ann", "CC0", "http://example.org/a"), ("Bob", "CC BY 4.0", "")]


def test_an_im2gps_author_is_the_credit_and_the_group(tmp_path):
    write_jpeg(tmp_path / "1001.jpg")
    write_csv(tmp_path / "im2gps.csv", [["IMG_ID", "AUTHOR", "LAT", "LON"], ["1001.jpg", "ann", "10", "20"]])
    [record] = read_imageset(tmp_path).records
    assert (record.author, record.group) == ("ann", "ann")


def test_a_manifest_keeps_its_credits_through_a_round_trip(tmp_path):
    root = credited_set(
        tmp_path,
        ("filename", "lat", "lon", "author", "licence", "source"),
        [["a.jpg", "1", "2", "Ann", "CC0", "https://example.org/a"], ["b.jpg", "3", "4", "", "", ""]],
    )
    manifest = read_imageset(root)
    write_manifest(manifest, tmp_path / "manifest.csv")
    assert (tmp_path / "manifest.csv").read_text().splitlines()[0] == "path,lat,lon,place,country,group,author,licence,source"
    assert read_manifest(tmp_path / "manifest.csv").records == manifest.records


def test_a_manifest_without_credits_keeps_its_six_columns(tmp_path):
    manifest = read_imageset(labels_set(tmp_path))
    write_manifest(manifest, tmp_path / "manifest.csv")
    assert (tmp_path / "manifest.csv").read_text().splitlines()[0] == "path,lat,lon,place,country,group"


def test_gsv_cities_frames_may_carry_credits(tmp_path):
    root = gsv_set(tmp_path)
    frame = root / "Dataframes" / "London.csv"
    rows = list(csv.reader(frame.open()))
    write_csv(frame, [[*rows[0], "author", "license"]] + [[*row, "Mapillary user", "CC BY-SA 4.0"] for row in rows[1:]])
    assert set(credits(read_imageset(root))) == {("Mapillary user", "CC BY-SA 4.0", "")}


def test_it_reads_exif_artist_and_copyright(tmp_path):
    root = tmp_path / "trip"
    (root / "Oslo").mkdir(parents=True)
    (root / "Oslo" / "one.jpg").write_bytes(jpeg_bytes(gps=(59.91, 10.75), artist="Kari Nordmann", copyright="CC BY 4.0"))
    (root / "Oslo" / "two.jpg").write_bytes(jpeg_bytes(gps=(59.92, 10.76)))
    assert credits(read_imageset(root)) == [("Kari Nordmann", "CC BY 4.0", ""), ("", "", "")]


@pytest.mark.parametrize(
    "tag,text",
    [
        ("Zoë Ünal".encode(), "Zoë Ünal"),  # UTF-8, as cameras and editors write it today
        ("Zoë Ünal".encode("cp1252"), "Zoë Ünal"),  # Windows-1252, as older software did
        (b"Jane Doe\0\0\0\0   ", "Jane Doe"),  # a fixed-size field padded with NULs
        (b"Ann Lee\0Ed Itor\0", "Ann Lee; Ed Itor"),  # EXIF's photographer's and editor's notices
        (b"  ", ""),
    ],
)
def test_exif_credits_are_decoded_as_people_wrote_them(tmp_path, tag, text):
    root = credited_set(
        tmp_path, ("filename", "lat", "lon"), [["a.jpg", "1", "2"], ["b.jpg", "3", "4"]], images={"a.jpg": jpeg_bytes(artist=tag)}
    )
    assert read_imageset(root).records[0].author == text


def test_a_csv_credit_wins_over_exif_field_by_field(tmp_path):
    tagged = jpeg_bytes(artist="Camera Owner", copyright="All rights reserved")
    root = credited_set(
        tmp_path,
        ("filename", "lat", "lon", "author", "licence"),
        [["a.jpg", "1", "2", "Ann Lee", ""], ["b.jpg", "3", "4", "", "CC0"]],
        images={"a.jpg": tagged, "b.jpg": tagged},
    )
    assert credits(read_imageset(root)) == [("Ann Lee", "All rights reserved", ""), ("Camera Owner", "CC0", "")]


def test_a_csv_credit_spares_a_bad_exif_tag(tmp_path):
    root = credited_set(
        tmp_path,
        ("filename", "lat", "lon", "author"),
        [["a.jpg", "1", "2", "Ann Lee"], ["b.jpg", "3", "4", "Bob"]],
        images={"a.jpg": jpeg_bytes(artist=b"Bell\x07")},
    )
    assert [r.author for r in read_imageset(root)] == ["Ann Lee", "Bob"]  # the tag is not used, so not checked


def test_html_in_a_credit_is_kept_as_text(tmp_path):
    html = '<a href="javascript:alert(1)">me</a><script>alert(2)</script>'
    root = credited_set(tmp_path, ("filename", "lat", "lon", "author", "licence"), [["a.jpg", "1", "2", html, "<b>CC</b>"]])
    assert credits(read_imageset(root))[0] == (html, "<b>CC</b>", "")


@pytest.mark.parametrize(
    "cells,message",
    [
        (["Bell\x07Boy", "", ""], "labels.csv, row 2: author 'Bell\\x07Boy' has a control character"),
        (["", "CC\x1bBY", ""], "labels.csv, row 2: licence 'CC\\x1bBY' has a control character"),
        (["Ann \u202egnp.exe", "", ""], "labels.csv, row 2: author 'Ann \\u202egnp.exe' has a control character"),
        (["A" * 201, "", ""], "labels.csv, row 2: author is 201 characters long; at most 200 are stored"),
        (["", "L" * 5000, ""], "labels.csv, row 2: licence is 5000 characters long; at most 200 are stored"),
        (["", "", "javascript:alert(1)"], "labels.csv, row 2: source 'javascript:alert(1)' is not an http(s) URL"),
        (["", "", "JavaScript:alert(1)//http://x"], "labels.csv, row 2: source 'JavaScript:alert(1)//http://x' is not an http(s) URL"),
        (["", "", "data:text/html,<script>alert(1)</script>"], "row 2: source 'data:text/html,<script>alert(1)</script>' is not"),
        (["", "", "ftp://example.org/a.jpg"], "labels.csv, row 2: source 'ftp://example.org/a.jpg' is not an http(s) URL"),
        (["", "", "example.org/a"], "labels.csv, row 2: source 'example.org/a' is not an http(s) URL"),
        (["", "", "https://"], "labels.csv, row 2: source 'https://' is not an http(s) URL"),
        (["", "", "http://[::1"], "labels.csv, row 2: source 'http://[::1' is not an http(s) URL"),
        (["", "", "https://example.org/a b"], "labels.csv, row 2: source 'https://example.org/a b' has a space in it"),
        (["", "", "https://example.org/a\u0085b"], "labels.csv, row 2: source 'https://example.org/a\\x85b' has a control character"),
        (["", "", "https://example.org/" + "x" * 500], "labels.csv, row 2: source is 520 characters long; at most 500 are stored"),
    ],
    ids=[
        "bell",
        "escape",
        "bidi-override",
        "author-too-long",
        "licence-huge",
        "javascript",
        "javascript-mixed-case",
        "data",
        "ftp",
        "no-scheme",
        "no-host",
        "broken-ipv6",
        "space",
        "c1-control",
        "source-too-long",
    ],
)
def test_a_bad_credit_is_refused_naming_file_and_row(tmp_path, cells, message):
    root = credited_set(tmp_path, ("filename", "lat", "lon", "author", "licence", "source"), [["a.jpg", "1", "2", *cells]])
    with pytest.raises(ImageSetError) as error:
        read_imageset(root)
    assert message in problems_of(error) and problems_of(error).startswith("labels.csv, row 2: "), problems_of(error)


@pytest.mark.parametrize(
    "tags,message",
    [
        ({"artist": b"Bell\x07Boy"}, "EXIF Artist 'Bell\\x07Boy' has a control character"),
        ({"copyright": b"\x81\x8d\x90"}, "EXIF Copyright '\\x81\\x8d\\x90' has a control character"),  # neither UTF-8 nor Windows-1252
        ({"artist": b"A" * 300}, "EXIF Artist is 300 characters long; at most 200 are stored"),
    ],
    ids=["control", "not-text", "too-long"],
)
def test_a_bad_exif_credit_is_refused_naming_the_photo(tmp_path, tags, message):
    root = credited_set(tmp_path, ("filename", "lat", "lon"), [["a.jpg", "1", "2"]], images={"a.jpg": jpeg_bytes(**tags)})
    with pytest.raises(ImageSetError) as error:
        read_imageset(root)
    assert problems_of(error) == f"labels.csv, row 2: image 'a.jpg': {message}; correct the tag, or give the photo's credit in a labels CSV"
    exif_only = tmp_path / "exif"
    (exif_only / "Oslo").mkdir(parents=True)
    (exif_only / "Oslo" / "one.jpg").write_bytes(jpeg_bytes(gps=(59.91, 10.75), **tags))
    write_jpeg(exif_only / "lima.jpg", gps=(-12.04, -77.04))
    with pytest.raises(ImageSetError) as error:
        read_imageset(exif_only)
    assert problems_of(error) == f"Oslo/one.jpg: {message}; correct the tag, or give the photo's credit in a labels CSV"


def test_a_non_utf8_csv_credit_is_read_as_windows_1252_with_a_note(tmp_path):
    credited_set(tmp_path, ("filename", "lat", "lon"), [])
    (tmp_path / "labels.csv").write_bytes("filename,lat,lon,author\na.jpg,1,2,Zoë Ünal\n".encode("cp1252"))
    manifest = read_imageset(tmp_path)
    assert manifest.records[0].author == "Zoë Ünal" and any("Windows-1252" in note for note in manifest.notes)


def test_the_osv5m_sample_has_no_credit_columns_of_its_own(osv5m_sample):
    """Its credit is set-wide (its README): an import gives it as defaults (tests/imagesets)."""
    assert set(credits(read_imageset(osv5m_sample))) == {("", "", "")}
