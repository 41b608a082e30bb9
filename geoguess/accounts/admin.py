"""Ratings in the admin, read only: a rating moves through rated duels alone (``ratings.rate_duel``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from geoguess.accounts.models import Rating, RatingChange


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "account", "model_version", "mu", "sigma", "games", "wins", "losses", "draws", "updated_at"]
    list_select_related = ["account", "model_version"]
    search_fields = ["account__username", "model_version__name"]
    ordering = ["-mu"]


@admin.register(RatingChange)
class RatingChangeAdmin(ReadOnlyAdmin):
    list_display = ["game_key", "rating", "opponent", "result", "mu_before", "mu_after", "sigma_after", "at"]
    list_select_related = ["rating__account", "rating__model_version"]
    list_filter = ["result"]
    search_fields = ["game_key", "opponent", "rating__account__username"]
