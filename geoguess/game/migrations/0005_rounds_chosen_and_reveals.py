"""A classic game's length (3, 5 or 10 rounds: each has its own leaderboard), and the last reveal the player
has left (a reload while reading one shows it again). Games under way have left every reveal they showed."""

from django.db import migrations, models


def reveals_left(apps, schema_editor):
    Game = apps.get_model("game", "Game")
    played = Game.objects.filter(rounds__guessed_at__isnull=False).annotate(last=models.Max("rounds__index"))
    for game_id, last in played.values_list("pk", "last").iterator():
        Game.objects.filter(pk=game_id).update(reveal_left=last)


class Migration(migrations.Migration):
    dependencies = [
        ("game", "0004_decided_once"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="game", name="game_game_image_s_1e21a7_idx"),
        migrations.AddField(model_name="game", name="reveal_left", field=models.SmallIntegerField(default=-1)),
        migrations.AddField(model_name="game", name="rounds_chosen", field=models.PositiveSmallIntegerField(default=5)),
        migrations.AddIndex(
            model_name="game",
            index=models.Index(fields=["image_set", "rounds_chosen", "-total_points"], name="game_game_image_s_4a75e4_idx"),
        ),
        migrations.RunPython(reveals_left, migrations.RunPython.noop),
    ]
