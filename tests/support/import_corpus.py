"""A corpus of image-set uploads, made on the fly: awkward ones that must import, hostile ones that must not.

Each case builds a zip (what the admin form takes; the command takes the same file)
and, for bad ones, names the messages the refusal must contain: file and row.
"""

from __future__ import annotations

import csv
import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image

from tests.support.images import jpeg_bytes

ROWS = [
    ("a.jpg", 48.8566, 2.3522, "Paris", "FR"),
    ("b.jpg", 51.5072, -0.1276, "London", "GB"),
    ("c.jpg", 40.4168, -3.7038, "Madrid", "ES"),
    ("d.jpg", 34.6937, 135.5023, "Osaka", "JP"),
    ("e.jpg", -33.8688, 151.2093, "Sydney", "AU"),
]


@dataclass
class Case:
    name: str
    build: Callable[[], bytes]
    #: Substrings every refusal must hold (file and row); empty: the upload must import.
    refused_with: list[str] = field(default_factory=list)
    #: For good cases: a check of the imported set, given its photos (list of dicts).
    check: Callable[[list[dict]], None] | None = None


def image(fmt: str = "JPEG", mode: str = "RGB", size: tuple[int, int] = (48, 32), **save) -> bytes:
    picture = Image.new(
        mode, size, {"RGB": (120, 90, 60), "CMYK": (10, 40, 80, 5), "P": 3, "I;16": 40000, "L": 90, "RGBA": (200, 10, 10, 128)}.get(mode, 0)
    )
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt, **save)
    return buffer.getvalue()


def labels_csv(rows: list[tuple], header: tuple = ("filename", "lat", "lon", "city", "country"), *, delimiter: str = ",") -> str:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue()


def labelled_zip(
    rows: list[tuple] = ROWS,
    *,
    images: dict[str, bytes] | None = None,
    csv_bytes: bytes | None = None,
    csv_name: str = "set/labels.csv",
    image_folder: str = "set/images/",
    extra: dict[str, bytes] | None = None,
) -> bytes:
    """A zip of ``set/labels.csv`` and ``set/images/*``; ``images`` overrides some images' bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(csv_name, csv_bytes if csv_bytes is not None else labels_csv(rows).encode())
        for name in dict.fromkeys(str(row[0]) for row in rows):
            data = (images or {}).get(name, jpeg_bytes(size=(48, 32)))
            if data is not None:
                zf.writestr(image_folder + name, data)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buffer.getvalue()


# --- bytes no library will write for us --------------------------------------------------------


def truncated_jpeg() -> bytes:
    whole = jpeg_bytes(size=(640, 480), color=(10, 200, 30))
    return whole[: len(whole) // 2]


def bomb_png(side: int = 30_000) -> bytes:
    """A ``side``×``side`` one-bit PNG of one colour: about 110 KB on disk, 900 megapixels decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\0" + b"\0" * ((side + 7) // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def exif_rotated_jpeg() -> bytes:
    """A landscape 60×20 image whose EXIF says: turn me 90° (orientation 6) to see me upright."""
    picture = Image.new("RGB", (60, 20), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def patch_zip_entries(data: bytes, entry_name: str, *, method: int | None = None, flag_bits: int | None = None) -> bytes:
    """Rewrites one entry's compression method or flags in both its local and central headers."""
    raw = bytearray(data)
    target = entry_name.encode()
    for signature, name_at, method_at, flags_at, name_len_at in ((b"PK\x03\x04", 30, 8, 6, 26), (b"PK\x01\x02", 46, 10, 8, 28)):
        start = 0
        while (at := raw.find(signature, start)) != -1:
            length = struct.unpack_from("<H", raw, at + name_len_at)[0]
            if bytes(raw[at + name_at : at + name_at + length]) == target:
                if method is not None:
                    struct.pack_into("<H", raw, at + method_at, method)
                if flag_bits is not None:
                    struct.pack_into("<H", raw, at + flags_at, flag_bits)
            start = at + 4
    return bytes(raw)


def gsv_zip(rows: list[list[str]]) -> bytes:
    """The GSV-Cities layout with a frame of ``rows`` (as text) and an image for each well-formed row."""
    header = ["place_id", "year", "month", "northdeg", "city_id", "lat", "lon", "panoid"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        text = io.StringIO()
        csv.writer(text).writerows([header, *rows])
        zf.writestr("gsv/Dataframes/London.csv", text.getvalue())
        for place_id, year, month, northdeg, city, lat, lon, pano in rows:
            try:
                name = f"{city}_{int(place_id):07d}_{int(year):04d}_{int(month):02d}_{int(float(northdeg)):03d}_{lat}_{lon}_{pano}.jpg"
            except (ValueError, OverflowError):
                continue
            zf.writestr(f"gsv/Images/London/{name}", jpeg_bytes())
    return buffer.getvalue()


GSV_GOOD_ROWS = [[str(i), "2019", "6", str(90 * (i % 4)), "London", f"51.5{i}", "-0.12", f"pano{i}"] for i in range(1, 6)]


def exif_zip(*folders: str, count: int = 5, extra: dict[str, bytes] | None = None) -> bytes:
    """Geotagged photos spread over ``folders`` (each folder's name is its photos' place)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for i in range(count):
            zf.writestr(f"trip/{folders[i % len(folders)]}/photo-{i}.JPG", jpeg_bytes(gps=(47.37 + i / 100, 8.54)))
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buffer.getvalue()


def deep_bomb_zip() -> bytes:
    """One entry of 100 MB of zeros in about 100 KB: a thousand to one."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("set/labels.csv", labels_csv(ROWS))
        for row in ROWS:
            zf.writestr(f"set/images/{row[0]}", jpeg_bytes())
        with zf.open("set/padding.bin", "w", force_zip64=True) as entry:
            block = b"\0" * (1024 * 1024)
            for _ in range(100):
                entry.write(block)
    return buffer.getvalue()


CREDIT_HEADER = ("filename", "lat", "lon", "city", "country", "Photographer", "License", "Source URL")


def credited_zip(first: tuple[str, str, str], *, images: dict[str, bytes] | None = None, csv_encoding: str = "utf-8") -> bytes:
    """``ROWS`` with credit columns (by their synonyms): the first row's credit is ``first``, the others have none."""
    rows = [(*ROWS[0], *first)] + [(*row, "", "", "") for row in ROWS[1:]]
    return labelled_zip(rows, images=images, csv_bytes=labels_csv(rows, header=CREDIT_HEADER).encode(csv_encoding))


def manifest_zip(images: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        rows = [(name, lat, lon, place, country, "") for (name, lat, lon, place, country) in ROWS]
        zf.writestr("m/manifest.csv", labels_csv(rows, header=("path", "lat", "lon", "place", "country", "group")))
        for row in ROWS:
            zf.writestr(f"m/{row[0]}", images.get(row[0], jpeg_bytes()))
    return buffer.getvalue()


# --- the cases -----------------------------------------------------------------------------------


def _places(expected: set[str]) -> Callable[[list[dict]], None]:
    def check(photos: list[dict]) -> None:
        assert expected <= {p["place"] for p in photos}, sorted(p["place"] for p in photos)

    return check


def _credits(expected: dict[str, tuple[str, str, str]]) -> Callable[[list[dict]], None]:
    """The imported photos' credits (author, licence, source) by place."""

    def check(photos: list[dict]) -> None:
        found = {p["place"]: (p["author"], p["licence"], p["source"]) for p in photos}
        assert {place: found.get(place) for place in expected} == expected, found

    return check


def _served_portrait(photos: list[dict]) -> None:
    rotated = [p for p in photos if p["place"] == "Rotated"]
    assert rotated and rotated[0]["served_size"][0] < rotated[0]["served_size"][1], rotated  # upright: taller than wide


def _rows_with(name: str, place: str) -> list[tuple]:
    return [(name, 10.0, 10.0, place, "")] + ROWS[1:]


LONG_NAME = "x" * 300 + ".jpg"

GOOD = [
    Case("utf8-bom", lambda: labelled_zip(csv_bytes=b"\xef\xbb\xbf" + labels_csv(ROWS).encode())),
    Case(
        "windows-1252-csv",
        lambda: labelled_zip(_rows_with("a.jpg", "São Paulo"), csv_bytes=labels_csv(_rows_with("a.jpg", "São Paulo")).encode("cp1252")),
        check=_places({"São Paulo"}),
    ),
    Case("utf16-tab-separated", lambda: labelled_zip(csv_bytes=labels_csv(ROWS, delimiter="\t").encode("utf-16"))),
    Case("semicolon-csv", lambda: labelled_zip(csv_bytes=labels_csv(ROWS, delimiter=";").encode())),
    Case(
        "nested-folders",
        lambda: labelled_zip([(f"deep/er/{r[0]}", *r[1:]) for r in ROWS], csv_name="outer/set/labels.csv", image_folder="outer/set/"),
    ),
    Case("upper-case-suffix", lambda: labelled_zip([(r[0].replace(".jpg", ".JPG"), *r[1:]) for r in ROWS])),
    Case(
        "cmyk-16bit-palette-webp-gif",
        lambda: labelled_zip(
            [
                ("cmyk.jpg", 1, 1, "CMYK", ""),
                ("grey16.png", 2, 2, "16-bit", ""),
                ("palette.png", 3, 3, "Palette", ""),
                ("photo.webp", 4, 4, "WebP", ""),
                ("anim.gif", 5, 5, "GIF", ""),
                ("alpha.png", 6, 6, "Alpha", ""),
            ],
            images={
                "cmyk.jpg": image("JPEG", "CMYK"),
                "grey16.png": image("PNG", "I;16"),
                "palette.png": image("PNG", "P", transparency=0),
                "photo.webp": image("WEBP"),
                "anim.gif": image("GIF", "P"),
                "alpha.png": image("PNG", "RGBA"),
            },
        ),
        check=_places({"CMYK", "16-bit", "Palette", "WebP", "GIF", "Alpha"}),
    ),
    Case(
        "exif-rotated", lambda: labelled_zip(_rows_with("a.jpg", "Rotated"), images={"a.jpg": exif_rotated_jpeg()}), check=_served_portrait
    ),
    Case(
        "non-ascii-names",
        lambda: labelled_zip([("Zürich ü.jpg", 47.37, 8.54, "Zürich", "CH"), ("東京.jpg", 35.68, 139.69, "東京", "JP")] + ROWS[2:]),
        check=_places({"Zürich", "東京"}),
    ),
    Case("exif-folders-non-ascii", lambda: exif_zip("Zürich", "Åre"), check=_places({"Zürich", "Åre"})),
    Case(
        "hostile-text-is-text",
        lambda: labelled_zip(_rows_with("a.jpg", '<img src=x onerror="alert(1)">')),
        check=_places({'<img src=x onerror="alert(1)">'}),
    ),
    Case("gsv-cities", lambda: gsv_zip(GSV_GOOD_ROWS)),
    Case(
        "credit-columns",
        lambda: credited_zip(("Ann Lee", "CC BY-SA 4.0", "https://example.org/photos/a")),
        check=_credits({"Paris": ("Ann Lee", "CC BY-SA 4.0", "https://example.org/photos/a"), "London": ("", "", "")}),
    ),
    Case(
        "credit-html-is-text",
        lambda: credited_zip(('<img src=x onerror="alert(1)">', "<b>CC</b> BY", 'https://example.org/?q=<script>&x="')),
        check=_credits({"Paris": ('<img src=x onerror="alert(1)">', "<b>CC</b> BY", 'https://example.org/?q=<script>&x="')}),
    ),
    Case(
        "credit-windows-1252-csv",
        lambda: credited_zip(("Zoë Ünal", "© CC BY 4.0", ""), csv_encoding="cp1252"),
        check=_credits({"Paris": ("Zoë Ünal", "© CC BY 4.0", "")}),
    ),
    Case(
        "credit-exif-artist-copyright",
        lambda: labelled_zip(images={"a.jpg": jpeg_bytes(artist="Zoë Ünal".encode(), copyright=b"(c) 2024 Z. \xdcnal, CC BY 4.0")}),
        check=_credits({"Paris": ("Zoë Ünal", "(c) 2024 Z. Ünal, CC BY 4.0", ""), "London": ("", "", "")}),
    ),
    Case(
        "credit-csv-over-exif",
        lambda: credited_zip(("Ann Lee", "", ""), images={"a.jpg": jpeg_bytes(artist="Camera Owner", copyright="CC0")}),
        check=_credits({"Paris": ("Ann Lee", "CC0", "")}),
    ),
]

BAD = [
    Case("truncated-jpeg", lambda: labelled_zip(images={"b.jpg": truncated_jpeg()}), ["labels.csv, row 3: image 'b.jpg' cannot be read"]),
    Case(
        "decompression-bomb-png",
        lambda: labelled_zip(_rows_with("bomb.png", "Bomb"), images={"bomb.png": bomb_png()}),
        ["labels.csv, row 2: image 'bomb.png' is 900 megapixels, more than the 50 megapixels allowed"],
    ),
    Case(
        "hundred-megapixels",
        lambda: labelled_zip(_rows_with("big.png", "Big"), images={"big.png": bomb_png(10_000)}),
        ["labels.csv, row 2: image 'big.png' is 10000×10000 pixels (100 megapixels), more than the 50 megapixels allowed"],
    ),
    Case(
        "manifest-garbage-image",
        lambda: manifest_zip({"c.jpg": b"\xff\xd8\xff\xe0 not really a JPEG"}),
        ["manifest.csv, row 4: image 'c.jpg' cannot be read"],
    ),
    Case(
        "neither-utf8-nor-1252",
        lambda: labelled_zip(csv_bytes=labels_csv(ROWS).encode() + b"f.jpg,1,1,\x81\x8d\x90,\n"),
        ["labels.csv, row 7: is not UTF-8 text"],
    ),
    Case(
        "cell-over-csv-limit",
        lambda: labelled_zip(csv_bytes=labels_csv(ROWS[:2] + [("c.jpg", 1, 1, "x" * 200_000, "")] + ROWS[3:]).encode()),
        ["labels.csv, row 4: has a cell longer than"],
    ),
    Case(
        "gsv-missing-panoid",
        lambda: gsv_zip(GSV_GOOD_ROWS + [["9", "2019", "6", "0", "London", "51.5", "-0.1", ""]]),
        ["Dataframes/London.csv, row 7: panoid is missing"],
    ),
    Case(
        "gsv-northdeg-inf",
        lambda: gsv_zip(GSV_GOOD_ROWS + [["9", "2019", "6", "inf", "London", "51.5", "-0.1", "panoX"]]),
        ["Dataframes/London.csv, row 7: northdeg 'inf' is not a whole number"],
    ),
    Case(
        "encrypted-entry",
        lambda: patch_zip_entries(labelled_zip(), "set/images/b.jpg", flag_bits=0x1),
        ["set.zip: entry 'set/images/b.jpg' is encrypted"],
    ),
    Case(
        "deflate64-entry",
        lambda: patch_zip_entries(labelled_zip(), "set/images/b.jpg", method=9),
        ["set.zip: entry 'set/images/b.jpg' is compressed with Deflate64"],
    ),
    Case(
        "zip-entry-name-too-long",
        lambda: labelled_zip(extra={"set/images/" + LONG_NAME: jpeg_bytes()}),
        ["longer than the 255 bytes file systems allow"],
    ),
    Case(
        "csv-filename-too-long",
        lambda: labelled_zip(_rows_with(LONG_NAME, "Long"), images={LONG_NAME: None}),
        ["labels.csv, row 2: image 'xxxxxxxx", "longer than the 255 bytes file systems allow"],
    ),
    Case("fewer-photos-than-a-game", lambda: labelled_zip(ROWS[:4]), ["set.zip: holds 4 photos; a game needs at least 5"]),
    Case(
        "place-over-200-characters",
        lambda: labelled_zip(_rows_with("a.jpg", "P" * 201)),
        ["labels.csv, row 2: place is 201 characters long; at most 200 are stored"],
    ),
    Case(
        "country-over-100-characters",
        lambda: labelled_zip([("a.jpg", 1, 1, "Somewhere", "C" * 101)] + ROWS[1:]),
        ["labels.csv, row 2: country is 101 characters long"],
    ),
    Case("nul-in-place", lambda: labelled_zip(_rows_with("a.jpg", "Nul\x00Town")), ["labels.csv, row 2: holds a NUL byte"]),
    Case(
        "control-character-in-place",
        lambda: labelled_zip(_rows_with("a.jpg", "Bell\x07Town")),
        ["labels.csv, row 2: place 'Bell\\x07Town' has a control character"],
    ),
    Case(
        "coordinates-not-finite",
        lambda: labelled_zip([("a.jpg", "nan", 1, "A", ""), ("b.jpg", 1, "-inf", "B", "")] + ROWS[2:]),
        ["labels.csv, row 2: latitude nan is outside [-90, 90]", "labels.csv, row 3: longitude -inf is outside [-180, 180]"],
    ),
    Case(
        "listed-twice",
        lambda: labelled_zip(ROWS + [("a.jpg", 1, 1, "Again", "")]),
        ["labels.csv, row 7: image 'images/a.jpg' is listed twice (also row 2)"],
    ),
    Case("zip-bomb-entry", deep_bomb_zip, ["set.zip: entry 'set/padding.bin' would expand"]),
    Case(
        "heic-photo",
        lambda: exif_zip("Oslo", "Bergen", extra={"trip/Oslo/IMG_0001.HEIC": b"\0\0\0\x18ftypheic"}),
        ["Oslo/IMG_0001.HEIC: is a HEIC file, which cannot be read here: export it as JPEG"],
    ),
    Case(
        "path-escape", lambda: labelled_zip(extra={"set/../../evil.txt": b"x"}), ["set.zip: entry 'set/../../evil.txt' escapes its folder"]
    ),
    Case("not-a-zip", lambda: b"this is not a zip at all", ["set.zip: is neither a folder, a zip file nor a CSV"]),
    Case(
        "credit-control-character",
        lambda: credited_zip(("Bell\x07Boy", "", "")),
        ["labels.csv, row 2: author 'Bell\\x07Boy' has a control character"],
    ),
    Case(
        "credit-huge",
        lambda: credited_zip(("", "L" * 60_000, "")),
        ["labels.csv, row 2: licence is 60000 characters long; at most 200 are stored"],
    ),
    Case(
        "credit-javascript-url",
        lambda: credited_zip(("", "", "javascript:alert(document.cookie)")),
        ["labels.csv, row 2: source 'javascript:alert(document.cookie)' is not an http(s) URL"],
    ),
    Case(
        "credit-exif-not-text",
        lambda: labelled_zip(images={"b.jpg": jpeg_bytes(artist=b"\x81\x8d\x90\x9d")}),
        ["labels.csv, row 3: image 'b.jpg': EXIF Artist '\\x81\\x8d\\x90\\x9d' has a control character"],
    ),
]


def labels_zip(
    rows: list[list[str]],
    header=("filename", "lat", "lon", "city"),
    images: dict[str, bytes] | None = None,
    extra: dict[str, bytes] | None = None,
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        text = io.StringIO()
        padding = [row[: len(header)] for row in PADDING] if len(header) == 4 else []
        csv.writer(text).writerows([list(header), *rows, *padding])
        zf.writestr("set/labels.csv", text.getvalue())
        for name, data in (images if images is not None else {"a.jpg": jpeg_bytes(), "b.jpg": jpeg_bytes()}).items():
            zf.writestr(f"set/images/{name}", data)
        for row in PADDING:
            zf.writestr(f"set/images/{row[0]}", jpeg_bytes())
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buffer.getvalue()


#: Three more good photos after the rows a test writes, so a set has the five a game needs.
PADDING = [[f"pad{i}.jpg", "10", str(i), "Padding"] for i in range(3)]
