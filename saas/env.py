"""The one `env` object every settings module reads the environment through."""

from __future__ import annotations

import environ
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


class Env(environ.Env):
    def strict_bool(self, var: str, default: bool = False) -> bool:
        """Accept only true/false/1/0 in any case; anything else stops start-up.

        django-environ's own bool() treats every unknown word as False, so a typo
        such as DEBUG=ture silently means something nobody asked for.
        """
        raw = self.str(var, default="")
        if raw == "":
            return default
        value = raw.strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ImproperlyConfigured(f"{var} must be one of true, false, 1 or 0 (got {raw!r}).")


env = Env()
