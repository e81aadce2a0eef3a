"""Drop cached routing entries when a company or its domains change."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from shared_apps.tenants.models import Company, Domain
from shared_apps.tenants.selectors import routing_forget


@receiver(pre_save, sender=Domain)
def domain_renamed(sender: type, instance: Domain, **kwargs: Any) -> None:
    """A domain changing its host: the old host must stop routing to the company too (the
    post_save below only knows the new one)."""
    if instance.pk is None:
        return
    old = Domain.objects.filter(pk=instance.pk).values_list("domain", flat=True).first()
    if old is not None and old != instance.domain:
        routing_forget([old])


@receiver([post_save, post_delete], sender=Domain)
def domain_changed(sender: type, instance: Domain, **kwargs: Any) -> None:
    routing_forget([instance.domain])


@receiver([post_save, post_delete], sender=Company)
def company_changed(sender: type, instance: Company, **kwargs: Any) -> None:
    if kwargs.get("created"):
        return  # a new company has no domains, hence nothing cached
    hosts = list(Domain.objects.filter(tenant_id=instance.pk).values_list("domain", flat=True))
    if hosts:
        routing_forget(hosts)
