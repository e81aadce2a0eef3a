"""Developer tooling: embedded PostgreSQL/Redis, the `make run` supervisor, message compiling.

Nothing here is imported by the application itself or used in production; it exists so a
fresh clone can run with `make run` and no system services or GNU gettext installed.
"""
