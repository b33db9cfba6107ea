"""One error shape for every failure the API reports:

    {"status": 400, "code": "invalid", "detail": "Check the fields below.", "fields": {"progress": ["…"]}}

``fields`` maps each input at fault to its messages (empty when no field is to blame); a 409 also says
``current_status``. Domain errors from the services map to 400 (RuleViolation), 409 (StateConflict, e.g. an
illegal transition), 412 (StaleVersion), and for evidence files 413 (too large) and 415 (type refused).
"""

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from ppp.errors import RuleViolation, StaleVersion, StateConflict
from projects.validators import EvidenceTooLarge, EvidenceTypeRefused


class ErrorSerializer(serializers.Serializer):
    """Documents the error body in the OpenAPI schema."""

    status = serializers.IntegerField(help_text="The HTTP status, repeated for clients that log bodies only.")
    code = serializers.CharField(help_text="Stable machine-readable reason, e.g. invalid, not_found, conflict.")
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per input field (dotted path for nested input); empty when no field is at fault.",
    )
    current_status = serializers.CharField(
        required=False, help_text="On 409: the state the object is in, which does not allow the action."
    )


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource changed since you read it."
    default_code = "precondition_failed"


class ContentTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The uploaded file is too large."
    default_code = "too_large"


class FileTypeRefused(exceptions.APIException):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    default_detail = "This type of file is not accepted."
    default_code = "unsupported_media_type"


class LoginLockedOut(exceptions.Throttled):
    """Too many failed passwords for this username or from this address (django-axes); see README "Logins"."""

    default_detail = (
        "Too many failed logins for this username or from your address; the login is locked for now. "
        "A procurement officer can unlock it."
    )
    default_code = "locked_out"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The action is not allowed in the resource's current state."
    default_code = "conflict"


def _flatten(detail, prefix="") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field.sub": ["message", …]}."""
    if isinstance(detail, dict):
        flat = {}
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(_flatten(value, name))
        return flat
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        flat = {}
        for index, value in enumerate(detail):
            flat.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or "non_field_errors": [str(message) for message in messages]}


def _body(status_code: int, code: str, detail: str, fields=None, **extra) -> dict:
    return {"status": status_code, "code": code, "detail": detail, "fields": fields or {}, **extra}


# Rule violations that are not "fix this field" but "this content is not accepted here".
RULE_VIOLATION_STATUS = {EvidenceTooLarge: ContentTooLarge, EvidenceTypeRefused: FileTypeRefused}


def exception_handler(exc, context):
    extra = {}
    fields = None
    if isinstance(exc, StateConflict):
        extra["current_status"] = exc.current
        exc = Conflict(exc.message)
    elif isinstance(exc, StaleVersion):
        exc = PreconditionFailed(exc.message)
    elif type(exc) in RULE_VIOLATION_STATUS:
        fields = {exc.field: [exc.message]}
        exc = RULE_VIOLATION_STATUS[type(exc)](exc.message)
    elif isinstance(exc, RuleViolation):
        exc = exceptions.ValidationError({exc.field or "non_field_errors": [exc.message]})
    elif isinstance(exc, Http404 | ObjectDoesNotExist):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: let Django log it and answer 500

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))

    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        body = _body(exc.status_code, "invalid", "The request has invalid fields; see fields.", fields)
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        body = _body(exc.status_code, code, str(exc.detail), fields, **extra)
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)


def locked_out(retry_after: int) -> JsonResponse:
    """A lockout reported outside a DRF view (ppp.logins.lockout_response), in the one error shape."""
    exc = LoginLockedOut(wait=retry_after)
    response = JsonResponse(_body(exc.status_code, exc.default_code, str(exc.detail)), status=exc.status_code)
    response["Retry-After"] = str(exc.wait)
    return response


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    """Django's 404 page, except under /api/ (e.g. /deliverables/abc/ matches no route): the JSON error shape."""
    if _is_api(request):
        return JsonResponse(_body(404, "not_found", "Not found."), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return JsonResponse(
            _body(500, "server_error", "Something went wrong on our side; it has been logged."), status=500
        )
    return defaults.server_error(request)
