"""The site's own pages for a missing address (404) and a server error (500): the header, words a player
understands and a way back; not Django's bare "Not Found"."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.views.defaults import server_error


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/game/doesnotexist/", "/game/aaaaaaaaaaaaaaaaaaaaaaaa/summary", "/players/nobody-here/", "/challenge/xyz/", "/no/such/page"],
)
def test_a_missing_page_is_the_sites_own_with_a_way_back(client, path):
    response = client.get(path)
    assert response.status_code == 404
    page = response.content.decode()
    assert "<h1>Nothing here</h1>" in page and 'class="brand"' in page
    assert 'href="/"' in page and 'href="/daily/"' in page and 'href="/party/new"' in page


@pytest.mark.django_db
def test_the_game_api_still_answers_a_missing_game_in_json(client):
    response = client.post("/game/aaaaaaaaaaaaaaaaaaaaaaaa/guess", data="{}", content_type="application/json")
    assert response.status_code == 404 and response.json()["error"]["code"] == "game_not_found"


def test_a_server_error_page_renders_with_no_context():
    response = server_error(RequestFactory().get("/"))
    page = response.content.decode()
    assert response.status_code == 500 and "Something went wrong on our side" in page and 'href="/"' in page
