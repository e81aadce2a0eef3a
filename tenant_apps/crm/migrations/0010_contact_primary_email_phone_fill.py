"""Fill `Contact.primary_email` / `primary_phone` from the email and phone rows, the way
crm.contact_points computes them, in batches of contact ids.

Not atomic: each batch commits on its own, so a large company's contacts are never all
locked at once and a rerun after an interruption simply recomputes (the UPDATE is
idempotent). Plain SQL, not the models: a migration must not depend on today's code."""

from typing import Any

from django.db import migrations

BATCH = 5_000

FILL = """
UPDATE crm_contact c SET
    primary_email = (SELECT e.email FROM crm_contactemail e WHERE e.contact_id = c.id
                     ORDER BY e.is_primary DESC, e.id LIMIT 1),
    primary_phone = (SELECT p.number FROM crm_contactphone p WHERE p.contact_id = c.id
                     ORDER BY p.id LIMIT 1)
WHERE c.id >= %s AND c.id < %s
"""


def fill(apps: Any, schema_editor: Any) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM crm_contact")
        low, high = cursor.fetchone()
        if low is None:
            return
        for start in range(low, high + 1, BATCH):
            cursor.execute(FILL, [start, start + BATCH])


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("crm", "0009_contact_primary_email_phone")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop, elidable=True)]
