from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tenant_apps.crm.models.base import CrmModel, one_of, user_reference
from tenant_apps.crm.models.contacts import Contact
from tenant_apps.crm.models.deals import Deal
from tenant_apps.crm.models.organizations import Organization

_LINKED = (
    models.Q(organization__isnull=False)
    | models.Q(contact__isnull=False)
    | models.Q(deal__isnull=False)
)


class LinkedModel(CrmModel):
    """Attached to an organization, a contact and/or a deal: at least one of them."""

    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("organization"),
    )
    contact = models.ForeignKey(
        Contact,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("contact"),
    )
    deal = models.ForeignKey(
        Deal,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("deal"),
    )

    class Meta:
        abstract = True


class ActivityKind(models.TextChoices):
    TASK = "task", _("Task")
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    EMAIL = "email", _("Email")


class Activity(LinkedModel):
    Kind = ActivityKind

    kind = models.CharField(_("kind"), max_length=16, choices=ActivityKind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    assignee = user_reference(_("assignee"))
    # Set when the due-time reminder went out, so that it goes out once.
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.CheckConstraint(
                condition=_LINKED,
                name="crm_activity_linked",
                violation_error_message=_("Link it to an organization, a contact or a deal."),
            ),
            one_of("kind", ActivityKind.values, "crm_activity_kind_valid"),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="crm_activity_org_idx"),
            models.Index(fields=["contact", "-created_at"], name="crm_activity_contact_idx"),
            models.Index(fields=["deal", "-created_at"], name="crm_activity_deal_idx"),
            models.Index(
                fields=["assignee", "due_at"],
                name="crm_activity_open_due_idx",
                condition=models.Q(done=False),
            ),
            models.Index(
                fields=["due_at"],
                name="crm_activity_reminder_idx",
                condition=models.Q(done=False, reminder_sent_at__isnull=True, due_at__isnull=False),
            ),
            # the activity list (tenant_apps/crm/listing): keyset pages sorted by due time,
            # all of them or the open (or done) ones
            models.Index(fields=["due_at", "id"], name="crm_activity_list_due_idx"),
            models.Index(fields=["done", "due_at", "id"], name="crm_activity_list_done_idx"),
        ]

    def __str__(self) -> str:
        return self.subject


class Note(LinkedModel):
    # Cleaned HTML (a small formatting subset): services pass every body through
    # `crm.sanitize.note_clean` before it is stored, and only that output is rendered as HTML.
    body = models.TextField(_("text"))
    pinned = models.BooleanField(_("pinned"), default=False)

    class Meta:
        ordering = ["-pinned", "-created_at", "-id"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        constraints = [
            models.CheckConstraint(
                condition=_LINKED,
                name="crm_note_linked",
                violation_error_message=_("Link it to an organization, a contact or a deal."),
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="crm_note_org_idx"),
            models.Index(fields=["contact", "-created_at"], name="crm_note_contact_idx"),
            models.Index(fields=["deal", "-created_at"], name="crm_note_deal_idx"),
        ]

    def __str__(self) -> str:
        return self.body[:50]
