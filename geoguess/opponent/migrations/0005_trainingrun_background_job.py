# Training runs on the shared background-job machinery (geoguess.jobs.models.BackgroundJob): a run's
# error becomes its problems (one line), and it gets an attempt token and count. Existing rows keep
# their data: an error is copied into problems, and a run that started had one attempt.

from django.db import migrations, models


def errors_to_problems(apps, schema_editor):
    TrainingRun = apps.get_model('opponent', 'TrainingRun')
    for run in TrainingRun.objects.exclude(error='').only('pk', 'error'):
        TrainingRun.objects.filter(pk=run.pk).update(problems=[run.error])
    TrainingRun.objects.filter(started_at__isnull=False).update(attempts=1)


def problems_to_errors(apps, schema_editor):
    TrainingRun = apps.get_model('opponent', 'TrainingRun')
    for run in TrainingRun.objects.only('pk', 'problems'):
        if run.problems:
            TrainingRun.objects.filter(pk=run.pk).update(error='\n'.join(map(str, run.problems)))


class Migration(migrations.Migration):

    dependencies = [
        ('opponent', '0004_trainingrun'),
    ]

    operations = [
        migrations.AddField(
            model_name='trainingrun',
            name='problems',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='trainingrun',
            name='token',
            field=models.CharField(blank=True, editable=False, max_length=32),
        ),
        migrations.AddField(
            model_name='trainingrun',
            name='attempts',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.RunPython(errors_to_problems, problems_to_errors),
        migrations.RemoveField(model_name='trainingrun', name='error'),
        migrations.AlterField(
            model_name='trainingrun',
            name='status',
            field=models.CharField(choices=[('queued', 'queued'), ('running', 'running'), ('succeeded', 'succeeded'), ('failed', 'failed'), ('cancelled', 'cancelled')], db_index=True, default='queued', max_length=10),
        ),
        migrations.AlterField(
            model_name='trainingrun',
            name='stage',
            field=models.CharField(blank=True, default='queued', max_length=120),
        ),
        migrations.AlterModelOptions(
            name='trainingrun',
            options={'ordering': ['-created_at', '-pk'], 'verbose_name': 'training run'},
        ),
    ]
