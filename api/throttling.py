from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle


class TokenRateThrottle(SimpleRateThrottle):
    """Limits each token separately (two integrations of one vendor do not starve each other); session
    callers are limited per user. Rate: ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"]``."""

    scope = "token"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None  # unauthenticated requests are refused anyway; login has its own throttle
        token_key = getattr(request.auth, "token_key", None)
        ident = f"token:{token_key}" if token_key else f"user:{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class LoginRateThrottle(AnonRateThrottle):
    """Password attempts per client address."""

    scope = "login"
