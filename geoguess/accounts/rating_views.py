"""The ratings page: the ranked leaderboard of accounts, and worldNET's versions with their ratings.

Public data (usernames and ratings, no profile's details), read through ``rating_selectors``.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from geoguess.accounts import rating_selectors


@require_safe
def ratings(request: HttpRequest) -> HttpResponse:
    context = {"leaders": rating_selectors.ranked_leaderboard(), "versions": rating_selectors.version_ratings()}
    return render(request, "accounts/ratings.html", context)
