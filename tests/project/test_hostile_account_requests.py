"""The accounts' forms and pages against the hostile-requests table (``test_hostile_requests.py``'s
values and checks): a 4xx with a plain message or a redirect, never a 5xx, never an account made or lost by it;
and every accounts URL is ``private, no-store`` for every asker."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, reverse

from geoguess.accounts import urls
from tests.project.test_hostile_requests import HOSTILE_FORM_VALUES, HOSTILE_IDS, check, hostile_client, short

PASSWORD = "a-Long-pass-123"
FORM, MULTIPART = "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"
GOOD_SIGN_UP = {"username": "ann", "email": "ann@example.org", "password1": PASSWORD, "password2": PASSWORD}


@pytest.fixture
def ann(db) -> Client:
    client = hostile_client()
    assert client.post("/accounts/sign-up/", GOOD_SIGN_UP).status_code == 302
    return client


def test_hostile_sign_up_sign_in_and_reset_forms_get_a_form_error(ann):
    failures: list[str] = []
    for who, client in {"a guest": hostile_client(), "ann": ann}.items():
        for field in ("username", "password"):
            for bad in HOSTILE_FORM_VALUES:
                asker = hostile_client() if who == "a guest" else client  # signed in, the sign-in page sends ann on
                response = asker.post("/accounts/sign-in/", {"username": "ann", "password": PASSWORD, field: bad}, REMOTE_ADDR=short(bad))
                check(failures, f"{who} sign-in {field}={short(bad)}", response)
                if response.status_code == 302 and who == "a guest":
                    failures.append(f"{who} sign-in {field}={short(bad)} signed in")
        for field in GOOD_SIGN_UP:
            for bad in HOSTILE_FORM_VALUES:
                fields = {**GOOD_SIGN_UP, "username": "bob", "email": "bob@example.org", field: bad}
                check(failures, f"{who} sign-up {field}={short(bad)}", hostile_client().post("/accounts/sign-up/", fields))
        for bad in HOSTILE_FORM_VALUES:
            fields = {"new_password1": bad, "new_password2": bad}
            check(failures, f"{who} reset confirm {short(bad)}", client.post("/accounts/reset/MQ/set-password/", fields))
            check(failures, f"{who} reset {short(bad)}", client.post("/accounts/password-reset/", {"email": bad}, REMOTE_ADDR=short(bad)))
        for bad in HOSTILE_IDS:
            for path in (f"/players/{bad}/", f"/accounts/reset/{bad}/{bad}/", f"/accounts/reset/MQ/{bad}/"):
                response = client.get(path)
                check(failures, f"{who} GET {short(path)}", response)
                name = unquote(bad)
                made = re.fullmatch(r"[\w.@+-]+", name) is not None and User.objects.filter(username=name).exists()  # by a sign-up above
                exists = path.startswith("/players/") and made
                if not 400 <= response.status_code < 500 and response.status_code != 302 and not exists:
                    failures.append(f"{who} GET {short(path)}: {response.status_code}, expected a 4xx")
        for what, response in [
            ("sign-up with no fields", client.post("/accounts/sign-up/", {})),
            (
                "sign-up with non-UTF-8",
                client.post("/accounts/sign-up/", b"\xff\xfe\x00x", content_type="application/x-www-form-urlencoded"),
            ),
            ("sign-up with JSON", client.post("/accounts/sign-up/", '{"username": "x"}', content_type="application/json")),
            ("sign-in with repeated fields", client.post("/accounts/sign-in/", {"username": ["ann", "bob"], "password": ["a", "b"]})),
            (
                "sign-in with broken multipart",
                client.post("/accounts/sign-in/", b"--x\r\nbroken", content_type="multipart/form-data; boundary=x"),
            ),
            ("PUT sign-up", client.put("/accounts/sign-up/")),
            ("DELETE profile", client.delete("/players/ann/")),
            ("GET sign-out", client.get("/accounts/sign-out/")),
            ("sign-in next=%00", client.get("/accounts/sign-in/?next=%00")),
            ("sign-in next=itself", client.get("/accounts/sign-in/?next=/accounts/sign-in/")),  # a 500 once, signed in
            ("sign-in next=itself with a query", client.get("/accounts/sign-in/?next=/accounts/sign-in/%3Fnext%3D/")),
            ("CSV with a query", client.get("/me/history.csv?x=%00")),
        ]:
            check(failures, f"{who} {what}", response)
    assert not failures, "\n".join(failures)
    # Only well-formed sign-ups made accounts (a hostile value can be a good username, "abc" or "-1"; never a bad one).
    for username in User.objects.values_list("username", flat=True):
        assert re.fullmatch(r"[\w.@+-]{1,150}", username), username


def test_hostile_settings_and_deletion_forms_lose_nothing(ann):
    failures: list[str] = []
    for bad in HOSTILE_FORM_VALUES:
        response = ann.post("/me/delete/", {"password": bad})
        check(failures, f"delete password={short(bad)}", response)
        if response.status_code not in (400, 429):  # 429: five wrong passwords in, the sign-in limits hold here too
            failures.append(f"delete password={short(bad)}: {response.status_code}, expected 400 or 429")
        check(failures, f"settings public={short(bad)}", ann.post("/me/settings/", {"public": bad}))
        response = ann.post("/accounts/password/", {"old_password": bad, "new_password1": bad, "new_password2": bad})
        check(failures, f"password change {short(bad)}", response)
    assert not failures, "\n".join(failures)
    assert User.objects.get(username="ann").check_password(PASSWORD)


def test_every_accounts_url_is_private_no_store(ann):
    arguments = {"username": "ann", "uidb64": "MQ", "token": "no-token"}
    failures: list[str] = []
    for pattern in urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        url = reverse(f"accounts:{pattern.name}", kwargs={name: arguments[name] for name in pattern.pattern.converters})
        for who, client in {"ann": ann, "a guest": Client()}.items():
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
                if not {"private", "no-store"} <= directives:
                    failures.append(
                        f"{who} {method.upper()} {url}: {response.status_code}, Cache-Control {response.get('Cache-Control')!r}"
                    )
    assert not failures, "\n".join(failures)
