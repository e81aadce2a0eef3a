"""The list pages: organizations, contacts, deals and activities.

Query string (GET, bookmarkable; the same parameters drive the CSV export at
`<list>/export/`):

- Filters, by name (repeat a parameter or tick several boxes for "any of"):
  - `q`: quick text, matched as a substring of the record's normalised search text (names,
    emails, phones...; Cyrillic and Latin find each other). Activities: the subject.
  - text filters contain, case-insensitively: contacts `first_name`, `last_name`,
    `job_title`, `email`, `phone`, `organization_name`, `source`; organizations `name`,
    `domain`, `email`, `phone`, `street`, `postcode`, `city`, `country`, `industry`,
    `vat_number`; deals `name`, `organization_name`, `currency`, `lost_reason`.
  - choices: `lifecycle_stage=lead|prospect|customer|churned` (contacts), `size`
    (organizations), `status=open|won|lost` (deals), `kind=task|call|meeting|email`
    (activities).
  - yes/no: `do_not_contact=yes|no` (contacts), `done=yes|no` (activities); `1|0`,
    `true|false` and `on|off` are accepted too.
  - people (user ids of members of the company): `owner` (records), `assignee` (activities).
  - related rows by id: `tag` (organizations, contacts: any of them), `organization`
    (contacts, deals, activities), `pipeline`, `stage` (deals), `contact`, `deal`
    (activities). An id that is not this company's is refused with a message.
  - date ranges, inclusive days in the company's time zone, `YYYY-MM-DD`:
    `created_from`/`created_to`, `updated_from`/`updated_to`, `close_from`/`close_to`
    (deals' expected close date), `activity_from`/`activity_to` (deals' last activity),
    `due_from`/`due_to` (activities).
  - amount range: `amount_min`/`amount_max` with `amount_currency=<ISO code>` (deals;
    amounts in different currencies do not compare, so a bound without the currency is
    refused; the currency alone keeps that currency's deals).
  - Numbers are read in the page's language: `12,500.50` (English), `12 500,50` or
    `1.234,56` (Bulgarian); `12500.50` in both. Ambiguous input (`1.234` in Bulgarian) is
    refused with a message.
  - custom fields, `cf_<key>` by the field's type: text and link `cf_<key>=<contains>`;
    number `cf_<key>_min`/`_max`; date `cf_<key>_from`/`_to`; choice and multiple choice
    `cf_<key>=<value>` (repeatable, any of them); checkbox `cf_<key>=yes|no`.
  A value that does not clean (a bad date or number, an unknown id) is shown next to its
  filter and left out; the page still lists rows, with status 400.
- `sort=<column>` ascending, `sort=-<column>` descending. Every column but tags and
  multiple-choice custom fields sorts. Ties are broken by id. Empty values (no owner, no
  organization, no custom value) sort last ascending and first descending (PostgreSQL's
  order, which keeps "previous" the exact reverse of "next"). Deals by `amount` are grouped
  by currency: ordered by (currency, amount, id), see docs/architecture.md. Amounts are
  shown and exported with their currency. An unknown column falls back
  to the list's default sort (contacts and organizations `name`, deals `-created_at`,
  activities `-due_at`) with a message and status 400.
- `cols=<column>,<column>,...` (or repeated `cols=`): the visible columns, in order. Column
  keys: contacts `name first_name last_name job_title organization email phone
  lifecycle_stage source do_not_contact owner tags created_at updated_at`; organizations
  `name domain email phone city country industry size vat_number owner tags created_at
  updated_at`; deals `name amount currency organization pipeline stage status
  expected_close_date last_activity_at owner created_at updated_at`; activities `subject
  kind due_at done assignee organization contact deal created_at updated_at`; plus
  `cf_<key>` for each custom field. Unknown keys are dropped.
- Pages (`per_page=25|50|100`, default 50), one of:
  - none: the first page;
  - `after=<cursor>`: the page after a row (the "next" link), `before=<cursor>`: the page
    before a row ("previous"). Cursors are opaque; take them from the page's links
    (`rel="next"` / `rel="prev"`). Keyset pagination: as fast deep in the list as at its
    start;
  - `page=last`: the last page (as fast as the first);
  - `page=<n>`: the n-th page (for jumping into the middle). It finds the row before the
    page with a narrow query (sort key and id only, index-only where an index matches) and
    seeks from there. A number past the last page shows the last page, a cursor that is not
    one of this sort's the first page, each with a message and status 400.
  The total count of matching rows is shown on every page. The pagination `<nav>` carries
  `data-page-count` (pages at this size) and `data-page-url` (a URL with `page=__page__`).
  Indexes (migration crm 0003) serve the sorts and filters the benchmark uses: contacts by
  name, by creation, and lifecycle stage + creation; deals (status +) currency + amount
  (crm 0007); activities by
  due time, and done + due time.
- `view=<id>`: marks the saved view the parameters came from (the picker's links carry
  the view's parameters themselves).

POST to the list URL (with the current query string, so the list re-renders as it was)
runs `op=bulk` (`action=owner|tag_add|tag_remove|delete`, `ids`, `owner`, `tag`),
`op=view_save` (`name`, `shared`), `op=view_rename` (`view`, `name`) or `op=view_delete`
(`view`). Success redirects back; invalid input re-renders with errors (400), a refused
role gets 403.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from shared_apps.accounts.models import User
from shared_apps.accounts.permissions import Action, NotPermitted, can
from shared_apps.accounts.url_access import EXPORT, url_access
from tenant_apps.crm.listing import query as lq
from tenant_apps.crm.listing.entities import SPECS, ListSpec
from tenant_apps.crm.listing.export import csv_lines
from tenant_apps.crm.listing.selectors import member_choices, saved_views_visible
from tenant_apps.crm.models import SavedView
from tenant_apps.crm.services import bulk, saved_views
from tenant_apps.crm.web.lists import forms as lf
from tenant_apps.crm.web.lists.context import bulk_action_permission, page_context, role_actions


def _actor(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _state(request: HttpRequest, spec: ListSpec) -> tuple[lq.ListState, list[tuple[str, str]]]:
    members = member_choices(company_id=request.tenant.pk)  # type: ignore[attr-defined]
    return lq.state_build(spec=spec, params=request.GET, members=members), members


def _render(
    request: HttpRequest,
    spec: ListSpec,
    *,
    forms: dict[str, Form] | None = None,
    status: int | None = None,
    refusal: str = "",
) -> HttpResponse:
    actor = _actor(request)
    state, members = _state(request, spec)
    qs = lq.rows_filtered(state, actor=actor)
    total = qs.count()
    page = lq.page_read(state, qs, request.GET, total=total)
    membership = request.membership  # type: ignore[attr-defined]
    actions = role_actions(spec, membership)
    views = list(saved_views_visible(actor=actor, entity=spec.entity))
    forms = forms or {}
    context = page_context(request, state, page, total=total, views=views, actor=actor)
    context.update(
        refusal=refusal,
        bulk_form=forms.get("bulk")
        or (lf.BulkForm(actions=actions, members=members) if actions else None),
        save_form=forms.get("save") or lf.SavedViewForm(),
        rename_form=forms.get("rename"),
        can_share=can(membership, Action.SAVED_VIEW_SHARE),
    )
    if status is None:
        invalid = state.has_errors or any(f.is_bound and f.errors for f in forms.values())
        status = 400 if invalid else 200
    return render(request, "crm/lists/list.html", context, status=status)


def _back(request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect(request.get_full_path())


def _bulk(request: HttpRequest, spec: ListSpec) -> HttpResponse:
    actor = _actor(request)
    actions = role_actions(spec, request.membership)  # type: ignore[attr-defined]
    if not actions:
        raise NotPermitted(Action.RECORD_EDIT)
    members = member_choices(company_id=request.tenant.pk)  # type: ignore[attr-defined]
    all_actions = list(spec.bulk_actions)
    form = lf.BulkForm(request.POST, actions=all_actions, members=members)
    if not form.is_valid():
        return _render(request, spec, forms={"bulk": form})
    action = form.cleaned_data["action"]
    if action not in actions:
        raise NotPermitted(bulk_action_permission(action))
    model = bulk.BULK_MODELS[spec.entity]
    ids = form.cleaned_data["ids"]
    run: dict[str, Callable[[], int]] = {
        "owner": lambda: bulk.bulk_owner_assign(
            model=model,
            ids=ids,
            owner=User.objects.filter(pk=form.cleaned_data["owner"]).first()
            if form.cleaned_data["owner"]
            else None,
            actor=actor,
        ),
        "tag_add": lambda: bulk.bulk_tag_add(
            model=model, ids=ids, tag=form.cleaned_data["tag"], actor=actor
        ),
        "tag_remove": lambda: bulk.bulk_tag_remove(
            model=model, ids=ids, tag=form.cleaned_data["tag"], actor=actor
        ),
        "delete": lambda: bulk.bulk_delete(model=model, ids=ids, actor=actor),
    }
    try:
        count = run[action]()
    except ValidationError as exc:
        _errors_to_form(form, exc)
        return _render(request, spec, forms={"bulk": form})
    messages.success(request, _("Done: %(count)s rows changed.") % {"count": count})
    return _back(request)


def _errors_to_form(form: Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _view_get(request: HttpRequest, spec: ListSpec, pk: int) -> SavedView | None:
    return saved_views_visible(actor=_actor(request), entity=spec.entity).filter(pk=pk).first()


def _view_save(request: HttpRequest, spec: ListSpec) -> HttpResponse:
    form = lf.SavedViewForm(request.POST)
    if not form.is_valid():
        return _render(request, spec, forms={"save": form})
    state, _members = _state(request, spec)
    query = lq.view_query(request.GET, state.filter_names())
    try:
        view = saved_views.saved_view_create(
            actor=_actor(request),
            entity=spec.entity,
            name=form.cleaned_data["name"],
            shared=form.cleaned_data["shared"],
            query=query,
        )
    except ValidationError as exc:
        _errors_to_form(form, exc)
        return _render(request, spec, forms={"save": form})
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return HttpResponseRedirect(
        reverse(spec.url_name) + "?" + urlencode({**query, "view": [str(view.pk)]}, doseq=True)
    )


def _view_change(request: HttpRequest, spec: ListSpec, op: str) -> HttpResponse:
    form: Form = (
        lf.SavedViewRenameForm(request.POST)
        if op == "view_rename"
        else lf.SavedViewDeleteForm(request.POST)
    )
    if not form.is_valid():
        return _render(request, spec, forms={"rename": form})
    view = _view_get(request, spec, form.cleaned_data["view"])
    if view is None:
        form.add_error(None, _("This view does not exist any more."))
        return _render(request, spec, forms={"rename": form})
    try:
        if op == "view_rename":
            saved_views.saved_view_rename(
                view=view, actor=_actor(request), name=form.cleaned_data["name"]
            )
            messages.success(request, _("View renamed."))
        else:
            saved_views.saved_view_delete(view=view, actor=_actor(request))
            messages.success(request, _("View deleted."))
    except ValidationError as exc:
        _errors_to_form(form, exc)
        return _render(request, spec, forms={"rename": form})
    return _back(request)


_POST_OPS: dict[str, Callable[[HttpRequest, ListSpec], HttpResponse]] = {
    "bulk": _bulk,
    "view_save": _view_save,
    "view_rename": lambda r, s: _view_change(r, s, "view_rename"),
    "view_delete": lambda r, s: _view_change(r, s, "view_delete"),
}


@require_http_methods(["GET", "HEAD", "POST"])
def list_page(request: HttpRequest, entity: str) -> HttpResponse:
    spec = SPECS[entity]
    if request.method != "POST":
        return _render(request, spec)
    handler = _POST_OPS.get(request.POST.get("op", ""))
    if handler is None:
        return _render(request, spec, status=400, refusal=_("Unknown action."))
    try:
        return handler(request, spec)
    except PermissionDenied as exc:
        return _render(request, spec, status=403, refusal=str(exc))


@url_access(EXPORT)
@require_GET
def export_csv(request: HttpRequest, entity: str) -> HttpResponse | StreamingHttpResponse:
    """The current view (filters, sort, visible columns), every page, as CSV. Viewers too.
    A filter, sort or column that does not clean refuses the export (400)."""
    spec = SPECS[entity]
    actor = _actor(request)
    state, _members = _state(request, spec)
    if state.has_errors:
        # never export more (or other) rows than the person asked for
        problems = [*state.errors]
        for field, errors in state.form.errors.items():
            problems += [f"{field}: {e}" for e in errors]
        return HttpResponse(
            "\n".join(problems), status=400, content_type="text/plain; charset=utf-8"
        )
    qs = lq.rows_filtered(state, actor=actor)
    bulk.export_record(actor=actor, model=spec.model, query=request.GET.urlencode())
    response = StreamingHttpResponse(
        csv_lines(state.visible, lq.export_rows(state, qs)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{spec.entity}s.csv"'
    return response
