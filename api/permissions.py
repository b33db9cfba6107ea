"""Who is calling and what they may do. Querysets decide what they may *see* (see the selectors)."""

from dataclasses import dataclass

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from procurement.models import Vendor, VendorUser
from projects.selectors import user_sees_all_projects


@dataclass(frozen=True)
class Caller:
    """A vendor's user (``vendor`` set) or an agency officer (``vendor`` None, ``is_officer``)."""

    vendor: Vendor | None
    is_officer: bool

    @property
    def is_vendor(self) -> bool:
        return self.vendor is not None


def caller_of(request) -> Caller:
    """Resolve (once per request) whom the authenticated user acts for. A vendor link wins over staff status."""
    cached = getattr(request, "_ppp_caller", None)
    if cached is not None:
        return cached
    user = request.user
    if hasattr(user, "vendor_membership_checked"):  # token callers: looked up by the authentication
        membership = user.vendor_membership_checked
    else:
        membership = VendorUser.objects.select_related("vendor").filter(user=user).first()
    if membership is not None:
        caller = Caller(vendor=membership.vendor, is_officer=False)
    else:
        # Staff status alone is not enough: board members are staff too, and see only their own boards
        # (on the board pages). The agency's view of the API is for those who see every project.
        caller = Caller(vendor=None, is_officer=user.is_active and user.is_staff and user_sees_all_projects(user))
    request._ppp_caller = caller
    return caller


def refuse_unless_vendor_in_good_standing(vendor: Vendor) -> None:
    if not vendor.in_good_standing:
        raise PermissionDenied(f"{vendor} is {vendor.get_status_display().lower()}; its API access is suspended.")


class PartnerAccess(BasePermission):
    """The default for every endpoint: an authenticated vendor user in good standing, or an officer.

    Officers need the model's view permission to read and its change permission for the review actions;
    vendors may do what ``vendor_actions`` lists on their own objects. Object checks run after the scoped
    lookup, so another vendor's object is a 404 before any 403 could tell it exists.
    """

    message = "Your account acts for no vendor and is not an agency officer."

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        caller = caller_of(request)
        if caller.is_vendor:
            refuse_unless_vendor_in_good_standing(caller.vendor)
            return True
        if not caller.is_officer:
            return False
        model = getattr(view, "permission_model", None)
        if model is None:
            return True
        opts = model._meta
        return request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}")

    def has_object_permission(self, request, view, obj):
        caller = caller_of(request)
        action = getattr(view, "action", None)
        if action in getattr(view, "vendor_actions", ()):
            if not caller.is_vendor:
                raise PermissionDenied(
                    getattr(view, "vendor_action_refusal", "Only the responsible vendor reports on a deliverable.")
                )
            return True
        if action in getattr(view, "officer_actions", ()):
            opts = obj._meta
            if not (caller.is_officer and request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")):
                raise PermissionDenied(
                    getattr(
                        view,
                        "officer_action_refusal",
                        "Only agency officers with the change permission review deliverables.",
                    )
                )
            return True
        return True
