"""The list endpoints' read path: a page read with ``.values()`` and turned into the serializer's output.

A ModelSerializer spends most of a list request building model instances and walking each field's source
on them. For lists, ``RowPlan`` reads only the columns the serializer shows (one ``.values()`` query with
the joins it needs) and converts each value with the serializer's own field (dates, decimals, datetimes
come out exactly as before). Plain values (text, choices, integers, booleans, foreign-key ids) pass through
as they are. The serializer stays the single description of the resource: the OpenAPI schema, the detail
views and the writes keep using it, and tests/api/test_list_read_path.py checks the two paths agree.
"""

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Count, Window
from rest_framework import fields, mixins, relations, serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings

# Fields whose output is the value read from the database (None stays None, as in DRF).
PASS_THROUGH = (fields.CharField, fields.ChoiceField, fields.IntegerField, fields.BooleanField)


VALUE, FILE, METHOD = "value", "file", "method"


class RowPlan:
    """How to read and render the list rows of one serializer class.

    A ``SerializerMethodField`` ``x`` needs the serializer to say which columns it reads
    (``row_columns = {"x": (...)}``) and to compute it from them in ``x_from_row(row)``.
    """

    def __init__(self, serializer_class: type[serializers.ModelSerializer]):
        serializer = serializer_class()
        model = serializer_class.Meta.model
        lookups: dict[str, None] = {}  # the values() lookups, in order, once each
        # (name, kind, lookup, convert): ``convert`` None means the value is shown as read.
        self.columns: list[tuple[str, str, str | None, Callable[[Any], Any] | None]] = []
        self.storages = {}  # file fields' storages: their URLs are built per request
        for name, field in serializer.fields.items():
            if field.write_only:
                continue
            if isinstance(field, fields.SerializerMethodField):
                lookups.update(dict.fromkeys(getattr(serializer_class, "row_columns", {}).get(name, ())))
                if not hasattr(serializer_class, f"{name}_from_row"):
                    raise ImproperlyConfigured(f"{serializer_class.__name__} needs {name}_from_row() for lists.")
                self.columns.append((name, METHOD, None, None))
                continue
            lookup = field.source.replace(".", "__")
            lookups[lookup] = None
            if isinstance(field, fields.FileField):
                use_url = getattr(field, "use_url", api_settings.UPLOADED_FILES_USE_URL)
                self.storages[name] = model._meta.get_field(field.source).storage if use_url else None
                self.columns.append((name, FILE, lookup, None))
            elif isinstance(field, relations.PrimaryKeyRelatedField) and field.pk_field is None:
                self.columns.append((name, VALUE, lookup, None))  # values() gives the id
            elif isinstance(field, relations.RelatedField | serializers.BaseSerializer):
                raise ImproperlyConfigured(f"{serializer_class.__name__}.{name}: only flat fields can be rows.")
            elif isinstance(field, PASS_THROUGH):
                self.columns.append((name, VALUE, lookup, None))
            else:
                self.columns.append((name, VALUE, lookup, field.to_representation))
        self.lookups = tuple(lookups)

    def values(self, queryset):
        return queryset.values(*self.lookups)

    def render(self, rows: Iterable[dict], serializer: serializers.Serializer) -> list[dict]:
        """``rows`` from ``values()``; ``serializer`` carries the context (request, …) for method fields."""
        request = serializer.context.get("request")
        methods = {name: getattr(serializer, f"{name}_from_row") for name, kind, _, _ in self.columns if kind == METHOD}
        output = []
        for row in rows:
            item = {}
            for name, kind, lookup, convert in self.columns:
                if kind == VALUE:
                    value = row[lookup]
                    item[name] = value if value is None or convert is None else convert(value)
                elif kind == FILE:
                    item[name] = self._file_url(name, row[lookup], request)
                else:
                    item[name] = methods[name](row)
            output.append(item)
        return output

    def _file_url(self, name: str, path: str, request) -> str | None:
        """As DRF's FileField: no file is null; a file is its (absolute) URL, or its name without use_url."""
        if not path:
            return None
        storage = self.storages[name]
        if storage is None:
            return path
        url = storage.url(path)
        return request.build_absolute_uri(url) if request is not None else url


@cache
def row_plan(serializer_class) -> RowPlan:
    return RowPlan(serializer_class)


class PagedRows:
    """What the paginator pages: rows read with ``plan`` (a slice is one ``.values()`` query), counted on the
    filtered queryset itself, without the joins the rows' columns and order need.

    With ``count_with_page`` the page query also returns the total (``COUNT(*) OVER ()``), so a page costs one
    query instead of two. That pays where PostgreSQL reads every matching row to order the page anyway — a
    vendor's scope is a union of id look-ups, sorted after the fact — and would cost dearly on a whole table
    that an index hands over in order, a page at a time (an officer's lists): there the count stays apart.
    """

    TOTAL = "_rows_in_list"

    def __init__(self, queryset, plan: RowPlan, *, count_with_page: bool = False):
        self.queryset, self.plan = queryset, plan
        # Under DISTINCT the window would count rows before duplicates go: the count stays apart.
        self.count_with_page = count_with_page and not queryset.query.distinct

    @property
    def ordered(self) -> bool:
        return self.queryset.ordered

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, index):
        return self.plan.values(self.queryset)[index]

    def page_and_total(self, bottom: int, top: int) -> tuple[list[dict], int | None]:
        """Rows ``bottom:top`` and the number of rows in the whole list (None when the page is empty)."""
        rows = list(self.plan.values(self.queryset).annotate(**{self.TOTAL: Window(Count("*"))})[bottom:top])
        total = None
        for row in rows:
            total = row.pop(self.TOTAL)
        return rows, total


# OFFSET is a bigint in PostgreSQL: a page number beyond it is a 404, never a database error.
MAX_OFFSET = 2**63 - 1


class RowsPaginator(Paginator):
    """Django's paginator, taking the total from the page query when the rows offer it (``PagedRows``)."""

    def page(self, number):
        rows = self.object_list
        if not getattr(rows, "count_with_page", False) or self.orphans:
            return super().page(number)
        number = self._whole_number(number)
        bottom = (number - 1) * self.per_page
        if bottom + self.per_page > MAX_OFFSET:  # past any list the database can hold: no query of rows
            page_rows, total = [], None
        else:
            page_rows, total = rows.page_and_total(bottom, bottom + self.per_page)
        # An empty page is either an empty list or a page past the end: only a count tells which.
        self.__dict__["count"] = total if total is not None else rows.count()
        return self._get_page(page_rows, self.validate_number(number), self)

    def _whole_number(self, number) -> int:
        # validate_number's own checks, before the query (it would count first to check the upper bound).
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError) as error:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from error
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number


class ValuesListModelMixin(mixins.ListModelMixin):
    """``list`` through ``RowPlan``: same filters, ordering, pagination and output as ListModelMixin."""

    def count_with_page(self) -> bool:
        """Whether the page query should count the list too (see ``PagedRows``); the view says (ScopedViewSet)."""
        decide = getattr(super(), "count_with_page", None)
        return decide() if decide else False

    def list(self, request, *args, **kwargs):
        plan = row_plan(self.get_serializer_class())
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(PagedRows(queryset, plan, count_with_page=self.count_with_page()))
        if page is None:
            return Response(plan.render(plan.values(queryset), self.get_serializer()))
        return self.get_paginated_response(plan.render(page, self.get_serializer()))
