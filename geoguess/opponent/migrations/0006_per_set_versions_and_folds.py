# Each image set its own worldNET (SetVersion), a version's fold models and which photos trained
# which (TrainingPhoto, Prediction.fold), what a version was trained for, and runs on images outside
# the database. Existing rows keep their meaning: the active version is the site-wide default (every
# set without its own, which is every set, keeps it); their predictions came from the one model they
# had (fold: none); a version is trained for the sets its training runs trained on.

import django.db.models.deletion
from django.db import migrations, models


def trained_for_from_runs(apps, schema_editor):
    TrainingRun = apps.get_model('opponent', 'TrainingRun')
    for run in TrainingRun.objects.filter(model_version__isnull=False).prefetch_related('image_sets'):
        run.model_version.image_sets.add(*run.image_sets.all())


class Migration(migrations.Migration):

    dependencies = [
        ('imagesets', '0005_photo_credits'),
        ('opponent', '0005_trainingrun_background_job'),
    ]

    operations = [
        migrations.AddField(
            model_name='modelversion',
            name='fold_checkpoints',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='modelversion',
            name='image_sets',
            field=models.ManyToManyField(blank=True, related_name='model_versions', to='imagesets.imageset', verbose_name='trained for'),
        ),
        migrations.AddField(
            model_name='prediction',
            name='fold',
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='trainingrun',
            name='data_note',
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name='trainingrun',
            name='data_path',
            field=models.CharField(blank=True, max_length=400),
        ),
        migrations.AlterField(
            model_name='modelversion',
            name='is_active',
            field=models.BooleanField(default=False, verbose_name='site-wide default'),
        ),
        migrations.AlterField(
            model_name='trainingrun',
            name='activate',
            field=models.BooleanField(default=False, help_text='make the new version the worldNET of its image sets when the run succeeds'),
        ),
        migrations.CreateModel(
            name='SetVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('activated_at', models.DateTimeField()),
                ('image_set', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='set_version', to='imagesets.imageset')),
                ('model_version', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='set_versions', to='opponent.modelversion')),
            ],
            options={
                'verbose_name': "image set's worldNET",
            },
        ),
        migrations.CreateModel(
            name='TrainingPhoto',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('fold', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('model_version', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='training_photos', to='opponent.modelversion')),
                ('photo', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='imagesets.photo')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('model_version', 'photo'), name='one_training_record_per_photo_and_version')],
            },
        ),
        migrations.RunPython(trained_for_from_runs, migrations.RunPython.noop),
    ]
