"""The named features a plan can switch on or off (`Plan.features`).

A plan's `features` is a JSON object of these names to booleans; a name missing from it is
off. Unknown names are refused, so a typo in the admin cannot silently grant nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Name -> label on the pricing page and in the admin, in display order.
FEATURES: dict[str, Promise] = {
    "ai": _("AI assistant"),
    "api": _("REST API"),
    "custom_fields": _("Custom fields"),
    "sso": _("Single sign-on (SSO) for your team"),
}


def validate_features(value: Any) -> None:
    """Raise ValidationError unless `value` maps known feature names to booleans."""
    if not isinstance(value, dict):
        raise ValidationError(
            _("Features must be an object of feature names to true or false."),
            code="invalid_features",
        )
    unknown = sorted(str(key) for key in value if key not in FEATURES)
    if unknown:
        raise ValidationError(
            _("Unknown features: %(names)s. Known: %(known)s."),
            code="unknown_feature",
            params={"names": ", ".join(unknown), "known": ", ".join(FEATURES)},
        )
    not_bool = sorted(key for key, flag in value.items() if not isinstance(flag, bool))
    if not_bool:
        raise ValidationError(
            _("Features must be true or false: %(names)s."),
            code="invalid_features",
            params={"names": ", ".join(not_bool)},
        )
