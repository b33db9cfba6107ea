"""In-app notifications in the partner API: the caller's own alerts (a vendor user's, or an officer's), to list
and mark read. Only ever the caller's own: another user's notification is simply not in the queryset (404).

HTTP only: the queryset is ``Notification.objects.for_user``, the writes projects.services.notification_*.
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from projects import services
from projects.alerts import level_meaning
from projects.models import Notification

from .filters import StrictFilterSet
from .permissions import PartnerAccess


class NotificationSerializer(serializers.ModelSerializer):
    alert = serializers.IntegerField(source="alert_id", read_only=True)
    kind = serializers.CharField(source="alert.kind", read_only=True, help_text=_("deadline or review_waiting"))
    level = serializers.IntegerField(source="alert.level", read_only=True, help_text=_("0 = due soon; 1, 2, 3..."))
    label = serializers.CharField(source="alert.level_label", read_only=True)
    meaning = serializers.SerializerMethodField(help_text=_("What the level means, in one sentence."))
    milestone = serializers.IntegerField(source="alert.milestone_id", read_only=True)
    milestone_title = serializers.CharField(source="alert.milestone.title", read_only=True)
    project_code = serializers.CharField(source="alert.milestone.project.code", read_only=True)
    due_date = serializers.DateField(source="alert.due_date", read_only=True)
    read = serializers.BooleanField(source="is_read", read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "alert",
            "kind",
            "level",
            "label",
            "meaning",
            "milestone",
            "milestone_title",
            "project_code",
            "due_date",
            "created_at",
            "read",
            "read_at",
        ]
        read_only_fields = fields

    def get_meaning(self, notification) -> str:  # computed from the row and settings: no query
        return level_meaning(notification.alert.level, notification.alert.kind)


class NotificationFilter(StrictFilterSet):
    # A choice, not a BooleanFilter: that one quietly ignores ?unread=maybe instead of saying it is wrong.
    unread = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_unread",
        help_text=_("true: only unread ones; false: only read ones."),
    )

    class Meta:
        model = Notification
        fields = ["unread"]

    def filter_unread(self, queryset, name, value):
        return queryset.filter(read_at__isnull=value == "true")


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Your notifications: the alerts raised for you (milestones due soon, overdue, or waiting for review), newest
    first. Filter ``?unread=true``; mark one read, or all."""

    permission_classes = [PartnerAccess]
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    lookup_value_regex = r"\d+"
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no caller
            return Notification.objects.none()
        return Notification.objects.for_user(self.request.user)

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()  # the caller's own, or 404
        notification = services.notification_mark_read(notification_id=notification.pk, by=request.user)
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        request=None,
        responses={
            200: OpenApiResponse(
                inline_serializer("NotificationsMarkedRead", {"marked": serializers.IntegerField()}),
                description=_("How many unread notifications were marked read."),
            )
        },
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        marked = services.notifications_mark_all_read(by=request.user)
        return Response({"marked": marked}, status=status.HTTP_200_OK)
