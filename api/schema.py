"""OpenAPI generation: every operation documents the error responses it can give, in the one error shape."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import AllowAny

from .errors import ErrorSerializer

ERROR_DESCRIPTIONS = {
    400: "Invalid input; `fields` names each field at fault.",
    401: "Not authenticated: missing, wrong, expired or revoked token, suspended vendor, or wrong password.",
    403: "Authenticated, but this caller may not do this.",
    404: "No such object among those you may see (another vendor's object answers the same).",
    406: "The Accept header asks for a format other than JSON.",
    413: "The uploaded file is larger than the limit.",
    409: "The action is not allowed in the object's current state; `current_status` says which.",
    412: "If-Match does not match the current ETag: someone changed the object since you read it.",
    415: "Unsupported request body format.",
    429: "Too many requests for this token; retry after the Retry-After seconds.",
}


# Request bodies that refuse fields they do not list (a vendor sending "status" must hear it was not stored).
CLOSED_REQUEST_BODIES = ("PatchedDeliverableRequest",)


def close_request_bodies(result, generator, request, public):
    """drf-spectacular post-processing hook: say ``additionalProperties: false`` where the API enforces it."""
    schemas = result.get("components", {}).get("schemas", {})
    for name in CLOSED_REQUEST_BODIES:
        schemas[name]["additionalProperties"] = False
    return result


class PartnerAutoSchema(AutoSchema):
    def _error_codes(self) -> set[int]:
        view = self.view
        public = any(isinstance(permission, AllowAny) for permission in view.get_permissions())
        codes = {406, 429} if public else {401, 403, 406, 429}
        if self.method in ("POST", "PUT", "PATCH"):
            codes |= {400, 415}
        if "{" in self.path:
            codes.add(404)
        if self._is_list_view():
            codes |= {400, 404}  # a bad filter value; a page past the end
        action = getattr(view, "action", None)
        codes |= set(getattr(view, "action_error_codes", {}).get(action, ()))
        codes |= set(getattr(view, "error_codes", ()))
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in sorted(self._error_codes()):
            response = OpenApiResponse(response=ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
            responses.setdefault(str(code), self._get_response_for_code(response, str(code), direction=direction))
        return responses
