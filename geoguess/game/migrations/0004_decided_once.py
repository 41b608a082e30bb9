"""What a guess decided is stored on its round: the player's country, worldNET's guess scored, a duel's damage.

Duel rounds settled before this migration get their damage from the rule of their time (written out here,
not imported: a later change of ``geoguess/rules.py`` must not rewrite history). worldNET's guess is attached
to older rounds the next time they are shown (``engine.worldnet_attach``).
"""

import django.db.models.deletion
from django.db import migrations, models


def damage_dealt(apps, schema_editor):
    Round = apps.get_model("game", "Round")
    settled = Round.objects.filter(game__mode="duel", player_health__isnull=False, damage_to_player__isnull=True)
    for round in settled.only("index", "points", "worldnet_points").iterator():
        number = round.index + 1
        halves = 2 + max(0, number - 4)  # the multiplier in halves: x1 for rounds 1-4, then +0.5 a round
        player, worldnet = round.points or 0, round.worldnet_points or 0
        amount = (abs(player - worldnet) * halves + 1) // 2
        to_player, to_worldnet = (amount, 0) if player < worldnet else (0, amount)
        Round.objects.filter(pk=round.pk).update(damage_to_player=to_player, damage_to_worldnet=to_worldnet)


class Migration(migrations.Migration):
    dependencies = [
        ("game", "0003_duel"),
        ("opponent", "0003_prediction_heatmap"),
    ]

    operations = [
        migrations.AddField(model_name="round", name="guess_country", field=models.CharField(blank=True, max_length=100)),
        migrations.AddField(
            model_name="round",
            name="worldnet_prediction",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="opponent.prediction"
            ),
        ),
        migrations.AddField(model_name="round", name="worldnet_lat", field=models.FloatField(blank=True, null=True)),
        migrations.AddField(model_name="round", name="worldnet_lon", field=models.FloatField(blank=True, null=True)),
        migrations.AddField(model_name="round", name="worldnet_distance_km", field=models.FloatField(blank=True, null=True)),
        migrations.AddField(model_name="round", name="worldnet_country", field=models.CharField(blank=True, max_length=100)),
        migrations.AddField(model_name="round", name="worldnet_near", field=models.CharField(blank=True, max_length=200)),
        migrations.AddField(model_name="round", name="worldnet_candidates", field=models.JSONField(blank=True, default=list)),
        migrations.AddField(model_name="round", name="worldnet_saw", field=models.BooleanField(default=False)),
        migrations.AddField(model_name="round", name="damage_to_player", field=models.IntegerField(blank=True, null=True)),
        migrations.AddField(model_name="round", name="damage_to_worldnet", field=models.IntegerField(blank=True, null=True)),
        migrations.RunPython(damage_dealt, migrations.RunPython.noop),
    ]
