"""The rules' numbers in every template (``rules``), and so in every page's scripts (``base.html`` hands them over)."""

from __future__ import annotations

from django.http import HttpRequest

from geoguess import rules as game_rules


def rules(request: HttpRequest) -> dict[str, object]:
    return {"rules": game_rules.for_pages()}
