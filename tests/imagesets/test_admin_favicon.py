"""The admin's pages carry the site's icon, and ``/favicon.ico`` (asked for by browsers on pages without an
icon link, such as error pages) answers with it instead of a 404."""

from __future__ import annotations

import pytest
from django.templatetags.static import static

ICON = static("img/favicon.svg")


@pytest.mark.parametrize(
    "url",
    ["/admin/", "/admin/imagesets/imageset/", "/admin/imagesets/imageset/add/", "/admin/imagesets/importjob/", "/admin/password_change/"],
)
def test_admin_pages_link_the_sites_icon(admin_client, url):
    page = admin_client.get(url).content.decode()
    assert f'<link rel="icon" type="image/svg+xml" href="{ICON}">' in page
    assert '<meta name="robots" content="NONE,NOARCHIVE">' in page  # Django's own line of that block is kept


def test_the_login_page_links_it_too(client):
    assert f'href="{ICON}"' in client.get("/admin/login/").content.decode()


def test_an_object_page_links_it(admin_client, image_set):
    assert f'href="{ICON}"' in admin_client.get(f"/admin/imagesets/imageset/{image_set.pk}/change/").content.decode()


@pytest.mark.django_db
def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == ICON
    icon = client.get(ICON)
    assert icon.status_code == 200 and icon["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(icon.streaming_content if icon.streaming else [icon.content])
