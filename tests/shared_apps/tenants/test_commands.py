from __future__ import annotations

import pytest
from django.db import connection
from django_tenants.utils import schema_exists

from shared_apps.tenants.models import Company
from tests.processes import run_manage


def _cleanup(subdomain: str) -> None:
    with connection.cursor() as cursor:
        schema = subdomain.replace("-", "_")
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        cursor.execute(
            "DELETE FROM audit_platformevent WHERE company_id IN "
            "(SELECT id FROM tenants_company WHERE subdomain = %s)",
            [subdomain],
        )
        cursor.execute(
            "DELETE FROM accounts_membership WHERE company_id IN "
            "(SELECT id FROM tenants_company WHERE subdomain = %s)",
            [subdomain],
        )
        cursor.execute(
            "DELETE FROM tenants_domain WHERE tenant_id IN "
            "(SELECT id FROM tenants_company WHERE subdomain = %s)",
            [subdomain],
        )
        cursor.execute("DELETE FROM tenants_company WHERE subdomain = %s", [subdomain])


@pytest.mark.django_db
class TestCompanyCommands:
    """The commands run in their own process and commit, like an operator's would."""

    def test_create_then_delete_with_confirmation(self) -> None:
        try:
            created = run_manage(
                "create_company", "--subdomain", "cmd-co", "--name", "Cmd", "--owner-email",
                "o@cmd.test",
            )  # fmt: skip
            assert created.returncode == 0, created.stderr
            assert "cmd-co.localhost" in created.stdout
            assert schema_exists("cmd_co")

            refused = run_manage("delete_company", "--subdomain", "cmd-co", stdin="wrong\n")
            assert refused.returncode != 0
            assert "Not confirmed; nothing was deleted." in refused.stderr
            assert schema_exists("cmd_co")

            confirmed = run_manage("delete_company", "--subdomain", "cmd-co", stdin="cmd-co\n")
            assert confirmed.returncode == 0, confirmed.stderr
            assert not schema_exists("cmd_co")
            assert not Company.objects.filter(subdomain="cmd-co").exists()
        finally:
            _cleanup("cmd-co")

    def test_delete_with_yes_skips_the_question(self) -> None:
        try:
            assert run_manage(
                "create_company", "--subdomain", "cmd-yes", "--name", "Y", "--owner-email",
                "o@y.test",
            ).returncode == 0  # fmt: skip
            result = run_manage("delete_company", "--subdomain", "cmd-yes", "--yes")
            assert result.returncode == 0, result.stderr
            assert not schema_exists("cmd_yes")
        finally:
            _cleanup("cmd-yes")

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            # commands speak the default language (Bulgarian)
            (["--subdomain", "alpha", "--name", "X", "--owner-email", "o@x.test"], "вече е зает"),
            (["--subdomain", "www", "--name", "X", "--owner-email", "o@x.test"], "е запазен"),
            (["--subdomain", "Bad!", "--name", "X", "--owner-email", "o@x.test"], "малки букви"),
            (["--subdomain", "okname", "--name", "X", "--owner-email", ""], "owner_email"),
            (["--subdomain", "okname", "--name", "X"], "--owner-email"),
        ],
    )
    def test_create_bad_input_exits_non_zero(self, args: list[str], message: str) -> None:
        result = run_manage("create_company", *args)
        assert result.returncode != 0
        assert message in result.stderr
        assert not schema_exists("okname")

    def test_create_with_database_down_exits_non_zero_and_says_so(self) -> None:
        result = run_manage(
            "create_company", "--subdomain", "down-co", "--name", "D", "--owner-email",
            "o@d.test", DATABASE_URL="postgres://postgres@127.0.0.1:1/crm",
        )  # fmt: skip
        assert result.returncode != 0
        assert "Database error, nothing was created" in result.stderr
        assert not Company.objects.filter(subdomain="down-co").exists()

    def test_delete_unknown_company(self) -> None:
        result = run_manage("delete_company", "--subdomain", "nope-co", "--yes")
        assert result.returncode != 0
        assert "No company with subdomain 'nope-co'" in result.stderr
