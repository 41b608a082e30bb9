# Import jobs on the shared background-job machinery (geoguess.jobs.models.BackgroundJob): the
# folder token is the attempt's token, and the fields every job has are added. Existing rows keep
# their data (the token is renamed, not copied).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('imagesets', '0003_import_jobs_and_curation'),
    ]

    operations = [
        migrations.RenameField(model_name='importjob', old_name='storage', new_name='token'),
        migrations.RemoveIndex(model_name='importjob', name='imagesets_i_status_a17cd5_idx'),
        migrations.AlterField(
            model_name='importjob',
            name='status',
            field=models.CharField(choices=[('queued', 'queued'), ('running', 'running'), ('succeeded', 'succeeded'), ('failed', 'failed'), ('cancelled', 'cancelled')], db_index=True, default='queued', max_length=10),
        ),
        migrations.AlterField(
            model_name='importjob',
            name='stage',
            field=models.CharField(blank=True, default='queued', max_length=120),
        ),
        migrations.AddField(
            model_name='importjob',
            name='log',
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name='importjob',
            name='cancel_requested',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='importjob',
            name='deliveries',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='importjob',
            name='worker',
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AlterModelOptions(
            name='importjob',
            options={'ordering': ['-created_at', '-pk'], 'verbose_name': 'import job'},
        ),
    ]
