"""The default connection, typed as what it is here: django-tenants' schema-aware wrapper.

Django's stubs know only BaseDatabaseWrapper, which has no schema_name / set_tenant.
"""

from typing import Any

from django.db import connection as _connection

connection: Any = _connection
