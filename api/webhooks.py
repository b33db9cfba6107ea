"""Webhooks in the partner API: a vendor registers HTTPS endpoints, reads their delivery log and redelivers.

HTTP only: the querysets come from webhooks.selectors, the writes from webhooks.services. Another vendor's
endpoint or delivery is not in the caller's queryset, so it answers 404.
"""

import django_filters
from django.core.validators import RegexValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from webhooks import services
from webhooks.models import EVENTS, PING, WebhookDelivery, WebhookEndpoint
from webhooks.selectors import delivery_list, endpoint_list

from .filters import IdFilter, StatusFilter, StrictFilterSet
from .permissions import caller_of
from .views import ScopedViewSet

# --- Serializers -------------------------------------------------------------------------------


# A host name with a top-level domain (no address literals: receivers' certificates name hosts), an optional port,
# then any path and query. Labels stop at 42 characters and names at five labels, so every match is also a name
# Django's URL check accepts (at most 253 characters): the schema and the API admit exactly the same URLs.
_LABEL = "[A-Za-z0-9]([A-Za-z0-9-]{0,40}[A-Za-z0-9])?"
_PORT = "(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
# The path and query in visible ASCII (percent-encode the rest): the same set for the schema's regex dialect
# (ECMA) and Python's, whose whitespace classes differ on control characters.
HTTPS_URL = f"^https://({_LABEL}\\.){{1,4}}[A-Za-z]{{2,63}}(:{_PORT})?([/?#][!-~]*)?$"


@extend_schema_field({"type": "string", "maxLength": 500, "pattern": HTTPS_URL})
class HttpsURLField(serializers.CharField):
    """An https URL of a named host. The service then refuses hosts that resolve to private addresses (a 400 too:
    DNS is a fact the schema cannot state)."""

    def __init__(self, **kwargs):
        # Untrimmed: a URL with a trailing newline is refused, as the schema's pattern refuses it.
        super().__init__(max_length=500, trim_whitespace=False, **kwargs)
        self.validators.append(
            RegexValidator(
                HTTPS_URL,
                message=gettext_lazy("Give an https:// URL with a host name, e.g. https://erp.example.com/ppp."),
            )
        )


class StrictCharField(serializers.CharField):
    """Text only, as the schema says: DRF's own turns 0 into "0"."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """true or false only, as the schema says: DRF's own also takes 0, "yes", "on"... which a client must not
    learn to rely on."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class WebhookEndpointSerializer(serializers.ModelSerializer):
    url = HttpsURLField(
        help_text=gettext_lazy("HTTPS only; refused (400) when the host resolves to a private or loopback address."),
    )
    description = StrictCharField(max_length=200, required=False, allow_blank=True)
    is_active = StrictBooleanField(required=False, help_text=gettext_lazy("Inactive endpoints receive nothing."))
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=list(EVENTS)),
        required=False,
        max_length=len(EVENTS),
        help_text=gettext_lazy("The events sent to this endpoint; empty (the default) for every event."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "events", "is_active", "secret_rotated_at", "created_at", "updated_at"]
        read_only_fields = ["id", "secret_rotated_at", "created_at", "updated_at"]


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text=gettext_lazy(
            "Signs every delivery (X-PPP-Signature). Shown only now: store it; rotate it if it is lost."
        ),
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = ["id", "endpoint", *WebhookDelivery.LOG_FIELDS, "created_at", "redelivery_requested_at"]
        read_only_fields = fields


# --- Filters ---------------------------------------------------------------------------------


class WebhookDeliveryFilter(StrictFilterSet):
    endpoint = IdFilter(field_name="endpoint_id")
    status = StatusFilter(choices=WebhookDelivery.Status.choices)
    event = django_filters.ChoiceFilter(choices=[(name, name) for name in [*EVENTS, PING]])

    class Meta:
        model = WebhookDelivery
        fields = ["endpoint", "status", "event"]


# --- Views -----------------------------------------------------------------------------------


def _vendor_of(request):
    caller = caller_of(request)
    if not caller.is_vendor:
        raise PermissionDenied(_("Webhooks are managed by the vendor's own users; officers read them."))
    return caller.vendor


QUEUED = OpenApiResponse(WebhookDeliverySerializer, description="Queued; its outcome shows in webhook-deliveries/.")


@extend_schema_view(
    create=extend_schema(
        responses={201: WebhookEndpointWithSecretSerializer}, summary="Register an endpoint (the secret is shown once)"
    ),
    partial_update=extend_schema(summary="Change an endpoint's URL, description, events or active flag"),
    destroy=extend_schema(summary="Remove an endpoint and its delivery log"),
)
class WebhookEndpointViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ScopedViewSet,
):
    """Your webhook endpoints: where your events are POSTed, signed with the endpoint's secret."""

    selector = endpoint_list
    permission_model = WebhookEndpoint
    serializer_class = WebhookEndpointSerializer
    ordering_fields = ["id", "created_at", "url"]
    ordering = ["id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    action_error_codes = {"ping": (409,)}

    def create(self, request, *args, **kwargs):
        vendor = _vendor_of(request)
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        endpoint = services.endpoint_create(vendor=vendor, by=request.user, **body.validated_data)
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        endpoint = self.get_object()
        _vendor_of(request)
        body = self.get_serializer(endpoint, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        updated = services.endpoint_update(endpoint_id=endpoint.pk, by=request.user, changes=body.validated_data)
        return Response(self.get_serializer(updated).data)

    def destroy(self, request, *args, **kwargs):
        endpoint = self.get_object()
        _vendor_of(request)
        services.endpoint_delete(endpoint_id=endpoint.pk, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses={200: WebhookEndpointWithSecretSerializer},
        summary="Replace the secret (the old one stops signing at once)",
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        endpoint = self.get_object()
        _vendor_of(request)
        rotated = services.endpoint_rotate_secret(endpoint_id=endpoint.pk, by=request.user)
        return Response(WebhookEndpointWithSecretSerializer(rotated).data)

    @extend_schema(request=None, responses={202: QUEUED}, summary="Send a test event (ping) to this endpoint")
    @action(detail=True, methods=["post"])
    def ping(self, request, pk=None):
        endpoint = self.get_object()
        _vendor_of(request)
        delivery = services.endpoint_ping(endpoint_id=endpoint.pk, by=request.user)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The delivery log of your endpoints: each event, its attempts and the last answer; redeliver from here."""

    selector = delivery_list
    permission_model = WebhookDelivery
    serializer_class = WebhookDeliverySerializer
    filterset_class = WebhookDeliveryFilter
    ordering_fields = ["id", "created_at", "occurred_at", "status"]
    ordering = ["-id"]
    action_error_codes = {"redeliver": (409,)}

    @extend_schema(request=None, responses={202: QUEUED}, summary="Send this event again (same event id)")
    @action(detail=True, methods=["post"])
    def redeliver(self, request, pk=None):
        delivery = self.get_object()
        _vendor_of(request)
        redelivered = services.delivery_redeliver(delivery_id=delivery.pk, by=request.user)
        return Response(WebhookDeliverySerializer(redelivered).data, status=status.HTTP_202_ACCEPTED)
