"""Access rows for the company home page's own URLs."""

L = "login"

# name -> (anonymous, signed-in non-member, viewer, member, admin, owner) on alpha's host.
COMPANY: dict[str, tuple[object, ...]] = {
    # POST-only: hide the first-steps checklist
    "checklist_hide": (L, 404, 405, 405, 405, 405),
}
