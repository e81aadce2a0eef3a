"""Access rows for the usage page: every member of the company may see it."""

L = "login"

# name -> (anonymous, signed-in non-member, viewer, member, admin, owner) on alpha's host.
COMPANY: dict[str, tuple[object, ...]] = {
    "usage:usage": (L, 404, 200, 200, 200, 200),
}
