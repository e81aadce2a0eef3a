"""The one hook registry: every hook point has exactly one function after start-up, and a
missing one fails loudly (system check, and a clear error when it is called)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from shared_apps.accounts.models import User
from shared_apps.billing.entitlements import contacts_used
from shared_apps.tenants import hooks
from shared_apps.tenants.models import Company
from shared_apps.tenants.services import company_provision
from tenant_apps.crm.apps import live_contacts_count
from tenant_apps.crm.final_export import final_export_link
from tenant_apps.crm.provisioning import default_pipeline_create


def test_start_up_registers_each_hook_point_once() -> None:
    assert hooks.missing() == []
    assert hooks.company_provisioned.registered() is default_pipeline_create
    assert hooks.contacts_count.registered() is live_contacts_count
    assert hooks.final_export_link.registered() is final_export_link
    assert [hook.name for hook in hooks.HOOKS] == [
        "company_provisioned",
        "contacts_count",
        "final_export_link",
    ]


def test_the_same_function_again_is_a_no_op() -> None:
    assert hooks.contacts_count.register(live_contacts_count) is live_contacts_count
    assert hooks.contacts_count.registered() is live_contacts_count


def test_a_second_function_for_a_hook_point_is_refused() -> None:
    with pytest.raises(hooks.HookAlreadyRegistered, match="'contacts_count' already has"):
        hooks.contacts_count.register(lambda: 0)
    assert hooks.contacts_count.registered() is live_contacts_count


@pytest.mark.django_db
def test_a_missing_hook_fails_the_system_check() -> None:
    call_command("check")  # passes as started
    with (
        hooks.final_export_link.replaced(None),
        pytest.raises(SystemCheckError, match=r"tenants\.E001.*'final_export_link'"),
    ):
        call_command("check")


def test_calling_a_missing_hook_names_it() -> None:
    with (
        hooks.contacts_count.replaced(None),
        pytest.raises(hooks.MissingHook, match=r"'contacts_count'.*AppConfig\.ready"),
    ):
        hooks.contacts_count.func()


@pytest.mark.django_db
def test_a_missing_contact_counter_is_an_error_not_zero_contacts(alpha: Company) -> None:
    with hooks.contacts_count.replaced(None), pytest.raises(hooks.MissingHook):
        contacts_used(company=alpha)


@pytest.mark.django_db
def test_provisioning_without_its_hook_fails_and_leaves_nothing() -> None:
    with hooks.company_provisioned.replaced(None), pytest.raises(hooks.MissingHook):
        company_provision(name="Kappa", subdomain="kappa", owner_email="o@kappa.test")
    assert not Company.objects.filter(subdomain="kappa").exists()
    assert not User.objects.filter(email="o@kappa.test").exists()
