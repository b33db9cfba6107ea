"""Middleware that keeps every answer under /api/ in the API's JSON error shape (see api/errors.py)."""

from django.middleware.common import CommonMiddleware

from .errors import api_error_response, is_api

# Headers of the original error worth keeping when its body is replaced.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Vary")


def _is_json(response) -> bool:
    content_type = response.get("Content-Type", "").split(";")[0].strip()
    return content_type == "application/json" or content_type.endswith("+json")


class ApiErrorMiddleware:
    """Outermost middleware: under /api/, an error response that is not JSON becomes the error shape.

    The API's views answer in JSON themselves; what remains is what Django answers before or around them,
    which with DEBUG on is an HTML technical page (unknown path, RequestDataTooBig, an uncaught exception)
    and otherwise whatever a middleware returns. The exception is still logged by Django as usual.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or not is_api(request) or _is_json(response):
            return response
        replacement = api_error_response(request, response.status_code)
        for header in KEPT_HEADERS:
            if header in response:
                replacement[header] = response[header]
        # Django logs the original response once; the replacement must not be logged a second time.
        replacement._has_been_logged = getattr(response, "_has_been_logged", False)
        response.close()
        return replacement


class ApiAwareCommonMiddleware(CommonMiddleware):
    """Django's CommonMiddleware, without APPEND_SLASH under /api/.

    Redirecting ``POST /api/v1/auth/login`` to the slashed path would lose the body (and with DEBUG on Django
    raises RuntimeError instead); API clients get a JSON 404 naming the path with the slash.
    """

    def should_redirect_with_slash(self, request):
        return not is_api(request) and super().should_redirect_with_slash(request)
