from django.contrib import admin

from geoguess.game.models import Game, Round


class RoundInline(admin.TabularInline):
    model = Round
    extra = 0
    can_delete = False
    # Read-only, and only these: the image token and the lock-in draw would help a player cheat.
    fields = readonly_fields = (
        "index",
        "photo",
        "started_at",
        "guessed_at",
        "guess_lat",
        "guess_lon",
        "guess_country",
        "timed_out",
        "distance_km",
        "points",
        "worldnet_distance_km",
        "worldnet_points",
        "worldnet_country",
        "damage_to_player",
        "damage_to_worldnet",
        "player_health",
        "worldnet_health",
    )


@admin.register(Game)
class GameAdmin(admin.ModelAdmin):
    list_display = [
        "player_name",
        "image_set",
        "mode",
        "total_points",
        "player_health",
        "worldnet_health",
        "time_limit",
        "created_at",
        "finished_at",
    ]
    list_filter = ["image_set", "mode"]
    readonly_fields = [
        "public_id",
        "image_set",
        "player_name",
        "mode",
        "model_version",
        "time_limit",
        "challenge_of",
        "created_at",
        "finished_at",
        "total_points",
        "player_health",
        "worldnet_health",
        "ranked",
    ]
    exclude = ["owner_key"]
    inlines = [RoundInline]
