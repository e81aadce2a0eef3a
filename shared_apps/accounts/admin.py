"""The platform admin for people and memberships. Every write goes through a service with
the staff member as actor: people.py (edits, deactivation, anonymisation; never a delete)
and platform_team.py (memberships, with the seat limit and the last-owner rule)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from shared_apps.accounts import people, platform_team
from shared_apps.accounts.models import Membership, User


def _staff(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _without_delete(actions: dict[str, Any]) -> dict[str, Any]:
    actions.pop("delete_selected", None)
    return actions


def _confirm_then(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[User],
    *,
    action_name: str,
    title: str,
    explanation: str,
    button: str,
    service: Any,
    done: Callable[[int], str],
) -> HttpResponse | None:
    """A confirmation page for the selected people; on "apply", one service call each.
    A person refused is named with the reason; the others are done."""
    if "apply" in request.POST:
        count = 0
        for user in queryset:
            try:
                service(user=user, actor=_staff(request))
            except ValidationError as exc:
                model_admin.message_user(
                    request, f"{user.email}: {' '.join(exc.messages)}", messages.ERROR
                )
            else:
                count += 1
        if count:
            model_admin.message_user(request, done(count), messages.SUCCESS)
        return None
    context: dict[str, Any] = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "explanation": explanation,
        "button": button,
        "people": list(queryset.only("pk", "email", "full_name")),
        "action_name": action_name,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "select_across": request.POST.get("select_across", "0"),
    }
    return TemplateResponse(request, "admin/accounts/user/confirm_action.html", context)


@admin.action(
    description=_("Deactivate (sign out everywhere, no more sign-in)"), permissions=["change"]
)
def deactivate_users(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[User]
) -> HttpResponse | None:
    return _confirm_then(
        model_admin,
        request,
        queryset,
        action_name="deactivate_users",
        title=str(_("Deactivate people")),
        explanation=str(
            _(
                "These people will be signed out everywhere and can no longer sign in. Their "
                "memberships and everything they made in the companies stay."
            )
        ),
        button=str(_("Deactivate")),
        service=people.user_deactivate,
        done=lambda count: (
            ngettext("%(count)d person deactivated.", "%(count)d people deactivated.", count)
            % {"count": count}
        ),
    )


@admin.action(description=_("Anonymise (on the person's request)"), permissions=["change"])
def anonymise_users(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[User]
) -> HttpResponse | None:
    return _confirm_then(
        model_admin,
        request,
        queryset,
        action_name="anonymise_users",
        title=str(_("Anonymise people")),
        explanation=str(
            _(
                "These people will be deactivated; their email address and name are replaced "
                "for good, and their social sign-ins, two-factor authenticators and email "
                "addresses are deleted. The companies' records stay and show them as "
                "“Former member”. This cannot be undone."
            )
        ),
        button=str(_("Anonymise")),
        service=people.user_anonymise,
        done=lambda count: (
            ngettext("%(count)d person anonymised.", "%(count)d people anonymised.", count)
            % {"count": count}
        ),
    )


# Shown on a person's page, never edited there.
USER_SHOWN = ["email", "uuid", "is_active", "date_joined", "last_login"]


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["email", "full_name", "language", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "full_name"]
    list_filter = ["is_staff", "is_active", "language"]
    fields = [*USER_SHOWN[:2], *people.EDITABLE_FIELDS, *USER_SHOWN[2:]]
    actions = [deactivate_users, anonymise_users]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None and obj.is_anonymised:
            # Nothing of an anonymised person changes again.
            return [*USER_SHOWN, *people.EDITABLE_FIELDS]
        return [*USER_SHOWN]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # People sign up or accept an invitation; staff add existing people to companies.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Company records reference people across schemas: deactivate or anonymise instead.
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return _without_delete(super().get_actions(request))

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if not changes:
            return
        people.user_staff_update(user=obj, changes=changes, actor=_staff(request))


class MembershipForm(forms.ModelForm):
    """Runs the service's own refusals (seats, last owner) so they show on the form."""

    class Meta:
        model = Membership
        fields = ["user", "company", "role"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            if self.instance.pk is None:
                platform_team.membership_add_check(
                    company=data["company"], user=data["user"], role=data["role"]
                )
            elif "role" in self.changed_data:
                original = Membership.objects.select_related("company").get(pk=self.instance.pk)
                platform_team.membership_role_check(membership=original, role=data["role"])
        except ValidationError as exc:
            field = "role" if getattr(exc, "code", "") == "last_owner" else None
            self.add_error(field, exc)
        return data


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipForm
    list_display = ["user", "company", "role", "created_at"]
    list_filter = ["role"]
    list_select_related = ["user", "company"]
    search_fields = ["user__email", "company__subdomain"]
    raw_id_fields = ["user", "company"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A membership is one person in one company: only its role changes.
        return ["user", "company"] if obj is not None else []

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Removing goes one by one through the last-owner rule (the delete page).
        return _without_delete(super().get_actions(request))

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        if not change:
            created = platform_team.staff_membership_add(
                company=obj.company, user=obj.user, role=obj.role, actor=_staff(request)
            )
            obj.pk = created.pk
            obj.created_at = created.created_at
        elif "role" in form.changed_data:
            platform_team.staff_membership_change_role(
                membership=obj, role=form.cleaned_data["role"], actor=_staff(request)
            )

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        platform_team.staff_membership_remove(membership=obj, actor=_staff(request))

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as exc:
            # Raised inside the delete view's transaction: nothing was written.
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            url = reverse("admin:accounts_membership_change", args=[object_id])
            return HttpResponseRedirect(url)
