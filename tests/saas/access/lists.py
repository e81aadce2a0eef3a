"""Access rows for the list pages and their CSV exports (every member may read and export)."""

L = "login"

# name -> (anonymous, signed-in non-member, viewer, member, admin, owner) on alpha's host.
COMPANY: dict[str, tuple[object, ...]] = {
    "crm:organization_list": (L, 404, 200, 200, 200, 200),
    "crm:organization_export": (L, 404, 200, 200, 200, 200),
    "crm:contact_list": (L, 404, 200, 200, 200, 200),
    "crm:contact_export": (L, 404, 200, 200, 200, 200),
    "crm:deal_list": (L, 404, 200, 200, 200, 200),
    "crm:deal_export": (L, 404, 200, 200, 200, 200),
    "crm:activity_list": (L, 404, 200, 200, 200, 200),
    "crm:activity_export": (L, 404, 200, 200, 200, 200),
}
