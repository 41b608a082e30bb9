"""Uploading image sets through the Django admin: kept and queued at once, then imported by the job
(run here as the worker would) whole, or rejected whole with the readers' messages on the job's page."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from geoguess.imagesets.jobs import import_job_run
from geoguess.imagesets.models import ImageSet, ImportJob, Photo
from tests.support.images import jpeg_bytes, small_world
from tests.support.import_corpus import labels_zip

ADD_URL = "/admin/imagesets/imageset/add/"


def upload(client, data: bytes, name: str = "Uploaded"):
    return client.post(
        ADD_URL,
        {"name": name, "description": "", "kind": "auto", "archive": SimpleUploadedFile("set.zip", data, content_type="application/zip")},
    )


def upload_and_import(client, data: bytes, name: str = "Uploaded") -> ImportJob:
    """The upload queues a job and shows it; the job then runs as a worker would run it."""
    response = upload(client, data, name)
    assert response.status_code == 302, response.content.decode()[:2000]
    job = ImportJob.objects.get(name=name)
    assert response["Location"] == f"/admin/imagesets/importjob/{job.pk}/change/"
    assert job.status == "queued" and ImageSet.objects.filter(name=name).count() == 0  # nothing imported in the request
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def media_files(settings) -> list[Path]:
    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


def test_it_imports_a_good_zip_with_served_copies_and_kept_originals(admin_client, settings):
    gps = jpeg_bytes(gps=(48.8566, 2.3522), size=(3000, 2000))
    data = labels_zip(
        [["a.jpg", "48.85", "2.35", "Paris"], ["b.jpg", "-33.9", "151.2", "Sydney"]], images={"a.jpg": gps, "b.jpg": jpeg_bytes()}
    )
    job = upload_and_import(admin_client, data)
    assert job.status == "succeeded" and job.stored == job.total == 5, job.problems
    image_set = ImageSet.objects.get(name="Uploaded")
    assert job.image_set == image_set
    photos = list(image_set.photos.exclude(place="Padding").order_by("place"))
    assert [(p.place, p.lat) for p in photos] == [("Paris", 48.85), ("Sydney", -33.9)]
    paris = photos[0]
    original = Path(settings.MEDIA_ROOT) / paris.original
    assert original.read_bytes() == gps  # kept exactly
    with Image.open(Path(settings.MEDIA_ROOT) / paris.served) as served:
        assert max(served.size) == settings.SERVED_IMAGE_MAX_SIDE
        assert not served.getexif() and "exif" not in served.info
    assert "paris" not in paris.served.lower() and paris.served.startswith("served/")


@pytest.mark.parametrize(
    "data,message",
    [
        (
            labels_zip([["a.jpg", "48.85", "Paris"]], header=("filename", "lat", "city")),
            "labels.csv, row 1: missing coordinate or image column: lon",
        ),
        (
            labels_zip([["a.jpg", "48.85", "2.35", "P"], ["b.jpg", "123.4", "2", "Q"]]),
            "labels.csv, row 3: latitude 123.4 is outside [-90, 90]",
        ),
        (
            labels_zip([["a.jpg", "1", "2", "P"], ["ghost.jpg", "1", "2", "P"]]),
            "labels.csv, row 3: image &#x27;ghost.jpg&#x27; is listed but missing",
        ),
        (
            labels_zip([["a.jpg", "1", "2", "P"], ["b.jpg", "1", "2", "P"]], images={"a.jpg": jpeg_bytes(), "b.jpg": b"not an image"}),
            "labels.csv, row 3: image &#x27;b.jpg&#x27; cannot be read",
        ),
        (
            labels_zip([["a.jpg", "1", "2", "P"]], extra={"set/../../evil.txt": b"x"}),
            "set.zip: entry &#x27;set/../../evil.txt&#x27; escapes its folder",
        ),
    ],
    ids=["missing-coordinate-column", "latitude-out-of-range", "image-missing", "unreadable-image", "zip-escape"],
)
def test_it_rejects_a_bad_upload_whole_with_the_readers_message(admin_client, settings, data, message):
    job = upload_and_import(admin_client, data)
    assert job.status == "failed"
    page = admin_client.get(f"/admin/imagesets/importjob/{job.pk}/change/").content.decode()
    assert message in page  # the job's page lists the problems
    assert message.replace("&#x27;", "'") in admin_client.get(f"/admin/imagesets/importjob/{job.pk}/progress.json").json()["problems"][0]
    assert ImageSet.objects.count() == 0 and Photo.objects.count() == 0
    assert media_files(settings) == []  # the archive too is gone once the job has ended


def test_it_refuses_what_is_not_a_zip_in_the_upload_itself(admin_client, settings):
    response = upload(admin_client, b"this is not a zip")
    assert response.status_code == 200
    assert "set.zip: is not a zip file" in response.content.decode()
    assert ImportJob.objects.count() == 0 and media_files(settings) == []


def test_it_rejects_photos_without_gps_listing_them(admin_client, settings):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("trip/one.jpg", jpeg_bytes(gps=(59.9, 10.7)))
        zf.writestr("trip/two.jpg", jpeg_bytes())
    job = upload_and_import(admin_client, buffer.getvalue())
    assert "two.jpg: has no GPS position in its EXIF" in "\n".join(job.problems)
    assert ImageSet.objects.count() == 0 and media_files(settings) == []


def test_it_refuses_a_duplicate_name_and_keeps_the_first(admin_client, image_set, settings):
    before = len(media_files(settings))
    response = upload(admin_client, labels_zip([["a.jpg", "1", "2", "P"], ["b.jpg", "1", "2", "P"]]), name=image_set.name)
    assert response.status_code == 200 and "already" in response.content.decode()
    assert ImageSet.objects.count() == 1 and len(media_files(settings)) == before


def test_it_shows_the_coverage_map_with_local_leaflet(admin_client, image_set):
    page = admin_client.get(f"/admin/imagesets/imageset/{image_set.pk}/change/").content.decode()
    map_url = f"/admin/imagesets/imageset/{image_set.pk}/coverage-map/"
    assert "coverage map" in page and f'src="{map_url}"' in page  # a document of its own, under its own policy
    document = admin_client.get(map_url).content.decode()
    assert "/static/leaflet/leaflet.js" in document
    assert "cdn.jsdelivr" not in document and "unpkg" not in document


def test_it_keeps_uploads_and_models_for_staff(client, image_set):
    response = client.get(ADD_URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_it_activates_a_model_version_from_the_admin(admin_client, model_version, image_set, django_capture_on_commit_callbacks):
    from geoguess.opponent.models import ModelVersion
    from geoguess.opponent.selectors import active_version_for

    ModelVersion.objects.update(is_active=False)
    response = admin_client.post("/admin/opponent/modelversion/", {"action": "activate", "_selected_action": [model_version.pk]})
    assert response.status_code == 302  # to the page that chooses the image sets it plays
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(response["Location"], {"image_sets": [image_set.pk]})
    assert response.status_code == 302
    assert active_version_for(image_set=image_set) == model_version
    assert len(callbacks) == 1  # the predictions are queued once the activation commits
    page = admin_client.get(f"/admin/opponent/modelversion/{model_version.pk}/change/").content.decode()
    assert "1,234.000" in page  # its evaluation, shown as a table


def test_demo_world_helper_exists(tmp_path):
    assert (small_world(tmp_path / "w", per_city=1) / "manifest.csv").is_file()


@pytest.mark.parametrize(
    "name,archive,problem",
    [
        ("", b"PK\x05\x06" + b"\0" * 18, "This field is required"),
        ("x" * 500, b"PK\x05\x06" + b"\0" * 18, "at most 120 characters"),
        ("<script>alert(1)</script>", b"", "The submitted file is empty"),
        ("Fine", b"\xff\xfe\x00<html>" * 100, "is not a zip file"),
    ],
    ids=["empty-name", "huge-name", "empty-file", "not-utf8-not-zip"],
)
def test_hostile_upload_fields_get_a_message_and_nothing_is_kept(admin_client, settings, name, archive, problem):
    response = upload(admin_client, archive, name)
    page = response.content.decode()
    assert response.status_code == 200 and problem in page
    assert "<script>alert(1)</script>" not in page
    assert ImportJob.objects.count() == 0 and media_files(settings) == []
