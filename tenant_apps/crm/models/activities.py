from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tenant_apps.crm.models.base import CrmModel, list_sort_indexes, one_of, user_reference
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


class CallOutcome(models.TextChoices):
    CONNECTED = "connected", _("Connected")
    NO_ANSWER = "no_answer", _("No answer")
    VOICEMAIL = "voicemail", _("Left voicemail")
    BUSY = "busy", _("Busy")
    WRONG_NUMBER = "wrong_number", _("Wrong number")


class EmailDirection(models.TextChoices):
    OUTGOING = "out", _("Outgoing")
    INCOMING = "in", _("Incoming")


# A call or meeting lasts at most a day; longer is a typing mistake.
MAX_DURATION_MINUTES = 24 * 60
# The description (an email's body, a call's or meeting's notes), like a note's text.
MAX_DESCRIPTION = 20000


class Activity(LinkedModel):
    """A task (due time, assignee, done) or a logged call (outcome, duration), meeting
    (start, end, location, participants) or email (direction; subject and body in
    `subject`/`description`). Kind-specific fields stay blank on the other kinds."""

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
    call_outcome = models.CharField(
        _("outcome"), max_length=16, choices=CallOutcome.choices, blank=True
    )
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    email_direction = models.CharField(
        _("direction"), max_length=8, choices=EmailDirection.choices, blank=True
    )

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
            one_of("call_outcome", ["", *CallOutcome.values], "crm_activity_outcome_valid"),
            one_of("email_direction", ["", *EmailDirection.values], "crm_activity_direction_valid"),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__isnull=True)
                | models.Q(duration_minutes__lte=MAX_DURATION_MINUTES),
                name="crm_activity_duration_range",
                violation_error_message=_("A duration is at most 1440 minutes (a day)."),
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True)
                | models.Q(starts_at__isnull=True)
                | models.Q(ends_at__gte=models.F("starts_at")),
                name="crm_activity_ends_after_start",
                violation_error_message=_("The end cannot be before the start."),
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="crm_activity_org_idx"),
            models.Index(fields=["contact", "-created_at"], name="crm_activity_contact_idx"),
            models.Index(fields=["deal", "-created_at"], name="crm_activity_deal_idx"),
            # the dashboard's recent activity: newest logged, newest completed
            models.Index(fields=["-created_at"], name="crm_activity_recent_idx"),
            models.Index(
                fields=["-done_at"],
                name="crm_activity_done_recent_idx",
                condition=models.Q(done_at__isnull=False),
            ),
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
            # the list's other sorts on the activity's own columns (crm.listing)
            *list_sort_indexes(
                "crm_activity_list",
                lower=[("subject", "subject")],
                plain=[
                    ("kind", "kind"),
                    ("done", "done_id"),
                    ("created_at", "created"),
                    ("updated_at", "updated"),
                ],
                live=False,
            ),
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
            models.Index(fields=["-created_at"], name="crm_note_recent_idx"),  # recent activity
        ]

    def __str__(self) -> str:
        return self.body[:50]


class ActivityParticipant(CrmModel):
    """Who took part in a meeting: one of the company's contacts or one of its members
    (users live in the public schema: no database constraint, as for owners)."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="participants", verbose_name=_("activity")
    )
    contact = models.ForeignKey(
        Contact,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("contact"),
    )
    user = user_reference(_("member"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contact__isnull=False, user__isnull=True)
                | models.Q(contact__isnull=True, user__isnull=False),
                name="crm_participant_contact_or_user",
            ),
            models.UniqueConstraint(
                fields=["activity", "contact"],
                name="crm_participant_contact_once",
                condition=models.Q(contact__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["activity", "user"],
                name="crm_participant_user_once",
                condition=models.Q(user__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["contact"], name="crm_participant_contact_idx"),
        ]

    def __str__(self) -> str:
        return str(self.contact or self.user)
