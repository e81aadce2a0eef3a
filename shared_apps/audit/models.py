from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PlatformEvent(models.Model):
    """An audit row for every write in the public schema (who did what to which object)."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    # Kept as plain values so the row survives the company or object being deleted.
    company_id = models.BigIntegerField(_("company id"), null=True, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=64)
    target_type = models.CharField(_("object type"), max_length=64)
    target_id = models.CharField(_("object id"), max_length=64)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("platform event")
        verbose_name_plural = _("platform events")

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"


class SecurityEvent(models.Model):
    """Sign-ins, lockouts, password/MFA changes, invitations, role changes, handoffs.

    Company owners see their company's events; every event is also logged as a structured
    line on the `security` logger. No secrets are stored here.
    """

    class Kind(models.TextChoices):
        LOGIN = "login", _("Signed in")
        LOGIN_FAILED = "login_failed", _("Failed sign-in")
        LOCKED_OUT = "locked_out", _("Locked out")
        LOGOUT = "logout", _("Signed out")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_RESET = "password_reset", _("Password reset")
        MFA_CHANGED = "mfa_changed", _("Two-factor authentication changed")
        INVITATION = "invitation", _("Invitation")
        ROLE_CHANGED = "role_changed", _("Role changed")
        MEMBER_REMOVED = "member_removed", _("Member removed")
        HANDOFF = "handoff", _("Signed in from another host")
        SESSIONS_ENDED = "sessions_ended", _("Signed out everywhere")
        LOGIN_LINK = "login_link", _("Sign-in link by email")

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("event"), max_length=32, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("user"),
    )
    email = models.EmailField(_("email address"), blank=True)
    company_id = models.BigIntegerField(_("company id"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        indexes = [
            models.Index(fields=["company_id", "-created_at"], name="secevent_company_idx"),
            models.Index(fields=["user", "-created_at"], name="secevent_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.email}"
