"""Who is logging in from where, and what a locked-out login sees. Both logins (the admin's and the partner
API's POST /api/v1/auth/login/) go through django-axes; these are the two hooks it calls
(``AXES_CLIENT_IP_CALLABLE`` and ``AXES_LOCKOUT_CALLABLE``), and the login throttle reads addresses here too."""

import ipaddress

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, unless ``PPP_NUM_PROXIES`` proxies append to X-Forwarded-For.

    Each trusted proxy appends the address it received the request from, so with N proxies the client is the
    N-th entry from the right; anything left of it was written by the client and proves nothing. (DRF's
    ``NUM_PROXIES`` rule, which the settings keep equal.) An entry that is not an address means the header
    did not come from the proxies we were told about: fall back to the peer's address.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.PPP_NUM_PROXIES
    if not proxies:
        return remote
    forwarded = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [entry for entry in forwarded if entry]
    if not forwarded:
        return remote
    candidate = forwarded[-min(proxies, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def cooloff_seconds() -> int:
    """How long a lockout lasts after the latest failed attempt (each failure while locked out restarts it)."""
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """What a locked-out login gets: a readable page on the admin, the API's error shape under /api/.

    The API login normally answers this itself (api.errors.LoginLockedOut); the JSON branch covers any
    other authenticate() under /api/ that axes reports through its middleware.
    """
    retry_after = cooloff_seconds()
    if request.path.startswith("/api/"):
        from api.errors import locked_out

        return locked_out(retry_after)
    context = {
        **admin.site.each_context(request),
        "title": "Sign-in locked",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": max(1, retry_after // 60),
    }
    response = TemplateResponse(request, "admin/login_locked_out.html", context, status=429).render()
    response["Retry-After"] = str(retry_after)
    return response
