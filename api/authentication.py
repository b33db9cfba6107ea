"""Token authentication: knox tokens (stored hashed, expiring, revocable), refused for a suspended vendor."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from procurement.models import Vendor, VendorUser


class VendorTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <token>``. A suspended or debarred vendor's tokens stop working at once
    (and work again if the vendor is reinstated before they expire)."""

    def validate_user(self, auth_token):
        user, token = super().validate_user(auth_token)
        membership = VendorUser.objects.select_related("vendor").filter(user=user).first()
        if membership is not None and membership.vendor.status != Vendor.Status.ACTIVE:
            raise AuthenticationFailed("This vendor's API access is suspended.")
        user.vendor_membership_checked = membership  # spares api.permissions.caller_of a second look-up
        return user, token


class VendorTokenScheme(OpenApiAuthenticationExtension):
    target_class = VendorTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")
