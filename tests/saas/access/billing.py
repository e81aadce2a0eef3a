"""Access rows for billing's pages: the pricing page is public (public host only); the
company's billing page and its actions are for owners."""

L = "login"

# name -> (anonymous, signed-in non-member, viewer, member, admin, owner) on alpha's host.
# The billing page is the owner's; without parameters the owner's GETs are a 400 page.
COMPANY: dict[str, tuple[object, ...]] = {
    "billing:overview": (L, 404, 403, 403, 403, 200),
    "billing:checkout_done": (L, 404, 403, 403, 403, 400),
    "billing:change": (L, 404, 403, 403, 403, 400),
    # POST-only actions
    "billing:subscribe": (L, 404, 405, 405, 405, 405),
    "billing:cancel": (L, 404, 405, 405, 405, 405),
    "billing:resume": (L, 404, 405, 405, 405, 405),
    "billing:portal": (L, 404, 405, 405, 405, 405),
}

# name -> (anonymous, signed-in person, platform staff) on the public host.
PUBLIC: dict[str, tuple[object, ...]] = {
    "billing:pricing": (200, 200, 200),
}
