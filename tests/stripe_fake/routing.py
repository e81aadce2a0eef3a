"""Routes: `(method, "/v1/customers/{id}")` to a handler, with the parameters it accepts."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.stripe_fake.forms import check_known
from tests.stripe_fake.store import Obj, Store

LIST_PARAMS = frozenset({"limit", "starting_after", "ending_before", "expand"})


@dataclass
class Req:
    method: str
    path: str
    params: dict[str, Any]
    args: dict[str, str] = field(default_factory=dict)
    request_id: str = ""
    idempotency_key: str | None = None


Handler = Callable[[Store, Req], Obj]


@dataclass
class Route:
    method: str
    pattern: str
    handler: Handler
    # Accepted top-level parameters (besides `expand`); None accepts anything.
    params: frozenset[str] | None = frozenset()
    is_list: bool = False
    regex: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        self.regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.pattern) + "$")

    def check(self, params: dict[str, Any]) -> None:
        if self.params is None:
            return
        allowed = self.params | {"expand"} | (LIST_PARAMS if self.is_list else frozenset())
        check_known(params, allowed)


def route(
    method: str, pattern: str, *params: str, is_list: bool = False, any_params: bool = False
) -> Callable[[Handler], Handler]:
    """Decorator form, collecting into ROUTES (each domain module imports and extends it)."""

    def register(handler: Handler) -> Handler:
        ROUTES.append(
            Route(
                method,
                pattern,
                handler,
                None if any_params else frozenset(params),
                is_list=is_list,
            )
        )
        return handler

    return register


ROUTES: list[Route] = []


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for candidate in ROUTES:
        if candidate.method == method:
            found = candidate.regex.match(path)
            if found:
                return candidate, found.groupdict()
    return None


def path_exists(path: str) -> bool:
    return any(r.regex.match(path) for r in ROUTES)
