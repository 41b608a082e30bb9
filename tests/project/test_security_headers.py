"""Security headers on every kind of response, HTTPS settings, and the secret key's rules.

The policies are read from real responses (Django's test client) and, for the deployment
settings, from ``manage.py`` run in its own process with the variables docs/security.md documents.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from geoguess.game.models import Game
from geoguess.security import site_policy, tile_source
from tests.support.games import guess, play_page, start_game
from tests.support.processes import REPO


def directives(policy: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        assert name not in parsed, f"{name} twice in {policy}"
        parsed[name] = sources
    return parsed


def assert_strict_scripts(response) -> dict[str, list[str]]:
    """The site's policy: this site's script files only, nothing inline, nothing evaluated."""
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert not any("unsafe" in source for name in ("script-src", "style-src", "default-src") for source in policy[name])
    assert "script-src-attr" not in policy and "script-src-elem" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    features = dict(item.strip().split("=") for item in response["Permissions-Policy"].split(","))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert features[feature] == "()"
    return policy


def test_it_sends_the_headers_on_the_game_pages_api_and_images(client, image_set, model_version):
    game_pages = [client.get("/")]
    game = start_game(client, image_set)
    game_pages.append(play_page(client, game))
    image = client.get(f"/round-image/{game.rounds.get(index=0).image_token}")
    api = [guess(client, game, 0, 10.0, 20.0), client.get(f"/game/{game.public_id}/round/0")]
    for index in range(1, 5):
        play_page(client, game)
        guess(client, game, index, 10.0, 20.0)
    game_pages += [client.get(f"/game/{game.public_id}/summary"), client.get(f"/challenge/{game.public_id}/"), client.get("/world.geojson")]
    for response in [*game_pages, image, *api]:
        assert response.status_code == 200, response.request["PATH_INFO"]
        policy = assert_strict_scripts(response)
        assert policy["style-src"] == ["'self'"] and "style-src-attr" not in policy  # Leaflet styles through the CSSOM only
    assert image["Content-Type"] == "image/jpeg" and api[0]["Content-Type"] == "application/json"


def test_the_game_pages_hold_no_inline_script_or_style(client, image_set, model_version):
    game = start_game(client, image_set)
    pages = [client.get("/"), play_page(client, game)]
    for page in pages:
        html = page.content.decode()
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
        for attributes, body in scripts:
            # json_script data blocks are not run; every other script is a file from this site.
            assert 'type="application/json"' in attributes or ("src=" in attributes and not body.strip()), attributes
        assert not re.search(r"\son[a-z]+\s*=", html), "an inline event handler"
        assert " style=" not in html and "<style" not in html


def test_the_admin_keeps_scripts_strict_and_allows_style_attributes(admin_client, image_set):
    for path in ["/admin/", "/admin/imagesets/imageset/", f"/admin/imagesets/imageset/{image_set.pk}/change/", "/admin/imagesets/photo/"]:
        response = admin_client.get(path)
        assert response.status_code == 200, path
        policy = assert_strict_scripts(response)
        assert policy["style-src"] == ["'self'"] and policy["style-src-attr"] == ["'unsafe-inline'"]
    assert assert_strict_scripts(Client().get("/admin/login/"))


def test_the_admin_map_is_a_sandboxed_document_whose_inline_code_runs_by_nonce(admin_client, image_set):
    url = f"/admin/imagesets/imageset/{image_set.pk}/coverage-map/"
    first, second = admin_client.get(url), admin_client.get(url)
    assert first.status_code == 200 and first["Content-Type"].startswith("text/html")
    policy = directives(first["Content-Security-Policy"])
    nonce = re.fullmatch(r"'nonce-([\w-]+)'", policy["script-src"][1]).group(1)
    assert policy["script-src"] == ["'self'", f"'nonce-{nonce}'"] and policy["style-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert policy["sandbox"] == ["allow-scripts"] and policy["frame-ancestors"] == ["'self'"] and policy["default-src"] == ["'none'"]
    assert first["X-Frame-Options"] == "SAMEORIGIN" and "no-store" in first["Cache-Control"]
    html = first.content.decode()
    inline = re.findall(r"<(?:script|style)(?![^>]*\bsrc=)[^>]*>", html)
    assert inline and all(f'nonce="{nonce}"' in tag for tag in inline)
    assert nonce not in second["Content-Security-Policy"]  # a fresh nonce for every response


def test_the_admin_map_is_for_staff_only(client, django_user_model, image_set):
    url = f"/admin/imagesets/imageset/{image_set.pk}/coverage-map/"
    assert client.get(url)["Location"].startswith("/admin/login/")
    player = django_user_model.objects.create_user("player", password="x-long-password-1")
    client.force_login(player)
    assert client.get(url)["Location"].startswith("/admin/login/")  # not staff


def test_it_answers_head_on_the_front_page(client, image_set):
    response = client.head("/")
    assert response.status_code == 200 and response.content == b""
    assert "Content-Security-Policy" in response


def test_a_configured_tile_server_is_admitted_for_images_only():
    policy = directives(site_policy(tile_url="https://{s}.tile.example.org/{z}/{x}/{y}.png"))
    assert policy["img-src"] == ["'self'", "data:", "https://*.tile.example.org"]
    assert policy["script-src"] == ["'self'"] and policy["connect-src"] == ["'self'"]
    assert tile_source("") is None and tile_source("/tiles/{z}/{x}/{y}.png") is None


def test_it_redirects_to_https_and_sends_hsts_behind_a_proxy(settings, image_set):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    plain = Client().get("/")
    assert plain.status_code == 301 and plain["Location"] == "https://testserver/"
    secure = Client().get("/", headers={"X-Forwarded-Proto": "https"})
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


# --- deployment settings and the secret key, in processes of their own ---------------------------


def run(args: list[str], var_dir: Path, **variables: str) -> subprocess.CompletedProcess:
    """``args`` in a process with only the given variables over a clean environment (no SECRET_KEY, no DEBUG)."""
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"} and not k.startswith(("SECURE_", "DJANGO_"))}
    env.update({"GEOGUESS_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "geoguess.settings", **variables})
    return subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=180)


def readme_production_variables() -> dict[str, str]:
    """The ``export NAME=value`` lines of docs/security.md's deployment section: the test keeps the docs honest."""
    page = (REPO / "docs" / "security.md").read_text()
    section = page.split("\n## What a deployment must set\n", 1)[1].split("\n## ", 1)[0]
    variables = dict(re.findall(r"^export (\w+)=(.+)$", section, re.M))
    assert {
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "CSRF_TRUSTED_ORIGINS",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
    } <= variables.keys()
    variables["SECRET_KEY"] = secrets.token_urlsafe(50)  # the docs generate one: $(...)
    return {name: value.strip("'\"") for name, value in variables.items()}


def test_check_deploy_is_clean_with_the_production_variables_of_the_readme(tmp_path):
    variables = readme_production_variables()
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path / "var", **variables)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    shown = run(
        [
            "-c",
            "import django; django.setup(); from django.conf import settings as s; import json; "
            "print(json.dumps([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER, s.CSRF_TRUSTED_ORIGINS]))",
        ],
        tmp_path / "var",
        **variables,
    )
    assert json.loads(shown.stdout) == [True, True, ["HTTP_X_FORWARDED_PROTO", "https"], variables["CSRF_TRUSTED_ORIGINS"].split(",")], (
        shown.stderr
    )
    # Without them, the same check warns (it is not clean by accident).
    assert (
        run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path / "var", SECRET_KEY=variables["SECRET_KEY"]).returncode
        != 0
    )


@pytest.mark.parametrize("program", [["manage.py", "check"], ["-c", "import geoguess.wsgi"]], ids=["manage.py", "wsgi (gunicorn)"])
def test_it_refuses_to_start_with_debug_off_and_no_secret_key(tmp_path, program):
    result = run(program, tmp_path / "var")
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr
    assert not (tmp_path / "var" / "secret_key").exists()  # no command but `play` makes one up
    assert run(program, tmp_path / "var", DEBUG="true").returncode == 0  # development: the built-in key


def test_play_keeps_one_random_key_under_var_that_the_other_commands_use(tmp_path):
    var = tmp_path / "var"
    assert run(["manage.py", "play", "--help"], var).returncode == 0  # settings load, as for a real `make play`
    key_file = var / "secret_key"
    key = key_file.read_text().strip()
    assert len(key) >= 50 and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert run(["manage.py", "play", "--help"], var).returncode == 0 and key_file.read_text().strip() == key  # kept, not remade
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    assert run(["-c", code], var).stdout.strip() == key  # the worker play starts, createsuperuser, gunicorn on this checkout
    assert run(["-c", code], var, SECRET_KEY="from-the-environment-" + "k" * 40).stdout.strip().startswith("from-the-environment-")


def test_a_duels_pages_and_round_state_keep_the_policy_and_hold_no_inline_script_or_style(client, image_set, model_version):
    response = client.post("/", {"image_set": image_set.pk, "player_name": "Dee", "time_limit": 0, "mode": "duel"})
    public_id = response["Location"].split("/")[2]
    responses = [client.get(f"/game/{public_id}/"), client.get(f"/game/{public_id}/round/0/state")]
    for index in range(12):  # far from every answer: the duel ends within a few rounds
        if play_page(client, Game.objects.get(public_id=public_id)).status_code == 302:
            break
        guess(client, Game.objects.get(public_id=public_id), index, -80.0, 0.0)
    responses += [client.get(f"/game/{public_id}/summary"), client.get(f"/challenge/{public_id}/")]
    for response in responses:
        assert response.status_code == 200, response.request["PATH_INFO"]
        assert directives(response["Content-Security-Policy"])["style-src"] == ["'self'"] and assert_strict_scripts(response)
    for page in (responses[0], responses[2]):  # the round (health bars set through the CSSOM) and the summary (an inline SVG chart)
        html = page.content.decode()
        assert " style=" not in html and "<style" not in html and not re.search(r"\son[a-z]+\s*=", html)
        assert all('type="application/json"' in attributes or "src=" in attributes for attributes in re.findall(r"<script([^>]*)>", html))
    assert "<svg" in responses[2].content.decode()
