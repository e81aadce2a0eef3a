"""Enumerate every URL pattern of a URLconf with sample arguments, for the access matrix."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

SAMPLES = {
    "int": "1",
    "str": "sample",
    "slug": "sample",
    "uuid": str(uuid.UUID(int=1)),
    "path": "sample/path",
}


@dataclass(frozen=True)
class Route:
    pattern: str  # the route as written, e.g. "team/<int:pk>/role/"
    name: str  # "namespace:name" or "" when unnamed
    path: str  # a concrete path with sample arguments

    @property
    def key(self) -> str:
        return self.name or self.pattern


def _sample(route: str) -> str:
    def fill(match: re.Match[str]) -> str:
        converter = match.group(1) or "str"
        return SAMPLES.get(converter, "sample")

    # regex routes (re_path): named groups first, then anchors
    path = re.sub(r"\(\?P<\w+>(?:[^()]|\([^()]*\))*\)", "sample", route)
    path = path.replace("^", "").replace("$", "")
    path = re.sub(r"<(?:(\w+):)?\w+>", fill, path)
    return "/" + path.lstrip("/")


def walk(urlconf: str) -> list[Route]:
    routes: list[Route] = []

    def visit(patterns: list, prefix: str, namespace: str) -> None:
        for entry in patterns:
            text = str(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = f"{namespace}:{entry.namespace}" if namespace else (entry.namespace or "")
                if entry.namespace is None:
                    inner = namespace
                visit(entry.url_patterns, prefix + text, inner)
            elif isinstance(entry, URLPattern):
                name = entry.name or ""
                if name and namespace:
                    name = f"{namespace}:{name}"
                routes.append(Route(prefix + text, name, _sample(prefix + text)))

    visit(get_resolver(urlconf).url_patterns, "", "")
    return routes
