"""The officers' admin site, plus helpers the app admins share.

Generic on purpose: ``ppp`` imports no domain app. The apps plug in what is theirs from their admin modules:
the lines of the index's "At a glance" box (``site.register_dashboard``) and, from ``projects``, the rule for
who sees which project's rows (``project_scope.install``), which every ``ProjectScopedAdminMixin`` applies.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets, get_fields_from_path, unquote
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from ppp import demo
from ppp.admin_lists import capped_count
from ppp.errors import DomainError
from ppp.formatting import format_money
from ppp.services import locked_fields


@dataclass(frozen=True)
class DashboardRow:
    """One line of the admin index's "At a glance" box; ``key`` also names its count in the template context."""

    key: str
    label: str
    url: str
    count: int | None = None
    alarming: bool = False  # a non-zero count is shown in red
    order: int = 100


# --- How list cells read: one place for every app's admin ------------------------------------------------------

# Status value -> badge tone (static/ppp/admin.css colours the tones). Values are shared across models on purpose:
# "rejected" reads the same on a deliverable, an amendment and an invoice. Green is kept for work that is done
# and accepted; nothing that slipped, waits or was refused is ever green.
STATUS_TONES = {
    # done, accepted, in force
    "achieved": "good",
    "accepted": "good",
    "approved": "good",
    "paid": "good",
    "reconciled": "good",
    "matched": "good",
    "active": "good",
    "sent": "good",
    "completed": "done",
    "operation": "done",
    "pilot": "info",
    "rollout": "info",
    # moving, waiting for someone
    "in_progress": "info",
    "submitted": "info",
    "certified": "info",
    "proposed": "info",
    "reported": "info",
    "pending": "info",
    "mitigating": "info",
    "open": "warn",
    # needs attention
    "suspended": "warn",
    "due_soon": "warn",
    "overdue": "bad",
    "missed": "bad",
    "rejected": "bad",
    "terminated": "bad",
    "debarred": "bad",
    "failed": "bad",
    # not started or closed off
    "planned": "muted",
    "not_started": "muted",
    "draft": "muted",
    "cancelled": "muted",
    "void": "muted",
    "skipped": "muted",
    "closed": "muted",
}


def status_badge(value: str, label) -> SafeString:
    """A status as a coloured badge (``STATUS_TONES`` picks the colour; unknown values read neutral)."""
    return format_html('<span class="ppp-badge ppp-tone-{}">{}</span>', STATUS_TONES.get(value, "muted"), label)


def money_cell(amount, currency: str = "") -> SafeString:
    """An amount as a finance officer reads it (``1,234,567.89 EUR``), right-aligned in its column."""
    return format_html('<span class="ppp-money">{}</span>', money_text(amount, currency))


def money_text(amount, currency: str = "") -> str:
    """``format_money`` with a plain space before the currency: in a narrow list cell the currency may go under
    the amount (the ``ppp-money`` CSS keeps them on one line on wider screens). Only that space: French groups
    thousands with a no-break space, which must not break."""
    amount_and_currency = format_money(amount, currency)
    if not currency:
        return amount_and_currency
    return amount_and_currency.removesuffix(f"\N{NO-BREAK SPACE}{currency}") + f" {currency}"


def short_text(text, length: int = 48) -> SafeString:
    """Long text cut to one line; the whole of it is in the tooltip."""
    text = str(text or "")
    if len(text) <= length:
        return format_html("{}", text)
    return format_html('<span title="{}">{}</span>', text, Truncator(text).chars(length))


def code_cell(code, full) -> SafeString:
    """A record's short code (``AGR-12``) with its full name in the tooltip."""
    return format_html('<span class="ppp-nowrap" title="{}">{}</span>', full, code)


def two_lines(first, second="") -> SafeString:
    """A main line and a quieter second line in one cell (e.g. a title over its project)."""
    if not second:
        return format_html("{}", first)
    return format_html('{}<br><span class="ppp-sub">{}</span>', first, second)


class NameSearchFilter(admin.SimpleListFilter):
    """A filter by a related object's name, typed rather than picked: a national programme has thousands of
    vendors, and a filter listing each of them would cost a query and a page of links on every list.

    Subclass with ``title``, ``parameter_name`` and ``lookup`` (e.g. ``"responsible_vendor__legal_name"``).
    A link that names the object by id (``?responsible_vendor__id__exact=7``) still works: Django allows
    lookups on a model's own fields without a filter.
    """

    template = "admin/ppp/name_search_filter.html"
    lookup: str = ""

    def lookups(self, request, model_admin):
        return []

    def has_output(self):
        return True

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{f"{self.lookup}__icontains": self.value().strip()})
        return queryset

    def choices(self, changelist):
        yield {
            "parameter_name": self.parameter_name,
            "value": self.value() or "",
            # The form sends the other filters and the search along; a new search starts on page one.
            "others": [
                (key, value)
                for key, values in changelist.params.items()
                if key not in (self.parameter_name, "p")
                for value in (values if isinstance(values, list) else [values])
            ],
            "clear_query_string": changelist.get_query_string(remove=[self.parameter_name]),
        }


def name_search_filter(lookup: str, title, parameter_name: str):
    """A ``NameSearchFilter`` for ``lookup`` (see there), e.g. ``name_search_filter("vendor__legal_name",
    _("vendor"), "vendor_name")``."""
    return type(
        "NameSearchFilter",
        (NameSearchFilter,),
        {"lookup": lookup, "title": title, "parameter_name": parameter_name},
    )


@dataclass(frozen=True)
class WorkItem:
    """One row of a "My work" panel: what it is, where the work is done, and a short note (due date, status)."""

    text: str
    url: str
    detail: str = ""
    note: str = ""


@dataclass(frozen=True)
class WorkPanel:
    """A "My work" panel of the admin index: how many things wait for this officer and the first few of them.

    ``url`` is the filtered list holding exactly the ``count`` items (where the work is done)."""

    key: str
    title: str
    url: str
    count: int
    items: list[WorkItem]
    empty: str
    alarming: bool = False  # a non-zero count is shown in red
    order: int = 100
    count_is_exact: bool = True  # False: there are more than ``count`` (see ``WORK_PANEL_COUNT_BOUND``)

    @property
    def count_text(self) -> str:
        """ "12", or "1,000+" when the panel stopped counting."""
        counted = number_format(self.count, force_grouping=True)
        return counted if self.count_is_exact else f"{counted}+"

    @property
    def more_text(self) -> str:
        """ "and 7 more" below the rows shown (the link to the list of all of them), or "" when all are shown."""
        more = self.count - len(self.items)
        if more <= 0:
            return ""
        if not self.count_is_exact:
            return gettext("and more than %(count)s more") % {"count": number_format(more, force_grouping=True)}
        return ngettext("and %(count)s more", "and %(count)s more", more) % {
            "count": number_format(more, force_grouping=True)
        }


@dataclass(frozen=True)
class DashboardChart:
    """A chart of the admin index, drawn on the server (``ppp.charts``)."""

    key: str
    title: str
    body: str  # safe HTML (inline SVG)
    note: str = ""
    order: int = 100


WORK_PANEL_ROWS = 5  # a panel shows this many rows; its link leads to all of them
# A panel counts its rows up to this many and then says "1,000+": an officer who owns every project of a national
# programme has sixty thousand late milestones, and counting them all (a window over every row) took most of a
# second of the dashboard. The list behind the link counts them (roughly, see ppp.admin_lists).
WORK_PANEL_COUNT_BOUND = 1000


def first_rows_and_count(queryset: QuerySet, rows: int = WORK_PANEL_ROWS) -> tuple[list, int, bool]:
    """The first ``rows`` of ``queryset``, how many there are (counted up to ``WORK_PANEL_COUNT_BOUND``) and whether
    that count is exact: two queries that each stop early (the first rows in the queryset's order, a count under a
    LIMIT), whatever the number of rows."""
    found = list(queryset[:rows])
    counted = capped_count(queryset, WORK_PANEL_COUNT_BOUND)
    return found, min(counted, WORK_PANEL_COUNT_BOUND), counted <= WORK_PANEL_COUNT_BOUND


def my_work_filter(selector: Callable, label):
    """A list filter holding exactly what a "My work" panel counts: ``?my_work=me`` keeps the rows
    ``selector(user)`` returns, so the panel's link opens the list where that work is done."""

    class MyWorkFilter(admin.SimpleListFilter):
        title = _("my work")
        parameter_name = "my_work"

        def lookups(self, request, model_admin):
            return [("me", label)]

        def queryset(self, request, queryset):
            if self.value() == "me":
                return queryset.filter(pk__in=selector(request.user).values("pk"))
            return queryset

    return MyWorkFilter


def work_panel(
    *,
    key: str,
    title: str,
    changelist: str,
    rows: QuerySet,
    item: Callable[[object], WorkItem],
    empty: str,
    order: int,
    alarming: Callable[[list], bool] = lambda found: False,
) -> WorkPanel:
    """A "My work" panel over ``rows`` (the selector its list's ``my_work_filter`` applies too): one query for the
    first rows and the count, each row made by ``item``, the heading linking to ``changelist`` filtered to them."""
    found, total, exact = first_rows_and_count(rows)
    return WorkPanel(
        key=key,
        title=title,
        url=f"{reverse(changelist)}?my_work=me",
        count=total,
        count_is_exact=exact,
        items=[item(obj) for obj in found],
        empty=empty,
        alarming=alarming(found),
        order=order,
    )


class ProjectScope:
    """Who sees which project's rows. ``ppp`` knows no domain app: the app that owns projects installs the
    rule (``install``, from its admin module). Until then it fails closed: nothing is shown by mistake."""

    def __init__(self):
        self.sees_all: Callable[[object], bool] = self._not_installed
        self._scoped: Callable[[QuerySet, object, str], QuerySet] = self._not_installed

    @staticmethod
    def _not_installed(*args):
        raise ImproperlyConfigured("No project scope installed: the projects app's admin installs it.")

    def install(self, *, scoped: Callable[[QuerySet, object, str], QuerySet], sees_all: Callable[[object], bool]):
        self._scoped, self.sees_all = scoped, sees_all

    def __call__(self, queryset: QuerySet, user, project_path: str) -> QuerySet:
        """``queryset`` cut down to the rows whose project (reached by ``project_path``) ``user`` may see."""
        return self._scoped(queryset, user, project_path)


project_scope = ProjectScope()


class PPPAdminSite(admin.AdminSite):
    site_header = "ppp-tracker"
    site_title = "ppp-tracker"
    index_title = _("Procurement and delivery")
    index_template = "admin/ppp_index.html"
    # The left-hand app menu repeats the index and took a quarter of a 1440 px screen from every list; the
    # breadcrumbs and the index lead everywhere it did.
    enable_nav_sidebar = False
    login_template = "admin/ppp_login.html"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._dashboard_sources: list[Callable[[HttpRequest], list[DashboardRow]]] = []

    def register_dashboard(self, rows: Callable[[HttpRequest], list[DashboardRow | WorkPanel | DashboardChart]]):
        """An app adds its part of the index (from its admin module): ``rows(request)`` returns "At a glance"
        lines (``DashboardRow``), "My work" panels (``WorkPanel``) and charts (``DashboardChart``), each counting
        what that user may see, so a board member's dashboard counts only their boards' projects."""
        if rows not in self._dashboard_sources:
            self._dashboard_sources.append(rows)

    def login(self, request, extra_context=None):
        # In DEBUG only (a developer's machine after `make run`), the login page lists the demo logins, so nobody
        # scrolls back through honcho's output for them. Production never shows them: they share one password.
        if settings.DEBUG:
            extra_context = {
                **(extra_context or {}),
                "demo_logins": demo.staff_logins_present(),
                "demo_password": demo.DEMO_PASSWORD,
            }
        return super().login(request, extra_context)

    def autocomplete_view(self, request):
        from ppp.admin_lists import AutocompleteSearchView

        return AutocompleteSearchView.as_view(admin_site=self)(request)

    def index(self, request, extra_context=None):
        parts = sorted((part for source in self._dashboard_sources for part in source(request)), key=lambda p: p.order)
        rows = [part for part in parts if isinstance(part, DashboardRow)]
        panels = [part for part in parts if isinstance(part, WorkPanel)]
        extra_context = {
            **(extra_context or {}),
            "dashboard": rows,
            "work_panels": panels,
            "charts": [part for part in parts if isinstance(part, DashboardChart)],
            **{row.key: row.count for row in rows},
            **{panel.key: panel.count for panel in panels},
        }
        return super().index(request, extra_context)


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """The history pages of every admin with history: they show past versions and never write.

    django-simple-history's version page is a change form that saves any POST (its "Revert") and checks only
    the *view* permission, so a board member could rewrite a milestone through it and an officer could skip
    every service rule. Here the version page is read-only for everyone, superusers included: no Revert button,
    every field shown as text, and anything but GET/HEAD answers 405 before a form is even built.
    """

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return super().history_form_view(request, object_id, version_id, extra_context)

    def render_history_view(self, request, template, context, **kwargs):
        if "adminform" in context:
            # The version page: show every field of the change form as text, with no input to send back.
            shown = context["adminform"]
            form = shown.form
            form_only = set(form.declared_fields) - _model_field_names(self.model)  # e.g. a hidden version
            fieldsets = [
                (name, {**options, "fields": [field for field in options["fields"] if field not in form_only]})
                for name, options in shown.fieldsets
            ]
            form.fields = {}
            context["adminform"] = helpers.AdminForm(
                form, fieldsets, {}, readonly_fields=flatten_fieldsets(fieldsets), model_admin=self
            )
        return super().render_history_view(request, template, context, **kwargs)

    def revert_disabled(self, request, obj=None):
        return True

    def has_change_history_permission(self, request, obj=None):
        return False


def run_service_action(modeladmin, request, queryset, service, verb: str, **kwargs):
    """Call ``service`` for each selected object and tell the officer what happened and why not.

    Each object gets its own transaction (inside the service), so one refusal does not undo the rest.
    """
    done, refused = 0, []
    for obj in queryset:
        try:
            service(obj, **kwargs)
        except DomainError as exc:
            refused.append(exc.message)
        else:
            done += 1
    if done:
        modeladmin.message_user(
            request, gettext("{verb} {done} item(s).").format(verb=verb.capitalize(), done=done), messages.SUCCESS
        )
    for reason in refused:
        modeladmin.message_user(request, reason, messages.ERROR)


def _model_field_names(model) -> set[str]:
    opts = model._meta
    return {field.name for field in [*opts.fields, *opts.many_to_many] if field.editable and not field.primary_key}


def form_changes(form) -> dict:
    """What an officer changed on a model form, as ``{field: cleaned value}`` for an ``<entity>_update`` service."""
    names = _model_field_names(form._meta.model)
    return {name: form.cleaned_data[name] for name in form.changed_data if name in names}


def form_data(form) -> dict:
    """Every model field of a filled-in model form, as ``{field: cleaned value}`` for an ``<entity>_create`` service."""
    names = _model_field_names(form._meta.model)
    return {name: value for name, value in form.cleaned_data.items() if name in names}


class ServiceAdminMixin:
    """Makes the admin one more client of the services: every save, inline save and delete calls them.

    ``service_module`` is the app's services module and ``service_entity`` the entity's name in it; the admin
    calls ``<entity>_create(by=, data=)``, ``<entity>_update(<entity>_id=, by=, changes=)`` and
    ``<entity>_delete(<entity>_id=, by=)`` (``service_verbs`` renames one; names are looked up at call time).
    An operation with no service is not offered at all. The stock ``ModelAdmin`` saves are never reached.
    Fields the model's lock table (``locked_fields()``) locks are read-only on the change form, and a service's
    refusal (a DomainError) is shown to the officer as an error message instead of a server error; the whole
    save (form and inlines) is rolled back with it.
    """

    service_module = None
    service_entity: str = ""
    service_verbs: dict[str, str] = {}

    def service(self, action: str):
        name = f"{self.service_entity}_{self.service_verbs.get(action, action)}"
        return getattr(self.service_module, name, None) if self.service_module else None

    def call_service(self, action: str, request, pk=None, **kwargs):
        if pk is not None:
            kwargs[f"{self.service_entity}_id"] = pk
        return self.service(action)(by=request.user, **kwargs)

    # --- What is offered ---

    def has_add_permission(self, request, *args):
        return self.service("create") is not None and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        if self.service("update") is None and (obj is not None or isinstance(self, admin.options.InlineModelAdmin)):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.service("delete") is not None and super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and not isinstance(self, admin.options.InlineModelAdmin):
            readonly += [name for name in locked_fields(obj) if name not in readonly]
        return readonly

    # --- Writes: through the services only ---

    def save_form(self, request, form, change):
        return form.instance  # filled in by the form's validation; the service saves it (or refuses)

    def save_model(self, request, obj, form, change):
        if change:
            saved = self.call_service("update", request, obj.pk, changes=form_changes(form))
        else:
            saved = self.call_service("create", request, data=form_data(form))
        adopt_created(obj, saved)

    def save_related(self, request, form, formsets, change):
        # Many-to-many fields went with the row's own service; each inline's rows go through the inline's.
        inlines = {inline.model: inline for inline in self.get_inline_instances(request, form.instance)}
        for formset in formsets:
            inline = inlines.get(formset.model)
            if isinstance(inline, ServiceAdminMixin):
                inline.save_formset_through_services(request, formset)
            elif any(form.has_changed() for form in formset.forms) or formset.deleted_forms:
                raise DomainError(
                    gettext("{verbose_name_plural} are not changed here.").format(
                        verbose_name_plural=formset.model._meta.verbose_name_plural.capitalize()
                    )
                )
            else:  # a read-only inline: nothing to save, nothing to log
                formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def save_formset(self, request, form, formset, change):
        raise NotImplementedError("inline rows are saved by save_related, through the services")

    def delete_model(self, request, obj):
        self.call_service("delete", request, obj.pk)

    def delete_queryset(self, request, queryset):
        # All or nothing: one refusal keeps every selected row, and the officer is told why.
        with transaction.atomic():
            for pk in queryset.values_list("pk", flat=True):
                self.call_service("delete", request, pk)

    def order_updates(self, forms):
        """The order in which changed inline rows are saved (e.g. shares going down before shares going up)."""
        return forms

    def save_formset_through_services(self, request, formset):
        """Save an inline formset's rows with this inline's services: deletions, then changes, then additions."""
        deleting = [form for form in formset.initial_forms if formset.can_delete and formset._should_delete_form(form)]
        changed = [form for form in formset.initial_forms if form not in deleting and form.has_changed()]
        added = [
            form
            for form in formset.extra_forms
            if form.has_changed() and not (formset.can_delete and formset._should_delete_form(form))
        ]
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for form in deleting:
            self.call_service("delete", request, form.instance.pk)
            formset.deleted_objects.append(form.instance)
        for form in self.order_updates(changed):
            changes = form_changes(form)
            formset.changed_objects.append(
                (self.call_service("update", request, form.instance.pk, changes=changes), list(changes))
            )
        for form in added:
            data = {**form_data(form), formset.fk.name: formset.instance}
            formset.new_objects.append(self.call_service("create", request, data=data))

    # --- Refusals: a message, never a 500 ---

    def _refused(self, request, exc: DomainError, url: str):
        self.message_user(request, exc.message, messages.ERROR)
        return HttpResponseRedirect(url)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            if request.method != "POST":
                return self._refused(request, exc, request.get_full_path())
            # Nothing was saved (the view's transaction rolled back). Show the same form again, with what the
            # officer typed and the service's refusal on the field it names, instead of an empty form.
            request._service_refusal = exc
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "_service_refusal", None)
        if refusal is None:
            return form_class

        class RefusedForm(form_class):
            def clean(self):
                cleaned = super().clean()
                self.add_error(refusal.field if refusal.field in self.fields else None, refusal.message)
                return cleaned

        return RefusedForm

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            opts = self.model._meta
            return self._refused(
                request, exc, reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id])
            )

    def changelist_view(self, request, extra_context=None):
        try:
            # Atomic, so the deletion log of a refused bulk delete goes with it.
            with transaction.atomic():
                return super().changelist_view(request, extra_context)
        except DomainError as exc:
            return self._refused(request, exc, request.get_full_path())


class ServiceAddFormMixin:
    """For admins whose add form saves through a service (which adopts the result with ``adopt_created``).

    The form runs the service's checks first; if the service still refuses (someone changed the data in
    between), the officer is told why and sent back to the form instead of seeing a server error.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class ProjectScopedAdminMixin:
    """Board members see in the admin what their board pages show: only the rows of their boards' projects.

    ``project_path`` is the lookup from the model to its project ("pk" for projects). A change or history page
    of another project's row answers like a missing one. Officers (who see all projects) are unaffected.
    Works for inlines too (the parent page is already scoped; the inline rows follow it).
    """

    project_path: str

    def get_queryset(self, request):
        return project_scope(super().get_queryset(request), request.user, self.project_path)

    def get_list_filter(self, request):
        # A plain related-field filter offers every project (agreement, milestone…) by name; a board member's
        # offers only those their rows point to.
        list_filter = super().get_list_filter(request)
        if project_scope.sees_all(request.user):
            return list_filter
        return [
            (entry, admin.RelatedOnlyFieldListFilter)
            if isinstance(entry, str) and get_fields_from_path(self.model, entry)[-1].is_relation
            else entry
            for entry in list_filter
        ]

    def _refuse_out_of_scope(self, request, object_id):
        # simple-history falls back to the history table for objects the queryset lacks (meant for deleted
        # ones), and its single-version page reads the history table directly: check the scope first.
        if not project_scope.sees_all(request.user) and self.get_object(request, unquote(object_id)) is None:
            raise Http404("No such object on your boards.")

    def history_view(self, request, object_id, extra_context=None):
        self._refuse_out_of_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._refuse_out_of_scope(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


def adopt_created(unsaved, created):
    """Make the admin's unsaved add-form object stand for the one a service created.

    Used by add forms whose save goes through a service: the admin then logs and redirects to the real object.
    """
    unsaved.__dict__.update({key: value for key, value in created.__dict__.items() if key != "_state"})
    unsaved._state.adding = False
    unsaved._state.db = created._state.db
    return unsaved


def run_form_action(
    modeladmin,
    request,
    queryset,
    *,
    action: str,
    title: str,
    intro: str,
    submit: str,
    service,
    verb: str,
    label: str,
    help_text: str = "",
    field_name: str = "note",
    describe=str,
):
    """An admin action that first asks for one required text (a reason, a comment), then calls ``service(obj, text)``
    for each selected object. Returns the intermediate page until the text is given."""
    from django import forms
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
    from django.template.response import TemplateResponse

    form_class = type(
        "ActionTextForm",
        (forms.Form,),
        {
            field_name: forms.CharField(
                label=label, help_text=help_text, widget=forms.Textarea(attrs={"rows": 4, "cols": 60})
            )
        },
    )
    applying = "apply" in request.POST
    form = form_class(request.POST if applying else None)
    if applying and form.is_valid():
        text = form.cleaned_data[field_name]
        run_service_action(modeladmin, request, queryset, lambda obj: service(obj, text), verb)
        return None
    if applying:
        modeladmin.message_user(request, gettext("{label} is required.").format(label=label), messages.ERROR)
    opts = modeladmin.model._meta
    return TemplateResponse(
        request,
        "admin/ppp/action_form.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "submit": submit,
            "opts": opts,
            "objects": [(obj.pk, describe(obj)) for obj in queryset],
            "form": form,
            "action": action,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        },
    )
