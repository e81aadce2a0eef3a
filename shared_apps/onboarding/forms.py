from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shared_apps.onboarding.services import subdomain_check, subdomain_normalize
from shared_apps.tenants.validators import MAX_LENGTH, MIN_LENGTH


class CompanyCreateForm(forms.Form):
    name = forms.CharField(label=_("Company name"), max_length=200, strip=True)
    subdomain = forms.CharField(
        label=_("Subdomain"),
        min_length=MIN_LENGTH,
        max_length=MAX_LENGTH,
        help_text=_("Your company's address: lowercase Latin letters, digits and hyphens."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}
        ),
    )

    def clean_subdomain(self) -> str:
        subdomain = subdomain_normalize(self.cleaned_data["subdomain"])
        available, message = subdomain_check(subdomain=subdomain)
        if not available:
            raise forms.ValidationError(message, code="unavailable")
        return subdomain
