"""Access rows for the record pages (create, detail, edit, merge)."""

L = "login"

# name -> (anonymous, signed-in non-member, viewer, member, admin, owner) on alpha's host.
COMPANY: dict[str, tuple[object, ...]] = {
    "crm:organization_create": (L, 404, 404, 404, 404, 404),
    "crm:organization_detail": (L, 404, 404, 404, 404, 404),
    "crm:contact_create": (L, 404, 404, 404, 404, 404),
    "crm:contact_detail": (L, 404, 404, 404, 404, 404),
    "crm:deal_create": (L, 404, 404, 404, 404, 404),
    "crm:deal_detail": (L, 404, 404, 404, 404, 404),
}
