"""The final export download (the link in billing's last email before a canceled company's
data is deleted): owners and admins, with a link signed for this company and not expired."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from shared_apps.accounts.models import User
from shared_apps.accounts.permission_views import action_required
from shared_apps.accounts.permissions import Action
from shared_apps.accounts.url_access import EXPORT, url_access
from shared_apps.tenants.models import Company
from tenant_apps.crm.final_export import (
    ExportLinkInvalid,
    final_export_token_check,
    final_export_zip,
)
from tenant_apps.history.services import audit_record


@url_access(EXPORT)
@require_GET
@action_required(Action.FINAL_EXPORT)
def final_export(request: HttpRequest, token: str) -> HttpResponse | FileResponse:
    company = request.tenant  # type: ignore[attr-defined]
    assert isinstance(company, Company)
    assert isinstance(request.user, User)
    try:
        final_export_token_check(token, company=company)
    except ExportLinkInvalid as exc:
        if not exc.expired:
            raise Http404 from exc
        return HttpResponse(
            _("This export link has expired."),
            status=410,
            content_type="text/plain; charset=utf-8",
        )
    audit_record(actor=request.user, action="crm.final_export", target=company)
    name = f"{company.subdomain}-export-{timezone.localdate():%Y-%m-%d}.zip"
    return FileResponse(
        final_export_zip(), as_attachment=True, filename=name, content_type="application/zip"
    )
