from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shared_apps.onboarding.services import subdomain_check, subdomain_normalize
from shared_apps.onboarding.suggest import subdomain_suggest
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

    suggested = ""

    def suggestion_offered(self) -> bool:
        """Posted with a name and no subdomain: fill in one suggested from the name (the
        server-side twin of the page's script) and return True; the form is shown again."""
        if (self.data.get("subdomain") or "").strip():
            return False
        name = (self.data.get("name") or "").strip()
        suggestion = subdomain_suggest(name=name) if name else ""
        if not suggestion:
            return False
        self.data = {**dict(self.data.items()), "subdomain": suggestion}
        self.suggested = suggestion
        return True

    def clean_subdomain(self) -> str:
        subdomain = subdomain_normalize(self.cleaned_data["subdomain"])
        available, message = subdomain_check(subdomain=subdomain)
        if not available:
            raise forms.ValidationError(message, code="unavailable")
        return subdomain
