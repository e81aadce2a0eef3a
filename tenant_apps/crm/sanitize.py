"""Safe formatting for notes: a small HTML subset, cleaned by nh3 (ammonia).

Notes are stored as cleaned HTML, and only the output of `note_clean` is ever marked safe.
Text typed without any markup keeps its paragraphs and line breaks.
"""

from __future__ import annotations

import re

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = frozenset(
    {"p", "br", "strong", "b", "em", "i", "ul", "ol", "li", "a", "code", "pre", "blockquote"}
)
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
# Dropped with everything inside them, not just unwrapped.
DROP_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "template"})

_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def _plain_to_html(text: str) -> str:
    """Plain text → paragraphs (blank lines) and line breaks, everything escaped."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]
    return "".join("<p>" + escape(p.strip()).replace("\n", "<br>") + "</p>" for p in paragraphs)


def note_clean(raw: str) -> str:
    """The HTML to store for what a user typed: markup outside the subset is removed,
    links may only be http, https or mailto and get rel="noopener noreferrer nofollow"."""
    raw = (raw or "").strip()
    html = raw if _TAG.search(raw) else _plain_to_html(raw)
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROP_WITH_CONTENT),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    ).strip()


def note_html(stored: str) -> SafeString:
    """A stored note body ready for a template. Cleaned again on the way out (cheap, and
    idempotent), so a row written around the service can never inject markup."""
    return mark_safe(note_clean(stored))  # noqa: S308 - cleaned by nh3 just above


def note_text(stored: str) -> str:
    """The note as plain text (previews, audit summaries)."""
    return " ".join(nh3.clean(stored or "", tags=set()).split())
