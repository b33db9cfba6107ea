"""Query filters for the list endpoints. Ids are plain numbers: filtering by an object you cannot see
simply finds nothing, and tells nothing about whether it exists."""

import re

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from procurement.models import Agreement
from projects.models import Deliverable, Milestone, Project

MAX_ID = 2**63 - 1  # the largest primary key the database holds


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """An object id: a whole number in the database's range (so 1e308 is a 400, not a database error)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class StatusFilter(django_filters.MultipleChoiceFilter):
    """``?status=a&status=b`` on a column of the listed row itself. No join, so no duplicate rows: without
    django-filter's default DISTINCT, which sorts every matching row (and keeps the count out of the page query)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


class StrictFilterSet(django_filters.FilterSet):
    """A parameter sent empty (``?project=``) is a 400, not silently "no filter" as in an HTML form."""

    RANGE_SUFFIXES = ("_after", "_before")

    def is_valid(self):
        super().is_valid()
        for param in self.data:
            name = param
            for suffix in self.RANGE_SUFFIXES:
                if param.endswith(suffix) and param.removesuffix(suffix) in self.filters:
                    name = param.removesuffix(suffix)
            if name in self.filters and "" in self.data.getlist(param) and name in self.form.fields:
                self.form.add_error(name, f"{param} is empty; give a value or leave it out.")
        return not self.form.errors


class AgreementFilter(StrictFilterSet):
    status = StatusFilter(choices=Agreement.Status.choices)

    class Meta:
        model = Agreement
        fields = ["status"]


class ProjectFilter(StrictFilterSet):
    agreement = IdFilter(field_name="agreement_id")
    phase = StatusFilter(choices=Project.Phase.choices)
    delivery_method = django_filters.ChoiceFilter(choices=Project.DeliveryMethod.choices)

    class Meta:
        model = Project
        fields = ["agreement", "phase", "delivery_method"]


class MilestoneFilter(StrictFilterSet):
    project = IdFilter(field_name="project_id")
    iteration = IdFilter(field_name="iteration_id")
    status = StatusFilter(choices=Milestone.Status.choices)
    # A choice, not a BooleanFilter: that one reads "perhaps" as "no filter" instead of refusing it.
    overdue = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_overdue",
        label="true: open and past the due date (due today is not late); false: all the others.",
    )
    due_date = django_filters.DateFromToRangeFilter(label="Due date range: due_date_after / due_date_before.")

    class Meta:
        model = Milestone
        fields = ["project", "iteration", "status", "overdue", "due_date"]

    def filter_overdue(self, queryset, name, value):
        overdue = Milestone.objects.overdue(on=timezone.localdate()).values("pk")
        return queryset.filter(pk__in=overdue) if value == "true" else queryset.exclude(pk__in=overdue)


class DeliverableFilter(StrictFilterSet):
    milestone = IdFilter(field_name="milestone_id")
    project = IdFilter(field_name="milestone__project_id")
    status = StatusFilter(choices=Deliverable.Status.choices)

    class Meta:
        model = Deliverable
        fields = ["milestone", "project", "status"]


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, which leaves a list alone when the request names none of its filters.

    With no filter parameter the filterset would filter nothing, but still build and validate a form of every
    filter on each request: a millisecond or more of a list request's few. A parameter that merely starts like
    a filter's name (``due_date_after``, ``status``) still goes through the filterset and its checks.
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not any(
            param.startswith(name) for param in request.query_params for name in filterset_class.base_filters
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)


class StrictOrderingFilter(OrderingFilter):
    """``?ordering=a,-b`` over the view's ``ordering_fields``. Unlike DRF's, which drops a term it does not know
    and quietly sorts by something else, an unknown, blank or padded term is a 400 listing the allowed ones:
    a client that asked for an order must not believe it got it."""

    def allowed_fields(self, view) -> list[str]:
        return list(getattr(view, "ordering_fields", None) or [])

    def get_ordering(self, request, queryset, view):
        if self.ordering_param not in request.query_params:
            return self.get_default_ordering(view)
        allowed = self.allowed_fields(view)
        terms = request.query_params.get(self.ordering_param).split(",")
        unknown = [term for term in terms if term.removeprefix("-") not in allowed]
        if unknown:
            choices = ", ".join(allowed)
            raise ValidationError(
                {
                    self.ordering_param: [
                        gettext(
                            "Cannot order by {terms}. Choose from: {choices} "
                            "(comma-separated; a leading - for descending)."
                        ).format(terms=", ".join(repr(term) for term in unknown), choices=choices)
                    ]
                }
            )
        return terms

    def get_schema_operation_parameters(self, view):
        allowed = self.allowed_fields(view)
        if not allowed:
            return []
        one = "-?(" + "|".join(re.escape(name) for name in allowed) + ")"
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": (
                    f"Sort by {', '.join(allowed)}; comma-separate several, prefix - for descending "
                    f"(e.g. -{allowed[0]}). Any other value is a 400 naming the allowed fields."
                ),
                "schema": {"type": "string", "pattern": f"^{one}(,{one})*$"},
            }
        ]
