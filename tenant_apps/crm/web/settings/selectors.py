"""Reads for the CRM settings pages: one query per list, whatever its length. Tag usage
counts live records only (a tag on a record in the bin is not shown anywhere)."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from tenant_apps.crm.models import Contact, CustomField, Deal, Organization, Pipeline, Stage, Tag


def _count_of(queryset: QuerySet, field: str) -> Coalesce:
    """A correlated COUNT(*) of `queryset` rows whose `field` is the outer row (no join
    fan-out, however many rows each side has)."""
    counted = (
        queryset.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def pipelines_with_counts() -> QuerySet[Pipeline]:
    """Pipelines (default first) with their number of stages and of deals (deleted ones in
    the bin included: they block a delete)."""
    return Pipeline.objects.annotate(
        stage_count=_count_of(Stage.objects.all(), "pipeline"),
        deal_count=_count_of(Deal.objects.all(), "pipeline"),
    ).order_by("-is_default", "name", "pk")


def stages_with_counts(pipeline: Pipeline) -> list[Stage]:
    return list(
        Stage.objects.filter(pipeline=pipeline)
        .annotate(deal_count=_count_of(Deal.objects.all(), "stage"))
        .order_by("position", "pk")
    )


def custom_fields() -> QuerySet[CustomField]:
    return CustomField.objects.order_by("entity", "position", "pk")


def tags_with_usage() -> QuerySet[Tag]:
    return Tag.objects.annotate(
        organization_count=_count_of(
            Organization.tags.through.objects.filter(organization__deleted_at__isnull=True), "tag"
        ),
        contact_count=_count_of(
            Contact.tags.through.objects.filter(contact__deleted_at__isnull=True), "tag"
        ),
    ).order_by("name", "pk")
