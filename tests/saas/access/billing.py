"""Access rows for billing's pages: the pricing page is public (public host only)."""

COMPANY: dict[str, tuple[object, ...]] = {}

# name -> (anonymous, signed-in person, platform staff) on the public host.
PUBLIC: dict[str, tuple[object, ...]] = {
    "billing:pricing": (200, 200, 200),
}
