"""Curating photos through the admin: disabled photos leave new games, moved photos get new predictions."""

from __future__ import annotations

import pytest

from geoguess.game import services
from geoguess.game.errors import GameError
from geoguess.game.models import Round
from geoguess.imagesets.models import ImageSet, Photo
from geoguess.opponent.models import Prediction
from geoguess.rules import ROUNDS_PER_GAME

CHANGELIST = "/admin/imagesets/photo/"


def disable_through_the_admin(admin_client, photos: list[Photo]) -> None:
    response = admin_client.post(CHANGELIST, {"action": "disable_photos", "_selected_action": [p.pk for p in photos]})
    assert response.status_code == 302


def test_a_disabled_photo_is_never_drawn_in_new_games(admin_client, image_set):
    photos = list(image_set.photos.all())
    disabled = photos[:6]  # 12 photos: 6 stay, enough for a game
    disable_through_the_admin(admin_client, disabled)
    assert Photo.objects.filter(enabled=False).count() == 6
    drawn = set(
        Round.objects.filter(
            game__in=[services.game_start(image_set=image_set, player_name="Ann", owner_key="k", seed=seed) for seed in range(40)]
        ).values_list("photo_id", flat=True)
    )
    assert drawn and not drawn & {p.pk for p in disabled}
    assert drawn == {p.pk for p in photos[6:]}  # every enabled photo is still drawn


def test_a_reenabled_photo_is_drawn_again(admin_client, image_set):
    photos = list(image_set.photos.all())
    disable_through_the_admin(admin_client, photos[:7])
    assert admin_client.post(CHANGELIST, {"action": "enable_photos", "_selected_action": [photos[0].pk]}).status_code == 302
    drawn = set(
        Round.objects.filter(
            game__in=[services.game_start(image_set=image_set, player_name="Ann", owner_key="k", seed=s) for s in range(40)]
        ).values_list("photo_id", flat=True)
    )
    assert photos[0].pk in drawn and not drawn & {p.pk for p in photos[1:7]}


def test_a_set_with_fewer_enabled_photos_than_a_game_needs_is_not_offered(admin_client, client, image_set):
    photos = list(image_set.photos.all())
    disable_through_the_admin(admin_client, photos[: len(photos) - ROUNDS_PER_GAME + 1])
    assert not ImageSet.objects.playable().exists()
    assert image_set.name not in client.get("/").content.decode()
    with pytest.raises(GameError, match="a game needs 5"):
        services.game_start(image_set=image_set, player_name="Ann", owner_key="k")
    photos_page = admin_client.get(f"/admin/imagesets/imageset/{image_set.pk}/change/").content.decode()
    assert "4 / 12" in photos_page  # enabled / all, on the set's page


def test_correcting_a_location_recomputes_its_prediction(admin_client, model_version, django_capture_on_commit_callbacks, settings):
    from geoguess.celery import app
    from geoguess.opponent.models import ModelVersion

    photo = Photo.objects.first()
    before = Prediction.objects.get(photo=photo, model_version=model_version)
    # An older version's guess comes from the same pixels: it stays, for duels against that version.
    older = ModelVersion.objects.create(name="older", checkpoint=model_version.checkpoint, centroids=model_version.centroids)
    kept = Prediction.objects.create(photo=photo, model_version=older, lat=1.0, lon=2.0, top=[["Paris", 0.5]], latency_ms=1.0)
    others = Prediction.objects.exclude(photo=photo).count()
    app.conf.task_always_eager = True  # the queued task runs here, so the test sees the new prediction
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = admin_client.post(
                f"/admin/imagesets/photo/{photo.pk}/change/", {"enabled": "on", "lat": "-33.8688", "lon": "151.2093"}
            )
    finally:
        app.conf.task_always_eager = False
    assert response.status_code == 302, response.content.decode()[:3000]
    assert len(callbacks) == 1  # the prediction was queued once the correction committed
    photo.refresh_from_db()
    assert (photo.lat, photo.lon) == (-33.8688, 151.2093) and photo.location_corrected_at is not None
    after = Prediction.objects.get(photo=photo, model_version=model_version)
    assert after.pk != before.pk  # made again, not the old one kept
    assert Prediction.objects.filter(pk=kept.pk).exists()
    assert Prediction.objects.exclude(photo=photo).count() == others  # the other photos' stay


@pytest.mark.parametrize(
    "lat,lon,message",
    [
        ("95", "10", "latitude 95 is outside [-90, 90]"),
        ("north", "10", "latitude &#x27;north&#x27; is not a number"),
        ("10", "nan", "longitude nan is outside"),
    ],
)
def test_a_bad_location_is_refused_and_nothing_changes(admin_client, image_set, lat, lon, message):
    photo = image_set.photos.first()
    response = admin_client.post(f"/admin/imagesets/photo/{photo.pk}/change/", {"enabled": "on", "lat": lat, "lon": lon})
    assert response.status_code == 200 and message in response.content.decode()
    fresh = Photo.objects.get(pk=photo.pk)
    assert (fresh.lat, fresh.lon, fresh.location_corrected_at) == (photo.lat, photo.lon, None)


def test_the_set_page_lists_its_photos_with_admin_only_thumbnails_on_a_map_and_in_a_table(admin_client, client, image_set):
    page = admin_client.get(f"/admin/imagesets/imageset/{image_set.pk}/change/").content.decode()
    photo = image_set.photos.first()
    thumbnail = f"/admin/imagesets/photo/{photo.pk}/thumbnail/"
    assert 'id="photo-map"' in page and 'id="photo-table"' in page and thumbnail in page and "imagesets/photo_map.js" in page
    points = admin_client.get(f"/admin/imagesets/imageset/{image_set.pk}/photo-points/").json()["photos"]
    assert len(points) == 12 and points[0]["thumbnail"].startswith("/admin/")
    image = admin_client.get(thumbnail)
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg" and image.content[:2] == b"\xff\xd8"
    for url in (thumbnail, f"/admin/imagesets/imageset/{image_set.pk}/photo-points/"):
        response = client.get(url)  # a player
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_saving_a_photo_without_moving_it_says_nothing_of_a_correction(admin_client, image_set):
    photo = image_set.photos.first()
    response = admin_client.post(
        f"/admin/imagesets/photo/{photo.pk}/change/", {"enabled": "", "lat": repr(photo.lat), "lon": repr(photo.lon)}, follow=True
    )
    said = [str(m) for m in response.context["messages"]]
    fresh = Photo.objects.get(pk=photo.pk)
    assert fresh.enabled is False and fresh.location_corrected_at is None
    assert not any("Location corrected" in m for m in said), said
