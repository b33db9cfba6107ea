from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle

from ppp.logins import client_address


class TokenRateThrottle(SimpleRateThrottle):
    """Limits each user, whichever of their tokens (or their admin session) they call with: logging in again
    for a fresh token must not buy a fresh allowance. A vendor user's integrations share one rate; give
    separate integrations separate users. Rate: ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"]``."""

    scope = "token"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None  # unauthenticated requests are refused anyway; login has its own throttle
        return self.cache_format % {"scope": self.scope, "ident": f"user:{request.user.pk}"}


class LoginRateThrottle(AnonRateThrottle):
    """Password attempts per client address (REMOTE_ADDR unless ``PPP_NUM_PROXIES`` says otherwise); the
    lockouts per username and per address (django-axes) come on top."""

    scope = "login"

    def get_ident(self, request):
        return client_address(request)
