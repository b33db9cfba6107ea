"""One error shape for every failure the API reports:

    {"status": 400, "code": "invalid", "detail": "Check the fields below.", "fields": {"progress": ["…"]}}

``fields`` maps each input at fault to its messages (empty when no field is to blame); a 409 also says
``current_status``. Domain errors from the services map to 400 (RuleViolation), 409 (StateConflict, e.g. an
illegal transition), 412 (StaleVersion), and for evidence files 413 (too large) and 415 (type refused).

Requests Django itself refuses (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many multipart fields or files,
an unknown path, an uncaught bug) answer in the same shape under /api/, with DEBUG on or off: the handlers
below cover production, ``api.middleware.ApiErrorMiddleware`` the rest (DEBUG's technical pages, errors
raised by middleware). Pages outside /api/ keep Django's HTML.
"""

import logging

from django.conf import settings
from django.core.exceptions import (
    ObjectDoesNotExist,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from django.urls import get_urlconf, is_valid_path
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


class RequestRefused(exceptions.APIException):
    """A request Django refuses to read (SuspiciousOperation): too big, too many parts, malformed."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The request could not be read."
    default_code = "bad_request"


def refused_request_detail(exc: SuspiciousOperation) -> tuple[str, str]:
    """(code, detail) for a request Django refused, saying which limit was hit."""
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return "too_large", f"The request body is larger than {limit:,} bytes (uploaded files do not count)."
    if isinstance(exc, TooManyFieldsSent):
        return "too_many_fields", f"The request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,} fields."
    if isinstance(exc, TooManyFilesSent):
        return "too_many_files", f"The request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FILES:,} files."
    return "bad_request", "The request could not be read."


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
        if exc.field and exc.field != "status":
            fields = {exc.field: [exc.message]}
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
    elif isinstance(exc, SuspiciousOperation):
        # Logged where Django logs it (django.security.*), answered like any other bad request.
        logging.getLogger(f"django.security.{exc.__class__.__name__}").warning(str(exc))
        code, detail = refused_request_detail(exc)
        exc = RequestRefused(detail, code)

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


# --- Errors Django answers itself (no DRF view involved), under /api/ -------------------------------

API_PREFIX = "/api/"

# (code, detail) per status for errors raised outside the API's views.
DJANGO_ERRORS = {
    400: ("bad_request", "The request could not be read."),
    401: ("not_authenticated", "Authentication credentials were not provided."),
    403: ("permission_denied", "You do not have permission to perform this action."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "This method is not allowed here."),
    406: ("not_acceptable", "Could not satisfy the request Accept header."),
    413: ("too_large", "The request is too large."),
    415: ("unsupported_media_type", "Unsupported media type in request."),
    429: ("throttled", "Request was throttled."),
    500: ("server_error", "Something went wrong on our side; it has been logged."),
}


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def _not_found_detail(request) -> str:
    path = request.path_info
    if not path.endswith("/") and is_valid_path(f"{path}/", get_urlconf()):
        # APPEND_SLASH is off under /api/ (a redirect would turn a POST into a GET): say where it is instead.
        return f"Not found. API paths end with a slash: {request.path}/"
    return "Not found."


def api_error_response(request, status_code: int, exception=None) -> JsonResponse:
    """The error shape for ``status_code``, with what the exception says about the cause when it is known."""
    code, detail = DJANGO_ERRORS.get(status_code, ("error", "The request failed."))
    if status_code == 404:
        detail = _not_found_detail(request)
    elif isinstance(exception, SuspiciousOperation):
        code, detail = refused_request_detail(exception)
    # Compact, like the API views' own JSON.
    return JsonResponse(
        _body(status_code, code, detail), status=status_code, json_dumps_params={"separators": (",", ":")}
    )


def bad_request(request, exception=None):
    """Django's 400 (e.g. RequestDataTooBig read by a middleware, DisallowedHost), in the shape under /api/."""
    if is_api(request):
        return api_error_response(request, 400, exception)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if is_api(request):
        return api_error_response(request, 403, exception)
    return defaults.permission_denied(request, exception)


def locked_out(retry_after: int) -> JsonResponse:
    """A lockout reported outside a DRF view (ppp.logins.lockout_response), in the one error shape."""
    exc = LoginLockedOut(wait=retry_after)
    response = JsonResponse(_body(exc.status_code, exc.default_code, str(exc.detail)), status=exc.status_code)
    response["Retry-After"] = str(exc.wait)
    return response


def not_found(request, exception=None):
    """Django's 404 page, except under /api/ (e.g. /deliverables/abc/ matches no route): the JSON error shape."""
    if is_api(request):
        return api_error_response(request, 404, exception)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api(request):
        return api_error_response(request, 500)
    return defaults.server_error(request)
