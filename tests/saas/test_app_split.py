"""The folder decides the schema: shared_apps only shared, tenant_apps only tenant."""

from pathlib import Path

from django.apps import apps
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def _folders(name: str) -> set[str]:
    return {f"{name}.{p.parent.name}" for p in (ROOT / name).glob("*/apps.py")}


def test_every_shared_app_is_only_shared() -> None:
    shared = _folders("shared_apps")
    assert shared, "no shared apps found"
    for app in shared:
        assert app in settings.SHARED_APPS, app
        assert app not in settings.TENANT_APPS, app


def test_every_tenant_app_is_only_tenant() -> None:
    tenant = _folders("tenant_apps")
    assert tenant, "no tenant apps found"
    for app in tenant:
        assert app in settings.TENANT_APPS, app
        assert app not in settings.SHARED_APPS, app


def test_only_contenttypes_is_in_both_lists() -> None:
    both = set(settings.SHARED_APPS) & set(settings.TENANT_APPS)
    assert both == {"django.contrib.contenttypes"}


def test_no_installed_app_is_outside_the_two_lists() -> None:
    listed = set(settings.SHARED_APPS) | set(settings.TENANT_APPS)
    for config in apps.get_app_configs():
        # Listed by module or, like the admin, by its AppConfig class (django-tenants
        # accepts both).
        names = {config.name, f"{type(config).__module__}.{type(config).__name__}"}
        assert names & listed, config.name


def test_public_models_never_point_into_company_tables() -> None:
    tenant_labels = {
        apps.get_app_config(name.rsplit(".", 1)[-1]).label
        for name in settings.TENANT_APPS
        if name.startswith("tenant_apps.")
    }
    for name in settings.SHARED_APPS:
        if not name.startswith("shared_apps."):
            continue
        config = apps.get_app_config(name.rsplit(".", 1)[-1])
        for model in config.get_models():
            for field in model._meta.get_fields():
                related = getattr(field, "related_model", None)
                if related is not None and field.concrete:
                    assert related._meta.app_label not in tenant_labels, (model, field.name)
