"""Query filters for the list endpoints. Ids are plain numbers: filtering by an object you cannot see
simply finds nothing, and tells nothing about whether it exists."""

import django_filters
from django.utils import timezone

from procurement.models import Agreement
from projects.models import Deliverable, Milestone, Project


class AgreementFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Agreement.Status.choices)

    class Meta:
        model = Agreement
        fields = ["status"]


class ProjectFilter(django_filters.FilterSet):
    agreement = django_filters.NumberFilter(field_name="agreement_id")
    phase = django_filters.MultipleChoiceFilter(choices=Project.Phase.choices)
    delivery_method = django_filters.ChoiceFilter(choices=Project.DeliveryMethod.choices)

    class Meta:
        model = Project
        fields = ["agreement", "phase", "delivery_method"]


class MilestoneFilter(django_filters.FilterSet):
    project = django_filters.NumberFilter(field_name="project_id")
    iteration = django_filters.NumberFilter(field_name="iteration_id")
    status = django_filters.MultipleChoiceFilter(choices=Milestone.Status.choices)
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


class DeliverableFilter(django_filters.FilterSet):
    milestone = django_filters.NumberFilter(field_name="milestone_id")
    project = django_filters.NumberFilter(field_name="milestone__project_id")
    status = django_filters.MultipleChoiceFilter(choices=Deliverable.Status.choices)

    class Meta:
        model = Deliverable
        fields = ["milestone", "project", "status"]
