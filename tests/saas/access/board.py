"""Access rows for the pipeline board."""

L = "login"

# name -> (anonymous, signed-in non-member, viewer, member, admin, owner) on alpha's host.
COMPANY: dict[str, tuple[object, ...]] = {
    "crm:board": (L, 404, 200, 200, 200, 200),
    # "show more" of a column (alpha's first stage exists: ids start at 1 in every schema)
    "crm:board_column": (L, 404, 200, 200, 200, 200),
    # POST-only
    "crm:board_move": (L, 404, 405, 405, 405, 405),
    # "Mark as lost" of deal 1, which does not exist in alpha
    "crm:deal_mark_lost": (L, 404, 404, 404, 404, 404),
}
