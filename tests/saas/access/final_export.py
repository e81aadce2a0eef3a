"""Access rows for the final export download (a canceled company's last export): owners and
admins only, and only with a link signed for this company (the sample token is not)."""

L = "login"

# name -> (anonymous, signed-in non-member, viewer, member, admin, owner) on alpha's host.
COMPANY: dict[str, tuple[object, ...]] = {
    "crm:final_export": (L, 404, 403, 403, 404, 404),
}
