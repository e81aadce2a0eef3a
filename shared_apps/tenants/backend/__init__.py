"""The database backend: django-tenants' schema-aware PostgreSQL backend, pool-aware."""
