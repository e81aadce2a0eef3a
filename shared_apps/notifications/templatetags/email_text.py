"""Template filters of the email templates."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django import template
from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from shared_apps.tenants.origins import public_origin

register = template.Library()

_URL = re.compile(r"https?://[^\s<>\"']+")
_TRAILING = ".,;:!?)]}"


def _ours(url: str) -> bool:
    """A link to the public host, a company host or the configured PUBLIC_ORIGIN."""
    host = (urlsplit(url).hostname or "").lower()
    base = str(settings.BASE_DOMAIN).lower()
    public = (urlsplit(public_origin()).hostname or "").lower()
    return host == base or host.endswith("." + base) or (bool(public) and host == public)


@register.filter
def own_links(text: str) -> SafeString:
    """`text` escaped, with the links to our own hosts (BASE_DOMAIN and the company hosts)
    made clickable. Unlike `urlize`, an address of anyone else's stays plain text: a name or
    address a stranger typed into an email of ours must not become a link."""
    parts: list[str] = []
    position = 0
    text = str(text)
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        end = match.start() + len(url)
        parts.append(escape(text[position : match.start()]))
        if _ours(url):
            parts.append(f'<a href="{escape(url)}">{escape(url)}</a>')
        else:
            parts.append(escape(url))
        position = end
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece is escaped above
