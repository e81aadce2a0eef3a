"""Access rows for the CRM settings pages (owners and admins only)."""

L = "login"

# name -> (anonymous, signed-in non-member, viewer, member, admin, owner) on alpha's host.
COMPANY: dict[str, tuple[object, ...]] = {
    "crm:settings": (L, 404, 403, 403, 200, 200),
    "crm:settings_pipelines": (L, 404, 403, 403, 200, 200),
    "crm:settings_fields": (L, 404, 403, 403, 200, 200),
    "crm:settings_tags": (L, 404, 403, 403, 200, 200),
    # pipeline 1 is the company's default pipeline (made at provisioning)
    "crm:settings_pipeline": (L, 404, 403, 403, 200, 200),
    # the sample id does not exist
    "crm:settings_field_edit": (L, 404, 403, 403, 404, 404),
    # POST-only actions
    "crm:settings_pipeline_create": (L, 404, 405, 405, 405, 405),
    "crm:settings_pipeline_rename": (L, 404, 405, 405, 405, 405),
    "crm:settings_pipeline_default": (L, 404, 405, 405, 405, 405),
    "crm:settings_pipeline_delete": (L, 404, 405, 405, 405, 405),
    "crm:settings_stage_create": (L, 404, 405, 405, 405, 405),
    "crm:settings_stage_update": (L, 404, 405, 405, 405, 405),
    "crm:settings_stage_move": (L, 404, 405, 405, 405, 405),
    "crm:settings_stage_delete": (L, 404, 405, 405, 405, 405),
    "crm:settings_field_create": (L, 404, 405, 405, 405, 405),
    "crm:settings_field_delete": (L, 404, 405, 405, 405, 405),
    "crm:settings_tag_create": (L, 404, 405, 405, 405, 405),
    "crm:settings_tag_update": (L, 404, 405, 405, 405, 405),
    "crm:settings_tag_delete": (L, 404, 405, 405, 405, 405),
    "crm:settings_lost_reasons": (L, 404, 403, 403, 200, 200),
    "crm:settings_lost_reason_create": (L, 404, 405, 405, 405, 405),
    "crm:settings_lost_reason_update": (L, 404, 405, 405, 405, 405),
    "crm:settings_lost_reason_delete": (L, 404, 405, 405, 405, 405),
    "crm:settings_lost_reason_restore": (L, 404, 405, 405, 405, 405),
}
