"""Drop cached routing entries when a company or its domains change."""

from __future__ import annotations

from typing import Any

from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from shared_apps.tenants.models import Company, Domain
from shared_apps.tenants.selectors import routing_cache_key


def _forget_hosts(hosts: list[str]) -> None:
    def forget() -> None:
        try:
            caches["default"].delete_many([routing_cache_key(h) for h in hosts])
        except Exception:
            pass

    forget()  # now, and again after commit so no reader re-caches the old row in between
    transaction.on_commit(forget)


@receiver([post_save, post_delete], sender=Domain)
def domain_changed(sender: type, instance: Domain, **kwargs: Any) -> None:
    _forget_hosts([instance.domain])


@receiver([post_save, post_delete], sender=Company)
def company_changed(sender: type, instance: Company, **kwargs: Any) -> None:
    hosts = list(Domain.objects.filter(tenant_id=instance.pk).values_list("domain", flat=True))
    if hosts:
        _forget_hosts(hosts)
