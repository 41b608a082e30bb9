"""ModelVersion.centroids: the checkpoint's centroid names and positions, for the reveal's map.

Versions registered before this field existed get theirs from their checkpoint file; a missing or
unreadable checkpoint leaves the list empty (the reveal then shows worldNET's bars without circles).
"""

from pathlib import Path

from django.conf import settings
from django.db import migrations, models


def centroids_from_checkpoints(apps, schema_editor):
    ModelVersion = apps.get_model("opponent", "ModelVersion")
    versions = list(ModelVersion.objects.all())
    if not versions:
        return  # a fresh database: no need to import torch
    from worldnet_core.checkpoint import CheckpointError, read_checkpoint

    for version in versions:
        try:
            payload = read_checkpoint(Path(settings.MEDIA_ROOT) / version.checkpoint)
        except CheckpointError:
            continue
        names, latlon = payload.get("centroid_names") or [], payload.get("centroids") or []
        version.centroids = [[str(name), float(lat), float(lon)] for name, (lat, lon) in zip(names, latlon)]
        version.save(update_fields=["centroids"])


class Migration(migrations.Migration):

    dependencies = [
        ("opponent", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="modelversion",
            name="centroids",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(centroids_from_checkpoints, migrations.RunPython.noop),
    ]
