"""The final export download (the link in billing's last email before a canceled company's
data is deleted): owners and admins, with a link signed for this company and not expired."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from shared_apps.accounts.models import Membership, User
from shared_apps.tenants.models import Company
from tenant_apps.crm.final_export import (
    ExportLinkInvalid,
    final_export_token_check,
    final_export_zip,
)
from tenant_apps.history.services import audit_record

ALLOWED_ROLES = (Membership.Role.OWNER, Membership.Role.ADMIN)


@require_GET
def final_export(request: HttpRequest, token: str) -> HttpResponse | FileResponse:
    company = request.tenant  # type: ignore[attr-defined]
    assert isinstance(company, Company)
    assert isinstance(request.user, User)
    if request.membership.role not in ALLOWED_ROLES:  # type: ignore[attr-defined]
        return HttpResponse(
            _("Only the company's owners and admins can download the final export."),
            status=403,
            content_type="text/plain; charset=utf-8",
        )
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
