"""Access rows for global search (every member may search, viewers included)."""

L = "login"

# name -> (anonymous, signed-in non-member, viewer, member, admin, owner) on alpha's host.
COMPANY: dict[str, tuple[object, ...]] = {
    "crm:search": (L, 404, 200, 200, 200, 200),
    "crm:search_results": (L, 404, 200, 200, 200, 200),
}
