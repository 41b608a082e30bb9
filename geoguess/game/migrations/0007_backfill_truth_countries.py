"""Fills the answer's country and continent of every round scored before they were stored (0006): a profile's
accuracy by country and continent, its history and its CSV read them. Computed from the answer kept with the
round, by the shipped land data, in batches (vectorised)."""

from django.db import migrations

BATCH = 2000


def fill(apps, schema_editor):
    import numpy as np

    from worldnet_core.land import continent_of, country_of

    Round = apps.get_model("game", "Round")
    todo = Round.objects.filter(truth_lat__isnull=False, truth_lon__isnull=False, truth_country="").order_by("pk")
    last = 0
    while True:
        rows = list(todo.filter(pk__gt=last).values_list("pk", "truth_lat", "truth_lon")[:BATCH])
        if not rows:
            return
        lats = np.array([lat for _, lat, _ in rows], dtype=float)
        lons = np.array([lon for _, _, lon in rows], dtype=float)
        countries, continents = country_of(lats, lons), continent_of(lats, lons)
        for (pk, _, _), country, continent in zip(rows, countries, continents):
            if country:
                Round.objects.filter(pk=pk).update(truth_country=str(country), truth_continent=str(continent or ""))
        last = rows[-1][0]


class Migration(migrations.Migration):
    dependencies = [("game", "0006_accounts_daily_and_truth_countries")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
