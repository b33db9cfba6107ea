"""The partner API's endpoints. Each one: validate input, check permission, call one service or selector,
serialize. Querysets come from the selectors, already cut down to what the caller may see."""

import re

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from procurement.models import Agreement
from procurement.selectors import agreement_list, vendor_profile
from projects import services
from projects.models import Deliverable, Milestone, Project
from projects.selectors import deliverable_list, deliverable_list_order, milestone_list, project_list

from . import serializers
from .authentication import VendorTokenAuthentication, purge_expired_tokens
from .errors import PreconditionFailed
from .filters import AgreementFilter, DeliverableFilter, MilestoneFilter, ProjectFilter
from .listing import ValuesListModelMixin
from .permissions import caller_of, refuse_unless_vendor_in_good_standing
from .throttling import LoginRateThrottle

# --- Tokens ----------------------------------------------------------------------------------


class LoginView(APIView):
    """Exchange a vendor user's username and password for an API token."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]
    error_codes = (401, 403)  # wrong password; officer or suspended vendor

    def get_authenticate_header(self, request):
        # Wrong credentials are a 401 (DRF would turn it into a 403 for a view without authenticators).
        return "Token"

    @extend_schema(
        request=serializers.LoginSerializer,
        responses={200: serializers.TokenSerializer},
        auth=[],
        summary="Obtain an API token",
    )
    def post(self, request):
        serializer = serializers.LoginSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        request.user = user
        caller = caller_of(request)
        if not caller.is_vendor:
            # Officers use their admin session; tokens for them are issued in the admin, on purpose.
            raise PermissionDenied("API tokens are for vendor users; officers sign in to the admin.")
        refuse_unless_vendor_in_good_standing(caller.vendor)
        purge_expired_tokens(user)
        limit = knox_settings.TOKEN_LIMIT_PER_USER
        live = AuthToken.objects.filter(user=user).filter(Q(expiry__isnull=True) | Q(expiry__gt=timezone.now()))
        if limit is not None and live.count() >= limit:
            raise PermissionDenied(f"You already hold {limit} tokens; log out (revoke) some first.")
        instance, token = AuthToken.objects.create(user=user, expiry=knox_settings.TOKEN_TTL)
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        return Response(serializers.TokenSerializer({"token": token, "expiry": instance.expiry}).data)


class LogoutView(APIView):
    """Revoke the token this request is made with."""

    authentication_classes = [VendorTokenAuthentication]

    @extend_schema(request=None, responses={204: None}, summary="Revoke this token")
    def post(self, request):
        request.auth.delete()
        user_logged_out.send(sender=request.user.__class__, request=request, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    """Revoke every token you hold (e.g. when one may have leaked)."""

    authentication_classes = [VendorTokenAuthentication]

    @extend_schema(request=None, responses={204: None}, summary="Revoke all your tokens")
    def post(self, request):
        AuthToken.objects.filter(user=request.user).delete()
        user_logged_out.send(sender=request.user.__class__, request=request, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    """Who you are and, for a vendor user, your company and its contacts."""

    @extend_schema(responses={200: serializers.MeSerializer}, summary="The caller")
    def get(self, request):
        caller = caller_of(request)
        vendor = vendor_profile(caller.vendor.pk) if caller.is_vendor else None
        me = {
            "username": request.user.get_username(),
            "email": request.user.email,
            "is_officer": caller.is_officer,
            "vendor": vendor,
        }
        return Response(serializers.MeSerializer(me).data)


# --- Read-only resources ---------------------------------------------------------------------


class ScopedViewSet(viewsets.GenericViewSet):
    """Lists and details cut down by ``selector(vendor=…)``: the caller's vendor, or None for officers."""

    selector = None
    permission_model = None
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no caller
            return self.permission_model.objects.none()
        return type(self).selector(vendor=caller_of(self.request).vendor)

    def count_with_page(self) -> bool:
        # A vendor's rows are its own share of a table, picked out and sorted whole: the page query counts
        # them at no extra cost. An officer pages through whole tables, where a separate count is cheaper.
        return caller_of(self.request).is_vendor

    def options(self, request, *args, **kwargs):
        # OPTIONS on a detail URL says nothing about an object the caller may not see: 404 like every method.
        if self.lookup_field in kwargs:
            self.get_object()
        return super().options(request, *args, **kwargs)


class AgreementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Agreements you are a party to, with your own cost share."""

    selector = agreement_list
    permission_model = Agreement
    serializer_class = serializers.AgreementSerializer
    filterset_class = AgreementFilter
    ordering_fields = ["reference", "start_date", "end_date", "status"]
    ordering = ["reference"]


class ProjectViewSet(ValuesListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Projects under your agreements."""

    selector = project_list
    permission_model = Project
    serializer_class = serializers.ProjectSerializer
    filterset_class = ProjectFilter
    ordering_fields = ["code", "name", "start_date", "end_date"]
    ordering = ["code"]


class MilestoneViewSet(ValuesListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Milestones you are responsible for or deliver to."""

    selector = milestone_list
    permission_model = Milestone
    serializer_class = serializers.MilestoneSerializer
    filterset_class = MilestoneFilter
    ordering_fields = ["due_date", "baseline_due_date", "status", "title", "id"]
    ordering = ["due_date", "id"]


# --- Deliverables: reads, the vendor's reports and the transitions ----------------------------

ETAG = re.compile(r'^"v(\d+)"$')
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='The ETag you read (e.g. "v3"). When the deliverable changed since, nothing is done and the '
    "answer is 412.",
)
ETAG_HEADER = OpenApiParameter(
    "ETag", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200], description="The deliverable's version."
)


def etag_of(deliverable: Deliverable) -> str:
    return f'"v{deliverable.version}"'


def expected_version(request) -> int | None:
    """The version named by If-Match: None when absent or ``*``; a 412 when it cannot be one of ours."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    match = ETAG.match(header)
    if match is None:
        raise PreconditionFailed(f'If-Match {header} does not match this deliverable\'s ETag (like "v3").')
    return int(match.group(1))


def _transition_schema(summary, request=None):
    return extend_schema(
        request=request,
        responses={200: serializers.DeliverableSerializer},
        parameters=[IF_MATCH, ETAG_HEADER],
        summary=summary,
    )


@extend_schema_view(
    retrieve=extend_schema(parameters=[ETAG_HEADER]),
    partial_update=extend_schema(parameters=[IF_MATCH, ETAG_HEADER], summary="Report progress"),
)
class DeliverableViewSet(ValuesListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, ScopedViewSet):
    """Your deliverables. Report progress with PATCH, attach evidence, then start / submit; officers
    accept or reject."""

    selector = deliverable_list
    permission_model = Deliverable
    serializer_class = serializers.DeliverableSerializer
    filterset_class = DeliverableFilter
    ordering_fields = ["id", "status", "progress", "updated_at", "submitted_at"]

    @property
    def ordering(self):
        # By due date; for a vendor in a form PostgreSQL sorts rather than walks (see deliverable_list_order).
        request = getattr(self, "request", None)
        vendor = None if request is None or getattr(self, "swagger_fake_view", False) else caller_of(request).vendor
        return deliverable_list_order(vendor=vendor)

    http_method_names = ["get", "patch", "post", "head", "options"]
    vendor_actions = ("partial_update", "start", "submit", "evidence")
    officer_actions = ("accept", "reject")
    action_error_codes = {
        "partial_update": (409, 412),
        "evidence": (409, 412, 413),
        "start": (409, 412),
        "submit": (409, 412),
        "accept": (409, 412),
        "reject": (409, 412),
    }

    def _respond(self, deliverable: Deliverable) -> Response:
        data = self.get_serializer(deliverable).data
        return Response(data, headers={"ETag": etag_of(deliverable)})

    def retrieve(self, request, *args, **kwargs):
        return self._respond(self.get_object())

    def partial_update(self, request, *args, **kwargs):
        deliverable = self.get_object()
        serializer = self.get_serializer(deliverable, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        updated = services.deliverable_update(
            deliverable_id=deliverable.pk,
            by=request.user,
            changes=serializer.validated_data,
            expected_version=expected_version(request),
        )
        return self._respond(updated)

    @_transition_schema(
        "Attach an evidence file", request={"multipart/form-data": serializers.EvidenceUploadSerializer}
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def evidence(self, request, pk=None):
        deliverable = self.get_object()
        upload = serializers.EvidenceUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        updated = services.deliverable_update(
            deliverable_id=deliverable.pk,
            by=request.user,
            changes={"evidence_file": upload.validated_data["file"]},
            expected_version=expected_version(request),
        )
        return self._respond(updated)

    def _transition(self, service, body=None, **kwargs) -> Response:
        """Look the deliverable up (404 before anything else), validate the body, call the service."""
        deliverable = self.get_object()
        if body is not None:
            review = body(data=self.request.data)
            review.is_valid(raise_exception=True)
            kwargs.update(review.validated_data)
        updated = service(deliverable_id=deliverable.pk, expected_version=expected_version(self.request), **kwargs)
        return self._respond(updated)

    @_transition_schema("Start (or resume after a rejection) work")
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._transition(services.deliverable_start, by=request.user)

    @_transition_schema("Submit for review")
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._transition(services.deliverable_submit, by=request.user)

    @extend_schema(
        request=serializers.ReviewSerializer,
        responses={
            200: OpenApiResponse(serializers.DeliverableSerializer, description="Accepted."),
            202: OpenApiResponse(
                serializers.DeliverableSerializer,
                description="First approval recorded; needs a second officer. The milestone pays the four-eyes "
                "threshold (PPP_FOUR_EYES_ACCEPTANCE_THRESHOLD) or more, so the deliverable stays submitted, with "
                "`awaiting_second_approval` true, until another officer accepts it. The same officer accepting "
                "again is a 400 (field `reviewer`).",
            ),
        },
        parameters=[IF_MATCH, ETAG_HEADER],
        summary="Accept a submitted deliverable (officers; two officers above the four-eyes threshold)",
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        response = self._transition(
            services.deliverable_accept, body=serializers.ReviewSerializer, reviewer=request.user
        )
        if response.data["awaiting_second_approval"]:
            response.status_code = status.HTTP_202_ACCEPTED
        return response

    @_transition_schema("Reject a submitted deliverable, saying why (officers)", request=serializers.RejectSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._transition(services.deliverable_reject, body=serializers.RejectSerializer, reviewer=request.user)
