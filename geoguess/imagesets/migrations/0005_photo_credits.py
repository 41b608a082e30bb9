# Photo credits (author, licence, source), read by the importers and shown to players after their guess.
# Photos already stored get empty credits (the columns are blank text, not null), so a site with rows
# migrates without a question or a default to invent.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('imagesets', '0004_importjob_background_job'),
    ]

    operations = [
        migrations.AddField(
            model_name='photo',
            name='author',
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name='photo',
            name='licence',
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name='photo',
            name='source',
            field=models.URLField(blank=True, max_length=500),
        ),
    ]
