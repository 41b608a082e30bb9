"""Each image set has its own worldNET: activating a version for one set changes no other; a set without
its own is played by the site-wide default (or by none); duels keep the version they started with. The
admin's page that chooses a version's sets says what changed, set by set, and answers hostile input
with the form."""

from __future__ import annotations

from urllib.parse import urlencode

import numpy as np
import pytest

from tests.support.games import play_round, start
from tests.support.images import small_world


def _version(name: str, photos, tmp_path):
    """An untrained worldNET over the photos' places, registered (active nowhere), with its predictions stored."""
    from geoguess.opponent.inference import predictions_compute
    from geoguess.opponent.registration import model_version_register
    from worldnet_core.checkpoint import save_checkpoint
    from worldnet_core.models import create_model
    from worldnet_core.models.clustering import make_centroids

    centroids = make_centroids(np.array([p.lat for p in photos]), np.array([p.lon for p in photos]), np.array([p.place for p in photos]))
    model = create_model("worldnet", centroids=centroids.latlon.tolist(), centroid_names=centroids.names, image_size=(32, 48))
    version = model_version_register(
        name=name, checkpoint=save_checkpoint(model, tmp_path / f"{name}.pt", metrics={"seen": {"mean_km": 900.0}})
    )
    predictions_compute(version_id=version.pk, photo_ids=[p.pk for p in photos])
    return version


@pytest.fixture
def two_sets(db, settings, tmp_path):
    """Two image sets and two versions: "old", the site-wide default, and "new", active nowhere."""
    from geoguess.imagesets.models import Photo
    from geoguess.imagesets.services import imageset_import
    from geoguess.opponent.services import model_version_activate

    first = imageset_import(name="First", source=small_world(tmp_path / "first"))
    second = imageset_import(name="Second", source=small_world(tmp_path / "second"))
    photos = list(Photo.objects.all())
    old, new = _version("old", photos, tmp_path), _version("new", photos, tmp_path)
    model_version_activate(version=old)
    return first, second, old, new


def _played_versions(game) -> set[int]:
    for round in game.rounds.order_by("index"):
        play_round(game, round.index, 10.0, 20.0)
    return set(game.rounds.values_list("worldnet_version_id", flat=True))


def test_activating_a_version_for_one_set_leaves_every_other_sets_rounds_unchanged(two_sets, admin_client):
    from geoguess.game.models import Round
    from geoguess.opponent.selectors import active_version, active_version_for, prediction_for

    first, second, old, new = two_sets
    assert _played_versions(start(first, owner="a", seed=1)) == _played_versions(start(second, owner="b", seed=1)) == {old.pk}
    second_rounds = list(
        Round.objects.filter(game__image_set=second).order_by("pk").values_list("pk", "worldnet_version_id", "worldnet_lat")
    )

    response = admin_client.post(f"/admin/opponent/modelversion/{new.pk}/activate/", {"image_sets": [first.pk]}, follow=True)
    said = [str(m) for m in response.context["messages"]]
    assert "new now plays First (was old); its predictions for their photos are queued." in said
    assert "Every other image set keeps its worldNET." in said

    assert active_version_for(image_set=first) == new and active_version_for(image_set=second) == old and active_version() == old
    photo = second.photos.first()
    assert prediction_for(photo_id=photo.pk).model_version == old
    assert prediction_for(photo_id=first.photos.first().pk).model_version == new
    # The other set: its rounds played already are as they were, and its new games are still the old version's.
    assert list(Round.objects.filter(game__image_set=second).order_by("pk").values_list("pk", "worldnet_version_id", "worldnet_lat")) == (
        second_rounds
    )
    assert _played_versions(start(second, owner="c", seed=2)) == {old.pk}
    assert _played_versions(start(first, owner="d", seed=2)) == {new.pk}


def test_the_default_plays_sets_without_their_own_and_none_plays_without_a_default(two_sets):
    from geoguess.opponent.selectors import active_version_for, any_version_plays, prediction_for, sets_played_by
    from geoguess.opponent.services import model_version_activate, model_version_withdraw

    first, second, old, new = two_sets
    model_version_activate(version=new, image_sets=[first])
    assert set(sets_played_by(version=old)) == {second} and set(sets_played_by(version=new)) == {first}
    model_version_withdraw(version=old, default=True)
    assert active_version_for(image_set=second) is None and prediction_for(photo_id=second.photos.first().pk) is None
    assert active_version_for(image_set=first) == new and any_version_plays()
    model_version_withdraw(version=new, image_sets=[first])
    assert not any_version_plays()


def test_a_duel_keeps_the_version_it_started_with(two_sets):
    from geoguess.game import engine, services
    from geoguess.game.models import DUEL
    from geoguess.opponent.services import model_version_activate

    first, _, old, new = two_sets
    model_version_activate(version=new, image_sets=[first])
    duel = services.game_start(image_set=first, player_name="Dee", owner_key="o", mode=DUEL, seed=0)
    assert duel.model_version == new  # the set's own, not the default
    model_version_activate(version=old, image_sets=[first])
    engine.round_open(round=duel.rounds.get(index=0))
    engine.guess_submit(game=duel, index=0, lat=10.0, lon=20.0)
    duel.refresh_from_db()
    assert duel.model_version == new and set(duel.rounds.values_list("worldnet_version_id", flat=True)) == {new.pk}


def test_activating_queues_the_predictions_of_the_sets_it_plays_and_no_others(two_sets, monkeypatch, django_capture_on_commit_callbacks):
    from geoguess.opponent import services

    first, _, _, new = two_sets
    queued: list[tuple[int, list[int]]] = []
    monkeypatch.setattr(services, "send_task", lambda name, version_id, photo_ids, **options: queued.append((version_id, photo_ids)))
    services.Prediction.objects.filter(model_version=new).delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.model_version_activate(version=new, image_sets=[first])
    assert sorted(pk for _, ids in queued for pk in ids) == sorted(first.photos.values_list("pk", flat=True))


def test_the_page_lists_every_set_with_its_worldnet_and_offers_the_sets_it_was_trained_for(two_sets, admin_client):
    _, second, _, new = two_sets
    new.image_sets.set([second])
    page = admin_client.get(f"/admin/opponent/modelversion/{new.pk}/activate/").content.decode()
    assert "<td>First</td>\n          <td>old (the site-wide default)</td>" in page
    assert f'value="{second.pk}"' in page and "Second (worldNET now: old, the site-wide default)" in page
    assert f'name="image_sets" value="{second.pk}" id="id_image_sets_1" checked' in page  # what it was trained for
    assert "No other set changes." in page and "Trained for: Second." in page


def test_the_list_action_goes_to_the_page_and_the_default_can_change_hands(two_sets, admin_client):
    from geoguess.opponent.selectors import active_version, active_version_for

    first, _, _, new = two_sets
    response = admin_client.post("/admin/opponent/modelversion/", {"action": "activate", "_selected_action": [new.pk]})
    assert response.status_code == 302 and response["Location"] == f"/admin/opponent/modelversion/{new.pk}/activate/"
    response = admin_client.post(response["Location"], {"default": "on"}, follow=True)
    said = [str(m) for m in response.context["messages"]]
    assert "new is the site-wide default (was old): it plays every set without its own (First, Second)." in said
    assert active_version() == new and active_version_for(image_set=first) == new
    response = admin_client.post(f"/admin/opponent/modelversion/{new.pk}/activate/", {}, follow=True)
    said = [str(m) for m in response.context["messages"]]
    assert "No site-wide default now: worldNET does not play the sets without their own (First, Second)." in said
    assert active_version() is None
    response = admin_client.post(f"/admin/opponent/modelversion/{new.pk}/activate/", {}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Nothing changed: new plays what it played."]


def test_activating_a_weaker_or_unevaluated_version_warns_and_names_the_way_back(two_sets, admin_client):
    from geoguess.opponent.models import ModelVersion

    first, second, old, new = two_sets
    ModelVersion.objects.filter(pk=old.pk).update(metrics={"seen": {"mean_km": 400.0}, "unseen": {"mean_km": 5500.0}})
    ModelVersion.objects.filter(pk=new.pk).update(metrics={"seen": {"mean_km": 1200.0}, "unseen": {"mean_km": 5400.0}})
    response = admin_client.post(f"/admin/opponent/modelversion/{new.pk}/activate/", {"image_sets": [first.pk]}, follow=True)
    warnings = [m.message for m in response.context["messages"] if m.level_tag == "warning"]
    assert len(warnings) == 2, warnings
    assert "1,200 km against 400 km" in warnings[0] and "To go back, activate old for it." in warnings[0]
    assert "unseen" not in warnings[0]  # better there: only what got worse is named
    assert warnings[1] == "new was not trained for First: it guesses their photos as places it has not seen."
    ModelVersion.objects.filter(pk=new.pk).update(training={"test_images": {"seen": 1, "unseen": 2}})  # one photo says nothing
    response = admin_client.post(f"/admin/opponent/modelversion/{new.pk}/activate/", {"image_sets": [second.pk]}, follow=True)
    warnings = [m.message for m in response.context["messages"] if m.level_tag == "warning"]
    assert warnings[0] == "new was tested on too few photos to say how well it plays: see its figures in play on its page."
    ModelVersion.objects.filter(pk=new.pk).update(metrics={"seen": {"mean_km": "n/a"}})
    response = admin_client.post(f"/admin/opponent/modelversion/{new.pk}/activate/", {"image_sets": []}, follow=True)
    response = admin_client.post(f"/admin/opponent/modelversion/{new.pk}/activate/", {"image_sets": [first.pk, second.pk]}, follow=True)
    warnings = [m.message for m in response.context["messages"] if m.level_tag == "warning"]
    assert warnings[0] == "new has no stored evaluation: nothing says how well it plays."


@pytest.mark.parametrize(
    "value",
    ["", "9" * 30, "99999", "<script>alert(1)</script>", "1.5", "-1", "²", "ÿþ\x00"],
)
def test_the_page_answers_hostile_set_ids_with_the_form(two_sets, admin_client, value):
    from geoguess.opponent.models import SetVersion

    _, _, _, new = two_sets
    response = admin_client.post(f"/admin/opponent/modelversion/{new.pk}/activate/", {"image_sets": [value], "default": "<b>on</b>"})
    assert response.status_code == 200 and "image_sets" in response.context["form"].errors
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert not SetVersion.objects.exists()


def test_the_page_answers_bytes_that_are_not_utf_8_and_bad_version_ids(two_sets, admin_client):
    from geoguess.opponent.models import SetVersion

    first, _, _, new = two_sets
    body = urlencode({"default": ""}) + "&image_sets=%FF%FE" + str(first.pk)
    response = admin_client.post(f"/admin/opponent/modelversion/{new.pk}/activate/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and "image_sets" in response.context["form"].errors and not SetVersion.objects.exists()
    for bad in ["9" * 30, "99999", "abc", "%3Cb%3E", "1.0"]:
        assert admin_client.get(f"/admin/opponent/modelversion/{bad}/activate/").status_code == 404, bad
        assert admin_client.post(f"/admin/opponent/modelversion/{bad}/activate/", {"image_sets": [first.pk]}).status_code == 404, bad
    assert not SetVersion.objects.exists()


def test_the_page_is_for_staff_who_may_change_versions(two_sets, client, django_user_model):
    from geoguess.opponent.models import SetVersion

    first, _, _, new = two_sets
    url = f"/admin/opponent/modelversion/{new.pk}/activate/"
    assert client.post(url, {"image_sets": [first.pk]}).status_code == 302  # to the login
    client.force_login(django_user_model.objects.create_user("clerk", password="a long test password", is_staff=True))
    assert client.post(url, {"image_sets": [first.pk]}).status_code == 403
    assert not SetVersion.objects.exists()
