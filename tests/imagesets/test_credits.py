"""Photo credits (author, licence, source) through an import: from the labels CSV, the photos' EXIF or the
import's set-wide credit (the admin's form, ``import_imageset --author/--licence/--source``), field by field
in that order; hostile values refused with their field's name or stored as text; shown on the photo's admin page."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from geoguess.imagesets.jobs import import_job_run
from geoguess.imagesets.models import ImageSet, ImportJob, Photo
from tests.support.images import jpeg_bytes
from tests.support.import_corpus import credited_zip, labelled_zip

ADD_URL = "/admin/imagesets/imageset/add/"
OSV5M = {
    "author": "OSV-5M authors and Mapillary contributors",
    "licence": "CC BY-SA 4.0",
    "source": "https://huggingface.co/datasets/osv5m/osv5m",
}


def write_zip(tmp_path: Path, data: bytes) -> Path:
    archive = tmp_path / "set.zip"
    archive.write_bytes(data)
    return archive


def credits_by_place(image_set: ImageSet) -> dict[str, tuple[str, str, str]]:
    return {p.place: (p.author, p.licence, p.source) for p in image_set.photos.all()}


def upload(client, data: bytes, **fields):
    form = {"name": "Credited", "description": "", "kind": "auto", "author": "", "licence": "", "source": "", **fields}
    return client.post(ADD_URL, {**form, "archive": SimpleUploadedFile("set.zip", data, content_type="application/zip")})


# --- the set-wide credit fills what each photo lacks, field by field ---------------------------


@pytest.mark.django_db
def test_the_set_wide_credit_fills_what_the_csv_and_exif_leave_empty(tmp_path):
    data = credited_zip(("Ann Lee", "", ""), images={"b.jpg": jpeg_bytes(artist="Camera Owner")})
    call_command(
        "import_imageset",
        str(write_zip(tmp_path, data)),
        "--license=CC BY 4.0",  # the American spelling is the same option as --licence
        name="Credited",
        author="Set Author",
        source="https://example.org/set",
        stdout=io.StringIO(),
    )
    found = credits_by_place(ImageSet.objects.get(name="Credited"))
    assert found["Paris"] == ("Ann Lee", "CC BY 4.0", "https://example.org/set")  # its own author, the set's licence and source
    assert found["London"] == ("Camera Owner", "CC BY 4.0", "https://example.org/set")  # its EXIF Artist
    assert found["Madrid"] == ("Set Author", "CC BY 4.0", "https://example.org/set")


@pytest.mark.django_db
def test_without_a_set_wide_credit_a_photo_without_its_own_has_none(tmp_path):
    call_command("import_imageset", str(write_zip(tmp_path, labelled_zip())), name="Plain", stdout=io.StringIO())
    assert set(credits_by_place(ImageSet.objects.get(name="Plain")).values()) == {("", "", "")}


@pytest.mark.django_db
def test_the_osv5m_sample_imports_with_its_credit(osv5m_sample):
    """Its README: "Licence: CC BY-SA 4.0 (OSV-5M authors and Mapillary contributors)"; its CSV has no credit columns."""
    call_command("import_imageset", str(osv5m_sample), name="OSV-5M sample", **OSV5M, stdout=io.StringIO())
    photos = ImageSet.objects.get(name="OSV-5M sample").photos.all()
    assert photos.count() == 71
    assert {(p.author, p.licence, p.source) for p in photos} == {(OSV5M["author"], OSV5M["licence"], OSV5M["source"])}


def test_the_admin_upload_keeps_the_set_wide_credit_on_its_job_until_the_worker_imports(admin_client):
    response = upload(admin_client, credited_zip(("Ann Lee", "", "")), author="Set Author", licence="CC0", source="http://example.org")
    assert response.status_code == 302, response.content.decode()[:2000]
    job = ImportJob.objects.get(name="Credited")
    assert (job.author, job.licence, job.source) == ("Set Author", "CC0", "http://example.org")
    page = admin_client.get(f"/admin/imagesets/importjob/{job.pk}/change/").content.decode()
    assert "Set Author" in page and "http://example.org" in page  # the job's page shows the credit it carries
    import_job_run(job_id=job.pk)  # as a worker would
    found = credits_by_place(ImageSet.objects.get(name="Credited"))
    assert found["Paris"] == ("Ann Lee", "CC0", "http://example.org") and found["Sydney"] == ("Set Author", "CC0", "http://example.org")


@pytest.mark.django_db
def test_a_background_import_keeps_the_set_wide_credit(tmp_path):
    out = io.StringIO()
    call_command("import_imageset", str(write_zip(tmp_path, labelled_zip())), name="Later", background=True, licence="CC0", stdout=out)
    job = ImportJob.objects.get(name="Later")
    import_job_run(job_id=job.pk)
    assert {p.licence for p in ImageSet.objects.get(name="Later").photos.all()} == {"CC0"}


# --- hostile set-wide credits: refused, naming the field, nothing kept; HTML kept as text ------------


HOSTILE = [
    ({"author": "Bell\x07Boy"}, "author", "the set-wide author &#x27;Bell\\x07Boy&#x27; has a control character"),
    ({"licence": "CC \u202eYB"}, "licence", "the set-wide licence &#x27;CC \\u202eYB&#x27; has a control character"),
    ({"source": "javascript:alert(1)"}, "source", "the set-wide source &#x27;javascript:alert(1)&#x27; is not an http(s) URL"),
    (
        {"source": "data:text/html;base64,PHNjcmlwdD4="},
        "source",
        "the set-wide source &#x27;data:text/html;base64,PHNjcmlwdD4=&#x27; is not an http(s) URL",
    ),
    ({"source": "//example.org/a"}, "source", "the set-wide source &#x27;//example.org/a&#x27; is not an http(s) URL"),
]


@pytest.mark.parametrize("fields,field,message", HOSTILE, ids=["control", "bidi-override", "javascript", "data", "no-scheme"])
def test_a_hostile_set_wide_credit_is_refused_in_the_form_naming_its_field(admin_client, settings, fields, field, message):
    response = upload(admin_client, labelled_zip(), **fields)
    page = response.content.decode()
    assert response.status_code == 200 and message in page
    assert f'class="form-row field-{field} errors"' in page  # beside its own field
    assert ImportJob.objects.count() == 0 and not [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


@pytest.mark.parametrize("fields,field,message", HOSTILE, ids=["control", "bidi-override", "javascript", "data", "no-scheme"])
@pytest.mark.parametrize("background", [False, True], ids=["foreground", "background"])
@pytest.mark.django_db
def test_a_hostile_set_wide_credit_is_refused_by_the_command(tmp_path, fields, field, message, background):
    with pytest.raises(CommandError) as error:
        call_command("import_imageset", str(write_zip(tmp_path, labelled_zip())), name="Bad", background=background, **fields)
    assert f"\n{field}: {message.replace('&#x27;', chr(39))}" in str(error.value)
    assert ImageSet.objects.count() == 0 and ImportJob.objects.count() == 0


def test_a_huge_set_wide_credit_is_refused_by_the_form(admin_client):
    response = upload(admin_client, labelled_zip(), author="A" * 100_000)
    assert response.status_code == 200 and "Ensure this value has at most 200 characters (it has 100000)" in response.content.decode()
    assert ImportJob.objects.count() == 0


@pytest.mark.django_db
def test_a_huge_set_wide_credit_is_refused_by_the_command(tmp_path):
    with pytest.raises(CommandError, match="licence: the set-wide licence is 5000 characters long; at most 200 are stored"):
        call_command("import_imageset", str(write_zip(tmp_path, labelled_zip())), name="Bad", licence="L" * 5000)


def test_html_in_a_set_wide_credit_is_kept_as_text_and_shown_escaped(admin_client):
    html = "<script>alert(1)</script>"
    response = upload(admin_client, labelled_zip(), author=html, licence='<b onmouseover="x()">CC</b>')
    assert response.status_code == 302, response.content.decode()[:2000]
    import_job_run(job_id=ImportJob.objects.get(name="Credited").pk)
    photo = Photo.objects.filter(image_set__name="Credited").first()
    assert (photo.author, photo.licence) == (html, '<b onmouseover="x()">CC</b>')
    page = admin_client.get(f"/admin/imagesets/photo/{photo.pk}/change/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and html not in page and "<b onmouseover" not in page


def test_a_form_field_that_is_not_utf8_is_stored_as_text(admin_client):
    """Browsers send UTF-8; bytes that are not (Windows-1252 here) are replaced as Django reads the form, never stored raw."""
    from django.test.client import BOUNDARY, encode_multipart

    fields = {"name": "Credited", "description": "", "kind": "auto", "author": "AUTHOR", "licence": "", "source": ""}
    body = encode_multipart(BOUNDARY, {**fields, "archive": SimpleUploadedFile("set.zip", labelled_zip())})
    body = body.replace(b"\r\n\r\nAUTHOR\r\n", "\r\n\r\nZoë Ünal\r\n".encode("cp1252"))
    # The content type spelled otherwise than the client's own, so that it sends these bytes as they are.
    response = admin_client.post(ADD_URL, body, content_type=f"multipart/form-data;boundary={BOUNDARY}")
    assert response.status_code == 302, response.content.decode()[:2000]
    import_job_run(job_id=ImportJob.objects.get(name="Credited").pk)
    assert Photo.objects.filter(image_set__name="Credited").first().author == "Zo\ufffd \ufffdnal"


# --- the photo's admin page ----------------------------------------------------------------------


def test_the_photo_pages_show_the_credit_with_the_source_as_a_link(admin_client, image_set):
    photo = image_set.photos.first()
    Photo.objects.filter(pk=photo.pk).update(author="Ann Lee", licence="CC BY-SA 4.0", source="https://example.org/p?a=1&b=2")
    page = admin_client.get(f"/admin/imagesets/photo/{photo.pk}/change/").content.decode()
    assert "author: Ann Lee; licence: CC BY-SA 4.0; source: " in page
    assert '<a href="https://example.org/p?a=1&amp;b=2" rel="noopener noreferrer nofollow" target="_blank">' in page
    listing = admin_client.get(f"/admin/imagesets/photo/?image_set__id__exact={image_set.pk}&q=Ann").content.decode()
    assert "Ann Lee" in listing and "CC BY-SA 4.0" in listing  # the list's columns, searchable by author


def test_a_source_that_is_no_http_url_is_never_a_link(admin_client, image_set):
    """Imports refuse one; a value written some other way (a shell) is still shown as text only."""
    photo = image_set.photos.first()
    Photo.objects.filter(pk=photo.pk).update(source="javascript:alert(1)")
    page = admin_client.get(f"/admin/imagesets/photo/{photo.pk}/change/").content.decode()
    assert "source: javascript:alert(1)" in page and 'href="javascript:' not in page


def test_a_photo_without_a_credit_says_so(admin_client, image_set):
    page = admin_client.get(f"/admin/imagesets/photo/{image_set.photos.first().pk}/change/").content.decode()
    assert '<div class="readonly">–</div>' in page


# --- the migrations add the credits to a database with rows ---------------------------------------


def migrate(targets: list[tuple[str, str]]):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_credit_migrations_keep_the_rows_a_site_has():
    old = migrate([("imagesets", "0004_importjob_background_job")])
    try:
        image_set = old.get_model("imagesets", "ImageSet").objects.create(name="Old", slug="old", scale_km=100.0)
        photo = old.get_model("imagesets", "Photo").objects.create(
            image_set=image_set, original="o/a.jpg", served="s/a.jpg", lat=1.0, lon=2.0, place="Here"
        )
        job = old.get_model("imagesets", "ImportJob").objects.create(name="Old upload", archive="imports/a/b.zip", archive_name="b.zip")
        new = migrate([("imagesets", "0006_importjob_credits")])
        photo = new.get_model("imagesets", "Photo").objects.get(pk=photo.pk)
        assert (photo.place, photo.lat, photo.author, photo.licence, photo.source) == ("Here", 1.0, "", "", "")
        job = new.get_model("imagesets", "ImportJob").objects.get(pk=job.pk)
        assert (job.name, job.author, job.licence, job.source) == ("Old upload", "", "", "")
        back = migrate([("imagesets", "0004_importjob_background_job")])
        assert back.get_model("imagesets", "Photo").objects.get(pk=photo.pk).place == "Here"
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
