"""Access rows for my tasks and notifications."""

L = "login"

# name -> (anonymous, signed-in non-member, viewer, member, admin, owner) on alpha's host.
COMPANY: dict[str, tuple[object, ...]] = {
    "crm:my_tasks": (L, 404, 200, 200, 200, 200),
    "crm:notifications": (L, 404, 200, 200, 200, 200),
    # the sample task id does not exist
    "crm:task_edit": (L, 404, 404, 404, 404, 404),
    # POST-only actions
    "crm:task_add": (L, 404, 405, 405, 405, 405),
    "crm:task_done": (L, 404, 405, 405, 405, 405),
    "crm:task_delete": (L, 404, 405, 405, 405, 405),
    "crm:notification_read": (L, 404, 405, 405, 405, 405),
    "crm:notification_read_all": (L, 404, 405, 405, 405, 405),
}
