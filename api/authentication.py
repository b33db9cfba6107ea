"""Token authentication: knox tokens (stored hashed, expiring, revocable), refused for a suspended vendor."""

import binascii
from hmac import compare_digest

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework.exceptions import AuthenticationFailed


class VendorTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <token>``. A suspended or debarred vendor's tokens stop working at once
    (and work again if the vendor is reinstated before they expire).

    The same check as knox's (the token's SHA-512 digest compared in constant time, expiry enforced, an
    expired token deleted when presented), in one query: the token row comes with its user and the user's
    vendor. knox would also read every other token of the user on each request to purge the expired ones;
    that housekeeping happens at login instead (see ``purge_expired_tokens``), off the read path.
    """

    def authenticate_credentials(self, token: bytes):
        # Tokens are printable ASCII (hex); anything else (undecodable bytes such as \xff\xfe, a NUL that
        # PostgreSQL would refuse in a query) is a wrong token, not a server error.
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid token.") from None
        if not token.isprintable():
            raise AuthenticationFailed("Invalid token.")
        candidates = get_token_model().objects.filter(token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH])
        for auth_token in candidates.select_related("user__vendor_membership__vendor"):
            if auth_token.expiry is not None and auth_token.expiry < timezone.now():
                username = auth_token.user.get_username()
                auth_token.delete()
                token_expired.send(sender=self.__class__, username=username, source="auth_token")
                continue
            try:
                digest = hash_token(token)
            except (TypeError, binascii.Error):
                raise AuthenticationFailed("Invalid token.") from None
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise AuthenticationFailed("Invalid token.")

    def validate_user(self, auth_token):
        user, token = super().validate_user(auth_token)
        try:
            membership = user.vendor_membership  # read with the token (select_related above)
        except ObjectDoesNotExist:
            membership = None
        if membership is not None and not membership.vendor.in_good_standing:
            raise AuthenticationFailed("This vendor's API access is suspended.")
        user.vendor_membership_checked = membership  # spares api.permissions.caller_of a second look-up
        return user, token


def purge_expired_tokens(user) -> None:
    """Delete ``user``'s expired tokens (they are refused anyway; this keeps the table small)."""
    get_token_model().objects.filter(user=user, expiry__lt=timezone.now()).delete()


class VendorTokenScheme(OpenApiAuthenticationExtension):
    target_class = VendorTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")
