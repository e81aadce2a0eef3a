"""The demo company and credentials printed by `make run` (and in the README) really work."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared_apps.tenants.management.commands import demo_company
from tests.conftest import host_client
from tests.processes import run_manage, run_python


@pytest.fixture(scope="module")
def demo(django_db_setup: None) -> Iterator[None]:
    # The command commits (as `make run` does); it runs twice to show it is idempotent.
    # Module scope: the clean-up drops a schema, which must wait for no test transaction.
    for _ in range(2):
        result = run_manage("demo_company")
        assert result.returncode == 0, result.stderr
    assert demo_company.OWNER_PASSWORD in result.stdout
    yield
    cleanup = run_python(
        "import django; django.setup()\n"
        "from shared_apps.accounts.models import User\n"
        "from shared_apps.tenants.models import Company\n"
        "from shared_apps.tenants.services import company_delete\n"
        "company_delete(company=Company.objects.get(subdomain='demo'))\n"
        f"User.objects.filter(email__in=[{demo_company.OWNER_EMAIL!r}, "
        f"{demo_company.ADMIN_EMAIL!r}]).delete()\n"
    )
    assert cleanup.returncode == 0, cleanup.stderr


@pytest.mark.slow
@pytest.mark.django_db
def test_demo_owner_and_platform_admin_can_sign_in(demo: None) -> None:
    owner = host_client("demo.localhost")
    response = owner.post(
        "/accounts/login/",
        {"login": demo_company.OWNER_EMAIL, "password": demo_company.OWNER_PASSWORD},
    )
    assert response.status_code == 302
    assert "Demo Ltd" in owner.get("/").content.decode()

    admin = host_client("localhost")
    response = admin.post(
        "/admin/login/",
        {"username": demo_company.ADMIN_EMAIL, "password": demo_company.ADMIN_PASSWORD},
    )
    assert response.status_code == 302
    assert admin.get("/admin/tenants/company/").status_code == 200
