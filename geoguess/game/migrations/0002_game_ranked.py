"""Replayed challenges leave the leaderboard: ``Game.ranked``, False for every challenge so far."""

from django.db import migrations, models


def unrank_challenges(apps, schema_editor) -> None:
    Game = apps.get_model("game", "Game")
    Game.objects.filter(challenge_of__isnull=False).update(ranked=False)


class Migration(migrations.Migration):

    dependencies = [
        ("game", "0001_initial"),
    ]

    operations = [
        migrations.AddField(model_name="game", name="ranked", field=models.BooleanField(default=True)),
        migrations.RunPython(unrank_challenges, migrations.RunPython.noop),
    ]
