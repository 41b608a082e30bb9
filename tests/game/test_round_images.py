"""A round's image and worldNET's overlay: made once as files, served from them, gone with their rounds.

What they must not tell (the answer, a photo's identity across games) is checked over HTTP in
``test_pages.py``; here, how they are made and kept: once, atomically, under names that say nothing,
reachable through the views alone, and removed with the round, its game, photo or image set.
"""

from __future__ import annotations

import io
import os
import threading
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.test import Client
from PIL import Image

from geoguess.game import round_images
from geoguess.game.models import Game, Round
from geoguess.game.round_image_files import round_file_path, rounds_root
from geoguess.imagesets.services import served_image_path
from tests.support.games import guess, play_page, start_game

A_WEEK_AGO = time.time() - 8 * 86400


def image_path(round: Round) -> Path:
    return round_file_path(round_id=round.pk, image_token=round.image_token, kind="image")


def attention_path(round: Round) -> Path:
    return round_file_path(round_id=round.pk, image_token=round.image_token, kind="attention")


def files_kept() -> list[Path]:
    root = rounds_root()
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.is_dir() else []


def heatmap_png() -> bytes:
    """Where worldNET looked, as a prediction stores it: a small 8-bit grey PNG."""
    buffer = io.BytesIO()
    Image.fromarray(np.linspace(0, 255, 48).reshape(6, 8).astype(np.uint8), "L").save(buffer, format="PNG")
    return buffer.getvalue()


def body(response) -> bytes:
    assert response.streaming, "served from its file, streamed"
    return b"".join(response.streaming_content)


@pytest.fixture
def counted(monkeypatch) -> dict[str, int]:
    """How often each image is encoded: the real functions, counted on the way through."""
    calls = {"variant": 0, "attention": 0}

    def counting(name: str, real):
        def call(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(round_images, "jpeg_variant", counting("variant", round_images.jpeg_variant))
    monkeypatch.setattr(round_images, "attention_jpeg", counting("attention", round_images.attention_jpeg))
    return calls


def test_it_makes_a_rounds_image_on_its_first_request_and_serves_that_file_after(client, image_set, counted):
    game = start_game(client, image_set)
    play_page(client, game)
    round = game.rounds.get(index=0)
    assert files_kept() == []  # drawing the rounds made none: the game's start waits for no encode
    first = client.get(f"/round-image/{round.image_token}")
    data = body(first)
    assert first.status_code == 200 and first["Content-Type"] == "image/jpeg" and int(first["Content-Length"]) == len(data)
    assert first["Content-Disposition"] == 'inline; filename="round.jpg"'  # the same for every round
    assert files_kept() == [image_path(round)] and image_path(round).read_bytes() == data
    os.utime(image_path(round), (A_WEEK_AGO, A_WEEK_AGO))  # a file written again would get a new time
    again = client.get(f"/round-image/{round.image_token}")
    assert body(again) == data and image_path(round).stat().st_mtime == A_WEEK_AGO
    assert counted["variant"] == 1
    with Image.open(io.BytesIO(data)) as served:
        assert served.format == "JPEG" and not served.getexif() and "exif" not in served.info and not served.info.get("comment")


def test_the_files_name_tells_nothing_and_no_url_but_the_views_reaches_it(client, image_set):
    game = start_game(client, image_set)
    play_page(client, game)
    round = game.rounds.get(index=0)
    client.get(f"/round-image/{round.image_token}")
    relative = image_path(round).relative_to(image_path(round).parents[2]).as_posix()  # rounds/<shard>/<name>
    photo = round.photo
    for told in (round.image_token, photo.served, Path(photo.served).stem, photo.original, Path(photo.original).stem, photo.place):
        assert told not in relative, f"{told!r} is in the file's name {relative!r}"
    for url in (f"/media/{relative}", f"/static/{relative}", f"/{relative}", f"/media/{photo.served}"):
        assert client.get(url).status_code == 404, url


def test_a_stranger_or_a_token_that_is_no_rounds_makes_no_file(client, image_set):
    game = start_game(client, image_set)
    play_page(client, game)
    token = game.rounds.get(index=0).image_token
    assert Client().get(f"/round-image/{token}").status_code == 404
    other = token[:-1] + ("y" if token.endswith("x") else "x")  # one character off (a token may end in x itself)
    assert client.get(f"/round-image/{other}").status_code == 404
    assert files_kept() == []


def test_worldnets_overlay_is_made_once_and_only_after_the_guess(client, image_set, counted):
    game = start_game(client, image_set)
    play_page(client, game)
    game.rounds.update(worldnet_heatmap=heatmap_png())  # worldNET's map is there (a duel attaches it as the round is drawn)
    round = game.rounds.get(index=0)
    before = client.get(f"/game/{game.public_id}/round/0/attention.jpg")
    assert before.status_code == 409 and before.json()["error"]["code"] == "answer_after_guess"
    assert not attention_path(round).exists() and counted["attention"] == 0
    assert guess(client, game, 0, 1.0, 1.0).status_code == 200
    looked = client.get(f"/game/{game.public_id}/round/0/attention.jpg")
    data = body(looked)
    assert looked.status_code == 200 and looked["Content-Type"] == "image/jpeg" and int(looked["Content-Length"]) == len(data)
    assert attention_path(round).read_bytes() == data and image_path(round).is_file()  # laid over the round's own image
    assert body(client.get(f"/game/{game.public_id}/round/0/attention.jpg")) == data
    assert counted == {"variant": 1, "attention": 1}
    with Image.open(io.BytesIO(data)) as overlay, Image.open(image_path(round)) as plain:
        assert overlay.size == plain.size and not overlay.getexif() and "exif" not in overlay.info
    assert Client().get(f"/game/{game.public_id}/round/0/attention.jpg").status_code == 403  # not another player's


def test_requests_that_race_for_a_new_image_make_one_whole_file(client, image_set):
    game = start_game(client, image_set)
    round = Round.objects.select_related("photo").get(game=game, index=0)  # the threads read no database
    results: list[bytes] = []
    start = threading.Barrier(6)

    def request() -> None:
        start.wait()
        with round_images.round_image_open(round=round) as file:
            results.append(file.read())

    threads = [threading.Thread(target=request) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 6 and len(set(results)) == 1 and results[0][:2] == b"\xff\xd8"
    assert files_kept() == [image_path(round)] and image_path(round).read_bytes() == results[0]  # no temporary file left


def test_a_missing_served_copy_is_a_404_and_leaves_no_file(client, image_set):
    game = start_game(client, image_set)
    play_page(client, game)
    round = game.rounds.get(index=0)
    served_image_path(round.photo).unlink()
    assert client.get(f"/round-image/{round.image_token}").status_code == 404
    assert files_kept() == []


def made_images(client: Client, game: Game) -> list[Path]:
    """Every round's image and overlay of ``game``, made by asking for them."""
    game.rounds.update(worldnet_heatmap=heatmap_png())
    for index in range(5):
        play_page(client, game)
        guess(client, game, index, 1.0, 1.0)
        assert client.get(f"/game/{game.public_id}/round/{index}/attention.jpg").status_code == 200
    paths = [path for round in game.rounds.all() for path in (image_path(round), attention_path(round))]
    assert all(path.is_file() for path in paths)
    return paths


@pytest.mark.parametrize("deleted", ["game", "photo", "image set"])
def test_deleting_a_game_a_photo_or_an_image_set_deletes_its_round_images(client, image_set, deleted, django_capture_on_commit_callbacks):
    game = start_game(client, image_set)
    paths = made_images(client, game)
    round = game.rounds.get(index=0)
    gone = {"game": paths, "photo": [image_path(round), attention_path(round)], "image set": paths}[deleted]
    with django_capture_on_commit_callbacks(execute=True):
        {"game": game, "photo": round.photo, "image set": image_set}[deleted].delete()
    assert not any(path.exists() for path in gone)
    assert set(files_kept()) == set(paths) - set(gone)


def test_the_sweep_removes_old_orphaned_and_half_written_files_and_a_request_makes_them_again(client, image_set, settings):
    game = start_game(client, image_set)
    play_page(client, game)
    old, recent = game.rounds.get(index=0), game.rounds.get(index=1)
    old_bytes = body(client.get(f"/round-image/{old.image_token}"))
    client.get(f"/round-image/{recent.image_token}")
    os.utime(image_path(old), (A_WEEK_AGO, A_WEEK_AGO))
    shard = image_path(recent).parent
    orphan = shard / image_path(recent).name.replace(f"{recent.pk}-", "999999-")  # a round gone
    other_key = shard / f"{recent.pk}-{'0' * 32}.jpg"  # named under an earlier secret key
    killed = shard / ".abandoned.tmp"  # a writer killed mid-file, an hour ago
    writing = shard / ".writing.tmp"  # a writer at work now
    for path in (orphan, other_key, killed, writing):
        path.write_bytes(b"\xff\xd8")
    os.utime(killed, (time.time() - 7200, time.time() - 7200))
    call_command("sweep_round_images", "--older-than-days", "7", stdout=io.StringIO())
    assert sorted(path.name for path in files_kept()) == sorted([image_path(recent).name, writing.name])
    assert body(client.get(f"/round-image/{old.image_token}")) == old_bytes  # made again: the same bytes
    assert timedelta(seconds=time.time() - image_path(old).stat().st_mtime) < timedelta(minutes=1)


def test_the_sweep_goes_on_past_a_file_that_goes_while_it_looks(client, image_set, settings, monkeypatch):
    """A file listed and then renamed into place or removed with its round before the sweep reads its age:
    the sweep passes it by and sweeps the rest, rather than stopping the night's run with an error."""
    from geoguess.game import round_image_files

    game = start_game(client, image_set)
    play_page(client, game)
    old = game.rounds.get(index=0)
    client.get(f"/round-image/{old.image_token}")
    os.utime(image_path(old), (A_WEEK_AGO, A_WEEK_AGO))
    vanished = image_path(old).parent / ".renamed-meanwhile.tmp"  # listed, then gone before its stat()
    listed = list(round_image_files._files())
    monkeypatch.setattr(round_image_files, "_files", lambda: iter([vanished, *listed]))
    call_command("sweep_round_images", "--older-than-days", "7", stdout=io.StringIO())
    assert not image_path(old).exists()
