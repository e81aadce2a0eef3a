"""The test database, copied from a migrated template database (`CREATE DATABASE ... TEMPLATE`).

Migrating a database from nothing takes minutes (dj-stripe alone has hundreds of
migrations); copying one takes a second. So the first run builds `tpl_test_<key>`: migrated,
the template schema's DDL rendered, the companies of every run provisioned and committed.
Every later run copies it. The key is a hash of what the migrated content depends on
(`template_key()`): a changed migration file, schema renderer or provisioning code gives a new
key, so the next run builds a new template by itself; `--create-db` rebuilds it anyway.

Runs against the same server do not disturb each other:
- a template is built and copied under an advisory lock on its name, so two runs build it
  once, and removing an old template (the last TEMPLATES_KEPT used stay) skips one that is
  locked;
- it is built into `<template>_build` and appears under its name only when complete
  (rename), so a killed run leaves no half-built template, only a `_build` database that the
  next build drops;
- a finished template accepts no connections (`ALLOW_CONNECTIONS false`), which
  `CREATE DATABASE ... TEMPLATE` needs; a connection left over from before is ended.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import json
import logging
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import OperationalError, connections
from django.db import connection as django_connection
from django.db.backends.utils import CursorWrapper
from django.db.migrations.loader import MigrationLoader
from psycopg import errors, sql

logger = logging.getLogger(__name__)

# Two of them: the current key and the previous one (switching branches back and forth).
TEMPLATES_KEPT = 2
LOCK_TIMEOUT = 30 * 60  # a build on a loaded machine: minutes; never forever
COPY_TIMEOUT = 60  # another session's connection to the template may need ending first
LOCK_NAMESPACE = 0x7E57  # advisory locks are (namespace, hash of the template's name)


# --- The key --------------------------------------------------------------------------------


def _digest_files(digest: hashlib._Hash, label: str, root: Path, files: Iterable[Path]) -> None:
    for path in sorted(files):
        digest.update(f"\0{label}\0{path.relative_to(root).as_posix()}\0".encode())
        digest.update(path.read_bytes())


def _migration_dirs() -> Iterator[tuple[str, Path]]:
    """(app label, folder) of every installed app's migrations package."""
    for config in apps.get_app_configs():
        module_name, _explicit = MigrationLoader.migrations_module(config.label)
        if module_name is None:
            continue
        try:
            spec = importlib.util.find_spec(module_name)
        except ModuleNotFoundError:
            continue
        if spec is None or not spec.submodule_search_locations:
            continue
        for location in spec.submodule_search_locations:
            yield config.label, Path(location)


def _renderer_part() -> str:
    """The schema renderer's version: its version constant where schema_template.py declares
    one, else that file's content; plus `renderer_hash()` where it exists, since the stored
    DDL in the template is keyed by it (a stale one would make provisioning refuse)."""
    from shared_apps.tenants import schema_template

    versions = sorted(
        (name, repr(value))
        for name, value in vars(schema_template).items()
        if name.isupper() and "VERSION" in name
    )
    if versions:
        part = json.dumps(versions)
    else:
        part = hashlib.sha256(Path(str(schema_template.__file__)).read_bytes()).hexdigest()
    renderer_hash = getattr(schema_template, "renderer_hash", None)
    if callable(renderer_hash):
        part += f" {renderer_hash()}"
    return part


def _provisioning_files() -> set[Path]:
    """The code that writes the companies provisioned into the template: the provisioning
    service and every module with a hook it runs (default pipeline, stages, reasons)."""
    from shared_apps.tenants import hooks, services

    files = {Path(str(services.__file__))}
    func = hooks.company_provisioned.registered()
    source = inspect.getsourcefile(func) if func is not None else None
    if source:
        files.add(Path(source))
    return files


def template_key() -> str:
    digest = hashlib.sha256()
    digest.update(f"settings {settings.SETTINGS_MODULE}\0".encode())
    for label, folder in sorted(_migration_dirs()):
        _digest_files(digest, label, folder, folder.rglob("*.py"))
    digest.update(f"\0renderer {_renderer_part()}\0".encode())
    for path in sorted(_provisioning_files()):
        digest.update(f"\0provisioning {path.name}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


# One set of templates per server, shared by every test database on it (`test_crm`,
# `test_crm_gw0`...): their content does not depend on the database's name.
TEMPLATE_PREFIX = "tpl_test_"


def template_name(key: str) -> str:
    return f"{TEMPLATE_PREFIX}{key[:24]}"


# --- Locks and the server's catalog -----------------------------------------------------------


def _lock_id(name: str) -> int:
    return zlib.crc32(name.encode()) & 0x7FFFFFFF  # the function takes two int4


@contextmanager
def _advisory_lock(cursor: CursorWrapper, name: str, *, timeout: float) -> Iterator[None]:
    """An exclusive session advisory lock on `name`, waited for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    announced = False
    while True:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, _lock_id(name)])
        if cursor.fetchone()[0]:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name}: still locked by another test run after {timeout:.0f} s")
        if not announced:
            logger.warning("%s: another test run is building it; waiting", name)
            announced = True
        time.sleep(0.5)
    try:
        yield
    finally:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, _lock_id(name)])


def _try_lock(cursor: CursorWrapper, name: str) -> bool:
    cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, _lock_id(name)])
    return bool(cursor.fetchone()[0])


def _exists(cursor: CursorWrapper, name: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
    return cursor.fetchone() is not None


def _drop(cursor: CursorWrapper, name: str) -> None:
    if _exists(cursor, name):
        cursor.execute(sql.SQL("ALTER DATABASE {} IS_TEMPLATE false").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@dataclass(frozen=True)
class Template:
    name: str
    used_at: str  # ISO time of the last copy, from the database's comment


def templates(cursor: CursorWrapper, prefix: str) -> list[Template]:
    """Finished templates whose name starts with `prefix`, the last used first."""
    cursor.execute(
        "SELECT datname, coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database"
        " WHERE datistemplate AND starts_with(datname, %s) AND datname NOT LIKE %s",
        [prefix, "%\\_build"],
    )
    found = []
    for name, comment in cursor.fetchall():
        try:
            used_at = str(json.loads(comment)["used_at"])
        except (ValueError, KeyError, TypeError):
            used_at = ""
        found.append(Template(name=name, used_at=used_at))
    return sorted(found, key=lambda t: (t.used_at, t.name), reverse=True)


def templates_prune(cursor: CursorWrapper, prefix: str, *, keep: int = TEMPLATES_KEPT) -> list[str]:
    """Drop all but the `keep` last used templates of `prefix`; one that another run is
    building or copying right now is left for a later run. Returns the names dropped."""
    dropped = []
    for template in templates(cursor, prefix)[keep:]:
        if not _try_lock(cursor, template.name):
            continue
        try:
            _drop(cursor, template.name)
            dropped.append(template.name)
        finally:
            cursor.execute(
                "SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, _lock_id(template.name)]
            )
    return dropped


# --- Build and copy ---------------------------------------------------------------------------


def _comment(cursor: CursorWrapper, name: str, **fields: str) -> None:
    cursor.execute(
        "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database"
        " WHERE datname = %s",
        [name],
    )
    try:
        current = dict(json.loads(cursor.fetchone()[0]))
    except (ValueError, TypeError):
        current = {}
    cursor.execute(
        sql.SQL("COMMENT ON DATABASE {} IS {}").format(
            sql.Identifier(name), sql.Literal(json.dumps({**current, **fields}))
        )
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _build(cursor: CursorWrapper, name: str, build: Callable[[str], None]) -> None:
    building = f"{name}_build"
    _drop(cursor, building)  # a run killed while building left it
    cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(building)))
    try:
        build(building)
    except BaseException:
        _drop(cursor, building)
        raise
    _drop(cursor, name)
    cursor.execute(
        sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
            sql.Identifier(building), sql.Identifier(name)
        )
    )
    cursor.execute(
        sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false").format(
            sql.Identifier(name)
        )
    )
    _comment(cursor, name, built_at=_now())


def _copy(cursor: CursorWrapper, *, template: str, target: str) -> None:
    """A template must have no connections while it is copied: one left from before it was
    locked down (or opened by hand as a superuser) is ended, for up to COPY_TIMEOUT."""
    cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(target)))
    deadline = time.monotonic() + COPY_TIMEOUT
    while True:
        try:
            cursor.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(target), sql.Identifier(template)
                )
            )
            break
        except OperationalError as exc:
            if not isinstance(exc.__cause__, errors.ObjectInUse):
                raise
            if time.monotonic() > deadline:
                raise
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                [template],
            )
            time.sleep(0.2)
    _comment(cursor, template, used_at=_now())


def database_from_template(
    cursor: CursorWrapper,
    *,
    template: str,
    target: str,
    build: Callable[[str], None],
    rebuild: bool = False,
) -> bool:
    """(Re)create `target` as a copy of `template`, building the template first when it does
    not exist (or `rebuild`): `build(name)` fills a new empty database, which is renamed to
    `template` once complete. Returns whether the template was built here. Both happen under
    an exclusive lock on the template's name, so concurrent runs build it once and
    templates_prune() never drops it under a copy. `cursor` is on another database."""
    with _advisory_lock(cursor, template, timeout=LOCK_TIMEOUT):
        built = rebuild or not _exists(cursor, template)
        if built:
            _build(cursor, template, build)
        _copy(cursor, template=template, target=target)
        return built


@contextmanager
def server_cursor() -> Iterator[CursorWrapper]:
    """A cursor on the server's maintenance database (`postgres`), outside any transaction."""
    with django_connection._nodb_cursor() as cursor:
        yield cursor


def database_point(name: str) -> None:
    """Make Django's default connection use database `name` from now on."""
    connections.close_all()
    django_connection.close_pool()  # type: ignore[attr-defined]
    settings.DATABASES[django_connection.alias]["NAME"] = name
    django_connection.settings_dict["NAME"] = name


def migrated_build(provision: Callable[[], None], verbosity: int) -> Callable[[str], None]:
    """A `build` that migrates the database as Django's test runner does (`migrate` is
    migrate_schemas: public, the template schema and its DDL), then runs `provision()` in it."""

    def build(database: str) -> None:
        original = str(django_connection.settings_dict["NAME"])
        database_point(database)
        try:
            call_command(
                "migrate",
                verbosity=verbosity,
                interactive=False,
                database=django_connection.alias,
                run_syncdb=True,
            )
            provision()
        finally:
            database_point(original)

    return build


def test_database_create(
    *, provision: Callable[[], None], rebuild: bool, verbosity: int
) -> tuple[str, str]:
    """Create the test database (named as pytest-django set it) from the current template,
    building the template first when there is none, and point Django's connection at it.
    Returns (template, test database)."""
    started = time.monotonic()
    test_name = django_connection.creation._get_test_db_name()  # type: ignore[attr-defined]
    name = template_name(template_key())
    with server_cursor() as cursor:
        built = database_from_template(
            cursor,
            template=name,
            target=test_name,
            build=migrated_build(provision, verbosity),
            rebuild=rebuild,
        )
        dropped = templates_prune(cursor, TEMPLATE_PREFIX)
    database_point(test_name)
    logger.warning(
        "test database %s: a copy of %s%s, in %.1f s%s",
        test_name,
        name,
        " (built now)" if built else "",
        time.monotonic() - started,
        f"; old templates removed: {', '.join(dropped)}" if dropped else "",
    )
    return name, test_name
