from django.contrib import admin

from geoguess.game.models import Game, Round


class RoundInline(admin.TabularInline):
    model = Round
    extra = 0
    can_delete = False
    readonly_fields = ["index", "photo", "started_at", "guessed_at", "guess_lat", "guess_lon", "timed_out", "distance_km", "points"]
    exclude = ["image_token"]


@admin.register(Game)
class GameAdmin(admin.ModelAdmin):
    list_display = ["player_name", "image_set", "total_points", "time_limit", "created_at", "finished_at"]
    list_filter = ["image_set"]
    readonly_fields = ["public_id", "image_set", "player_name", "time_limit", "challenge_of", "created_at", "finished_at", "total_points"]
    exclude = ["owner_key"]
    inlines = [RoundInline]
