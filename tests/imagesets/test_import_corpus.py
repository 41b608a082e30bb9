"""Every awkward and hostile upload of the corpus, through the command and through the admin form.

Good ones import; bad ones are refused whole with a message naming file and row, with
no traceback, and leave nothing behind: no row, no media file, no temporary folder.
"""

from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils.html import escape
from PIL import Image

from geoguess.imagesets.models import ImageSet, Photo
from tests.support.import_corpus import BAD, GOOD, Case

ADD_URL = "/admin/imagesets/imageset/add/"


@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    """Temporary folders of the import go here, so the test can see that none is left."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def import_via(via: str, case: Case, tmp_path: Path, client=None) -> str | None:
    """Imports the case's zip; returns None on success, else the message shown to the user."""
    data = case.build()
    if via == "command":
        archive = tmp_path / "upload" / "set.zip"
        archive.parent.mkdir(exist_ok=True)
        archive.write_bytes(data)
        try:
            call_command("import_imageset", str(archive), name="Corpus", stdout=io.StringIO())
        except CommandError as error:
            return str(error)
        return None
    response = client.post(
        ADD_URL,
        {
            "name": "Corpus",
            "description": "",
            "kind": "auto",
            "archive": SimpleUploadedFile("set.zip", data, content_type="application/zip"),
        },
    )
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:
        return response.content.decode()  # refused in the upload itself (the name, not a zip)
    from geoguess.imagesets.jobs import import_job_run
    from geoguess.imagesets.models import ImportJob

    job = ImportJob.objects.get(name="Corpus")  # queued by the upload; run here as a worker would
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    return None if job.status == "succeeded" else client.get(response["Location"]).content.decode()  # the job's page lists the problems


def left_behind(settings, private_tmp: Path) -> list[Path]:
    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()] + list(private_tmp.iterdir())


@pytest.mark.parametrize("via", ["command", "admin"])
@pytest.mark.parametrize("case", BAD, ids=[c.name for c in BAD])
def test_a_bad_upload_is_refused_whole_naming_file_and_row(case: Case, via: str, admin_client, settings, tmp_path, private_tmp):
    shown = import_via(via, case, tmp_path, admin_client)
    assert shown is not None, f"{case.name} was imported"
    # The admin's upload checks only that it was given a zip, in its own words; the readers do the rest.
    refused_with = ["set.zip: is not a zip file"] if via == "admin" and case.name == "not-a-zip" else case.refused_with
    for expected in refused_with:
        assert (expected if via == "command" else escape(expected)) in shown, shown[:3000] if via == "command" else _errors(shown)
    assert "Traceback" not in shown and str(tmp_path) not in shown and "/tmp/" not in shown  # no server paths
    assert ImageSet.objects.count() == 0 and Photo.objects.count() == 0
    assert left_behind(settings, private_tmp) == []


@pytest.mark.parametrize("via", ["command", "admin"])
@pytest.mark.parametrize("case", GOOD, ids=[c.name for c in GOOD])
def test_an_awkward_but_good_upload_imports(case: Case, via: str, admin_client, settings, tmp_path, private_tmp):
    shown = import_via(via, case, tmp_path, admin_client)
    assert shown is None, shown if via == "command" else _errors(shown)
    image_set = ImageSet.objects.get(name="Corpus")
    photos = []
    for photo in image_set.photos.all():
        original, served = Path(settings.MEDIA_ROOT) / photo.original, Path(settings.MEDIA_ROOT) / photo.served
        assert original.is_file()
        with Image.open(served) as picture:
            assert picture.format == "JPEG" and picture.mode == "RGB" and not picture.getexif()
            photos.append(
                {
                    "place": photo.place,
                    "served_size": picture.size,
                    "author": photo.author,
                    "licence": photo.licence,
                    "source": photo.source,
                }
            )
    assert len(photos) >= 5
    if case.check:
        case.check(photos)
    assert list(private_tmp.iterdir()) == []  # the unpacked copy is gone


def test_a_windows_1252_csv_is_read_with_a_note_and_accents_intact(tmp_path):
    from tests.support.import_corpus import labelled_zip, labels_csv
    from worldnet_core.readers import read_imageset

    rows = [("a.jpg", 1, 1, "São Paulo", "Brasil"), ("b.jpg", 2, 2, "Köln", "")]
    archive = tmp_path / "set.zip"
    archive.write_bytes(labelled_zip(rows, csv_bytes=labels_csv(rows).encode("cp1252")))
    manifest = read_imageset(archive, dest=tmp_path / "out")
    assert [r.place for r in manifest] == ["São Paulo", "Köln"]
    assert any("Windows-1252" in note for note in manifest.notes)


def test_deleting_an_image_set_removes_its_files(admin_client, image_set, settings, django_capture_on_commit_callbacks):
    media = Path(settings.MEDIA_ROOT)
    files = [media / p.original for p in image_set.photos.all()] + [media / p.served for p in image_set.photos.all()]
    assert files and all(f.is_file() for f in files)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/imagesets/imageset/{image_set.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not any(f.exists() for f in files)
    assert [p for p in media.rglob("*") if p.is_file()] == []
    assert not (media / image_set.storage).exists()


def _errors(page: str) -> str:
    """The admin page's error list, for a readable failure."""
    start = page.find("errorlist")
    return page[start - 200 : start + 2000] if start != -1 else page[:2000]


def test_an_upload_whose_own_name_no_file_system_holds_still_imports(admin_client, settings, private_tmp):
    from tests.support.import_corpus import labelled_zip

    name = "é" * 200 + ".zip"  # 200 characters Django lets through, 404 bytes no file system takes
    response = admin_client.post(
        ADD_URL,
        {
            "name": "Long name",
            "description": "",
            "kind": "auto",
            "archive": SimpleUploadedFile(name, labelled_zip(), content_type="application/zip"),
        },
    )
    assert response.status_code == 302
    from geoguess.imagesets.jobs import import_job_run
    from geoguess.imagesets.models import ImportJob

    import_job_run(job_id=ImportJob.objects.get(name="Long name").pk)  # as a worker would
    assert ImageSet.objects.get(name="Long name").photos.count() == 5


@pytest.mark.parametrize("length", [70_000, 200_000], ids=["over-our-limit", "over-pythons-limit"])
def test_a_cell_too_long_is_refused_on_its_row_without_touching_pythons_csv_limit(tmp_path, length):
    import csv

    from worldnet_core.manifest import ImageSetError
    from worldnet_core.readers.csvfile import read_table

    path = tmp_path / "labels.csv"
    path.write_text("filename,lat,lon,city\na.jpg,1,1,A\nb.jpg,2,2," + "x" * length + "\n", encoding="utf-8")
    before = csv.field_size_limit()
    with pytest.raises(ImageSetError, match=re.escape("labels.csv, row 3: has a cell longer than 65,536 characters")):
        read_table(path)
    assert csv.field_size_limit() == before
