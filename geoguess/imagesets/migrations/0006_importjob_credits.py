# An import job keeps the set-wide credit its upload gave (for the photos without their own) until its
# worker imports it. Jobs already stored get none (blank text, not null): their uploads gave none.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('imagesets', '0005_photo_credits'),
    ]

    operations = [
        migrations.AddField(
            model_name='importjob',
            name='author',
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name='importjob',
            name='licence',
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name='importjob',
            name='source',
            field=models.URLField(blank=True, max_length=500),
        ),
    ]
