"""Access rows for the person's own security page, the one-time sign-in link, and the
account-level links that a company host passes on to the public host."""

L = "login"

# name -> (anonymous, signed-in non-member, viewer, member, admin, owner) on alpha's host.
COMPANY: dict[str, tuple[object, ...]] = {
    "account_security": (L, 404, 200, 200, 200, 200),
    # POST only
    "account_sign_out_everywhere": (L, 404, 405, 405, 405, 405),
    # reset and verification links continue on the public host
    "company_reset_to_public": (302, 302, 302, 302, 302, 302),
    "company_confirm_email_to_public": (302, 302, 302, 302, 302, 302),
    "company_login_link_to_public": (302, 302, 302, 302, 302, 302),
    "company_login_link_open_to_public": (302, 302, 302, 302, 302, 302),
}

# name -> (anonymous, signed-in person, platform staff) on the public host.
PUBLIC: dict[str, tuple[object, ...]] = {
    "account_security": (L, 200, 200),
    "account_sign_out_everywhere": (405, 405, 405),
    # the one-time sign-in link: the request form, and a link that does not exist
    "account_login_link": (200, 200, 200),
    "account_login_link_open": (400, 400, 400),
}
