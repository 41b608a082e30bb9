"""What a guess decided is stored on its round: the answer it was scored against, the player's country,
worldNET's guess and its score, a duel round's damage, and how a duel ended.

Rounds played before this migration keep their answer as it stands now, and duel rounds settled before
it get their damage from the rule of their time (written out here, not imported: a later change of
``geoguess/rules.py`` must not rewrite history); finished duels say how they ended. worldNET's guess is
attached to older rounds the next time they are shown (``worldnet.worldnet_attach``).
"""

import django.db.models.deletion
from django.db import migrations, models

BATCH = 500


def decided_before(apps, schema_editor):
    Round = apps.get_model("game", "Round")
    Game = apps.get_model("game", "Game")
    # Ids first, then batches: the rows written are never the ones being read.
    played = list(Round.objects.filter(guessed_at__isnull=False).values_list("pk", flat=True))
    for start in range(0, len(played), BATCH):
        rounds = list(Round.objects.filter(pk__in=played[start : start + BATCH]).select_related("game", "photo"))
        for round in rounds:
            round.truth_lat, round.truth_lon = round.photo.lat, round.photo.lon
            if round.game.mode == "duel" and round.player_health is not None:
                number = round.index + 1
                halves = 2 + max(0, number - 4)  # the multiplier in halves: x1 for rounds 1-4, then +0.5 a round
                player, worldnet = round.points or 0, round.worldnet_points or 0
                amount = (abs(player - worldnet) * halves + 1) // 2
                round.damage_to_player, round.damage_to_worldnet = (amount, 0) if player < worldnet else (0, amount)
        Round.objects.bulk_update(rounds, ["truth_lat", "truth_lon", "damage_to_player", "damage_to_worldnet"])
    finished = Game.objects.filter(mode="duel", finished_at__isnull=False)
    finished.filter(models.Q(player_health__lte=0) | models.Q(worldnet_health__lte=0)).update(ended_by="knockout")
    finished.filter(ended_by="").update(ended_by="no_photos_left")


class Migration(migrations.Migration):
    dependencies = [
        ("game", "0003_duel"),
        ("opponent", "0003_prediction_heatmap"),
    ]

    operations = [
        migrations.AddField(model_name="game", name="ended_by", field=models.CharField(blank=True, max_length=20)),
        migrations.AddField(model_name="round", name="truth_lat", field=models.FloatField(blank=True, null=True)),
        migrations.AddField(model_name="round", name="truth_lon", field=models.FloatField(blank=True, null=True)),
        migrations.AddField(model_name="round", name="guess_country", field=models.CharField(blank=True, max_length=100)),
        migrations.AddField(
            model_name="round",
            name="worldnet_version",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="opponent.modelversion"
            ),
        ),
        migrations.AddField(model_name="round", name="worldnet_lat", field=models.FloatField(blank=True, null=True)),
        migrations.AddField(model_name="round", name="worldnet_lon", field=models.FloatField(blank=True, null=True)),
        migrations.AddField(model_name="round", name="worldnet_distance_km", field=models.FloatField(blank=True, null=True)),
        migrations.AddField(model_name="round", name="worldnet_country", field=models.CharField(blank=True, max_length=100)),
        migrations.AddField(model_name="round", name="worldnet_near", field=models.CharField(blank=True, max_length=200)),
        migrations.AddField(model_name="round", name="worldnet_candidates", field=models.JSONField(blank=True, default=list)),
        migrations.AddField(model_name="round", name="worldnet_heatmap", field=models.BinaryField(blank=True, editable=False, null=True)),
        migrations.AddField(model_name="round", name="damage_to_player", field=models.IntegerField(blank=True, null=True)),
        migrations.AddField(model_name="round", name="damage_to_worldnet", field=models.IntegerField(blank=True, null=True)),
        migrations.RunPython(decided_before, migrations.RunPython.noop),
    ]
