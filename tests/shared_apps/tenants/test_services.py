from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from django_tenants.utils import schema_context, schema_exists

from shared_apps.accounts.models import Membership, User
from shared_apps.audit.models import PlatformEvent
from shared_apps.tenants import hooks
from shared_apps.tenants.db import connection
from shared_apps.tenants.models import Company, Domain
from shared_apps.tenants.schema_template import template_status
from shared_apps.tenants.services import ProvisioningError, company_delete, company_provision
from tenant_apps.history.models import AuditEvent
from tests.catalog import schema_catalog as _catalog
from tests.processes import run_python


@pytest.mark.django_db
class TestProvision:
    def test_creates_company_domain_schema_owner_and_audit(self) -> None:
        # given a free subdomain
        # when
        company = company_provision(
            name="Gamma EOOD", subdomain="gamma-co", owner_email="Owner@Gamma.test"
        )
        # then
        assert company.schema_name == "gamma_co"
        assert schema_exists("gamma_co")
        assert Domain.objects.get(tenant=company).domain == "gamma-co.localhost"
        owner = User.objects.get(email="owner@gamma.test")
        assert Membership.objects.get(company=company, user=owner).role == "owner"
        assert not owner.has_usable_password()
        assert PlatformEvent.objects.filter(
            action="company.provisioned", company_id=company.pk
        ).exists()

    def test_schema_equals_a_migrated_schema(self, alpha: Company) -> None:
        company_provision(name="Delta", subdomain="delta", owner_email="o@delta.test")
        assert _catalog("delta") == _catalog("_template")
        assert _catalog("delta") == _catalog(alpha.schema_name)

    def test_new_schema_has_migration_records_and_working_sequences(self) -> None:
        company = company_provision(name="Eps", subdomain="eps", owner_email="o@eps.test")
        with schema_context(company.schema_name):
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM django_migrations")
                assert cursor.fetchone()[0] == template_status(cursor).applied
                # the next migration record gets a fresh id, no collision with copied rows
                cursor.execute(
                    "INSERT INTO django_migrations (app, name, applied) "
                    "VALUES ('x', 'y', now()) RETURNING id"
                )
                new_id = cursor.fetchone()[0]
                cursor.execute("SELECT max(id) FROM django_migrations WHERE app <> 'x'")
                assert new_id == cursor.fetchone()[0] + 1
            first = AuditEvent.objects.create(action="t", object_type="x", object_id="1")
            assert first.pk == 1

    def test_the_two_companies_do_not_see_each_others_rows(
        self, alpha: Company, beta: Company
    ) -> None:
        with schema_context(alpha.schema_name):
            AuditEvent.objects.create(action="alpha-only", object_type="x", object_id="1")
        with schema_context(beta.schema_name):
            assert not AuditEvent.objects.filter(action="alpha-only").exists()
        with schema_context(alpha.schema_name):
            assert AuditEvent.objects.filter(action="alpha-only").count() == 1

    def test_duplicate_subdomain_is_refused(self, alpha: Company) -> None:
        with translation.override("en"):
            with pytest.raises(ValidationError) as excinfo:
                company_provision(name="Again", subdomain="alpha", owner_email="x@y.test")
            assert excinfo.value.message_dict["subdomain"] == [
                "The subdomain “alpha” is already taken."
            ]
        assert Company.objects.filter(subdomain="alpha").count() == 1

    @pytest.mark.parametrize(
        ("kwargs", "field", "message"),
        [
            ({"subdomain": "www"}, "subdomain", "is reserved"),
            ({"subdomain": "Bad_Name"}, "subdomain", "must be lowercase"),
            ({"subdomain": "ab"}, "subdomain", "at least 3 characters"),
            ({"owner_email": ""}, "owner_email", "Enter the owner's email address."),
            ({"owner_email": "not-an-email"}, "owner_email", "valid email"),
            ({"name": "   "}, "name", "Enter the company name."),
        ],
    )
    def test_bad_input_names_the_problem_and_creates_nothing(
        self, kwargs: dict[str, str], field: str, message: str
    ) -> None:
        args: dict[str, Any] = {
            "name": "Zeta",
            "subdomain": "zeta",
            "owner_email": "o@zeta.test",
            **kwargs,
        }
        companies, users = Company.objects.count(), User.objects.count()
        with translation.override("en"):
            with pytest.raises(ValidationError) as excinfo:
                company_provision(**args)
            assert message in " ".join(excinfo.value.message_dict[field])
        assert (Company.objects.count(), User.objects.count()) == (companies, users)
        assert not schema_exists(args["subdomain"].replace("-", "_"))

    def test_failure_midway_leaves_no_schema_and_no_rows(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given a hook that fails after the schema and the owner were created
        def broken_hook(*, company: Company, owner: User, language: str) -> None:
            assert schema_exists("theta")
            raise RuntimeError("hook failed")

        monkeypatch.setattr(hooks.company_provisioned, "_func", broken_hook)
        counts = (Company.objects.count(), User.objects.count(), PlatformEvent.objects.count())
        # when
        with pytest.raises(RuntimeError, match="hook failed"):
            company_provision(name="Theta", subdomain="theta", owner_email="o@theta.test")
        # then
        assert not schema_exists("theta")
        assert not Domain.objects.filter(domain="theta.localhost").exists()
        after = (Company.objects.count(), User.objects.count(), PlatformEvent.objects.count())
        assert after == counts

    def test_database_connection_lost_midway_leaves_nothing(self) -> None:
        # A separate process provisions; the server ends its session halfway through (as a
        # crash or a failover would). Nothing of it may be committed.
        script = (
            "import django; django.setup()\n"
            "from django.db import connection, OperationalError\n"
            "from shared_apps.tenants import hooks\n"
            "from shared_apps.tenants.services import company_provision\n"
            "def kill(*, company, owner, language):\n"
            "    connection.cursor().execute('SELECT pg_terminate_backend(pg_backend_pid())')\n"
            "try:\n"
            "    with hooks.company_provisioned.replaced(kill):\n"
            "        company_provision(name='Iota', subdomain='iota', owner_email='o@iota.test')\n"
            "except OperationalError:\n"
            "    raise SystemExit(3)\n"
        )
        result = run_python(script)
        assert result.returncode == 3, result.stderr
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'iota'")
            assert cursor.fetchone()[0] == 0
            cursor.execute("SELECT count(*) FROM tenants_company WHERE subdomain = 'iota'")
            assert cursor.fetchone()[0] == 0
            cursor.execute("SELECT count(*) FROM accounts_user WHERE email = 'o@iota.test'")
            assert cursor.fetchone()[0] == 0

    def test_refuses_when_template_is_behind_the_code(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM _template.django_migrations "
                "WHERE app = 'history' AND name = '0001_initial'"
            )
        with translation.override("en"), pytest.raises(ProvisioningError) as excinfo:
            company_provision(name="Kappa", subdomain="kappa", owner_email="o@kappa.test")
        assert "template schema is behind the code by 1 migrations" in str(excinfo.value)
        assert "history.0001_initial" in str(excinfo.value)
        assert not schema_exists("kappa")
        assert not Company.objects.filter(subdomain="kappa").exists()

    def test_hook_runs_in_the_new_company_schema(self, monkeypatch: pytest.MonkeyPatch) -> None:
        seen = []

        def hook(*, company: Company, owner: User, language: str) -> None:
            seen.append(connection.schema_name)
            AuditEvent.objects.create(action="welcome", object_type="x", object_id="1")

        monkeypatch.setattr(hooks.company_provisioned, "_func", hook)
        company = company_provision(name="Lam", subdomain="lam", owner_email="o@lam.test")
        assert seen == ["lam"]
        with schema_context("lam"):
            assert AuditEvent.objects.filter(action="welcome").count() == 1
        assert connection.schema_name == "public"
        assert company.pk


@pytest.mark.django_db
def test_delete_drops_schema_and_rows() -> None:
    company = company_provision(name="Mu", subdomain="mu-co", owner_email="o@mu.test")
    company_delete(company=company)
    assert not schema_exists("mu_co")
    assert not Company.objects.filter(subdomain="mu-co").exists()
    assert not Membership.objects.filter(company_id=company.pk).exists()
    assert PlatformEvent.objects.filter(action="company.deleted").exists()
