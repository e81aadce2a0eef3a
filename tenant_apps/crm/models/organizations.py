from __future__ import annotations

from django.core.validators import EmailValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from tenant_apps.crm.models.base import RecordModel, list_sort_indexes, one_of, search_indexes
from tenant_apps.crm.models.tags import Tag
from tenant_apps.crm.validators import COUNTRY_RE, country_validator


class OrganizationSize(models.TextChoices):
    MICRO = "1-9", _("1–9 employees")
    SMALL = "10-49", _("10–49 employees")
    MEDIUM = "50-249", _("50–249 employees")
    LARGE = "250-999", _("250–999 employees")
    ENTERPRISE = "1000+", _("1000 or more employees")


class Organization(RecordModel):
    Size = OrganizationSize

    name = models.CharField(_("name"), max_length=200)
    website = models.URLField(_("website"), max_length=300, blank=True)
    # Lowercase host without "www.", derived from the website when not given: duplicate checks
    # and search match on it.
    domain = models.CharField(_("domain"), max_length=253, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True, validators=[EmailValidator()])
    street = models.CharField(_("street"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    country = models.CharField(
        _("country"), max_length=2, blank=True, validators=[country_validator]
    )
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    size = models.CharField(_("size"), max_length=16, choices=OrganizationSize.choices, blank=True)
    vat_number = models.CharField(_("VAT / registry number"), max_length=32, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="organizations")

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(country="") | models.Q(country__regex=COUNTRY_RE),
                name="crm_org_country_iso",
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="crm_org_version_positive"
            ),
            one_of("size", ["", *OrganizationSize.values], "crm_org_size_valid"),
        ]
        indexes = [
            models.Index(Lower("name"), name="crm_org_name_lower_idx"),
            models.Index(fields=["-created_at"], name="crm_org_recent_idx"),  # recent activity
            models.Index(
                fields=["domain"], name="crm_org_domain_idx", condition=~models.Q(domain="")
            ),
            models.Index(fields=["owner"], name="crm_org_owner_idx"),
            models.Index(
                fields=["deleted_at"],
                name="crm_org_deleted_idx",
                condition=models.Q(deleted_at__isnull=False),
            ),
            *search_indexes("crm_org"),
            # the organization list's sorts (crm.listing)
            *list_sort_indexes(
                "crm_org_list",
                lower=[
                    ("name", "name"),
                    ("email", "email"),
                    ("city", "city"),
                    ("industry", "industry"),
                ],
                plain=[
                    ("domain", "domain"),
                    ("phone", "phone"),
                    ("country", "country"),
                    ("size", "size"),
                    ("created_at", "created"),
                    ("updated_at", "updated"),
                ],
            ),
        ]

    def __str__(self) -> str:
        return self.name

    SEARCH_FIELDS = frozenset({"name", "domain", "email", "phone", "vat_number", "city"})

    def search_parts(self) -> list[str]:
        return [self.name, self.domain, self.email, self.phone, self.vat_number, self.city]
