"""The deal list sorts amounts within their currency: its keyset indexes lead with the
currency (the status one gains it, and one without the status filter is added)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0006_lost_reasons"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="deal",
            name="crm_deal_list_status_idx",
        ),
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["status", "currency", "amount", "id"],
                name="crm_deal_list_status_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["currency", "amount", "id"],
                name="crm_deal_list_amount_idx",
            ),
        ),
    ]
