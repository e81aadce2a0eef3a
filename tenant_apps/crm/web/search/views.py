"""Global search: the full results page (works without JavaScript) and the results partial
the search dialog (static/js/search.js) fetches as the user types."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from tenant_apps.crm.search import (
    MAX_QUERY_LENGTH,
    MIN_QUERY_LENGTH,
    QueryTooLong,
    SearchHit,
    search,
    search_is_runnable,
)

PAGE_LIMIT = 20
DIALOG_LIMIT = 5

_HEADINGS = {
    "organization": gettext_lazy("Organizations"),
    "contact": gettext_lazy("Contacts"),
    "deal": gettext_lazy("Deals"),
}


@dataclass(frozen=True)
class Link:
    hit: SearchHit
    url: str


@dataclass(frozen=True)
class Group:
    kind: str
    heading: str
    links: list[Link]


def _render(request: HttpRequest, template: str, limit: int, id_prefix: str) -> HttpResponse:
    query = request.GET.get("q", "")
    context: dict[str, object] = {
        "query": query,
        "id_prefix": id_prefix,
        "max_length": MAX_QUERY_LENGTH,
        "min_length": MIN_QUERY_LENGTH,
        "groups": [],
        "searched": False,
        "error": "",
    }
    if len(query) > MAX_QUERY_LENGTH:
        return _too_long(request, template, context)
    if not search_is_runnable(query):
        return render(request, template, context)
    try:
        results = search(actor=request.user, query=query, limit_per_group=limit)  # type: ignore[arg-type]
    except QueryTooLong:
        return _too_long(request, template, context)
    context["searched"] = True
    context["groups"] = [
        Group(
            kind=kind,
            heading=str(_HEADINGS[kind]),
            links=[Link(hit, reverse(f"crm:{kind}_detail", args=[hit.pk])) for hit in hits],
        )
        for kind, hits in results.groups
    ]
    return render(request, template, context)


def _too_long(request: HttpRequest, template: str, context: dict[str, object]) -> HttpResponse:
    context["error"] = _("The search text is too long: use at most %(max)s characters.") % {
        "max": MAX_QUERY_LENGTH
    }
    context["query"] = ""
    return render(request, template, context, status=400)


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    return _render(request, "crm/search/page.html", PAGE_LIMIT, "page")


@require_GET
def search_results(request: HttpRequest) -> HttpResponse:
    """The dialog's results: a fragment, no layout."""
    return _render(request, "crm/search/_results.html", DIALOG_LIMIT, "dialog")
