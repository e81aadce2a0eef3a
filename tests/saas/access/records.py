"""Access rows for the record pages (create, detail, edit, delete/restore, bin, merge,
quick add, notes). Sample ids (1) match no record, hence the 404s once a role may act."""

L = "login"
_CREATE = (L, 404, 403, 200, 200, 200)
_MISSING = (L, 404, 404, 404, 404, 404)
_EDIT_MISSING = (L, 404, 403, 404, 404, 404)
_POST_ONLY = (L, 404, 405, 405, 405, 405)
_MANAGERS_PAGE = (L, 404, 403, 403, 200, 200)
_MANAGERS_MISSING = (L, 404, 403, 403, 404, 404)

# name -> (anonymous, signed-in non-member, viewer, member, admin, owner) on alpha's host.
COMPANY: dict[str, tuple[object, ...]] = {"crm:deal_stage_options": (L, 404, 200, 200, 200, 200)}
for _kind in ("organization", "contact", "deal"):
    COMPANY.update(
        {
            f"crm:{_kind}_create": _CREATE,
            f"crm:{_kind}_detail": _MISSING,
            f"crm:{_kind}_edit": _EDIT_MISSING,
            f"crm:{_kind}_delete": _POST_ONLY,
            f"crm:{_kind}_restore": _POST_ONLY,
            f"crm:{_kind}_task_add": _POST_ONLY,
            f"crm:{_kind}_call_add": _POST_ONLY,
            f"crm:{_kind}_meeting_add": _POST_ONLY,
            f"crm:{_kind}_email_add": _POST_ONLY,
            f"crm:{_kind}_note_add": _POST_ONLY,
            f"crm:{_kind}_bin": _MANAGERS_PAGE,
        }
    )
COMPANY["crm:organization_merge"] = _MANAGERS_MISSING
COMPANY["crm:contact_merge"] = _MANAGERS_MISSING
COMPANY["crm:activity_create"] = _CREATE
COMPANY["crm:activity_delete"] = _POST_ONLY
COMPANY["crm:note_edit"] = _EDIT_MISSING
COMPANY["crm:note_pin"] = _POST_ONLY
COMPANY["crm:note_delete"] = _POST_ONLY
