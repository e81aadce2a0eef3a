from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """A contact's primary email and first phone on its own row (crm.contact_points); filled
    by 0010, indexed by 0011."""

    dependencies = [
        ("crm", "0008_recent_activity_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="primary_email",
            field=models.EmailField(
                blank=True, editable=False, max_length=254, null=True, verbose_name="email"
            ),
        ),
        migrations.AddField(
            model_name="contact",
            name="primary_phone",
            field=models.CharField(
                blank=True, editable=False, max_length=16, null=True, verbose_name="phone"
            ),
        ),
    ]
