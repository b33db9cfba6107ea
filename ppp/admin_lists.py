"""Admin lists at national-programme size (a million milestones, three million deliverables).

Generic on purpose (``ppp`` imports no domain app). Three things every large list shares:

- ``LargeListAdminMixin``: counts designed for a million rows. Django's changelist counts the filtered rows and
  then every row again (``show_full_result_count``); a COUNT(*) of a million rows is most of a page's time and
  tells the officer nothing a rounded number does not. Here an unfiltered list on PostgreSQL shows the planner's
  estimate ("about 1,000,000 milestones", from ``pg_class.reltuples``), a filtered one an exact count up to
  ``LargeListPaginator.count_bound`` rows and "more than 10,000" past it. Next pages stay reachable; the last
  page is linked only when the count is known. Other databases (SQLite under ``make run``) count exactly.
- ``autocomplete_filter``: a list filter on a large relation (5,000 vendors, 50,000 projects) typed into the
  admin's own autocomplete (select2 over ``admin:autocomplete``, which checks the view permission and searches
  the target admin's ``search_fields``), instead of one link per related row in the sidebar.
- ``AutocompleteSearchView``: that autocomplete reads ``get_autocomplete_queryset`` where an admin has one, so a
  list's per-row annotations (counts over joins) are not computed to pick a name.
"""

import datetime

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.templatetags.admin_list import date_hierarchy
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.views.main import PAGE_VAR, ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import Max, Min, QuerySet
from django.forms import Media
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

EXACT, ESTIMATE, AT_LEAST = "exact", "estimate", "at_least"


def capped_count(queryset: QuerySet, bound: int) -> int:
    """How many rows ``queryset`` has, counting no further than ``bound + 1``: PostgreSQL stops reading at the
    limit, so a filter that matches half a million rows costs as much as one that matches ten thousand."""
    return queryset.order_by().values("pk")[: bound + 1].count()


def estimated_rows(model) -> int | None:
    """The planner's estimate of ``model``'s table size (``pg_class.reltuples``, kept by ANALYZE and autovacuum),
    or None where there is none: not PostgreSQL, or a table never analysed."""
    connection = connections[model._default_manager.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
        row = cursor.fetchone()
    return row[0] if row and row[0] >= 0 else None


def _is_whole_table(queryset: QuerySet) -> bool:
    query = queryset.query
    return not query.where and not query.distinct and not query.combinator and not query.is_sliced


class LargeListPage(Page):
    def has_next(self) -> bool:
        paginator = self.paginator
        if paginator.count_kind == EXACT:
            return super().has_next()
        if paginator.count_kind == ESTIMATE or self.number * paginator.per_page < paginator.count:
            return self.number < paginator.num_pages
        # Past the bound of a capped count: look for one row after this page.
        start = self.number * paginator.per_page
        return paginator.object_list.values("pk")[start : start + 1].exists()


class LargeListPaginator(Paginator):
    """A paginator whose ``count`` may be an estimate (``count_kind``: "exact", "estimate" or "at_least").

    ``count_bound``: a filtered list is counted exactly up to this many rows. A whole table counts exactly too
    while the planner estimates fewer rows than that, so small lists (and tests) always read exact numbers."""

    count_bound = 10_000
    count_kind = EXACT

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or connections[queryset.db].vendor != "postgresql":
            return queryset.count() if isinstance(queryset, QuerySet) else len(queryset)
        if _is_whole_table(queryset):
            estimate = estimated_rows(queryset.model)
            if estimate is not None and estimate > self.count_bound:
                self.count_kind = ESTIMATE
                return estimate
            return queryset.count()
        counted = capped_count(queryset, self.count_bound)
        if counted > self.count_bound:
            self.count_kind = AT_LEAST
        return counted

    def validate_number(self, number):
        if self.count_kind == EXACT:  # (reading count decides the kind)
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError) as exc:
            raise PageNotAnInteger(gettext("That page number is not an integer")) from exc
        if number < 1:
            raise EmptyPage(gettext("That page number is less than 1"))
        return number  # an estimate is no upper bound: a later page may still hold rows

    def page(self, number):
        number = self.validate_number(number)
        if self.count_kind == EXACT:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        return self._get_page(self.object_list[bottom : bottom + self.per_page], number, self)

    def _get_page(self, *args, **kwargs):
        return LargeListPage(*args, **kwargs)


def count_text(count: int, kind: str, opts) -> str:
    """ "42 milestones", "about 1,000,000 milestones", "more than 10,000 milestones"."""
    if kind == EXACT:
        return f"{number_format(count, force_grouping=True)} " + str(
            opts.verbose_name if count == 1 else opts.verbose_name_plural
        )
    if kind == AT_LEAST:
        return gettext("more than %(count)s %(items)s") % {
            "count": number_format(count - 1, force_grouping=True),
            "items": opts.verbose_name_plural,
        }
    rounded = round(count, -max(len(str(count)) - 3, 0))  # three significant figures: no false precision
    return gettext("about %(count)s %(items)s") % {
        "count": number_format(rounded, force_grouping=True),
        "items": opts.verbose_name_plural,
    }


class _RangeDates:
    """Stands in for a changelist's queryset in Django's date bar (``admin_list.date_hierarchy``). Django lists
    the years, months or days that have rows with a DISTINCT over every matching row (half a second at a million
    milestones, a second at three million deliverables); here they are the years, months or days between the
    first and the last date: two index look-ups. A link may lead to a month without rows; none is missing."""

    def __init__(self, queryset):
        self.queryset = queryset

    def aggregate(self, **kwargs):
        self._bounds = self.queryset.aggregate(**kwargs)  # Django asks for ``first`` and ``last``: kept for dates()
        return self._bounds

    def dates(self, field_name, kind, order="ASC"):
        bounds = getattr(self, "_bounds", None) or self.queryset.aggregate(first=Min(field_name), last=Max(field_name))
        first, last = bounds["first"], bounds["last"]
        if first is None:
            return []
        if kind == "year":
            return [datetime.date(year, 1, 1) for year in range(first.year, last.year + 1)]
        if kind == "day":  # Django asks for days only within one month
            first, last = _day(first), _day(last)
            return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
        months = range(first.year * 12 + first.month - 1, last.year * 12 + last.month)
        return [datetime.date(month // 12, month % 12 + 1, 1) for month in months]

    datetimes = dates


def _day(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).date()
    return value


class _DateBarList:
    def __init__(self, changelist):
        self._changelist = changelist
        self.queryset = _RangeDates(changelist.queryset)

    def __getattr__(self, name):
        return getattr(self._changelist, name)


class LargeChangeList(ChangeList):
    """A changelist that tells an estimated count from an exact one and pages without a last page it cannot know."""

    @cached_property
    def date_bar(self):
        """Django's date bar (the template's ``date_hierarchy`` block), without a scan of every row."""
        return date_hierarchy(_DateBarList(self)) if self.date_hierarchy else None

    def get_results(self, request):
        super().get_results(request)
        paginator = self.paginator
        self.count_kind = paginator.count_kind
        self.count_is_exact = self.count_kind == EXACT
        self.result_count_text = count_text(self.result_count, self.count_kind, self.opts)
        self.page_links, self.previous_url, self.next_url, self.first_url = [], None, None, None
        if not self.count_is_exact:
            self.can_show_all = False  # never "Show all" of a table counted only roughly
            first = max(1, self.page_num - 2)
            numbers = list(range(first, self.page_num + 1))
            if paginator.page(self.page_num).has_next():
                numbers.append(self.page_num + 1)
                self.next_url = self.page_url(self.page_num + 1)
            if self.page_num > 1:
                self.previous_url = self.page_url(self.page_num - 1)
            if first > 1:
                self.first_url = self.page_url(1)
            self.page_links = [(number, self.page_url(number)) for number in numbers]
        # The search box says how many rows matched only when something narrowed the list.
        self.is_narrowed = bool(self.query) or self.has_active_filters

    def page_url(self, number: int) -> str:
        return self.get_query_string({PAGE_VAR: number})


class LargeListAdminMixin:
    """Counts and paging for lists of up to millions of rows (see the module's docstring). Put it first in the
    bases of a ModelAdmin. Also loads the autocomplete filters' scripts when ``list_filter`` has one."""

    paginator = LargeListPaginator
    show_full_result_count = False  # no second COUNT(*) of the whole table on every page

    def get_changelist(self, request, **kwargs):
        return LargeChangeList

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, obj):
        # Django's markup, written out: its CheckboxInput renders a template per row, a third of a page's time.
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            obj.pk,
            label,
        )

    @property
    def media(self):
        media = super().media
        if any(isinstance(entry, type) and issubclass(entry, AutocompleteFilter) for entry in self.list_filter):
            media += AutocompleteFilter.media()
        return media

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        cl = (getattr(response, "context_data", None) or {}).get("cl")
        if isinstance(response, TemplateResponse) and cl is not None and not getattr(cl, "count_is_exact", True):
            # "All 1000000 selected" would state an estimate as a fact.
            response.context_data["selection_note_all"] = gettext("All %(count)s selected") % {
                "count": cl.result_count_text
            }
        return response


class AutocompleteFilter(admin.SimpleListFilter):
    """A filter on a related row (``field_path``, e.g. ``"responsible_vendor"`` or ``"milestone__project"``)
    chosen by typing its name: the admin's autocomplete widget, which searches the related model's admin (its
    ``search_fields``, its queryset, its view permission). The URL names the row by id
    (``?responsible_vendor=7``, ``?milestone__project=12``), so a link or a
    bookmark keeps the selection. Made with ``autocomplete_filter``; the admin needs ``LargeListAdminMixin``
    (or ``AutocompleteFilter.media()``) for the scripts."""

    template = "admin/ppp/autocomplete_filter.html"
    field_path: str = ""  # also the URL parameter: ``lookup_allowed`` accepts a filter's own parameter

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.field = get_fields_from_path(model, self.field_path)[-1]
        self.target_admin = model_admin.admin_site._registry.get(self.field.related_model)
        self.request = request

    @staticmethod
    def media() -> Media:
        widget_media = AutocompleteSelect(None, admin.site).media
        return widget_media + Media(js=["ppp/autocomplete_filter.js"])

    def lookups(self, request, model_admin):
        return ()

    def has_output(self):
        return True

    def _selected(self) -> int | None:
        try:
            return int(self.value()) if self.value() else None
        except ValueError:
            return None

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        selected = self._selected()
        return queryset.filter(**{self.field_path: selected}) if selected else queryset.none()

    def choices(self, changelist):
        selected = self._selected()
        # The chosen row's name, read through its admin's queryset: a row the user may not see shows no name.
        # (Rendering the widget with a value is the only query the filter makes.)
        if self.target_admin:
            rows = getattr(self.target_admin, "get_autocomplete_queryset", self.target_admin.get_queryset)
            rows = rows(self.request)
        else:
            rows = self.field.related_model._default_manager.none()
        field = forms.ModelChoiceField(
            queryset=rows.order_by(),
            required=False,
            widget=AutocompleteSelect(self.field, changelist.model_admin.admin_site, attrs={"style": "width: 100%"}),
        )
        element_id = f"filter-{self.parameter_name}"
        yield {
            "id": element_id,
            "value": selected,
            "widget": field.widget.render(self.parameter_name, selected, attrs={"id": element_id}),
            # The form sends the other filters and the search along; a new choice starts on page one.
            "others": [
                (key, value)
                for key, values in changelist.params.items()
                if key not in (self.parameter_name, "p")
                for value in (values if isinstance(values, list) else [values])
            ],
            "clear_query_string": changelist.get_query_string(remove=[self.parameter_name, "p"]),
        }


def autocomplete_filter(field_path: str, title) -> type[AutocompleteFilter]:
    """An ``AutocompleteFilter`` on ``field_path`` with the sidebar title ``title``."""
    attributes = {"field_path": field_path, "parameter_name": field_path, "title": title}
    return type("AutocompleteFilter", (AutocompleteFilter,), attributes)


class AutocompleteSearchView(AutocompleteJsonView):
    """The admin's autocomplete, reading ``model_admin.get_autocomplete_queryset(request)`` where it exists: the
    project list's queryset counts every project's milestones, which picking a project by name never needs."""

    def get_queryset(self):
        rows = getattr(self.model_admin, "get_autocomplete_queryset", self.model_admin.get_queryset)
        qs = rows(self.request).complex_filter(self.source_field.get_limit_choices_to())
        qs, search_use_distinct = self.model_admin.get_search_results(self.request, qs, self.term)
        return qs.distinct() if search_use_distinct else qs
